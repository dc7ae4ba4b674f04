"""Table-driven tests of the GSM-7 / UCS-2 SMS segment counter."""

from __future__ import annotations

import pytest

from scheduler.outbound.segments import GSM7_BASIC, GSM7_EXTENSION, SegmentInfo, count_segments

EMOJI = "\N{SMILING FACE WITH SMILING EYES}"  # outside the BMP: a UTF-16 surrogate pair

CASES: list[tuple[str, str, SegmentInfo]] = [
    ("empty", "", SegmentInfo("GSM-7", 0, 1)),
    ("one char", "a", SegmentInfo("GSM-7", 1, 1)),
    ("gsm 160", "a" * 160, SegmentInfo("GSM-7", 160, 1)),
    ("gsm 161", "a" * 161, SegmentInfo("GSM-7", 161, 2)),
    ("gsm 153*2", "a" * 306, SegmentInfo("GSM-7", 306, 2)),
    ("gsm 153*2+1", "a" * 307, SegmentInfo("GSM-7", 307, 3)),
    ("gsm 153*3", "a" * 459, SegmentInfo("GSM-7", 459, 3)),
    ("newline and CR are basic", "a\r\nb", SegmentInfo("GSM-7", 4, 1)),
    ("euro counts 2", "€", SegmentInfo("GSM-7", 2, 1)),
    ("every extension char counts 2", "\f^{}\\[~]|€", SegmentInfo("GSM-7", 20, 1)),
    ("80 euros fill one part", "€" * 80, SegmentInfo("GSM-7", 160, 1)),
    ("79 euros + 3 chars overflow", "€" * 79 + "abc", SegmentInfo("GSM-7", 161, 2)),
    ("escape pair ends a single part", "a" * 158 + "€", SegmentInfo("GSM-7", 160, 1)),
    ("escape pair fits exactly", "a" * 151 + "€" + "a" * 153, SegmentInfo("GSM-7", 306, 2)),
    # 152 + 2 would straddle parts one and two, so the euro opens part two and so on.
    ("escape pair pushed to part 3", "a" * 152 + "€" + "a" * 152, SegmentInfo("GSM-7", 306, 3)),
    ("ucs2 70", "ê" * 70, SegmentInfo("UCS-2", 70, 1)),
    ("ucs2 71", "ê" * 71, SegmentInfo("UCS-2", 71, 2)),
    ("ucs2 67*2", "ê" * 134, SegmentInfo("UCS-2", 134, 2)),
    ("ucs2 67*2+1", "ê" * 135, SegmentInfo("UCS-2", 135, 3)),
    ("ucs2 67*3", "ê" * 201, SegmentInfo("UCS-2", 201, 3)),
    ("one non-GSM char forces UCS-2", "a" * 69 + "ç", SegmentInfo("UCS-2", 70, 1)),
    ("euro in UCS-2 is one unit", "ç€", SegmentInfo("UCS-2", 2, 1)),
    ("emoji counts 2", EMOJI, SegmentInfo("UCS-2", 2, 1)),
    ("35 emoji fill one part", EMOJI * 35, SegmentInfo("UCS-2", 70, 1)),
    ("36 emoji overflow", EMOJI * 36, SegmentInfo("UCS-2", 72, 2)),
    ("surrogate pair ends a single part", "a" * 68 + EMOJI, SegmentInfo("UCS-2", 70, 1)),
    ("surrogate pair pushed to part 3", "a" * 66 + EMOJI + "a" * 66, SegmentInfo("UCS-2", 134, 3)),
    (
        "curly apostrophe is UCS-2",
        "l\N{RIGHT SINGLE QUOTATION MARK}été",
        SegmentInfo("UCS-2", 5, 1),
    ),
    ("straight apostrophe is GSM", "l'été", SegmentInfo("GSM-7", 5, 1)),
    ("guillemets are UCS-2", "«oui»", SegmentInfo("UCS-2", 5, 1)),
    ("grave/acute French is GSM", "Répondez à Hélène où", SegmentInfo("GSM-7", 20, 1)),
    ("capital E acute is GSM", "École", SegmentInfo("GSM-7", 5, 1)),
    ("capital E grave is not", "È", SegmentInfo("UCS-2", 1, 1)),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_count_segments(text: str, expected: SegmentInfo) -> None:
    assert count_segments(text) == expected


GSM_CHARS = "éèùìòÇØøÅåÄÖÑÜ§¿äöñüàÉÆæßΔΦΓΛΩΠΨΣΘΞ¡¤£¥@$_!\"#%&'()*+,-./:;<=>?\n\r"
NON_GSM_CHARS = (
    "êâîôûçëïœŒ«»ÀÂÊÎÔÛÈËÏ`\t…"
    "\N{RIGHT SINGLE QUOTATION MARK}\N{LEFT SINGLE QUOTATION MARK}"
    "\N{LEFT DOUBLE QUOTATION MARK}\N{RIGHT DOUBLE QUOTATION MARK}"
    "\N{EN DASH}\N{EM DASH}\N{NO-BREAK SPACE}"
)


@pytest.mark.parametrize("char", list(GSM_CHARS))
def test_basic_table_members(char: str) -> None:
    assert char in GSM7_BASIC
    assert count_segments(char) == SegmentInfo("GSM-7", 1, 1)


@pytest.mark.parametrize("char", list(NON_GSM_CHARS))
def test_chars_outside_gsm_force_ucs2(char: str) -> None:
    assert char not in GSM7_BASIC
    assert char not in GSM7_EXTENSION
    assert count_segments("Bonjour " + char).encoding == "UCS-2"


def test_basic_table_has_127_chars_and_no_escape() -> None:
    # 128 code points minus 0x1B, which only introduces an extension character.
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC
    assert not GSM7_BASIC & GSM7_EXTENSION

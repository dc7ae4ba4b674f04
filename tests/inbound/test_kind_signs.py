"""A kind's red flags and expected effects on top of the general triage (pure, table-driven)."""

from __future__ import annotations

import pytest

from scheduler.followups.kinds import cached_catalog
from scheduler.inbound.kind_signs import fold, with_kind_signs
from scheduler.inbound.triage import Triage, classify

KINDS = cached_catalog(None)


def triaged(kind: str | None, text: str) -> Triage:
    found = KINDS.require(kind) if kind is not None else None
    return with_kind_signs(classify(text), text, found, classify)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("dermal_filler", "my skin went white"),
        ("dermal_filler", "My skin went WHITE around the lip this morning"),
        ("dermal_filler", "the skin looks grey and mottled"),
        ("dermal_filler", "ma peau est devenue blanche"),
        ("dermal_filler", "c'est marbré et froid au toucher"),
        ("dermal_filler", "blurry vision since this morning"),
        ("dermal_filler", "I can't see well out of my left eye"),
        ("dermal_filler", "the pain is getting worse and worse"),
        ("chemical_peel", "there are blisters on my cheek"),
        ("chemical_peel", "j'ai une cloque sur la joue"),
        ("ipl", "my eye hurts since the treatment"),
    ],
)
def test_a_kinds_red_flag_is_urgent(kind: str, text: str) -> None:
    verdict = triaged(kind, text)
    assert verdict.level == "urgent", verdict
    assert any("red flag after" in reason for reason in verdict.reasons), verdict


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("dermal_filler", "small lump after filler"),
        ("dermal_filler", "I have a small lump after filler"),
        ("dermal_filler", "small lump, no pain"),
        ("dermal_filler", "no white or grey skin, just a small lump"),
    ],
)
def test_an_expected_effect_alone_is_routine(kind: str, text: str) -> None:
    assert classify(text).level == "concern"  # what the general rules alone would say
    verdict = triaged(kind, text)
    assert verdict.level == "routine", verdict
    assert verdict.reasons == ("expected after dermal filler: lump",)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        # It grows, it hurts, it lasts, it worries: still a concern.
        ("dermal_filler", "the lump is getting bigger"),
        ("dermal_filler", "small lump, painful"),
        ("dermal_filler", "small lump still there after 3 weeks"),
        ("dermal_filler", "petite bosse qui grossit"),
        ("chemical_peel", "intense itching"),
        # The same words after another kind: nothing expected there.
        ("microneedling", "small lump after the treatment"),
    ],
)
def test_an_expected_effect_with_a_worry_stays_a_concern(kind: str, text: str) -> None:
    assert triaged(kind, text).level == "concern"


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("dermal_filler", "my skin isn't white, just bruised"),
        ("dermal_filler", "no white or grey patches at all"),
        ("dermal_filler", "pas de peau blanche, seulement un bleu"),
        ("dermal_filler", "I pushed my glasses up"),  # "pus" is no prefix of "push"
        ("dermal_filler", "I'm a bit confused about when I can wear makeup"),
        ("chemical_peel", "thanks, all good"),
    ],
)
def test_negated_or_unrelated_words_raise_nothing(kind: str, text: str) -> None:
    verdict = triaged(kind, text)
    assert not any("red flag" in reason for reason in verdict.reasons), verdict


def test_an_urgent_general_verdict_is_never_quietened() -> None:
    # Swollen lips are an expected effect of lip filler and an allergy sign in general triage:
    # the general verdict wins, the practitioner decides.
    text = "my lips are swollen"
    assert classify(text).level == "urgent"
    assert triaged("dermal_filler", text).level == "urgent"


def test_no_kind_and_keywords_leave_the_verdict_as_it_is() -> None:
    for text in ("there is a scab on my lip", "small lump after filler"):
        assert triaged(None, text) == classify(text)
    assert triaged("dermal_filler", "STOP") == classify("STOP")


def test_folding_makes_accents_apostrophes_and_hyphens_plain() -> None:
    assert fold("Marbrée, l\u2019œil - can't") == "marbree, l oeil can t"

"""Every step of every kind, in both languages, within 3 GSM-7 segments for 200 first names."""

from __future__ import annotations

import pytest

from tests.support.names_table import END, START, Priced, markdown, price_all
from tests.support.paths import REPO


@pytest.fixture(scope="module")
def priced() -> list[Priced]:
    return price_all()


def test_every_message_fits_with_the_sample_and_with_every_name(priced: list[Priced]) -> None:
    assert len(priced) == 24  # 4 kinds x 3 steps x 2 languages
    for row in priced:
        assert row.sample.segments <= row.limit, row
        assert row.sample.encoding == "GSM-7", row
        assert row.worst.segments <= row.limit, row
        assert row.encodings == {"GSM-7"}, row  # no name turns a text into UCS-2


def test_the_readme_shows_the_table_as_measured(priced: list[Priced]) -> None:
    readme = REPO.joinpath("README.md").read_text(encoding="utf-8")
    shown = readme[readme.index(START) : readme.index(END) + len(END)]
    assert shown == markdown(priced), "run: python -m tests.support.names_table"

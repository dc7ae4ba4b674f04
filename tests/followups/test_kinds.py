"""Kind files: the shipped ones load, a bad one says what is wrong, the clinic's folder wins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scheduler.followups.kinds import (
    DEFAULT_KIND,
    KindError,
    cached_catalog,
    kind_files,
    load_catalog,
    orphan_folders,
)
from scheduler.followups.plan import Step
from scheduler.outbound.render import default_templates_dir

GOOD = """
sources = ["A leaflet"]

[names]
en = "Laser hair removal"
fr = "Épilation laser"

[[steps]]
name = "day2"
day = 2
useful_days = 1

[[steps]]
name = "day5"
day = 5
useful_days = 2

[triage]
urgent = ["Blister"]
expected = ["redness"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "kinds" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_kinds_load_default_first() -> None:
    catalog = load_catalog(None)
    assert catalog.names() == [DEFAULT_KIND, "chemical_peel", "dermal_filler", "ipl"]
    needling = catalog.require(DEFAULT_KIND)
    assert needling.steps == (Step("day1", 1, 1), Step("day3", 3, 2), Step("day7", 7, 2))
    assert needling.days() == "days 1, 3 and 7" and needling.origin == "shipped"
    for kind in catalog.kinds.values():
        assert kind.sources, kind.name  # every shipped kind says where its facts come from
        assert set(kind.names) == {"en", "fr"}


def test_a_clinic_file_adds_a_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "laser_hair", GOOD)
    kind = load_catalog(tmp_path).require("laser_hair")
    assert (kind.origin, kind.path, kind.display("fr")) == ("clinic", path, "Épilation laser")
    assert kind.steps == (Step("day2", 2, 1), Step("day5", 5, 2))
    assert kind.signs.urgent == ("blister",) and kind.signs.expected == ("redness",)
    assert kind.step("day5") is not None and kind.step("day7") is None
    assert kind.days() == "days 2 and 5"


def test_a_clinic_file_replaces_the_shipped_one_whole(tmp_path: Path) -> None:
    replacement = GOOD.replace("Laser hair removal", "Peel, our way")
    write(tmp_path, "chemical_peel", replacement)
    kind = load_catalog(tmp_path).require("chemical_peel")
    assert kind.display() == "Peel, our way" and kind.origin == "clinic"
    assert [s.name for s in kind.steps] == ["day2", "day5"]
    assert kind_files(tmp_path)["ipl"] == default_templates_dir() / "kinds" / "ipl.toml"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("day = 5", "day = 3"), "day2 (day 2) stays useful 1 day(s), up to day 3"),
        (("useful_days = 1", "useful_days = 0"), "useful_days must be a whole number >= 1"),
        (("day = 2", 'day = "2"'), "day must be a whole number"),
        (("day = 5", "day = 1"), "steps must be in day order"),
        (('name = "day5"', 'name = "day2"'), "step day2 is listed twice"),
        (('name = "day5"', 'name = "Day 5"'), "name must be a lowercase slug"),
        (('fr = "Épilation laser"', 'fr = ""'), 'needs a non-empty fr = "..."'),
        (('fr = "Épilation laser"', 'de = "Laser"'), "'de', which is not a language"),
        (("[triage]", "[triage]\nmaybe = []"), "unknown key 'maybe'"),
        (('urgent = ["Blister"]', 'urgent = "Blister"'), "triage.urgent must be a list"),
        (("sources = ", "source = "), "unknown key 'source'"),
        (("[[steps]]", "[[steps]\n"), "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_and_the_problem(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    path = write(tmp_path, "laser_hair", GOOD.replace(*change, 1))
    with pytest.raises(KindError) as caught:
        load_catalog(tmp_path)
    assert any(p.startswith(f"{path}: ") and problem in p for p in caught.value.problems), (
        caught.value.problems
    )


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "Bad Name", GOOD)
    write(
        tmp_path,
        "other",
        GOOD.replace("useful_days = 1", "useful_days = 0").replace("[names]", "[names]\nde = 'x'"),
    )
    with pytest.raises(KindError) as caught:
        load_catalog(tmp_path)
    text = str(caught.value)
    assert "lowercase slug" in text and "useful_days" in text and "'de'" in text


def test_the_catalog_is_read_again_when_a_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, "laser_hair", GOOD)
    first = cached_catalog(tmp_path)
    assert cached_catalog(tmp_path) is first  # unchanged files: not parsed again
    path.write_text(GOOD.replace("Laser hair removal", "Laser"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cached_catalog(tmp_path).require("laser_hair").display() == "Laser"
    path.unlink()
    assert "laser_hair" not in cached_catalog(tmp_path).names()


def test_message_folders_without_a_kind_file_are_found(tmp_path: Path) -> None:
    (tmp_path / "messages" / "en" / "laser_hair").mkdir(parents=True)
    (tmp_path / "messages" / "en" / "microneedling").mkdir(parents=True)
    assert orphan_folders(load_catalog(tmp_path), tmp_path) == ["messages/en/laser_hair/"]

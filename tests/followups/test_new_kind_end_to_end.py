"""A kind added in the clinic's folder works end to end with no code: listed, registered on its
days, previewed from its own files, sent by a dispatch pass through the console channel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.cli import Cli, add, assert_one_error_line, at, by_step, cli_in, today
from tests.support.clinic_folder import NEW_KIND, write_new_kind


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        runner.env["CLINIC_TEMPLATES_DIR"] = str(write_new_kind(tmp_path / "clinic"))
        yield runner


def test_it_is_listed_with_its_steps_and_file(cli: Cli, tmp_path: Path) -> None:
    run = cli("kinds")
    assert run.exit_code == 0, run.stderr
    block = run.stdout.split(f"{NEW_KIND} — ", 1)[1].split("\n\n", 1)[0]
    assert block.startswith("Laser hair removal / Épilation au laser (clinic: ")
    assert str(tmp_path / "clinic" / "kinds" / f"{NEW_KIND}.toml") in block
    assert re.search(r"day2 +Day 2 +useful 2 more day\(s\) \(until day 4\)", block)
    assert "1 expected effect(s), 1 red flag(s)" in block
    assert "microneedling — Microneedling / Microaiguilletage (shipped)" in run.stdout


def test_registered_on_its_days_previewed_and_sent(cli: Cli, tmp_path: Path) -> None:
    treated_on = today() - timedelta(days=2)
    add(
        cli,
        name="François Côté",
        phone="613-555-0150",
        language="fr",
        kind=NEW_KIND,
        performed_at=f"{treated_on.isoformat()}T09:00",
    )
    [treatment] = cli.treatments()
    assert treatment.kind == NEW_KIND
    sms = by_step(cli.messages())
    assert list(sms) == ["day2", "day5"]
    assert sms["day2"].due_at == at(treated_on + timedelta(days=2), 10)
    assert sms["day5"].due_at == at(treated_on + timedelta(days=5), 10)
    assert sms["day2"].expires_at == at(treated_on + timedelta(days=4), 19)

    preview = cli(
        "preview", "--kind", NEW_KIND, "--language", "fr", "--step", "day2", "--name", "François"
    )
    assert preview.exit_code == 0, preview.stderr
    # As typed, the ç alone would make the whole text UCS-2: 5 segments instead of 3.
    assert (
        "SMS for 'François' (sent as 'Francois'; as typed: 5 segment(s), UCS-2):"
        " 3 segment(s) of 3, GSM-7"
    ) in preview.stdout
    clinic_file = tmp_path / "clinic" / "messages" / "fr" / NEW_KIND / "day2.sms.j2"
    assert f"messages/fr/{NEW_KIND}/day2.sms.j2 (clinic: {clinic_file})" in preview.stdout
    assert "messages/fr/_checkin.sms.j2 (shipped)" in preview.stdout

    day2 = treated_on + timedelta(days=2)
    run = cli("dispatch", "--now", f"{day2.isoformat()}T11:00")
    assert run.exit_code == 0, run.stderr
    assert re.search(r"dispatch: .*\bsent 1\b", run.stdout), run.stdout
    assert "Bonjour Francois, ici Aftercare Demo Clinic. Jour 2 après la séance" in run.stdout
    sent = by_step(cli.messages())
    assert (sent["day2"].status, sent["day5"].status) == ("sent", "pending")
    assert sent["day2"].segments is not None and sent["day2"].segments <= 3


def test_an_unknown_kind_names_the_known_ones_the_clinics_included(cli: Cli) -> None:
    run = cli("treatment", "add", "--name", "Ana", "--phone", "613-555-0151", "--kind", "botox")
    assert_one_error_line(
        run, "kind: unknown treatment kind 'botox'", "microneedling", f"ipl, {NEW_KIND})"
    )
    assert cli.counts()["treatment"] == 0

"""CLINIC_TEMPLATES_DIR: the clinic's wording wins over ours, and is checked like ours."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from scheduler.inbound.notice_texts import SAMPLE_ANSWER, NoticeRenderer
from scheduler.ops.runtime import StartupError
from scheduler.ops.startup import check_clinic_address, checked_renderer, startup_checks
from scheduler.ops.verdicts import CheckResult
from scheduler.outbound.render import SAMPLE_CONTEXT, MessageRenderer
from scheduler.settings import Settings
from tests.support.cli import Cli, cli_in
from tests.support.clinic_folder import write, write_new_kind
from tests.support.settings import make_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    with cli_in(tmp_path, monkeypatch) as runner:
        yield runner


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    folder = tmp_path / "clinic-wording"
    folder.mkdir()
    return folder


def settings_for(tmp_path: Path, clinic: Path | None, **overrides: Any) -> Settings:
    url = f"sqlite:///{tmp_path / 'aftercare.db'}"
    return make_settings(url, clinic_templates_dir=clinic, **overrides)


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


def test_a_message_override_is_rendered_and_said_to_be_the_clinics(clinic: Path) -> None:
    path = write(
        clinic,
        "messages/en/microneedling/day1.sms.j2",
        "Hello {{ first_name }} from {{ clinic_name }}, our words."
        ' {% include "messages/en/_checkin.sms.j2" %}',
    )
    renderer = MessageRenderer(clinic_dir=clinic)
    assert renderer.sms("microneedling", "day1", "en", SAMPLE_CONTEXT).text.startswith(
        "Hello Marie-Josée from Clinique Esthétique Ottawa, our words. Reply 1"
    )
    files = renderer.files("microneedling", "day1", "en", "sms")
    assert [(f.name, f.origin) for f in files] == [
        ("messages/en/microneedling/day1.sms.j2", "clinic"),
        ("messages/en/_checkin.sms.j2", "shipped"),
    ]
    assert files[0].path == path
    # Without the setting, ours again.
    assert (
        "our words" not in MessageRenderer().sms("microneedling", "day1", "en", SAMPLE_CONTEXT).text
    )


def test_a_partial_override_reaches_every_message_that_includes_it(clinic: Path) -> None:
    write(
        clinic,
        "messages/fr/_checkin.sms.j2",
        "Répondez 1 si ça va, 2 si ça vous inquiète, 3 pour fièvre, pus ou difficulté à respirer."
        " ARRET pour vous désabonner.",
    )
    renderer = MessageRenderer(clinic_dir=clinic)
    for kind, step in (("microneedling", "day3"), ("dermal_filler", "day14")):
        assert "Répondez 1 si ça va" in renderer.sms(kind, step, "fr", SAMPLE_CONTEXT).text


def test_answers_and_alerts_are_overridden_too(clinic: Path) -> None:
    write(clinic, "replies/en/stop.j2", "{{ clinic_name }}: no more messages. START to resume.")
    notices = NoticeRenderer(clinic_dir=clinic)
    assert notices.answer("stop", "en", SAMPLE_ANSWER) == (
        "Clinique Esthétique Ottawa: no more messages. START to resume."
    )
    assert "no more messages" not in NoticeRenderer().answer("stop", "en", SAMPLE_ANSWER)


def test_a_broken_override_fails_the_start_up_checks(tmp_path: Path, clinic: Path) -> None:
    write(clinic, "messages/fr/ipl/day3.sms.j2", "Bonjour {{ prenom }}")
    settings = settings_for(tmp_path, clinic)
    results = by_name(
        startup_checks(
            settings, MessageRenderer(clinic_dir=clinic), NoticeRenderer(clinic_dir=clinic), None
        )
    )
    assert results["templates"].level == "FAIL"
    assert (
        "fr/ipl/day3.sms: messages/fr/ipl/day3.sms.j2: undefined variable"
        in results["templates"].detail
    )
    with pytest.raises(StartupError, match=r"fr/ipl/day3\.sms"):
        checked_renderer(settings)


def test_a_broken_override_fails_check_and_serve(cli: Cli, clinic: Path) -> None:
    write(clinic, "replies/fr/stop.j2", "{{ nom_clinique }} : désabonné.")
    env = {"CLINIC_TEMPLATES_DIR": str(clinic)}
    check = cli("check", env=env)
    assert check.exit_code == 1
    assert any(
        line.startswith("FAIL") and "replies/fr/stop.j2" in line
        for line in check.stdout.splitlines()
    ), check.stdout
    serve = cli("serve", "--port", "0", env=env)
    assert serve.exit_code == 1
    assert "the service cannot start" in serve.stderr and "replies/fr/stop.j2" in serve.stderr


def test_a_broken_kind_file_fails_check(cli: Cli, clinic: Path) -> None:
    write(clinic, "kinds/ipl.toml", "[names]\nen = 'IPL'\n")
    check = cli("check", env={"CLINIC_TEMPLATES_DIR": str(clinic)})
    assert check.exit_code == 1
    kinds_line = next(line for line in check.stdout.splitlines() if " kinds" in line)
    assert kinds_line.startswith("FAIL") and "ipl.toml" in kinds_line and "fr" in kinds_line


def test_an_override_that_costs_more_segments_is_refused(tmp_path: Path, clinic: Path) -> None:
    # A curly apostrophe makes the whole SMS UCS-2: 7 segments instead of 3.
    write(
        clinic,
        "messages/en/microneedling/day1.sms.j2",
        "Hi {{ first_name }}, it\u2019s {{ clinic_name }}. " * 3
        + '{% include "messages/en/_checkin.sms.j2" %}',
    )
    renderer = MessageRenderer(clinic_dir=clinic)
    results = by_name(
        startup_checks(settings_for(tmp_path, clinic), renderer, NoticeRenderer(), None)
    )
    assert results["templates"].level == "FAIL"
    assert "UCS-2 because of '\u2019'" in results["templates"].detail


def test_a_new_kind_in_the_clinic_folder_passes_the_checks(tmp_path: Path, clinic: Path) -> None:
    write_new_kind(clinic)
    results = by_name(
        startup_checks(
            settings_for(tmp_path, clinic),
            MessageRenderer(clinic_dir=clinic),
            NoticeRenderer(clinic_dir=clinic),
            None,
        )
    )
    assert results["kinds"].level == "ok"
    assert "laser_hair (days 2 and 5)" in results["kinds"].detail
    assert "the clinic's own file for laser_hair" in results["kinds"].detail
    assert results["templates"].level == "ok" and "28 messages" in results["templates"].detail


def test_messages_without_a_kind_file_are_a_warning(tmp_path: Path, clinic: Path) -> None:
    write_new_kind(clinic)
    (clinic / "kinds" / "laser_hair.toml").unlink()
    results = by_name(
        startup_checks(
            settings_for(tmp_path, clinic),
            MessageRenderer(clinic_dir=clinic),
            NoticeRenderer(),
            None,
        )
    )
    assert results["kinds"].level == "warn"
    assert "messages/en/laser_hair/" in results["kinds"].detail


def test_the_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is not a folder"):
        settings_for(tmp_path, tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("environment", "address", "level"),
    [
        ("development", "", "ok"),
        ("production", "", "warn"),
        ("production", "123 Bank St, Ottawa ON K1P 1A1", "ok"),
    ],
)
def test_casl_needs_the_clinic_address_in_production(
    tmp_path: Path, environment: str, address: str, level: str
) -> None:
    settings = settings_for(
        tmp_path,
        None,
        environment=environment,
        clinic_address=address,
        secret_key="a-real-secret-3f9c2e71b4d8a605",
    )
    assert check_clinic_address(settings).level == level

"""A wheel built from the repository, installed in a fresh venv, runs from an empty directory.

An editable install hides a missing template or migration (it reads the source tree); this
builds the wheel, installs it with its dependencies where no source tree is in reach, and uses
it as an operator would: `aftercare check`, `aftercare preview`, `aftercare serve` (healthz 200).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cli import clean_environ
from tests.support.paths import REPO
from tests.support.processes import Service, free_port, wait_for

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, REPO, cwd=dist)
    [built] = dist.glob("aftercare-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `aftercare` script of a fresh venv holding only the wheel and its dependencies."""
    venv = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", venv, cwd=venv)
    _run(venv / "bin/python", "-m", "pip", "install", "-q", wheel, cwd=venv)
    yield venv / "bin/aftercare"


def _environ(workdir: Path) -> dict[str, str]:
    # Nothing from the checkout: no PYTHONPATH, run from a directory outside it.
    env = {k: v for k, v in clean_environ().items() if k != "PYTHONPATH"}
    return {**env, "DATABASE_URL": f"sqlite:///{workdir / 'aftercare.db'}"}


def test_the_wheel_carries_every_runtime_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        str(p.relative_to(REPO / "templates"))
        for p in (REPO / "templates").rglob("*")
        # Every file, whatever its suffix: a new kind of file (scripts, catalogues) must ship too.
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped, "no templates found in the checkout"
    assert {f"scheduler/templates/{name}" for name in shipped} <= names
    migrations = {str(p.relative_to(REPO)) for p in (REPO / "models/migrations").rglob("*.py")}
    assert migrations <= names


def test_check_and_preview_from_an_empty_directory(installed: Path, tmp_path: Path) -> None:
    env = _environ(tmp_path)
    assert not any(tmp_path.iterdir())
    check = _run(installed, "check", cwd=tmp_path, env=env)
    assert "ok    templates:" in check
    assert "ok    answers and alerts:" in check
    preview = _run(
        installed, "preview", "--language", "fr", "--step", "day3", cwd=tmp_path, env=env
    )
    assert "Marie-Josée" in preview
    assert "segment" in preview


def test_serve_answers_healthz(installed: Path, tmp_path: Path) -> None:
    service = Service(tmp_path, _environ(tmp_path), free_port(), executable=installed)
    try:
        body = wait_for("healthz 200 from the installed service", service.health, timeout=60)
        assert body["database"] == "ok"
        # The pages' own files are served from the installed package, scripts included.
        for name in ("app.css", "today.js", "compose.js"):
            static = httpx.get(f"http://127.0.0.1:{service.port}/static/{name}", timeout=5)
            assert static.status_code == 200, name
        service.process.send_signal(signal.SIGTERM)
        assert service.process.wait(timeout=30) == 0, service.stderr
        assert "stopped cleanly" in service.stderr + service.stdout
    finally:
        service.kill()
    assert os.path.exists(tmp_path / "aftercare.db")


def test_the_installed_staff_pages_read_the_french_catalogue(
    installed: Path, tmp_path: Path
) -> None:
    """The .po ships in the wheel and is read from the installed package, no compile step."""
    probe = (
        "from scheduler.web.i18n import LOCALE_DIR, translations\n"
        "assert 'site-packages' in str(LOCALE_DIR), LOCALE_DIR\n"
        "print(translations('fr').gettext('Inbox'))\n"
    )
    out = _run(installed.parent / "python", "-c", probe, cwd=tmp_path, env=_environ(tmp_path))
    assert out.strip() == "Boîte de réception"

"""Where the files shipped with Aftercare live, and the clinic's own folder that overrides them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

_PACKAGE = Path(__file__).resolve().parent

Origin = Literal["clinic", "shipped"]


def templates_dir() -> Path:
    """The shipped `templates/` folder (messages, kinds, answers, alerts, pages, static files).

    A wheel carries it as `scheduler/templates/` (pyproject's package-dir); a checkout or an
    editable install reads the repository's top-level `templates/` directly.
    """
    installed = _PACKAGE / "templates"
    return installed if installed.is_dir() else _PACKAGE.parent / "templates"


def search_path(clinic_dir: Path | None, shipped: Path | None = None) -> list[Path]:
    """Where a template or kind file is looked for, first match wins: the clinic's, then ours."""
    base = shipped or templates_dir()
    return [clinic_dir, base] if clinic_dir is not None else [base]


def origin_of(path: Path, clinic_dir: Path | None) -> Origin:
    """Whether a file found on the search path is the clinic's own or the shipped one."""
    if clinic_dir is not None and path.resolve().is_relative_to(clinic_dir.resolve()):
        return "clinic"
    return "shipped"

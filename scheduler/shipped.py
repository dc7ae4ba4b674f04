"""Where the files shipped with Aftercare live: inside the installed package, or the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """The shipped `templates/` folder (messages, kinds, answers, alerts, pages, static files).

    A wheel carries it as `scheduler/templates/` (pyproject's package-dir); a checkout or an
    editable install reads the repository's top-level `templates/` directly.
    """
    installed = _PACKAGE / "templates"
    return installed if installed.is_dir() else _PACKAGE.parent / "templates"

"""Quick answers staff start a message to a patient with, per language (templates/snippets/)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scheduler.shipped import templates_dir


@dataclass(frozen=True)
class Snippet:
    title: str
    text: str


class SnippetError(ValueError):
    """A snippets file that cannot be read; the message names it."""


@cache
def load_snippets(language: str, directory: Path | None = None) -> tuple[Snippet, ...]:
    """The snippets for `language` (none when the language has no file)."""
    path = (directory or templates_dir()) / "snippets" / f"{language}.toml"
    if not path.is_file():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        found = tuple(
            Snippet(str(item["title"]), str(item["text"])) for item in data.get("snippet", [])
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise SnippetError(f"{path}: {exc}") from exc
    if any(not s.title.strip() or not s.text.strip() for s in found):
        raise SnippetError(f"{path}: every snippet needs a title and a text")
    return found

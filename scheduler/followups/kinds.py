"""Treatment kinds as data: one `kinds/<kind>.toml` per kind, shipped or in the clinic's folder.

A kind is that file (display names, steps, notes for staff, triage additions, sources) plus its
`messages/<lang>/<kind>/<step>.<part>.j2` templates. The clinic's folder (CLINIC_TEMPLATES_DIR)
is read first: its `kinds/ipl.toml` replaces ours whole, and a file we do not ship adds a kind.
Every file is validated here; `aftercare check` and every start report what is wrong.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from models.vocabulary import LANGUAGES
from scheduler.followups.plan import Step, overlaps
from scheduler.settings import Settings
from scheduler.shipped import Origin, origin_of, search_path

log = logging.getLogger(__name__)

DEFAULT_KIND = "microneedling"
KINDS_FOLDER = "kinds"
# A kind and a step name become folder and file names, and a kind is stored in a 50-char column.
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
_TOP_KEYS = {"names", "steps", "notes", "triage", "sources"}
_STEP_KEYS = {"name", "day", "useful_days"}
_TRIAGE_KEYS = {"expected", "urgent"}

Report = Callable[[str], None]  # records one problem of the file being read


class KindError(ValueError):
    """One or more kind files are wrong; each problem names its file."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class KindSigns:
    """What a kind adds to the general triage of its patients' replies (lowercase phrases)."""

    expected: tuple[str, ...] = ()  # expected effects: a concern about only these is routine
    urgent: tuple[str, ...] = ()  # red flags: urgent whatever the general triage says


@dataclass(frozen=True)
class TreatmentKind:
    """One kind of treatment: what staff and patients call it, and its follow-up steps."""

    name: str
    names: Mapping[str, str]  # display name per language
    steps: tuple[Step, ...]
    notes: Mapping[str, str] = field(default_factory=dict)  # for staff, per language
    signs: KindSigns = KindSigns()
    sources: tuple[str, ...] = ()
    path: Path | None = None  # the file it was read from
    origin: Origin = "shipped"

    def display(self, language: str = "en") -> str:
        return self.names.get(language) or self.names.get("en") or self.name

    def step(self, name: str) -> Step | None:
        return next((step for step in self.steps if step.name == name), None)

    def step_names(self) -> list[str]:
        return [step.name for step in self.steps]

    def days(self) -> str:
        """'days 1, 3 and 7': when this kind's messages go out."""
        numbers = [str(step.day) for step in self.steps]
        if len(numbers) == 1:
            return f"day {numbers[0]}"
        return f"days {', '.join(numbers[:-1])} and {numbers[-1]}"


@dataclass(frozen=True)
class KindCatalog:
    """Every kind this clinic can register, the default first, then by name."""

    kinds: Mapping[str, TreatmentKind]

    def names(self) -> list[str]:
        return list(self.kinds)

    def get(self, name: str) -> TreatmentKind | None:
        return self.kinds.get(name)

    def require(self, name: str) -> TreatmentKind:
        """The kind, or a `LookupError` naming the known ones."""
        found = self.kinds.get(name)
        if found is None:
            raise LookupError(unknown_kind(name, self.names()))
        return found

    def steps_by_kind(self) -> dict[str, list[str]]:
        return {name: kind.step_names() for name, kind in self.kinds.items()}

    def step_label(self, kind: str, step: str) -> str:
        """'Day 3' from the kind's steps; the bare step name when the kind no longer has it."""
        found = self.kinds.get(kind)
        known = found.step(step) if found is not None else None
        return known.label if known is not None else step


def unknown_kind(value: str, known: Iterable[str]) -> str:
    return f"unknown treatment kind {value!r} (known: {', '.join(known)})"


def kind_files(clinic_dir: Path | None, shipped: Path | None = None) -> dict[str, Path]:
    """`kinds/<kind>.toml` by kind name, the clinic's file where both folders have one."""
    found: dict[str, Path] = {}
    for folder in reversed(search_path(clinic_dir, shipped)):
        for path in sorted((folder / KINDS_FOLDER).glob("*.toml")):
            found[path.stem] = path
    return found


def load_catalog(clinic_dir: Path | None, shipped: Path | None = None) -> KindCatalog:
    """Read and check every kind file; `KindError` lists every problem of every file."""
    kinds: dict[str, TreatmentKind] = {}
    problems: list[str] = []
    for name, path in kind_files(clinic_dir, shipped).items():
        try:
            kinds[name] = parse_kind(name, path, origin_of(path, clinic_dir))
        except KindError as exc:
            problems += exc.problems
    if DEFAULT_KIND not in kinds and not problems:
        problems.append(f"no {KINDS_FOLDER}/{DEFAULT_KIND}.toml: it is the default kind")
    if problems:
        raise KindError(problems)
    ordered = sorted(kinds, key=lambda n: (n != DEFAULT_KIND, n))
    return KindCatalog({name: kinds[name] for name in ordered})


_cache: dict[tuple[Path, ...], tuple[tuple[tuple[str, int, int], ...], KindCatalog]] = {}
_cache_lock = threading.Lock()


def catalog_for(settings: Settings) -> KindCatalog:
    """The kinds under this configuration; read again only when a kind file changed."""
    return cached_catalog(settings.clinic_templates_dir)


def find_kind(settings: Settings, name: str | None) -> TreatmentKind | None:
    """A stored treatment's kind; None for no treatment, a kind since removed, or kind files
    broken since start-up (logged: a reply is still triaged, by the general rules)."""
    if name is None:
        return None
    try:
        return catalog_for(settings).get(name)
    except KindError as exc:
        log.error("treatment kinds cannot be read, replies are triaged without them: %s", exc)
        return None


def cached_catalog(clinic_dir: Path | None, shipped: Path | None = None) -> KindCatalog:
    """`load_catalog`, kept while no kind file is added, removed or modified.

    Every registration asks: a few `stat` calls instead of parsing every file each time.
    """
    key = tuple(search_path(clinic_dir, shipped))
    stamp = tuple(
        (str(path), stat.st_mtime_ns, stat.st_size)
        for path in kind_files(clinic_dir, shipped).values()
        for stat in (path.stat(),)
    )
    with _cache_lock:
        held = _cache.get(key)
        if held is not None and held[0] == stamp:
            return held[1]
    catalog = load_catalog(clinic_dir, shipped)
    with _cache_lock:
        _cache[key] = (stamp, catalog)
    return catalog


def orphan_folders(
    catalog: KindCatalog, clinic_dir: Path | None, shipped: Path | None = None
) -> list[str]:
    """`messages/<lang>/<name>/` folders that no kind file names: their messages never go out."""
    found = set()
    for folder in search_path(clinic_dir, shipped):
        for path in (folder / "messages").glob("*/*/"):
            if path.is_dir() and not path.name.startswith("_") and path.name not in catalog.kinds:
                found.add(f"messages/{path.parent.name}/{path.name}/")
    return sorted(found)


def parse_kind(name: str, path: Path, origin: Origin = "shipped") -> TreatmentKind:
    """One kind file, checked: every problem found is reported at once."""
    where = f"{KINDS_FOLDER}/{path.name}"
    if origin == "clinic":
        where = str(path)
    problems: list[str] = []

    def problem(message: str) -> None:
        problems.append(f"{where}: {message}")

    if not _SLUG.match(name):
        problem("the file name must be a lowercase slug (a-z, 0-9, _ and -; at most 50)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KindError([f"{where}: not valid TOML: {exc}"]) from exc
    for key in sorted(set(data) - _TOP_KEYS):
        problem(f"unknown key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    names = _per_language(data.get("names"), "names", problem, required=True)
    notes = _per_language(data.get("notes", {}), "notes", problem, required=False)
    steps = _steps(data.get("steps"), problem)
    signs = _signs(data.get("triage", {}), problem)
    sources = _strings(data.get("sources", []), "sources", problem)
    if problems:
        raise KindError(problems)
    return TreatmentKind(name, names, steps, notes, signs, sources, path, origin)


def _per_language(value: Any, key: str, problem: Report, *, required: bool) -> dict[str, str]:
    if not isinstance(value, dict):
        problem(f"[{key}] must be a table with {', '.join(LANGUAGES)}")
        return {}
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        text = value.get(language)
        if isinstance(text, str) and text.strip():
            texts[language] = text.strip()
        elif required or text is not None:
            problem(f'[{key}] needs a non-empty {language} = "..."')
    for extra in sorted(set(value) - set(LANGUAGES)):
        problem(f"[{key}] has {extra!r}, which is not a language ({', '.join(LANGUAGES)})")
    return texts


def _steps(value: Any, problem: Report) -> tuple[Step, ...]:
    if not isinstance(value, list) or not value:
        problem("needs at least one [[steps]] with name, day and useful_days")
        return ()
    steps: list[Step] = []
    for index, entry in enumerate(value, start=1):
        label = f"step {index}"
        if not isinstance(entry, dict):
            problem(f"{label} must be a table")
            continue
        for key in sorted(set(entry) - _STEP_KEYS):
            problem(f"{label}: unknown key {key!r} (known: name, day, useful_days)")
        step_name, day, useful = entry.get("name"), entry.get("day"), entry.get("useful_days")
        if not isinstance(step_name, str) or not _SLUG.match(step_name):
            problem(f'{label}: name must be a lowercase slug like "day3", not {step_name!r}')
            continue
        label = f"step {step_name}"
        if not _whole(day) or day < 1:
            problem(f"{label}: day must be a whole number of days after the treatment, >= 1")
            continue
        if not _whole(useful) or useful < 1:
            problem(f"{label}: useful_days must be a whole number >= 1")
            continue
        steps.append(Step(step_name, day, useful))
    names = [step.name for step in steps]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problem(f"step {duplicate} is listed twice")
    days = [step.day for step in steps]
    if days != sorted(set(days)):
        problem("steps must be in day order, one per day")
    else:
        for overlap in overlaps(steps):
            problem(overlap)
    return tuple(steps)


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _signs(value: Any, problem: Report) -> KindSigns:
    if not isinstance(value, dict):
        problem("[triage] must be a table with expected = [...] and urgent = [...]")
        return KindSigns()
    for key in sorted(set(value) - _TRIAGE_KEYS):
        problem(f"[triage]: unknown key {key!r} (known: expected, urgent)")
    expected = _strings(value.get("expected", []), "triage.expected", problem)
    urgent = _strings(value.get("urgent", []), "triage.urgent", problem)
    return KindSigns(
        tuple(dict.fromkeys(p.lower() for p in expected)),
        tuple(dict.fromkeys(p.lower() for p in urgent)),
    )


def _strings(value: Any, key: str, problem: Report) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problem(f"{key} must be a list of non-empty strings")
        return ()
    return tuple(v.strip() for v in value)

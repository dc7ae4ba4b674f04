"""A clinic's own folder (CLINIC_TEMPLATES_DIR) for tests: one new kind, written from scratch."""

from __future__ import annotations

from pathlib import Path

NEW_KIND = "laser_hair"
NEW_STEPS = {"day2": 2, "day5": 5}

KIND_FILE = """
sources = ["Our medical director's protocol, 2026"]

[names]
en = "Laser hair removal"
fr = "Épilation au laser"

[[steps]]
name = "day2"
day = 2
useful_days = 2

[[steps]]
name = "day5"
day = 5
useful_days = 2

[triage]
expected = ["stubble"]
urgent = ["burn mark"]
"""

_WORDS = {
    "en": ("Hi", "it's", "after your laser session: redness goes within hours.", "Call"),
    "fr": ("Bonjour", "ici", "après la séance de laser : la rougeur passe vite.", "Appelez le"),
}


def _parts(language: str, step: str) -> dict[str, str]:
    hello, here, advice, call = _WORDS[language]
    day = f"Day {NEW_STEPS[step]}" if language == "en" else f"Jour {NEW_STEPS[step]}"
    inc = f"messages/{language}"
    text = f"{day} {advice}"
    return {
        "sms": f"{hello} {{{{ first_name }}}}, {here} {{{{ clinic_name }}}}. {text} {call}"
        f' {{{{ clinic_phone }}}}. {{% include "{inc}/_checkin.sms.j2" %}}\n',
        "email_subject": f"{{{{ clinic_name }}}}: {day}\n",
        "email_text": f"{hello} {{{{ first_name }}}},\n\n{text}\n\n"
        f"{call} {{{{ clinic_phone }}}}.\n\n"
        f'{{% include "{inc}/_checkin.email_text.j2" %}}\n\n{{{{ clinic_name }}}}\n\n'
        f'{{% include "{inc}/_footer.email_text.j2" %}}\n',
        "email_html": f'<!DOCTYPE html>\n<html lang="{language}-CA">\n<head><meta charset="utf-8">'
        f"<title>{{{{ clinic_name }}}}</title></head>\n<body>\n<div>\n<h1>{day}</h1>\n"
        f"<p>{hello} {{{{ first_name }}}},</p>\n<p>{text}</p>\n"
        f"<p>{call} {{{{ clinic_phone }}}}.</p>\n"
        f'{{% include "{inc}/_checkin.email_html.j2" %}}\n<p>{{{{ clinic_name }}}}</p>\n'
        f'{{% include "{inc}/_footer.email_html.j2" %}}\n',
    }


def write_new_kind(folder: Path) -> Path:
    """`kinds/laser_hair.toml` and its 16 templates in `folder`; returns the folder."""
    (folder / "kinds").mkdir(parents=True, exist_ok=True)
    (folder / "kinds" / f"{NEW_KIND}.toml").write_text(KIND_FILE, encoding="utf-8")
    for language in ("en", "fr"):
        for step in NEW_STEPS:
            for part, source in _parts(language, step).items():
                path = folder / "messages" / language / NEW_KIND / f"{step}.{part}.j2"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(source, encoding="utf-8")
    return folder


def write(folder: Path, name: str, source: str) -> Path:
    """One file of the clinic's folder, at the relative path of the template it replaces."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path

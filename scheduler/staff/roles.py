"""Who may do what: each role's and each token scope's permissions, in one table (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from models.vocabulary import Role, TokenScope


class Permission(StrEnum):
    """One kind of thing a route does; every staff page and API route requires exactly one."""

    VIEW = "view"  # see patients' data: Today, lists, timelines, alerts, treatments
    REGISTER = "register"  # register or import treatments, cancel follow-ups
    CONTACT = "contact"  # write to patients, resend, mark replies handled, opt out/in, move
    CORRECT = "correct"  # edit a patient's name, phone, email, language
    ACKNOWLEDGE = "acknowledge"  # acknowledge practitioner alerts
    MANAGE_STAFF = "manage_staff"  # staff accounts: add, role, deactivate, password, sign out
    MANAGE_TOKENS = "manage_tokens"  # API tokens: create, revoke
    READ_AUDIT = "read_audit"  # the audit log
    EXPORT = "export"  # a patient's whole record, as JSON or a printable page
    ERASE = "erase"  # erase a patient's data
    VIEW_SETTINGS = "view_settings"  # the service's settings (secrets only as set / not set)


_FRONT_DESK = frozenset(
    {Permission.VIEW, Permission.REGISTER, Permission.CONTACT, Permission.CORRECT}
)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.FRONT_DESK: _FRONT_DESK,
    Role.PRACTITIONER: _FRONT_DESK | {Permission.ACKNOWLEDGE},
}

# Integrations act for the clinic, not for a person: no admin work, no corrections.
SCOPE_PERMISSIONS: Mapping[TokenScope, frozenset[Permission]] = {
    TokenScope.READ: frozenset({Permission.VIEW}),
    TokenScope.WRITE: frozenset(
        {Permission.VIEW, Permission.REGISTER, Permission.CONTACT, Permission.ACKNOWLEDGE}
    ),
}

# What each permission is called in a refusal: "A front-desk account may not <this>."
DOING = {
    Permission.VIEW: "see patient data",
    Permission.REGISTER: "register or cancel treatments",
    Permission.CONTACT: "contact patients or handle their replies",
    Permission.CORRECT: "correct a patient's details",
    Permission.ACKNOWLEDGE: "acknowledge alerts (practitioners and admins do)",
    Permission.MANAGE_STAFF: "manage staff accounts (admins do)",
    Permission.MANAGE_TOKENS: "manage API tokens (admins do)",
    Permission.READ_AUDIT: "read the audit log (admins do)",
    Permission.EXPORT: "export a patient's data (admins do)",
    Permission.ERASE: "erase a patient's data (admins do)",
    Permission.VIEW_SETTINGS: "see the service's settings (admins do)",
}

ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.FRONT_DESK: "Front desk",
    Role.PRACTITIONER: "Practitioner",
}


def parse_role(value: str) -> Role:
    """A role from what people type ('Front desk', 'front_desk'); ValueError naming the choices."""
    text = value.strip().lower().replace("_", "-").replace(" ", "-")
    try:
        return Role(text)
    except ValueError:
        raise ValueError(f"unknown role {value!r} (use {', '.join(Role)})") from None


def role_of(value: str) -> Role | None:
    """A stored role, or None for a value no role has (such an account may do nothing)."""
    try:
        return Role(value)
    except ValueError:
        return None


def role_may(role: str, permission: Permission) -> bool:
    """Whether an account with this stored role may do this."""
    known = role_of(role)
    return known is not None and permission in ROLE_PERMISSIONS[known]


def scope_may(scope: str, permission: Permission) -> bool:
    """Whether a token of this stored scope may do this."""
    try:
        return permission in SCOPE_PERMISSIONS[TokenScope(scope)]
    except ValueError:
        return False


def refusal(who: str, permission: Permission) -> str:
    """The sentence a refused caller reads: 'A front-desk account may not …'."""
    article = "An" if who[:1].lower() in "aeiou" else "A"
    return f"{article} {who} may not {DOING[permission]}."

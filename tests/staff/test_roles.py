"""The permission table (pure): what each role and each token scope may do."""

from __future__ import annotations

import pytest

from models.vocabulary import Role, TokenScope
from scheduler.staff.roles import (
    ROLE_PERMISSIONS,
    SCOPE_PERMISSIONS,
    Permission,
    parse_role,
    refusal,
    role_may,
    scope_may,
)

P = Permission
ADMIN_ONLY = {
    P.MANAGE_STAFF,
    P.MANAGE_TOKENS,
    P.READ_AUDIT,
    P.EXPORT,
    P.ERASE,
    P.VIEW_SETTINGS,
}

# permission: (admin, front desk, practitioner, read token, write token)
TABLE = {
    P.VIEW: (True, True, True, True, True),
    P.REGISTER: (True, True, True, False, True),
    P.CONTACT: (True, True, True, False, True),
    P.CORRECT: (True, True, True, False, False),
    P.ACKNOWLEDGE: (True, False, True, False, True),
    **{permission: (True, False, False, False, False) for permission in ADMIN_ONLY},
}


def test_the_table_covers_every_permission() -> None:
    assert set(TABLE) == set(Permission)
    assert set(ROLE_PERMISSIONS) == set(Role) and set(SCOPE_PERMISSIONS) == set(TokenScope)


@pytest.mark.parametrize("permission", list(Permission))
def test_who_may_do_what(permission: Permission) -> None:
    admin, front, practitioner, read, write = TABLE[permission]
    assert role_may("admin", permission) is admin
    assert role_may("front-desk", permission) is front
    assert role_may("practitioner", permission) is practitioner
    assert scope_may("read", permission) is read
    assert scope_may("write", permission) is write


@pytest.mark.parametrize("permission", list(Permission))
def test_unknown_roles_and_scopes_may_do_nothing(permission: Permission) -> None:
    assert not role_may("", permission) and not role_may("owner", permission)
    assert not scope_may("admin", permission)


@pytest.mark.parametrize(
    ("typed", "role"),
    [
        ("admin", Role.ADMIN),
        ("Front desk", Role.FRONT_DESK),
        ("front_desk", Role.FRONT_DESK),
        (" PRACTITIONER ", Role.PRACTITIONER),
    ],
)
def test_roles_are_read_as_people_type_them(typed: str, role: Role) -> None:
    assert parse_role(typed) == role


def test_an_unknown_role_names_the_choices() -> None:
    with pytest.raises(ValueError, match="admin, front-desk, practitioner"):
        parse_role("doctor")


@pytest.mark.parametrize(
    ("who", "permission", "sentence"),
    [
        (
            "front-desk account",
            P.ACKNOWLEDGE,
            "A front-desk account may not acknowledge alerts (practitioners and admins do).",
        ),
        ("read token", P.REGISTER, "A read token may not register or cancel treatments."),
        ("admin account", P.VIEW, "An admin account may not see patient data."),
    ],
)
def test_a_refusal_says_who_and_what(who: str, permission: Permission, sentence: str) -> None:
    assert refusal(who, permission) == sentence

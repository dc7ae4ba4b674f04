"""Who may open a staff page: signed in (else the login page), the role's permission, the scope.

Each route names its rule through one of the aliases below (`Viewer`, `Registrar`, …); a
refusal is a 403 page saying why, and an audit event.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from models.tables import StaffUser
from scheduler.settings import Settings
from scheduler.staff.roles import Permission, refusal, role_may
from scheduler.staff.scope import Scope, scope_of
from scheduler.web.access import Rule, check_scope, refuse
from scheduler.web.pages.rendering import current_staff

# The login and logout pages are the only staff pages without a rule.
PUBLIC_PAGES = ("/login", "/logout")


class PageRule(Rule):
    """A dependency that lets in a signed-in staff member whose role has `permission`."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, request: Request) -> StaffUser:
        staff = current_staff(request)
        if not role_may(staff.role, self.permission):
            why = refusal(f"{staff.role} account", self.permission)
            refuse(request, actor=staff.email, why=why)
        check_scope(request, actor=staff.email, scope=staff_scope(request, staff))
        return staff


def staff_scope(request: Request, staff: StaffUser) -> Scope:
    """Whose patients this staff member sees on the pages."""
    settings: Settings = request.app.state.settings
    return scope_of(staff, own_only_setting=settings.practitioner_sees_own_only)


Viewer = Annotated[StaffUser, Depends(PageRule(Permission.VIEW))]
Registrar = Annotated[StaffUser, Depends(PageRule(Permission.REGISTER))]
Contact = Annotated[StaffUser, Depends(PageRule(Permission.CONTACT))]
Corrector = Annotated[StaffUser, Depends(PageRule(Permission.CORRECT))]
Acknowledger = Annotated[StaffUser, Depends(PageRule(Permission.ACKNOWLEDGE))]
StaffAdmin = Annotated[StaffUser, Depends(PageRule(Permission.MANAGE_STAFF))]
TokenAdmin = Annotated[StaffUser, Depends(PageRule(Permission.MANAGE_TOKENS))]
AuditReader = Annotated[StaffUser, Depends(PageRule(Permission.READ_AUDIT))]
Exporter = Annotated[StaffUser, Depends(PageRule(Permission.EXPORT))]
Eraser = Annotated[StaffUser, Depends(PageRule(Permission.ERASE))]
SettingsReader = Annotated[StaffUser, Depends(PageRule(Permission.VIEW_SETTINGS))]

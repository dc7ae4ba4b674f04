"""What pages and the API share about access: refusing (403, audited), scope, the route rules.

Every staff page and API route declares the one permission it needs, as a dependency that
carries it (`Rule.permission`); `unguarded_routes` finds any route that forgot, and the app
refuses to start with one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.routing import BaseRoute

from scheduler.staff import audit
from scheduler.staff.roles import Permission
from scheduler.staff.scope import Scope, outside_scope

NOT_YOURS = "This patient is not one of your patients (PRACTITIONER_SEES_OWN_ONLY is on)."


class Rule:
    """Base of the dependencies that guard a route; `permission` is what the route needs."""

    permission: Permission


def refuse(request: Request, *, actor: str, why: str, target: str | None = None) -> NoReturn:
    """Write the refusal to the audit log (its own transaction), then answer 403 saying why."""
    state = request.app.state
    with Session(state.engine) as db:
        audit.record(
            db,
            actor=actor,
            action="forbidden",
            target=target,
            detail=f"{request.method} {request.url.path}: {why}",
            now=state.clock(),
        )
        db.commit()
    raise HTTPException(status_code=403, detail=why)


def check_scope(
    request: Request,
    *,
    actor: str,
    scope: Scope,
    records: Iterable[tuple[str, int]] | None = None,
) -> None:
    """Refuse a record (patient, treatment, message, reply, alert) outside the caller's scope:
    those the path names, or `records` as (kind, id) pairs."""
    if scope.everyone:
        return
    if records is None:
        records = [
            (kind, int(raw))
            for kind, raw in request.path_params.items()
            # Not an id: the route answers 404 or 422 itself.
            if isinstance(raw, str) and raw.isdigit() and len(raw) < 10
        ]
    with Session(request.app.state.engine) as db:
        for kind, ident in records:
            outside = outside_scope(db, kind, ident, scope)
            if outside is not None:
                target = audit.patient_target(outside.patient_id)
                refuse(request, actor=actor, why=NOT_YOURS, target=target)


def route_permission(route: BaseRoute) -> Permission | None:
    """The permission a route's rule asks for, or None when it has no rule."""
    if not isinstance(route, APIRoute):
        return None
    return _permission_in(route.dependant)


def _permission_in(dependant: Dependant) -> Permission | None:
    for sub in dependant.dependencies:
        if isinstance(sub.call, Rule):
            return sub.call.permission
        found = _permission_in(sub)
        if found is not None:
            return found
    return None


def flat_routes(routes: Sequence[BaseRoute]) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every API route below `routes`, included routers walked."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazy inclusion: included routes are flat copies
        return [(route.path, route) for route in routes if isinstance(route, APIRoute)]
    found = []
    for context in iter_route_contexts(routes):
        original = context.original_route
        if isinstance(original, APIRoute):
            found.append((context.path or original.path, original))
    return found


def unguarded_routes(routes: Sequence[BaseRoute], public: Iterable[str]) -> list[str]:
    """'METHOD path' of each route without a rule, leaving out the `public` paths."""
    allowed = set(public)
    return [
        f"{','.join(sorted(route.methods or ()))} {path}"
        for path, route in flat_routes(routes)
        if path not in allowed and route_permission(route) is None
    ]

"""API tokens, one per integration: created with a scope, shown once, stored as a digest, revoked.

A token is 32 random bytes: a plain SHA-256 of it cannot be reversed or guessed, so the lookup
is one indexed equality on the digest (a slow password hash would only slow every API call).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.tables import ApiToken
from models.vocabulary import TokenScope

PREFIX = "aft_"  # recognisable in a leaked config file or a secret scanner
SHOWN_CHARS = 8  # how much of a token lists show, to tell tokens apart
MAX_NAME = 100
# A token's last use is written at most this often: a busy integration must not turn every
# call into a write.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be created or revoked as asked; nothing was written."""


@dataclass(frozen=True)
class NewToken:
    """A created token and its secret, which exists only here: it is shown once, never stored."""

    row: ApiToken
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scope(value: str) -> TokenScope:
    try:
        return TokenScope(value.strip().lower())
    except ValueError:
        raise TokenError(f"scope: unknown scope {value!r} (use read or write)") from None


def create_token(
    session: Session, name: str, scope: TokenScope, *, by: str, now: datetime
) -> NewToken:
    """A new token for one integration (no commit); the name must be new."""
    label = " ".join(name.split())
    if not label:
        raise TokenError("name: name the integration (e.g. booking-system)")
    if len(label) > MAX_NAME:
        raise TokenError(f"name: at most {MAX_NAME} characters")
    if session.exec(select(ApiToken.id).where(ApiToken.name == label)).first() is not None:
        raise TokenError(f"name: a token named {label!r} exists (revoked tokens keep their name)")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=label,
        scope=TokenScope(scope),
        token_hash=digest(secret),
        prefix=secret[:SHOWN_CHARS],
        created_at=now,
        created_by=by,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise TokenError(f"name: a token named {label!r} exists") from None
    return NewToken(row, secret)


def find_token(session: Session, secret: str) -> ApiToken | None:
    """The live (not revoked) token with this secret, or None."""
    if not secret.startswith(PREFIX):
        return None
    query = select(ApiToken).where(
        ApiToken.token_hash == digest(secret), col(ApiToken.revoked_at).is_(None)
    )
    return session.exec(query).first()


def touch(session: Session, token: ApiToken, now: datetime) -> bool:
    """Record a use (no commit), at most once per TOUCH_EVERY; True when something changed."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    token.last_used_at = now
    session.add(token)
    return True


def list_tokens(session: Session) -> list[ApiToken]:
    """Live tokens first, then revoked ones; by name."""
    query = select(ApiToken).order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.name))
    return list(session.exec(query).all())


def revoke_token(session: Session, token_id: int, *, by: str, now: datetime) -> ApiToken:
    """Stop a token from working (no commit); revoking twice keeps the first time."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"token: no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = now, by
        session.add(token)
    return token


def token_named(session: Session, name: str) -> ApiToken:
    token = session.exec(select(ApiToken).where(ApiToken.name == " ".join(name.split()))).first()
    if token is None:
        raise TokenError(f"name: no token named {name!r}")
    return token

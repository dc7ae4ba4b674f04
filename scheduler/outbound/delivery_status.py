"""Pure rules for Twilio message status callbacks: which to apply and what they mean for us."""

from __future__ import annotations

# Callbacks can arrive out of order or twice, so a status only replaces one of lower rank.
# Rule: progress only moves forward; a positive receipt (delivered/read) beats a failure
# report (carriers send late DLRs), but a failure never overwrites delivered, and
# failed/undelivered share a rank so the first one recorded stands.
_RANKS: dict[str, int] = {
    "accepted": 10,
    "scheduled": 20,
    "queued": 30,
    "sending": 40,
    "sent": 50,
    "canceled": 60,
    "undelivered": 70,
    "failed": 70,
    "delivered": 80,
    "read": 90,
}
INBOUND_STATUSES = frozenset({"receiving", "received"})  # never about a message we sent
TERMINAL_STATUSES = frozenset({"canceled", "undelivered", "failed", "delivered", "read"})

# Our outbox row is already "sent" once the API accepted it, so every pre-delivery Twilio
# state maps to "sent"; "canceled" means it never left Twilio, i.e. it failed for us.
_OUTBOX: dict[str, str] = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}


def _norm(status: str) -> str:
    return status.strip().lower()


def status_rank(status: str) -> int:
    """Position of an outbound status in the lifecycle; 0 for inbound or unknown statuses."""
    return _RANKS.get(_norm(status), 0)


def should_apply(current: str | None, incoming: str) -> bool:
    """Whether a callback's `incoming` status should replace the stored `current` one."""
    rank = status_rank(incoming)
    if rank == 0:
        return False  # inbound or unknown: nothing to record on an outbound row
    return current is None or rank > status_rank(current)


def outbox_status_for(twilio_status: str) -> str | None:
    """Our outbox status ("sent", "delivered", "undelivered", "failed") for a Twilio status."""
    return _OUTBOX.get(_norm(twilio_status))

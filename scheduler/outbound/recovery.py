"""After a crash: may a message whose sending process died mid-send be sent again? (pure rule)"""

from __future__ import annotations

from models.vocabulary import ErrorCode

# What staff read on such a message (`messages list`, the patient timeline).
UNKNOWN_OUTCOME = (
    "the service stopped while sending this message and the channel cannot tell whether it "
    "went out; check with the patient before sending it again by hand"
)
# While it waits to be taken again by a channel that can check.
AWAITING_CHECK = "the service stopped while sending; the provider is checked before any resend"


def may_send(previous_error_code: str | None, *, can_reconcile: bool) -> bool:
    """False when the last attempt may have reached the patient and the channel cannot check.

    Sending twice is worse than not at all for care advice, so an unknown outcome is final.
    """
    return previous_error_code != ErrorCode.INTERRUPTED or can_reconcile

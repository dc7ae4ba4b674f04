"""A provider stand-in at the outer edge: records sends, fails on cue. Used where the wire
protocol is not the point (dispatch rules); the Twilio/SMTP tests use real protocols."""

from __future__ import annotations

import threading
from collections import defaultdict

from scheduler.channels.base import DeliveryError, OutgoingMessage


class ScriptedChannel:
    def __init__(self, *, can_reconcile: bool = False) -> None:
        self.can_reconcile = can_reconcile  # it keeps nothing to look up, but a test may say so
        self.sent: list[OutgoingMessage] = []
        self.calls = 0
        self._script: dict[str, list[Exception]] = defaultdict(list)
        self._lock = threading.Lock()

    def fail(self, to: str, *errors: Exception) -> None:
        """The next sends to `to` raise these, in order; then sends succeed."""
        self._script[to].extend(errors)

    def send(self, message: OutgoingMessage) -> str:
        with self._lock:
            self.calls += 1
            if self._script[message.to]:
                error = self._script[message.to].pop(0)
                raise error
            self.sent.append(message)
            return f"prov-{message.outbox_id}-{len(self.sent)}"

    def close(self) -> None:
        return None


__all__ = ["DeliveryError", "ScriptedChannel"]

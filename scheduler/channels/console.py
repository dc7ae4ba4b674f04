"""Console channel: prints the message; the default, so the service runs with no credentials."""

from __future__ import annotations

import sys
import threading
import uuid
from typing import TextIO

from scheduler.channels.base import OutgoingMessage
from scheduler.contacts import mask_address


class ConsoleChannel:
    """Writes each message to a stream (stdout by default) and returns a local id."""

    can_reconcile: bool = False  # a printed line leaves nothing to look up

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()  # keep concurrent sends from interleaving lines

    def send(self, message: OutgoingMessage) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        # The body is the point of this channel; the address is masked like everywhere in the logs.
        lines = [
            f"--- {message.medium} to {mask_address(message.to)} (outbox #{message.outbox_id})"
        ]
        if message.subject:
            lines.append(f"Subject: {message.subject}")
        lines.append(message.text)
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        return provider_id

    def close(self) -> None:
        return None

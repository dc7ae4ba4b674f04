"""A thread-safe limiter: no one-second window holds more than the rate, across threads."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

# Between taking a slot and the request reaching the provider there is jitter (thread start,
# connection setup): a window a little longer than a second keeps rate+1 out of any second.
WINDOW_SECONDS = 1.1


class RateLimiter:
    """Hands out send slots evenly spaced, and never `rate` + 1 within WINDOW_SECONDS."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate_per_second
        self._recent: deque[float] = deque(maxlen=max(1, math.floor(rate_per_second)))
        self._clock = clock
        self._sleep = sleep
        self._next_slot: float | None = None
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next slot and return how long the caller must wait for it."""
        with self._lock:
            now = self._clock()
            slot = now if self._next_slot is None else max(now, self._next_slot)
            if len(self._recent) == self._recent.maxlen:
                slot = max(slot, self._recent[0] + WINDOW_SECONDS)
            self._recent.append(slot)
            self._next_slot = slot + self._interval
            return slot - now

    def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)

"""The limiter on a simulated monotonic clock: spacing, the per-window cap, thread safety."""

from __future__ import annotations

import threading

import pytest

from scheduler.outbound.ratelimit import WINDOW_SECONDS, RateLimiter
from tests.fakes.twilio_server import max_in_window


@pytest.mark.parametrize("rate", [0.5, 1.0, 2.5, 10.0, 33.0])
def test_no_window_holds_more_than_the_rate_even_with_late_requests(rate: float) -> None:
    now = [0.0]
    limiter = RateLimiter(rate, clock=lambda: now[0], sleep=lambda s: None)
    slots = [limiter.reserve() for _ in range(200)]  # every caller arrives at t=0
    # Requests reach the provider up to 90 ms after their slot: jitter must not break the cap.
    arrivals = [slot + (0.09 if i % 2 else 0.0) for i, slot in enumerate(slots)]
    assert max_in_window(arrivals) <= max(1, int(rate))
    achieved = (len(slots) - 1) / (slots[-1] - slots[0])
    assert achieved <= rate
    assert achieved >= min(rate, int(max(1, rate)) / WINDOW_SECONDS) * 0.95  # not needlessly slow


def test_idle_limiter_grants_at_once_and_spaces_the_next() -> None:
    now = [100.0]
    limiter = RateLimiter(4, clock=lambda: now[0], sleep=lambda s: None)
    assert limiter.reserve() == 0
    assert limiter.reserve() == pytest.approx(0.25)
    now[0] += 10
    assert limiter.reserve() == 0


def test_threads_share_the_budget() -> None:
    now = [0.0]
    lock = threading.Lock()
    limiter = RateLimiter(10, clock=lambda: now[0], sleep=lambda s: None)
    slots: list[float] = []

    def take() -> None:
        for _ in range(25):
            wait = limiter.reserve()
            with lock:
                slots.append(wait)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(slots)) == 100  # every slot distinct
    assert max_in_window(slots) <= 10


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)

"""When a failed callback is tried again: the configured schedule, jittered so retries don't march in step."""

import random

MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit on a message's visibility timeout
JITTER = 0.2


def delay_after(attempt: int, schedule: tuple[int, ...], rng: random.Random | None = None) -> int:
    """Seconds before the next attempt, after failed attempt number `attempt` (1-based)."""
    base = schedule[min(attempt, len(schedule)) - 1]
    jitter = (rng or random).uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - spreading retries, not security
    return max(0, min(MAX_VISIBILITY_SECONDS, round(base * jitter)))

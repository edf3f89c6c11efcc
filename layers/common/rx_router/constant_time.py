"""Secret comparison that takes the same time whichever secret (if any) matches."""

import hmac
from collections.abc import Iterable


def matches_any(expected: Iterable[str], provided: str) -> bool:
    """True when `provided` equals one of `expected`; every candidate is compared, no early exit."""
    given = provided.encode('utf-8', 'replace')
    results = [hmac.compare_digest(candidate.encode('utf-8'), given) for candidate in expected]
    return any(results)

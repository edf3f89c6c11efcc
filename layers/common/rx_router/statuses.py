"""Submission statuses and the one rule about them: they only move forward.

pending → submitted → processing → shipped → delivered; failed, cancelled and voided are terminal.
"""

PENDING = 'pending'
SUBMITTED = 'submitted'
PROCESSING = 'processing'
SHIPPED = 'shipped'
DELIVERED = 'delivered'
FAILED = 'failed'
CANCELLED = 'cancelled'
VOIDED = 'voided'

PROGRESSION = (PENDING, SUBMITTED, PROCESSING, SHIPPED, DELIVERED)
TERMINAL = frozenset({DELIVERED, FAILED, CANCELLED, VOIDED})
ALL = frozenset({*PROGRESSION, *TERMINAL})


def can_move(current: str, new: str) -> bool:
    """Whether a submission in `current` may move to `new` (a repeat is not a move)."""
    if current in TERMINAL or new == current or new not in ALL:
        return False
    if new in (FAILED, CANCELLED, VOIDED):
        return True
    return PROGRESSION.index(new) > PROGRESSION.index(current)

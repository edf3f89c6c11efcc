"""Submission statuses and the one table of the transitions between them.

    awaiting_prescription ─prescription_written→ pending ─accepted→ submitted → processing → shipped → delivered
                                                          ─rejected / abandoned→ failed
    submitted, processing, shipped ─cancelled / voided / failed→ cancelled / voided / failed
    awaiting_prescription, submitted, processing ─hold→ on_hold ─release→ (back where it was)

Statuses only move forward; delivered, cancelled, voided and failed are terminal. A trigger that has no row
for the current status changes nothing (a repeated or late report never moves a status back).

`on_hold` remembers the status it was held from and behaves like it: from on_hold a trigger moves the
submission where it would have moved it from that status, and a report of that very status (the
pharmacy resumed) or `release` returns it there. So a hold can never let a submission skip the prescription
or move backwards.
"""

from enum import StrEnum


class Status(StrEnum):
    AWAITING_PRESCRIPTION = 'awaiting_prescription'
    PENDING = 'pending'
    ON_HOLD = 'on_hold'
    SUBMITTED = 'submitted'
    PROCESSING = 'processing'
    SHIPPED = 'shipped'
    DELIVERED = 'delivered'
    CANCELLED = 'cancelled'
    VOIDED = 'voided'
    FAILED = 'failed'


class Trigger(StrEnum):
    ACCEPTED = 'accepted'  # the pharmacy took the order
    REJECTED = 'rejected'  # the pharmacy refused it, failed, or may not have it (the submit failed)
    ABANDONED = 'abandoned'  # the invocation died before it recorded the pharmacy's answer
    PRESCRIPTION_WRITTEN = 'prescription_written'
    PROCESSING = 'processing'
    SHIPPED = 'shipped'
    DELIVERED = 'delivered'
    CANCELLED = 'cancelled'
    VOIDED = 'voided'
    FAILED = 'failed'
    HOLD = 'hold'
    RELEASE = 'release'


TERMINAL = frozenset({Status.DELIVERED, Status.CANCELLED, Status.VOIDED, Status.FAILED})
_AFTER_SUBMISSION = (Status.SUBMITTED, Status.PROCESSING, Status.SHIPPED)

TRANSITIONS: dict[tuple[Status, Trigger], Status] = {
    (Status.AWAITING_PRESCRIPTION, Trigger.PRESCRIPTION_WRITTEN): Status.PENDING,
    (Status.AWAITING_PRESCRIPTION, Trigger.CANCELLED): Status.CANCELLED,
    (Status.AWAITING_PRESCRIPTION, Trigger.HOLD): Status.ON_HOLD,
    (Status.PENDING, Trigger.ACCEPTED): Status.SUBMITTED,
    (Status.PENDING, Trigger.REJECTED): Status.FAILED,
    (Status.PENDING, Trigger.ABANDONED): Status.FAILED,
    (Status.SUBMITTED, Trigger.PROCESSING): Status.PROCESSING,
    (Status.SUBMITTED, Trigger.SHIPPED): Status.SHIPPED,
    (Status.SUBMITTED, Trigger.DELIVERED): Status.DELIVERED,
    (Status.SUBMITTED, Trigger.HOLD): Status.ON_HOLD,
    (Status.PROCESSING, Trigger.SHIPPED): Status.SHIPPED,
    (Status.PROCESSING, Trigger.DELIVERED): Status.DELIVERED,
    (Status.PROCESSING, Trigger.HOLD): Status.ON_HOLD,
    (Status.SHIPPED, Trigger.DELIVERED): Status.DELIVERED,
    **{(status, Trigger.CANCELLED): Status.CANCELLED for status in _AFTER_SUBMISSION},
    **{(status, Trigger.VOIDED): Status.VOIDED for status in _AFTER_SUBMISSION},
    **{(status, Trigger.FAILED): Status.FAILED for status in _AFTER_SUBMISSION},
}

# What a pharmacy may report, as the trigger it is. A type's vocabulary maps its raw words onto these statuses.
REPORTABLE: dict[Status, Trigger] = {
    Status.PROCESSING: Trigger.PROCESSING,
    Status.SHIPPED: Trigger.SHIPPED,
    Status.DELIVERED: Trigger.DELIVERED,
    Status.CANCELLED: Trigger.CANCELLED,
    Status.VOIDED: Trigger.VOIDED,
    Status.FAILED: Trigger.FAILED,
    Status.ON_HOLD: Trigger.HOLD,
}


def next_status(current: Status, trigger: Trigger, held_from: Status | None = None) -> Status | None:
    """Where `trigger` moves a submission in `current` (None: it does not move)."""
    if current is not Status.ON_HOLD:
        return TRANSITIONS.get((current, trigger))
    if held_from is None:
        raise ValueError('a submission on hold must know the status it was held from')
    if trigger is Trigger.RELEASE or REPORTABLE.get(held_from) is trigger:
        return held_from
    target = TRANSITIONS.get((held_from, trigger))
    return None if target is Status.ON_HOLD else target

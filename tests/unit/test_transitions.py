"""The transition table against an oracle written out here, independently of statuses.py.

The oracle follows the module's rules: statuses only move forward, terminal statuses never move, the
prescription (awaiting_prescription -> pending) comes before the order, and on_hold behaves like the status
it was held from, returning there on `release` or on a report of that very status.
"""

import itertools

import pytest

from rx_router.domain.statuses import REPORTABLE, TERMINAL, TRANSITIONS, Status, Trigger, next_status

S, T = Status, Trigger

# Every status's moves; a trigger not listed moves nothing.
EXPECTED: dict[Status, dict[Trigger, Status]] = {
    # The docstring's diagram omits awaiting_prescription -> cancelled; cancelling a prescription not yet written
    # is forward (to a terminal status), so the oracle allows it.
    S.AWAITING_PRESCRIPTION: {T.PRESCRIPTION_WRITTEN: S.PENDING, T.CANCELLED: S.CANCELLED, T.HOLD: S.ON_HOLD},
    S.PENDING: {T.ACCEPTED: S.SUBMITTED, T.REJECTED: S.FAILED, T.ABANDONED: S.FAILED},
    S.SUBMITTED: {
        T.PROCESSING: S.PROCESSING,
        T.SHIPPED: S.SHIPPED,
        T.DELIVERED: S.DELIVERED,
        T.CANCELLED: S.CANCELLED,
        T.VOIDED: S.VOIDED,
        T.FAILED: S.FAILED,
        T.HOLD: S.ON_HOLD,
    },
    S.PROCESSING: {
        T.SHIPPED: S.SHIPPED,
        T.DELIVERED: S.DELIVERED,
        T.CANCELLED: S.CANCELLED,
        T.VOIDED: S.VOIDED,
        T.FAILED: S.FAILED,
        T.HOLD: S.ON_HOLD,
    },
    S.SHIPPED: {T.DELIVERED: S.DELIVERED, T.CANCELLED: S.CANCELLED, T.VOIDED: S.VOIDED, T.FAILED: S.FAILED},
    S.DELIVERED: {},
    S.CANCELLED: {},
    S.VOIDED: {},
    S.FAILED: {},
}

# on_hold, by the status it was held from.
EXPECTED_ON_HOLD: dict[Status, dict[Trigger, Status]] = {
    # Held before the prescription was written: only the prescription (or a cancellation) moves it on.
    S.AWAITING_PRESCRIPTION: {
        T.RELEASE: S.AWAITING_PRESCRIPTION,
        T.PRESCRIPTION_WRITTEN: S.PENDING,
        T.CANCELLED: S.CANCELLED,
    },
    S.SUBMITTED: {
        T.RELEASE: S.SUBMITTED,
        T.PROCESSING: S.PROCESSING,
        T.SHIPPED: S.SHIPPED,
        T.DELIVERED: S.DELIVERED,
        T.CANCELLED: S.CANCELLED,
        T.VOIDED: S.VOIDED,
        T.FAILED: S.FAILED,
    },
    S.PROCESSING: {
        T.RELEASE: S.PROCESSING,
        T.PROCESSING: S.PROCESSING,  # the pharmacy reports it is processing again: resumed
        T.SHIPPED: S.SHIPPED,
        T.DELIVERED: S.DELIVERED,
        T.CANCELLED: S.CANCELLED,
        T.VOIDED: S.VOIDED,
        T.FAILED: S.FAILED,
    },
}

# The progression: a move never goes to a lower rank. Terminal statuses are the end of every road.
RANK = {
    S.AWAITING_PRESCRIPTION: 0,
    S.PENDING: 1,
    S.SUBMITTED: 2,
    S.PROCESSING: 3,
    S.SHIPPED: 4,
    S.DELIVERED: 5,
    S.CANCELLED: 5,
    S.VOIDED: 5,
    S.FAILED: 5,
}

NOT_ON_HOLD = [s for s in Status if s is not S.ON_HOLD]


def test_the_oracle_covers_every_status() -> None:
    assert set(EXPECTED) == set(NOT_ON_HOLD)
    assert set(RANK) == set(NOT_ON_HOLD)


@pytest.mark.parametrize(('current', 'trigger'), list(itertools.product(NOT_ON_HOLD, Trigger)))
def test_next_status(current: Status, trigger: Trigger) -> None:
    assert next_status(current, trigger) is EXPECTED[current].get(trigger)


@pytest.mark.parametrize(('held_from', 'trigger'), list(itertools.product(EXPECTED_ON_HOLD, Trigger)))
def test_next_status_on_hold(held_from: Status, trigger: Trigger) -> None:
    assert next_status(S.ON_HOLD, trigger, held_from) is EXPECTED_ON_HOLD[held_from].get(trigger)


@pytest.mark.parametrize('current', NOT_ON_HOLD)
def test_held_from_is_ignored_off_hold(current: Status) -> None:
    for trigger, held_from in itertools.product(Trigger, Status):
        assert next_status(current, trigger, held_from) is EXPECTED[current].get(trigger)


def test_the_statuses_a_hold_can_come_from_are_exactly_the_oracles() -> None:
    assert {source for (source, _), target in TRANSITIONS.items() if target is S.ON_HOLD} == set(EXPECTED_ON_HOLD)


def test_on_hold_must_know_where_it_was_held_from() -> None:
    with pytest.raises(ValueError, match='held from'):
        next_status(S.ON_HOLD, T.RELEASE)


def test_the_table_is_the_oracle() -> None:
    expected = {(status, trigger): target for status, moves in EXPECTED.items() for trigger, target in moves.items()}
    assert expected == TRANSITIONS


def test_no_row_targets_a_status_behind_its_source() -> None:
    for (source, trigger), target in TRANSITIONS.items():
        assert source is not S.ON_HOLD, 'on_hold moves by the status it was held from, never by its own rows'
        if target is S.ON_HOLD:
            assert trigger is T.HOLD
            continue
        assert RANK[target] > RANK[source], f'{source} -{trigger}-> {target} goes backwards or nowhere'


def test_no_hold_moves_backwards_or_skips_the_prescription() -> None:
    for held_from, trigger in itertools.product(EXPECTED_ON_HOLD, Trigger):
        target = next_status(S.ON_HOLD, trigger, held_from)
        if target is None:
            continue
        assert target is not S.ON_HOLD
        assert RANK[target] >= RANK[held_from]
        if held_from is S.AWAITING_PRESCRIPTION:
            assert target in {S.AWAITING_PRESCRIPTION, S.PENDING, S.CANCELLED}


def test_terminal_statuses_have_no_rows() -> None:
    assert {S.DELIVERED, S.CANCELLED, S.VOIDED, S.FAILED} == TERMINAL
    assert not [key for key in TRANSITIONS if key[0] in TERMINAL]


def test_awaiting_prescription_precedes_pending() -> None:
    # The only way into pending is the prescription; nothing but pending is left by the pharmacy's answer.
    assert [key for key, target in TRANSITIONS.items() if target is S.PENDING] == [
        (S.AWAITING_PRESCRIPTION, T.PRESCRIPTION_WRITTEN)
    ]
    assert {source for (source, trigger) in TRANSITIONS if trigger in (T.ACCEPTED, T.REJECTED, T.ABANDONED)} == {S.PENDING}


def test_what_a_pharmacy_may_report() -> None:
    assert REPORTABLE == {
        S.PROCESSING: T.PROCESSING,
        S.SHIPPED: T.SHIPPED,
        S.DELIVERED: T.DELIVERED,
        S.CANCELLED: T.CANCELLED,
        S.VOIDED: T.VOIDED,
        S.FAILED: T.FAILED,
        S.ON_HOLD: T.HOLD,
    }

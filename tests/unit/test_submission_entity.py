import json
from typing import Any

import pytest

from rx_router.domain.events import EventKind
from rx_router.domain.statuses import TERMINAL, Status, Trigger, next_status
from rx_router.domain.submission import MAX_PACKAGES, Change, InvalidTransition, Package, PharmacyReport, Submission
from rx_router.validation.prescription import parse_submission
from tests.support import PATIENT_VALUES, submission

CREATED = '2025-01-01T00:00:00.000Z'
AT = '2025-01-02T00:00:00.000Z'
LATER = '2025-01-03T00:00:00.000Z'
ORDER = 'case-1'


def entity(status: Status = Status.PENDING, **fields: Any) -> Submission:
    return Submission(
        **{
            'id': 'sub-1',
            'api_key_id': 'client-1',
            'api_key': 'key-1',
            'source': 'guide-glp',
            'source_order_id': 'ord_abc123',
            'callback_url': 'https://api.example.com/webhooks/pharmacy-router',
            'patient_state': 'WA',
            'medication_name': 'Semaglutide 2.5mg/mL',
            'pharmacy': 'boothwyn',
            'pharmacy_type': 'boothwyn_b2b',
            'status': status,
            'test': False,
            'body_hash': 'hash',
            'request_payload': parse_submission(submission()).wire(),
            'created_at': CREATED,
            'updated_at': CREATED,
            **fields,
        }
    )


def report(
    status: Status | None = None, raw: str | None = None, tracking: str | None = None, carrier: str | None = None
) -> PharmacyReport:
    return PharmacyReport(ORDER, raw_status=raw, status=status, tracking_number=tracking, carrier=carrier)


def apply(sub: Submission, update: PharmacyReport, at: str = AT, key: str = 'webhook#boothwyn#d1') -> Change:
    return sub.report(update, at=at, source='webhook:boothwyn', actor='boothwyn', key=key)


# --- the submit path -----------------------------------------------------------------------------


def test_accepted_moves_pending_to_submitted() -> None:
    sub = entity()
    change = sub.accepted('case-1', {'Success': True}, AT)
    assert change == Change(Status.PENDING, Status.SUBMITTED)
    assert (sub.status, sub.pharmacy_order_id, sub.submitted_at, sub.response_payload) == (
        Status.SUBMITTED,
        'case-1',
        AT,
        {'Success': True},
    )
    assert (sub.updated_at, sub.callback_kind, sub.error_message) == (AT, 'initial', None)
    [event] = sub.new_events
    assert event.view() == {
        'at': AT,
        'kind': 'pharmacy_answered',
        'source': 'router',
        'actor': 'boothwyn',
        'from': 'pending',
        'to': 'submitted',
        'pharmacyOrderId': 'case-1',
    }


def test_failed_moves_pending_to_failed() -> None:
    sub = entity()
    change = sub.failed('Boothwyn API error 500: Internal Server Error', {'message': 'x'}, AT, http_status=500)
    assert change == Change(Status.PENDING, Status.FAILED)
    assert (sub.status, sub.error_message, sub.response_payload, sub.pharmacy_order_id) == (
        Status.FAILED,
        'Boothwyn API error 500: Internal Server Error',
        {'message': 'x'},
        None,
    )
    assert sub.status in TERMINAL
    [event] = sub.new_events
    assert event.view() == {
        'at': AT,
        'kind': 'pharmacy_answered',
        'source': 'router',
        'actor': 'boothwyn',
        'from': 'pending',
        'to': 'failed',
        'error': 'Boothwyn API error 500: Internal Server Error',
        'pharmacyHttpStatus': 500,
    }


def test_abandoned_is_recorded_as_such() -> None:
    sub = entity()
    assert sub.failed('stopped', None, AT, abandoned=True) == Change(Status.PENDING, Status.FAILED)
    assert sub.new_events[0].detail == {'error': 'stopped', 'abandoned': True}


@pytest.mark.parametrize('status', [s for s in Status if s is not Status.PENDING])
def test_the_pharmacys_answer_is_only_for_a_pending_submission(status: Status) -> None:
    held = {'held_from': Status.SUBMITTED} if status is Status.ON_HOLD else {}
    for answer in (
        lambda sub: sub.accepted('case-2', None, AT),
        lambda sub: sub.failed('late', None, AT),
        lambda sub: sub.failed('late', None, AT, abandoned=True),
    ):
        sub = entity(status, **held)
        with pytest.raises(InvalidTransition):
            answer(sub)
        assert (sub.status, sub.updated_at, sub.new_events) == (status, CREATED, [])


def test_sent_is_recorded() -> None:
    sub = entity(test=True)
    sub.sent(AT)
    assert [e.view() for e in sub.new_events] == [
        {'at': AT, 'kind': 'sent_to_pharmacy', 'source': 'router', 'actor': 'boothwyn', 'test': True}
    ]
    assert sub.status is Status.PENDING


# --- the pharmacy's reports ----------------------------------------------------------------------


def test_a_report_moves_forward() -> None:
    sub = entity(Status.SUBMITTED)
    change = apply(sub, report(Status.PROCESSING, 'processing'))
    assert change == Change(Status.SUBMITTED, Status.PROCESSING, tracking_added=False, raw_status_changed=True)
    assert change.moved and change.changed
    assert (sub.status, sub.pharmacy_status, sub.updated_at, sub.callback_kind) == (Status.PROCESSING, 'processing', AT, 'update')
    [event] = sub.new_events
    assert event.view() == {
        'at': AT,
        'kind': 'webhook_accepted',
        'source': 'webhook:boothwyn',
        'actor': 'boothwyn',
        'from': 'submitted',
        'to': 'processing',
        'pharmacyStatus': 'processing',
        'outcome': 'moved',
    }
    assert event.key == 'webhook#boothwyn#d1#processing'
    assert event.is_history


def test_a_report_may_skip_ahead() -> None:
    sub = entity(Status.SUBMITTED)
    assert apply(sub, report(Status.DELIVERED, 'delivered')).to_status is Status.DELIVERED
    assert sub.status in TERMINAL


@pytest.mark.parametrize(
    ('current', 'late'),
    [
        (Status.SHIPPED, Status.PROCESSING),
        (Status.SHIPPED, Status.SHIPPED),
        (Status.DELIVERED, Status.SHIPPED),
        (Status.DELIVERED, Status.CANCELLED),
        (Status.CANCELLED, Status.SHIPPED),
        (Status.FAILED, Status.PROCESSING),
        (Status.VOIDED, Status.DELIVERED),
        (Status.PENDING, Status.SHIPPED),  # before the pharmacy's answer is recorded
    ],
)
def test_late_and_repeated_reports_change_nothing(current: Status, late: Status) -> None:
    standing = late.value if late is current else 'as-it-stands'  # a repeat: the same raw status again
    sub = entity(current, pharmacy_status=standing, callback_kind='initial')
    change = apply(sub, report(late, late.value))
    assert change == Change(current, current)
    assert not change.changed
    assert (sub.status, sub.pharmacy_status, sub.updated_at, sub.callback_kind) == (current, standing, CREATED, 'initial')
    [event] = sub.new_events
    assert event.view() == {
        'at': AT,
        'kind': 'webhook_accepted',
        'source': 'webhook:boothwyn',
        'actor': 'boothwyn',
        'pharmacyStatus': late.value,
        'outcome': 'no change',
    }
    assert event.key == 'webhook#boothwyn#d1'  # the same report again is the same event
    assert not event.is_history


def test_the_same_report_twice_moves_once() -> None:
    sub = entity(Status.SUBMITTED)
    shipped = report(Status.SHIPPED, 'shipped', '794644790132', 'FedEx')
    assert apply(sub, shipped).moved
    again = apply(sub, shipped, at=LATER)
    assert again == Change(Status.SHIPPED, Status.SHIPPED)
    assert (sub.packages, sub.updated_at, sub.callback_kind) == ([Package('794644790132', 'FedEx')], AT, 'update')


def test_a_tracking_url_is_kept_on_the_event_only() -> None:
    sub = entity(Status.SUBMITTED)
    with_url = report(Status.SHIPPED, 'order.shipped', '1Z999', 'UPS')._replace(tracking_url='https://track.example/1Z999')
    apply(sub, with_url)
    apply(sub, report(Status.DELIVERED, 'order.delivered'), at=LATER)
    shipped, delivered = sub.new_events
    assert shipped.detail == {'outcome': 'moved', 'trackingUrl': 'https://track.example/1Z999'}
    assert delivered.detail == {'outcome': 'moved'}
    assert sub.packages == [Package('1Z999', 'UPS')]


def test_raw_status_is_kept_beside_the_normalised_one() -> None:
    sub = entity(Status.PROCESSING)
    apply(sub, report(Status.SHIPPED, 'in-transit'))
    assert (sub.status, sub.pharmacy_status) == (Status.SHIPPED, 'in-transit')
    # The same status in the pharmacy's other word: the report stands, its raw status recorded.
    change = apply(sub, report(Status.SHIPPED, 'shipped'), at=LATER)
    assert change == Change(Status.SHIPPED, Status.SHIPPED, raw_status_changed=True)
    assert change.changed and not change.moved
    assert (sub.pharmacy_status, sub.updated_at) == ('shipped', LATER)


def test_a_late_reports_raw_status_does_not_replace_the_standing_one() -> None:
    sub = entity(Status.SUBMITTED)
    apply(sub, report(Status.DELIVERED, 'Delivered'))
    change = apply(sub, report(Status.SHIPPED, 'in-transit'), at=LATER)
    assert not change.changed
    assert (sub.status, sub.pharmacy_status, sub.updated_at) == (Status.DELIVERED, 'Delivered', AT)


def test_an_unknown_raw_status_changes_nothing_and_is_recorded() -> None:
    sub = entity(Status.SUBMITTED, pharmacy_status=None)
    unknown = report(None, 'teleported')
    assert unknown.unknown_status
    change = apply(sub, unknown)
    assert change == Change(Status.SUBMITTED, Status.SUBMITTED)
    assert (sub.status, sub.pharmacy_status, sub.updated_at, sub.callback_kind) == (Status.SUBMITTED, None, CREATED, 'initial')
    [event] = sub.new_events
    assert event.view() == {
        'at': AT,
        'kind': 'webhook_accepted',
        'source': 'webhook:boothwyn',
        'actor': 'boothwyn',
        'pharmacyStatus': 'teleported',
        'outcome': 'unknown status: nothing changed',
    }


def test_an_unknown_raw_status_with_tracking_adds_the_tracking_only() -> None:
    sub = entity(Status.SUBMITTED)
    change = apply(sub, report(None, 'teleported', '1Z9', 'UPS'))
    assert change == Change(Status.SUBMITTED, Status.SUBMITTED, tracking_added=True)
    assert (sub.status, sub.pharmacy_status, sub.packages, sub.callback_kind) == (
        Status.SUBMITTED,
        None,
        [Package('1Z9', 'UPS')],
        'initial',
    )
    [event] = sub.new_events
    assert event.view() == {
        'at': AT,
        'kind': 'webhook_accepted',
        'source': 'webhook:boothwyn',
        'actor': 'boothwyn',
        'from': 'submitted',
        'to': 'submitted',
        'trackingNumber': '1Z9',
        'carrier': 'UPS',
        'pharmacyStatus': 'teleported',
        'outcome': 'unknown status: tracking added',
    }


def test_a_report_without_a_status_is_not_an_unknown_status() -> None:
    sub = entity(Status.SHIPPED, pharmacy_status='shipped')
    bare = report(tracking='1Z9')
    assert not bare.unknown_status
    change = apply(sub, bare)
    assert change == Change(Status.SHIPPED, Status.SHIPPED, tracking_added=True)
    assert (sub.pharmacy_status, sub.tracking_number, sub.updated_at) == ('shipped', '1Z9', AT)
    assert sub.new_events[0].detail == {'outcome': 'tracking added'}


# --- tracking --------------------------------------------------------------------------------------


def test_tracking_merge() -> None:
    sub = entity(Status.SUBMITTED)
    # Given a shipped order with one package
    assert apply(sub, report(Status.SHIPPED, 'shipped', 'T1', 'FedEx')).tracking_added
    assert (sub.tracking_number, sub.carrier) == ('T1', 'FedEx')
    # When the same number is reported again, it is not duplicated
    assert apply(sub, report(Status.SHIPPED, 'shipped', 'T1', 'FedEx')) == Change(Status.SHIPPED, Status.SHIPPED)
    assert sub.packages == [Package('T1', 'FedEx')]
    # A new number is appended (the newest is the one shown)
    assert apply(sub, report(Status.SHIPPED, 'shipped', 'T2', None)).tracking_added
    assert sub.packages == [Package('T1', 'FedEx'), Package('T2', None)]
    assert (sub.tracking_number, sub.carrier) == ('T2', None)
    # A known number's carrier is updated in place
    assert apply(sub, report(Status.SHIPPED, 'shipped', 'T1', 'UPS')).tracking_added
    assert sub.packages == [Package('T1', 'UPS'), Package('T2', None)]
    # A known number without a carrier leaves its carrier alone
    assert not apply(sub, report(Status.SHIPPED, 'shipped', 'T1', None)).tracking_added
    assert sub.packages == [Package('T1', 'UPS'), Package('T2', None)]
    # A carrier alone applies to the newest package
    assert apply(sub, report(Status.SHIPPED, 'shipped', None, 'USPS')).tracking_added
    assert sub.packages == [Package('T1', 'UPS'), Package('T2', 'USPS')]
    assert not apply(sub, report(Status.SHIPPED, 'shipped', None, 'USPS')).tracking_added
    assert sub.status is Status.SHIPPED


def test_a_carrier_without_any_package_changes_nothing() -> None:
    sub = entity(Status.SUBMITTED)
    assert apply(sub, report(None, None, None, 'UPS')) == Change(Status.SUBMITTED, Status.SUBMITTED)
    assert sub.packages == []


def test_tracking_is_capped_at_max_packages() -> None:
    sub = entity(Status.SHIPPED, pharmacy_status='shipped', packages=[Package(f'T{i}') for i in range(MAX_PACKAGES)])
    change = apply(sub, report(Status.SHIPPED, 'shipped', 'T-extra', 'UPS'))
    assert not change.changed
    assert len(sub.packages) == MAX_PACKAGES
    assert sub.tracking_number == f'T{MAX_PACKAGES - 1}'
    # A known package's carrier can still be updated at the cap.
    assert apply(sub, report(None, None, 'T0', 'UPS')).tracking_added
    assert sub.packages[0] == Package('T0', 'UPS')


def test_tracking_added_to_a_moved_submission_is_in_the_event() -> None:
    sub = entity(Status.PROCESSING)
    apply(sub, report(Status.SHIPPED, 'shipped', 'T1', 'FedEx'))
    [event] = sub.new_events
    assert event.view() == {
        'at': AT,
        'kind': 'webhook_accepted',
        'source': 'webhook:boothwyn',
        'actor': 'boothwyn',
        'from': 'processing',
        'to': 'shipped',
        'trackingNumber': 'T1',
        'carrier': 'FedEx',
        'pharmacyStatus': 'shipped',
        'outcome': 'moved',
    }


# --- callbacks and holds -----------------------------------------------------------------------------


def test_callback_kind_switches_to_update_only_on_a_move() -> None:
    sub = entity(Status.PENDING)
    sub.accepted('case-1', None, AT)
    assert sub.callback_kind == 'initial'
    apply(sub, report(None, None, 'T1'))  # tracking only
    assert sub.callback_kind == 'initial'
    apply(sub, report(None, 'teleported'))
    assert sub.callback_kind == 'initial'
    apply(sub, report(Status.PROCESSING, 'processing'))
    assert sub.callback_kind == 'update'


def test_a_hold_remembers_where_it_was_and_returns_there() -> None:
    sub = entity(Status.PROCESSING)
    assert apply(sub, report(Status.ON_HOLD, 'on hold')) == Change(Status.PROCESSING, Status.ON_HOLD, raw_status_changed=True)
    assert (sub.status, sub.held_from) == (Status.ON_HOLD, Status.PROCESSING)
    # Held again: nothing moves
    assert not apply(sub, report(Status.ON_HOLD, 'on hold'), at=LATER).changed
    # The pharmacy resumes
    assert apply(sub, report(Status.PROCESSING, 'processing')).to_status is Status.PROCESSING
    assert (sub.status, sub.held_from) == (Status.PROCESSING, None)


def test_a_hold_moves_on_like_the_status_it_was_held_from() -> None:
    sub = entity(Status.SUBMITTED)
    apply(sub, report(Status.ON_HOLD, 'hold'))
    moves = {t for t in Trigger if next_status(sub.status, t, sub.held_from) not in (None, sub.status)}
    assert Trigger.SHIPPED in moves and Trigger.ACCEPTED not in moves and Trigger.HOLD not in moves
    assert apply(sub, report(Status.SHIPPED, 'shipped', 'T1')).to_status is Status.SHIPPED
    assert (sub.status, sub.held_from, sub.packages) == (Status.SHIPPED, None, [Package('T1')])


# --- no patient data -------------------------------------------------------------------------------


def test_events_carry_no_patient_data() -> None:
    sub = entity()
    payload = json.dumps(sub.request_payload)
    assert all(value in payload for value in PATIENT_VALUES)  # the submission does hold them

    sub.sent(AT)
    sub.accepted('case-1', {'Results': [{'CaseId': 'case-1'}]}, AT)
    apply(sub, report(Status.PROCESSING, 'processing'))
    apply(sub, report(Status.SHIPPED, 'shipped', '794644790132', 'FedEx'))
    apply(sub, report(None, 'teleported'))
    apply(sub, report(Status.SHIPPED, 'in-transit', '794644790133'))
    apply(sub, report(Status.PROCESSING, 'processing'))
    apply(sub, report(Status.DELIVERED, 'delivered'))
    other = entity()
    other.sent(AT)
    other.failed('Boothwyn API error 400: Bad Request', {'Message': 'Unknown SKU'}, AT, http_status=400)

    events = [*sub.new_events, *other.new_events]
    assert [e.kind for e in events] == [
        EventKind.SENT,
        EventKind.ANSWERED,
        *[EventKind.WEBHOOK_ACCEPTED] * 6,
        EventKind.SENT,
        EventKind.ANSWERED,
    ]
    for event in events:
        shown = json.dumps(event.view())
        assert not [value for value in PATIENT_VALUES if value in shown], shown
        assert not [value for value in PATIENT_VALUES if value in event.key]


def test_a_submission_in_a_traceback_or_log_shows_no_patient_data() -> None:
    sub = entity()
    assert all(value in json.dumps(sub.request_payload) for value in PATIENT_VALUES)
    assert not [value for value in PATIENT_VALUES if value in repr(sub) or value in str(sub)]


@pytest.mark.parametrize('current', [Status.SUBMITTED, Status.PROCESSING, Status.SHIPPED])
def test_a_report_of_submitted_moves_nothing(current: Status) -> None:
    sub = entity(current, pharmacy_status='authorized')
    change = apply(sub, report(Status.SUBMITTED, 'submitted'))
    assert not change.moved and sub.status is current
    # the same status in the pharmacy's next word is recorded as its raw status; a late one is not
    assert sub.pharmacy_status == ('submitted' if current is Status.SUBMITTED else 'authorized')
    assert sub.new_events[-1].view()['outcome'] == 'no change'


def test_a_report_of_submitted_does_not_release_a_hold() -> None:
    sub = entity(Status.SUBMITTED)
    apply(sub, report(Status.ON_HOLD, 'hold'))
    assert not apply(sub, report(Status.SUBMITTED, 'submitted'), at=LATER).moved
    assert (sub.status, sub.held_from) == (Status.ON_HOLD, Status.SUBMITTED)

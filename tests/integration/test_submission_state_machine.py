"""A stateful property test of one API client's life with the router (moto, fake pharmacies, the real handlers
in-process): random sequences of submit (to Strive, Boothwyn, GMP and DispensePro), repeat, conflicting repeat,
pharmacy webhooks (any word of the type's vocabulary, unknown words, repeats, tracking), GET, secret rotation and
callback delivery. After every step:

- one pharmacy order per deduplication key, however often the key is repeated;
- a submission's status is where the transition table (rx_router/domain/statuses.py) moves it, so it never
  moves back, and its history holds only the table's transitions;
- one callback per status change, signed with the client's newest secret;
- every answer's HTTP status is one the README documents for its route.

Each example is a new API client, so its keys and submissions are its own while moto and the fake pharmacies
are shared by all examples of the test.
"""

import copy
import itertools
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.callback_sender.app import lambda_handler as callback_sender
from functions.dispensepro_webhook.app import lambda_handler as dispensepro_hook
from functions.get_submission.app import lambda_handler as get_handler
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router import cache, http_clients
from rx_router.domain.statuses import REPORTABLE, TRANSITIONS, Status, next_status
from rx_router.pharmacy_types import registry
from rx_router.signing import signature
from rx_router.store import clients
from tests.dispensepro_support import INSTANCE as DISPENSEPRO
from tests.dispensepro_support import WEBHOOK_SECRETS as DISPENSEPRO_HOOK_SECRETS
from tests.dispensepro_support import configure as configure_dispensepro
from tests.fake_pharmacies import Call, FakePharmacies
from tests.integration.conftest import WEBHOOK_SECRETS
from tests.support import Credentials, LambdaContext, get_event, load_event, response_json, submission, submit_event

# README "Calling the API" and "Tracking: webhooks in, callbacks out".
SUBMIT_STATUSES = {201, 400, 401, 409, 413, 422, 502, 503}
GET_STATUSES = {200, 401, 403, 404}
WEBHOOK_STATUSES = {200, 400, 401, 404}

# Where a submission goes (the seed's state routes; DispensePro, configured by the test, as the preferred pharmacy)
# and the pharmacy type (so the webhook) behind it.
DESTINATIONS: dict[str, tuple[dict[str, str], str]] = {
    'TX': ({'patientState': 'TX'}, 'rxvortex'),
    'WA': ({'patientState': 'WA'}, 'boothwyn_b2b'),
    'NY': ({'patientState': 'NY'}, 'boothwyn_b2b'),  # GMP, reporting through Boothwyn's webhook
    'dispensepro': ({'patientState': 'WA', 'preferredPharmacy': DISPENSEPRO.id}, 'dispensepro'),
}
HOOKS = {
    'rxvortex': (strive_hook, 'strive_webhook'),
    'boothwyn_b2b': (boothwyn_hook, 'boothwyn_webhook'),
    'dispensepro': (dispensepro_hook, 'dispensepro_webhook'),
}
ORDER_FIELD = {'rxvortex': 'tracking_id', 'boothwyn_b2b': 'caseId', 'dispensepro': 'orderId'}
TRACKING_FIELD = {'rxvortex': 'trackingnumber', 'boothwyn_b2b': 'trackingNumber', 'dispensepro': 'trackingNumber'}
HOOK_SECRETS = {**WEBHOOK_SECRETS, 'dispensepro': DISPENSEPRO_HOOK_SECRETS}
# Types whose webhook body must carry a status (ASSUMPTION-marked in dispensepro.py); the others' is optional.
STATUS_REQUIRED = {'dispensepro'}
# medication.note triggers of the sandboxes (README "What runs locally"): the pharmacy fails or refuses the order.
OUTCOMES = {'': 201, 'sandbox:fail-500': 502, 'sandbox:reject': 502}
notes = st.sampled_from(['', '', '', 'sandbox:fail-500', 'sandbox:reject'])  # mostly orders the pharmacy takes
UNKNOWN_WORDS = ('teleported', 'on hold', 'SHIPPED!', '', 'submitted')


def status_words(type_name: str) -> st.SearchStrategy[str | None]:
    """A status word as a pharmacy of this type might send it: its vocabulary (in any case, padded), unknown words,
    or none at all (where the type's body may omit it)."""
    spec = registry.get(type_name).webhook
    assert spec is not None
    known = st.sampled_from(sorted(spec.vocabulary))
    required = type_name in STATUS_REQUIRED
    return st.one_of(
        known,
        known,  # mostly words that may move the order
        known.map(str.upper),
        known.map(lambda word: f' {word} '),
        st.sampled_from([w for w in UNKNOWN_WORDS if w.strip() or not required]),
        st.nothing() if required else st.none(),
    )


def reachable_in_one_step(before: Status, after: Status) -> bool:
    return any(source is before and target is after for (source, _), target in TRANSITIONS.items())


def order_ids(calls: list[Call]) -> Counter[str]:
    """The router's submission id each order the fake pharmacies received carries (Boothwyn's caseId, Strive's
    sender_order_id, DispensePro's externalId)."""
    found: Counter[str] = Counter()
    for call in calls:
        body = call.body if isinstance(call.body, dict) and 'generate-access-token' not in call.url else {}
        found[body.get('caseId') or body.get('externalId') or body.get('order', {}).get('sender_order_id')] += 1
    return found


@dataclass
class Known:
    """What the model knows of one submission."""

    body: dict[str, Any]
    submission_id: str
    type_name: str
    first_status: int
    first_answer: dict[str, Any]
    status: Status
    pharmacy_order_id: str | None
    moves: list[Status] = field(default_factory=list)  # every status it moved to, the submit's answer first


class ClockAhead:
    """time.monotonic for the router's caches, moved forward by the test (an operator's rotations are seconds
    apart: README "When client changes take effect" bounds a new secret's first use by one fresh read per second)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


class Receiver:
    """The client's callback endpoint: accepts everything, keeps what arrived."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200)


_clients = itertools.count()
# A run of the machine costs about 0.4 s (moto), so shrinking a failure takes minutes: the reproducible CI profile
# reports the failing steps as found (at most 20, with the blob to replay them); other profiles shrink them.
PHASES = tuple(p for p in Phase if p is not Phase.shrink) if os.environ.get('HYPOTHESIS_PROFILE', 'ci') == 'ci' else tuple(Phase)


class ClientLife(RuleBasedStateMachine):
    pharmacies: FakePharmacies
    clock: ClockAhead
    receiver: Receiver

    keys = Bundle('keys')
    moved = Bundle('moved')  # keys whose status a webhook moved: where a repeat's answer could go wrong

    def __init__(self) -> None:
        super().__init__()
        issued = clients.create_client(f'property-client-{next(_clients)}')
        self.api_key = issued.client.api_key
        self.secrets = [issued.api_secret]  # valid now, newest first
        self.known: dict[str, Known] = {}
        self.delivered_statuses: dict[str, list[str]] = {}
        self.other = clients.create_client(f'property-other-{next(_clients)}')
        self.calls_before = len(self.pharmacies.calls)  # the fake pharmacies serve every example of the test

    # --- helpers --------------------------------------------------------------------------------------------------

    def creds(self, pick: int) -> Credentials:
        return Credentials(self.api_key, self.secrets[pick % len(self.secrets)])

    def submit(self, body: dict[str, Any], pick: int) -> tuple[int, dict[str, Any], dict[str, str]]:
        response = submit_handler(submit_event(self.creds(pick), body), LambdaContext())
        assert response['statusCode'] in SUBMIT_STATUSES, response
        return response['statusCode'], response_json(response), response['headers']

    # --- rules ----------------------------------------------------------------------------------------------------

    @initialize(target=keys, to=st.sampled_from(sorted(DESTINATIONS)))
    def an_accepted_order(self, to: str) -> str:
        """Every example starts with an order the pharmacy took, so webhooks have something to move."""
        return self.submit_new(to, '', 0)

    @rule(target=keys, to=st.sampled_from(sorted(DESTINATIONS)), note=notes, pick=st.integers(0, 1))
    def submit_new(self, to: str, note: str, pick: int) -> str:
        key = f'order-{len(self.known)}'
        medication = {**submission()['medication'], **({'note': note} if note else {})}
        routing, type_name = DESTINATIONS[to]
        body = submission(sourceOrderId=key, routing=routing, medication=medication)
        status, answer, _ = self.submit(body, pick)
        assert status == OUTCOMES[note], answer
        expected = Status.SUBMITTED if status == 201 else Status.FAILED
        assert answer['status'] == expected.value
        self.known[key] = Known(
            body=body,
            submission_id=answer['submissionId'],
            type_name=type_name,
            first_status=status,
            first_answer=answer,
            status=expected,
            pharmacy_order_id=answer['pharmacyOrderId'],
            moves=[expected],
        )
        return key

    @rule(key=keys, pick=st.integers(0, 1), same_body=st.booleans())
    def repeat(self, key: str, pick: int, same_body: bool) -> None:
        """README "Retries and duplicates": the first result again, same status code and body; the same key with
        another body is a 409 naming the submission."""
        known = self.known[key]
        body = copy.deepcopy(known.body)
        if not same_body:
            body['medication']['quantity'] += 1
        status, answer, headers = self.submit(body, pick)
        if same_body:
            assert headers.get('idempotent-replayed') == 'true'
            assert (status, answer) == (known.first_status, known.first_answer)
        else:
            assert status == 409 and answer['submissionId'] == known.submission_id, answer

    @rule(key=moved, pick=st.integers(0, 1))
    def repeat_after_it_moved(self, key: str, pick: int) -> None:
        self.repeat(key, pick, same_body=True)

    @rule(target=moved, key=keys, data=st.data())
    def webhooks(self, key: str, data: st.DataObject) -> MultipleResults[str]:
        """The pharmacy reports on the order, one to three times (repeats and late reports included)."""
        known = self.known[key]
        moves = len(known.moves)
        for _ in range(data.draw(st.integers(1, 3), label='reports')):
            word = data.draw(status_words(known.type_name), label='status word')
            tracking = data.draw(st.sampled_from([None, '1Z999AA10123456784', '794644790132']), label='tracking')
            secret_index = data.draw(st.sampled_from([0, 1, 0, 1, 0, 1, -1]), label='secret')  # -1: a wrong secret
            self.report(known, word, tracking, secret_index)
        return multiple(key) if len(known.moves) > moves else multiple()

    def report(self, known: Known, word: str | None, tracking: str | None, secret_index: int) -> None:
        spec = registry.get(known.type_name).webhook
        assert spec is not None
        handler, event_name = HOOKS[known.type_name]
        body: dict[str, Any] = {ORDER_FIELD[known.type_name]: known.pharmacy_order_id or 'no-such-order'}
        if word is not None:
            body[spec.status_field] = word
        if tracking is not None:
            body[TRACKING_FIELD[known.type_name]] = tracking
        event = load_event(event_name)
        event['body'] = json.dumps(body)
        secrets = HOOK_SECRETS[spec.name]
        event['headers']['x-webhook-secret'] = secrets[secret_index % len(secrets)] if secret_index >= 0 else 'not-the-secret'
        response = handler(event, LambdaContext())
        status = response['statusCode']
        assert status in WEBHOOK_STATUSES, response
        if secret_index < 0:  # refused, nothing changes
            assert (status, response_json(response)) == (401, {'error': 'Invalid webhook secret'})
            return
        reported = spec.normalise(word)
        if known.pharmacy_order_id is None:  # the order never reached the pharmacy: no order id names it
            assert status in (400, 404), response
            return
        if word is not None and reported is None and spec.refuses_unknown_status:  # outside the whole vocabulary
            assert status == 400, response
            assert list(response_json(response)['details']['fieldErrors']) == [spec.status_field]
            return
        assert status == 200, response
        trigger = REPORTABLE.get(reported) if reported is not None else None
        target = next_status(known.status, trigger) if trigger is not None else None
        if target is not None and target is not known.status:
            known.status = target
            known.moves.append(target)

    @rule(key=keys, pick=st.integers(0, 1), who=st.sampled_from(['owner', 'owner', 'another client', 'wrong secret']))
    def get(self, key: str, pick: int, who: str) -> None:
        known = self.known[key]
        creds = {
            'owner': self.creds(pick),
            'another client': Credentials(self.other.client.api_key, self.other.api_secret),
            'wrong secret': Credentials(self.api_key, 'not-the-secret'),
        }[who]
        response = get_handler(get_event(creds, known.submission_id), LambdaContext())
        assert response['statusCode'] in GET_STATUSES, response
        if who != 'owner':
            assert response['statusCode'] == (403 if who == 'another client' else 401), response
            return
        assert response['statusCode'] == 200, response
        view = response_json(response)
        assert view['status'] == known.status.value
        changes = [(Status(h['from']), Status(h['to'])) for h in view['history'] if h['from'] != h['to']]
        assert all(reachable_in_one_step(before, after) for before, after in changes), changes
        assert [after for _, after in changes] == known.moves

    @rule()
    def rotate_secret(self) -> None:
        self.clock.offset += clients.RECHECK_SECONDS + 0.01
        rotated = clients.rotate_secret(self.api_key)
        self.secrets = [rotated.api_secret, self.secrets[0]]  # the previous one stays valid until the next rotation

    @rule()
    def deliver_callbacks(self) -> None:
        """The callback sender, given every job waiting on the queue (as SQS would hand them over)."""
        sqs = boto3.client('sqs')
        while True:
            batch = sqs.receive_message(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], MaxNumberOfMessages=10).get('Messages', [])
            if not batch:
                break
            event = load_event('callback_sqs')
            template = event['Records'][0]
            event['Records'] = [
                {**template, 'messageId': m['MessageId'], 'receiptHandle': m['ReceiptHandle'], 'body': m['Body']} for m in batch
            ]
            before = len(self.receiver.requests)
            assert callback_sender(event, LambdaContext()) == {'batchItemFailures': []}
            for request in self.receiver.requests[before:]:
                self.check_callback(request)
            for message in batch:
                sqs.delete_message(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], ReceiptHandle=message['ReceiptHandle'])

    def check_callback(self, request: httpx.Request) -> None:
        expected = signature(self.secrets[0], request.headers['x-timestamp'], request.content)
        payload = json.loads(request.content)
        mine = {k.submission_id for k in self.known.values()}
        if payload['submissionId'] not in mine:
            return  # another example's job, left on the shared queue by a failed example
        assert request.headers['x-signature'] == expected, 'signed with the newest secret'
        self.delivered_statuses.setdefault(payload['submissionId'], []).append(payload['status'])

    # --- invariants -----------------------------------------------------------------------------------------------

    @invariant()
    def one_pharmacy_order_per_key(self) -> None:
        received = order_ids(self.pharmacies.calls[self.calls_before :])
        for known in self.known.values():
            assert received[known.submission_id] == 1, (known.submission_id, received[known.submission_id])

    @invariant()
    def at_most_one_callback_per_status_change(self) -> None:
        for known in self.known.values():  # (SQS does not keep their order)
            delivered = Counter(self.delivered_statuses.get(known.submission_id, []))
            assert delivered <= Counter(s.value for s in known.moves), (delivered, known.moves)

    def teardown(self) -> None:
        self.deliver_callbacks()
        for known in self.known.values():  # every status change got its callback, none got two
            delivered = Counter(self.delivered_statuses.get(known.submission_id, []))
            assert delivered == Counter(s.value for s in known.moves), (delivered, known.moves)


def test_a_clients_life_keeps_the_invariants(pharmacies: FakePharmacies, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_dispensepro(pharmacies)
    clock = ClockAhead()
    monkeypatch.setattr(cache, 'time', clock)
    receiver = Receiver()
    http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(receiver))
    ClientLife.pharmacies, ClientLife.clock, ClientLife.receiver = pharmacies, clock, receiver
    run_state_machine_as_test(
        ClientLife,
        settings=settings(
            max_examples=max(settings.default.max_examples // 4, 1),
            stateful_step_count=20,
            phases=PHASES,
        ),
    )

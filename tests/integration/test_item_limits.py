"""A valid submission always fits in its DynamoDB item, and records stay bounded however many updates arrive."""

import json
import os
from typing import Any

import boto3

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router.domain.submission import MAX_PACKAGES
from rx_router.settings import settings
from rx_router.store.models import SubmissionModel, TimelineModel
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, load_event, response_json, submission, submit_event

DYNAMODB_ITEM_LIMIT = 400 * 1024


def item_bytes(submission_id: str) -> int:
    """The stored item's size by DynamoDB's rule: attribute names plus values, in UTF-8 bytes."""
    raw = boto3.client('dynamodb').get_item(TableName=os.environ['SUBMISSIONS_TABLE'], Key={'id': {'S': submission_id}})
    size = 0
    for name, value in raw['Item'].items():
        [(kind, content)] = value.items()
        size += len(name.encode()) + (len(str(content).encode()) if kind in ('S', 'N') else 1)
    return size


def at_the_body_limit(characters: str) -> dict[str, Any]:
    """A valid submission whose body is as close to MAX_BODY_BYTES as its free-text fields allow, written in the
    given (multi-byte) characters: the worst case for escaping."""
    limit = settings().max_body_bytes
    body = submission(routing={'patientState': 'WA'})
    entry = (characters * 500)[:500]
    clinical: dict[str, Any] = {name: {'known': True, 'entries': []} for name in ('allergies', 'conditions', 'medications')}
    body['clinical'] = clinical
    for name in clinical:
        for _ in range(50):
            clinical[name]['entries'].append(entry)
            if len(json.dumps(body, ensure_ascii=False).encode()) > limit:
                clinical[name]['entries'].pop()
                return body
    return body


def test_a_submission_at_the_body_limit_in_emoji_and_cyrillic_is_stored(creds: Credentials, pharmacies: FakePharmacies) -> None:
    # emoji reach the body limit; Cyrillic fills every free-text list to its maximum (150 KB), escaped it was 3x
    for characters, smallest in (('😀🧪', settings().max_body_bytes - 2_500), ('Ёжик', 150_000)):
        body = at_the_body_limit(characters)
        body['sourceOrderId'] = f'limit-{len(characters)}'
        raw = json.dumps(body, ensure_ascii=False, separators=(',', ':'))
        assert smallest < len(raw.encode()) <= settings().max_body_bytes
        response = submit_handler(submit_event(creds, raw), LambdaContext())
        assert response['statusCode'] == 201, response['body'][:300]
        size = item_bytes(response_json(response)['submissionId'])
        # about the body itself: stored unescaped, so everything added later has 140 KB of room
        assert size < len(raw.encode()) + 8 * 1024 < DYNAMODB_ITEM_LIMIT
        stored = SubmissionModel.get(response_json(response)['submissionId'])
        assert stored.request_payload['clinical']['allergies']['entries'][0] == body['clinical']['allergies']['entries'][0]


def test_many_tracking_updates_keep_the_item_bounded_and_repeats_add_nothing(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    created = response_json(submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext()))

    def hook(tracking: str, status: str = 'shipped') -> int:
        event = load_event('boothwyn_webhook')
        event['body'] = json.dumps({'caseId': created['pharmacyOrderId'], 'rxStatus': status, 'trackingNumber': tracking})
        return int(boothwyn_hook(event, LambdaContext())['statusCode'])

    sizes = []
    for n in range(300):  # far more packages than any order has: each a tracking-only update after the first
        assert hook(f'1Z{n:016d}') == 200
        if n in (MAX_PACKAGES, 299):
            sizes.append(item_bytes(created['submissionId']))
    assert sizes[0] == sizes[1]  # nothing grows the item after the package list is full
    events = len(list(TimelineModel.query(created['submissionId'])))
    for _ in range(5):
        assert hook('1Z0000000000000299') == 200  # the same update again
    assert len(list(TimelineModel.query(created['submissionId']))) == events
    assert hook('1Z0000000000000299', status='delivered') == 200  # and the order can still finish
    assert SubmissionModel.get(created['submissionId']).status == 'delivered'

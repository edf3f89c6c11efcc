"""Submissions written before the pharmacy platform (no version, `history` maps, `lastCallback`, scalar tracking)
stay readable and keep moving forward."""

import json
import os
from typing import Any

import boto3

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.get_submission.app import lambda_handler as get_handler
from functions.get_timeline.app import lambda_handler as timeline_handler
from rx_router.store import clients
from tests.integration.callback_queue import queued_jobs
from tests.support import Credentials, LambdaContext, get_event, load_event, response_json

SUBMISSION_ID = '7d1a6a2e-57f6-5c0b-9a57-0d3cbb1e2f10'


def legacy_item(client_id: str, api_key: str) -> dict[str, Any]:
    """As the router wrote a shipped Boothwyn order before the timeline existed."""
    return {
        'id': {'S': SUBMISSION_ID},
        'apiKeyId': {'S': client_id},
        'apiKey': {'S': api_key},
        'source': {'S': 'guide-glp'},
        'sourceOrderId': {'S': 'ord-legacy'},
        'callbackUrl': {'S': 'https://api.example.com/cb'},
        'patientState': {'S': 'WA'},
        'medicationName': {'S': 'Semaglutide 2.5mg/mL'},
        'pharmacy': {'S': 'boothwyn'},
        'pharmacyOrderId': {'S': SUBMISSION_ID},
        'status': {'S': 'shipped'},
        'trackingNumber': {'S': '794644790132'},
        'carrier': {'S': 'FedEx'},
        'test': {'BOOL': False},
        'bodyHash': {'S': 'h'},
        'requestPayload': {'S': '{}'},
        'responsePayload': {'S': '{"Success": true}'},
        'history': {
            'L': [
                {
                    'M': {
                        'at': {'S': '2026-03-19T14:30:00.000Z'},
                        'source': {'S': 'router'},
                        'from': {'S': 'pending'},
                        'to': {'S': 'submitted'},
                    }
                },
                {
                    'M': {
                        'at': {'S': '2026-03-20T09:15:00.000Z'},
                        'source': {'S': 'webhook:boothwyn'},
                        'from': {'S': 'submitted'},
                        'to': {'S': 'shipped'},
                        'trackingNumber': {'S': '794644790132'},
                        'carrier': {'S': 'FedEx'},
                    }
                },
            ]
        },
        'lastCallback': {
            'S': json.dumps(
                {
                    'eventId': 'e-1',
                    'status': 'shipped',
                    'at': '2026-03-20T09:15:01.000Z',
                    'attempt': 1,
                    'outcome': 'delivered',
                    'httpStatus': 200,
                    'error': None,
                }
            )
        },
        'submittedAt': {'S': '2026-03-19T14:30:00.000Z'},
        'createdAt': {'S': '2026-03-19T14:30:00.000Z'},
        'updatedAt': {'S': '2026-03-20T09:15:00.000Z'},
    }


def test_a_record_written_before_the_timeline_reads_and_moves_on(creds: Credentials) -> None:
    client = clients.find_active_client(creds.api_key)
    assert client is not None
    boto3.client('dynamodb').put_item(TableName=os.environ['SUBMISSIONS_TABLE'], Item=legacy_item(client.id, client.api_key))
    view = response_json(get_handler(get_event(creds, SUBMISSION_ID), LambdaContext()))
    assert (view['status'], view['trackingNumber'], view['carrier']) == ('shipped', '794644790132', 'FedEx')
    assert view['packages'] == [{'trackingNumber': '794644790132', 'carrier': 'FedEx'}]
    assert [(h['source'], h['from'], h['to']) for h in view['history']] == [
        ('router', 'pending', 'submitted'),
        ('webhook:boothwyn', 'submitted', 'shipped'),
    ]
    assert (view['lastCallback']['outcome'], view['lastCallback']['eventId']) == ('delivered', 'e-1')
    # A webhook moves it forward and calls back, as for any record
    event = load_event('boothwyn_webhook')
    event['body'] = json.dumps({'caseId': SUBMISSION_ID, 'rxStatus': 'delivered'})
    assert boothwyn_hook(event, LambdaContext())['statusCode'] == 200
    [job] = queued_jobs()
    assert (job['payload']['status'], job['payload']['trackingNumber']) == ('delivered', '794644790132')
    timeline_event = get_event(creds, SUBMISSION_ID)
    events = response_json(timeline_handler(timeline_event, LambdaContext()))['events']
    assert [(e['kind'], e.get('from'), e.get('to')) for e in events if e['kind'] != 'callback'] == [
        ('pharmacy_answered', 'pending', 'submitted'),
        ('webhook_accepted', 'submitted', 'shipped'),
        ('webhook_accepted', 'shipped', 'delivered'),
    ]

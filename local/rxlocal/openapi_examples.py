"""The OpenAPI document's examples: the spec's, and the sample events' bodies (events/) for requests the spec shows
none of. Part of `make openapi` (rxlocal/openapi.py)."""

import json
from typing import Any, get_args

from rx_router.service.diagnosis import CheckName
from rxlocal.template import ROOT

EVENTS = ROOT / 'events'


def event_body(name: str) -> Any:
    """The body of a sample API Gateway event in events/ (the spec's submission is events/submit.json)."""
    return json.loads(json.loads((EVENTS / f'{name}.json').read_text())['body'])


def example(value: Any, summary: str | None = None) -> dict[str, Any]:
    return {'summary': summary, 'value': value} if summary else {'value': value}


# The spec's examples (shared/spec/pharmacy-router-api.txt), verbatim where the spec gives the whole body.
SPEC_SUBMISSION_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890'
SPEC_201 = {'submissionId': SPEC_SUBMISSION_ID, 'pharmacy': 'strive', 'status': 'submitted', 'pharmacyOrderId': 'STV-ORD-12345'}
SPEC_400 = {'error': 'Validation failed', 'details': {'fieldErrors': {'patient.dob': ['Required']}, 'formErrors': []}}
SPEC_401 = {'error': 'Invalid signature'}
SPEC_422 = {'error': 'No pharmacy route configured for state: MN'}
SPEC_502 = {
    'submissionId': SPEC_SUBMISSION_ID,
    'pharmacy': 'boothwyn',
    'status': 'failed',
    'pharmacyOrderId': None,
    'error': 'Boothwyn API error 500: Internal Server Error',
}
SPEC_WEBHOOK_OK = {'ok': True}
SPEC_HEALTH = {'status': 'ok', 'service': 'pharmacy-router', 'timestamp': '2026-03-19T14:30:00.000Z'}
# The spec's GET record: its `requestPayload` and `responsePayload` are comments there (the original submission, the
# pharmacy's raw answer), filled in here; then the additions to the spec's record, as a submit like it has them.
SPEC_RECORD = {
    'id': SPEC_SUBMISSION_ID,
    'apiKeyId': 'key-uuid',
    'source': 'guide-glp',
    'sourceOrderId': 'ord_abc123',
    'callbackUrl': 'https://api.example.com/webhooks/pharmacy-router',
    'patientState': 'TX',
    'medicationName': 'Semaglutide 2.5mg/mL',
    'pharmacy': 'strive',
    'pharmacyOrderId': 'STV-ORD-12345',
    'status': 'shipped',
    'trackingNumber': '1Z999AA10123456784',
    'carrier': 'UPS',
    'errorMessage': None,
    'requestPayload': event_body('submit'),
    'responsePayload': {'order_tracking_id': 'STV-ORD-12345'},
    'submittedAt': '2026-03-19T14:30:00.000Z',
    'createdAt': '2026-03-19T14:30:00.000Z',
    'updatedAt': '2026-03-20T09:15:00.000Z',
    'test': False,
    'product': 'semaglutide',
    'pharmacyType': 'rxvortex',
    'pharmacyStatus': 'in-transit',
    'heldFrom': None,
    'packages': [{'trackingNumber': '1Z999AA10123456784', 'carrier': 'UPS'}],
    'routingDecision': {
        'pharmacy': 'strive',
        'pharmacyType': 'rxvortex',
        'rule': 'state_route',
        'state': 'TX',
        'product': 'semaglutide',
        'productMatchedBy': 'name',
        'nativeDrugId': 'STRIVE-SEMAGLUTIDE',
        'candidates': [{'pharmacy': 'strive', 'rule': 'state_route', 'priority': 100}],
    },
    'refillOf': None,
    'refillNumber': None,
    'refillsUsed': 0,
    'prescription': None,
    'prescriptionWritten': None,
    'lastCallback': {
        'at': '2026-03-20T09:15:01.000Z',
        'eventId': 'f2c1d7e0a9b84c3e',
        'status': 'shipped',
        'attempt': 1,
        'outcome': 'delivered',
        'httpStatus': 200,
    },
    'history': [
        {
            'at': '2026-03-19T14:30:00.000Z',
            'source': 'api',
            'from': 'pending',
            'to': 'submitted',
            'trackingNumber': None,
            'carrier': None,
        },
        {
            'at': '2026-03-20T09:15:00.000Z',
            'source': 'webhook:strive',
            'from': 'submitted',
            'to': 'shipped',
            'trackingNumber': '1Z999AA10123456784',
            'carrier': 'UPS',
        },
    ],
}
TIMELINE = {
    'submissionId': SPEC_SUBMISSION_ID,
    'status': 'shipped',
    'events': [
        {'at': '2026-03-19T14:30:00.000Z', 'kind': 'received', 'source': 'api', 'actor': 'key-uuid', 'clientSource': 'guide-glp'},
        {'at': '2026-03-19T14:30:00.000Z', 'kind': 'routed', 'source': 'router', 'rule': 'state_route', 'pharmacy': 'strive'},
        {'at': '2026-03-19T14:30:00.000Z', 'kind': 'sent_to_pharmacy', 'source': 'router', 'actor': 'strive', 'test': False},
        {
            'at': '2026-03-19T14:30:00.000Z',
            'kind': 'pharmacy_answered',
            'source': 'router',
            'actor': 'strive',
            'from': 'pending',
            'to': 'submitted',
            'outcome': 'accepted',
        },
        {
            'at': '2026-03-20T09:15:00.000Z',
            'kind': 'webhook_accepted',
            'source': 'webhook:strive',
            'actor': 'strive',
            'from': 'submitted',
            'to': 'shipped',
            'trackingNumber': '1Z999AA10123456784',
            'carrier': 'UPS',
            'pharmacyStatus': 'in-transit',
        },
    ],
}

TRACKING = {
    'submissionId': SPEC_SUBMISSION_ID,
    'status': 'shipped',
    'shipped': True,
    'delivered': False,
    'carrier': 'UPS',
    'trackingNumber': '1Z999AA10123456784',
    'trackingUrl': 'https://www.ups.com/track?tracknum=1Z999AA10123456784',
    'packages': [
        {
            'trackingNumber': '1Z999AA10123456784',
            'carrier': 'UPS',
            'trackingUrl': 'https://www.ups.com/track?tracknum=1Z999AA10123456784',
        }
    ],
    'deliveredAt': None,
    'lastUpdate': '2026-03-20T09:15:00.000Z',
}
DIAGNOSIS = {
    'submissionId': SPEC_SUBMISSION_ID,
    'verdict': 'ok',
    'escalate': False,
    'reasons': [],
    'checks': [{'check': name, 'verdict': 'ok', 'summary': '…', 'evidence': {}} for name in get_args(CheckName)],
    'escalationSummary': f'Verdict: ok\nSubmission: {SPEC_SUBMISSION_ID} (source guide-glp, order ord_abc123)\n…',
}

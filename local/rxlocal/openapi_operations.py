"""Every route's operation for the OpenAPI document: its request body, each status it answers with the body models
(rx_router/api/schemas.py) and examples, and how it authenticates. Keyed by template.yaml's route keys: rxlocal/openapi.py
refuses a route without an operation here."""

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter

from rx_router.api import schemas
from rx_router.pharmacy_types import beluga as beluga_type
from rx_router.pharmacy_types import boothwyn_b2b, dispensepro, lifefile, own, rxvortex
from rx_router.service import beluga_webhook
from rx_router.service.refill import RefillRequest
from rx_router.validation.prescription import PrescriptionSubmission
from rxlocal.openapi_examples import (
    DIAGNOSIS,
    SPEC_201,
    SPEC_400,
    SPEC_401,
    SPEC_422,
    SPEC_502,
    SPEC_HEALTH,
    SPEC_RECORD,
    SPEC_SUBMISSION_ID,
    SPEC_WEBHOOK_OK,
    TIMELINE,
    TRACKING,
    event_body,
    example,
)

Body = type[BaseModel] | TypeAdapter[Any]


@dataclass(frozen=True)
class Answer:
    """One documented status of an operation: its bodies (several: anyOf) and named examples."""

    description: str
    bodies: tuple[Body, ...]
    examples: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    tag: str
    summary: str
    description: str
    security: list[dict[str, list[str]]]
    answers: dict[int, Answer]
    body: Body | None = None
    body_examples: dict[str, Any] = field(default_factory=dict)
    body_required: bool = True


CLIENT_AUTH: list[dict[str, list[str]]] = [{'ApiKey': [], 'Timestamp': [], 'Signature': []}]
SECURITY_SCHEMES = {
    'ApiKey': {
        'type': 'apiKey',
        'in': 'header',
        'name': 'X-API-Key',
        'description': 'Your API key (public identifier). Always sent with X-Timestamp and X-Signature.',
    },
    'Timestamp': {
        'type': 'apiKey',
        'in': 'header',
        'name': 'X-Timestamp',
        'description': "ISO 8601 with its zone (e.g. 2026-03-19T14:30:00.000Z), within 5 minutes of the server's time "
        'either way (replay protection).',
    },
    'Signature': {
        'type': 'apiKey',
        'in': 'header',
        'name': 'X-Signature',
        'description': 'Lowercase hex HMAC-SHA256 with your API secret over X-Timestamp + "." + the request body, '
        'exactly the bytes sent (serialise once, sign and send those bytes); a request without a body (GET, cancel) '
        'signs `{}`. Every authentication failure is 401 {"error":"Invalid signature"}, alike for an unknown key, '
        'a stale clock and a wrong signature. OpenAPI cannot express the computation: generated clients must add it.',
    },
    'WebhookSecret': {
        'type': 'apiKey',
        'in': 'header',
        'name': 'x-webhook-secret',
        'description': "The pharmacy's shared webhook secret (one per pharmacy record; two are accepted while rotating).",
    },
    'LifeFileBasic': {
        'type': 'http',
        'scheme': 'basic',
        'description': "LifeFile's Data Push authenticates with HTTP Basic: the webhook secret is `username:password`.",
    },
    'BelugaBearer': {
        'type': 'http',
        'scheme': 'bearer',
        'description': "Beluga's static webhook secret (webhook-secrets entry `beluga`). ASSUMPTION: Beluga documents no "
        'authentication; see README "The prescription boundary".',
    },
    'BelugaSecretHeader': {
        'type': 'apiKey',
        'in': 'header',
        'name': 'x-beluga-webhook-secret',
        'description': "Beluga's static webhook secret, as a header instead of Authorization: Bearer.",
    },
    'StandardWebhooks': {
        'type': 'apiKey',
        'in': 'header',
        'name': 'webhook-signature',
        'description': "Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256>` with the instance's whsec_ secret "
        'over `webhook-id + "." + webhook-timestamp + "." + body`, with the headers webhook-id and webhook-timestamp '
        '(Unix seconds, within 5 minutes). An instance set to `webhook_auth=static_header` sends its secret in the '
        'header its settings name instead (README "OWN (clinic-owned pharmacies)").',
    },
}

REPLAYED_HEADER = {
    'idempotent-replayed': {
        'description': 'true when this is a repeat of an earlier request: the first answer again; the pharmacy was not called',
        'schema': {'type': 'string', 'enum': ['true']},
    }
}

VALIDATION_ERROR = (schemas.ValidationErrorBody, schemas.ErrorBody)
MALFORMED_400 = example({'error': 'Request body is not valid JSON'}, 'The body is not JSON (or not UTF-8, too deep, ...)')


def _bad_request(extra: dict[str, Any] | None = None) -> Answer:
    return Answer(
        'The body is malformed, or fails validation (field paths and messages; never the values sent)',
        VALIDATION_ERROR,
        {'validation': example(SPEC_400, "The spec's validation error"), 'malformed': MALFORMED_400, **(extra or {})},
    )


UNAUTHORIZED = Answer('Authentication failed (the same for every cause)', (schemas.ErrorBody,), {'spec': example(SPEC_401)})
WEBHOOK_UNAUTHORIZED = Answer(
    'The webhook secret is missing or wrong, or none is configured (fail closed)',
    (schemas.ErrorBody,),
    {'invalid': example({'error': 'Invalid webhook secret'})},
)
TOO_LARGE = Answer(
    'The body is larger than MAX_BODY_BYTES (256 KiB)',
    (schemas.ErrorBody,),
    {'tooLarge': example({'error': 'Request body is larger than 262144 bytes'})},
)
NOT_CONFIGURED = Answer(
    "The deployment lacks the pharmacy's configuration (URL or credentials); nothing was stored",
    (schemas.ErrorBody,),
    {'notConfigured': example({'error': 'Service is not fully configured; contact the router operators'})},
)
FORBIDDEN = Answer(
    'The submission belongs to a different API client',
    (schemas.ErrorBody,),
    {'forbidden': example({'error': 'Submission belongs to a different API client'})},
)
NOT_FOUND = Answer('No submission has this id', (schemas.ErrorBody,), {'notFound': example({'error': 'Submission not found'})})
WEBHOOK_OK = Answer('Accepted (also when it changed nothing)', (schemas.WebhookAcknowledged,), {'spec': example(SPEC_WEBHOOK_OK)})
WEBHOOK_UNKNOWN_ORDER = Answer(
    "No submission has that pharmacy order id (among the authenticated pharmacies' orders)",
    (schemas.ErrorBody,),
    {'unknownOrder': example({'error': 'No submission has that pharmacy order id'})},
)
OWNED = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
SUBMISSION_ID_PARAMETER = {
    'name': 'id',
    'in': 'path',
    'required': True,
    'description': 'The submissionId the submit (or refill) answered',
    'schema': {'type': 'string', 'format': 'uuid'},
}


def _pharmacy_webhook(
    name: str, module: Any, body: Body, sample_event: str, security: list[dict[str, list[str]]], notes: str
) -> Operation:
    vocabulary = ', '.join(f'`{word}` → {status.value}' for word, status in module.WEBHOOK.vocabulary.items())
    unknown = (
        'Any other status word is 400 (the list is complete).'
        if module.WEBHOOK.refuses_unknown_status
        else 'Other words are recorded and change nothing.'
    )
    return Operation(
        operation_id=f'{name}Webhook',
        tag='Pharmacy webhooks',
        summary=f'Status updates of {name} pharmacies',
        description=f'{notes} Status words (case-insensitive): {vocabulary}. {unknown} Statuses only move forward; '
        'each move sends the client its callback.',
        security=security,
        body=body,
        body_examples={'sample': example(event_body(sample_event))},
        answers={
            200: WEBHOOK_OK,
            400: _bad_request(),
            401: WEBHOOK_UNAUTHORIZED,
            404: WEBHOOK_UNKNOWN_ORDER,
            413: TOO_LARGE,
        },
    )


LIFEFILE_PUSH = TypeAdapter(
    Annotated[
        list[lifefile.Fill],
        Field(min_length=1, max_length=lifefile.MAX_FILLS, description='Fill records (orderId or referenceId each)'),
    ]
)
BELUGA_EVENT = TypeAdapter(beluga_webhook.BelugaEvent | beluga_type.PharmacyEvent)


def operations() -> dict[str, Operation]:
    """Every route's operation, by route key (`METHOD /path`, as template.yaml declares it)."""
    return {
        'POST /rx/prescriptions/submit': Operation(
            operation_id='submitPrescription',
            tag='Prescriptions',
            summary='Submit a prescription for pharmacy routing',
            description='Validated, routed (preferred pharmacy, product default, state routes), translated and '
            'submitted; the answer is synchronous, and callbacks follow. A repeat of the same (API client, source, '
            'sourceOrderId) answers the first answer again (`idempotent-replayed: true`). With `prescription` the order '
            'is gated: stored and answered 202, sent once its prescription is written.',
            security=CLIENT_AUTH,
            body=PrescriptionSubmission,
            body_examples={'spec': example(event_body('submit'), "The spec's example request")},
            answers={
                201: Answer(
                    'The pharmacy accepted the order', (schemas.SubmitAccepted,), {'spec': example(SPEC_201)}, REPLAYED_HEADER
                ),
                202: Answer(
                    'Gated: stored, waiting for its prescription; no pharmacy was called',
                    (schemas.SubmitAwaitingPrescription,),
                    {
                        'gated': example(
                            {**SPEC_201, 'status': 'awaiting_prescription', 'pharmacyOrderId': None},
                        )
                    },
                    REPLAYED_HEADER,
                ),
                400: _bad_request(),
                401: UNAUTHORIZED,
                409: Answer(
                    'The same source and sourceOrderId with a different body, or the first request is still in flight',
                    (schemas.SubmissionErrorBody,),
                    {
                        'differentBody': example(
                            {
                                'error': 'This source and sourceOrderId were already submitted with a different body; '
                                'use a new sourceOrderId for a different prescription',
                                'submissionId': SPEC_SUBMISSION_ID,
                            }
                        )
                    },
                ),
                413: TOO_LARGE,
                422: Answer(
                    'No pharmacy can take it: no route for the state, unknown or inactive preferredPharmacy, unknown '
                    'medication.productId, or no candidate can fill it (the message names each and why)',
                    (schemas.ErrorBody,),
                    {'spec': example(SPEC_422)},
                ),
                502: Answer(
                    'The pharmacy refused, failed or did not answer; `error` says whether it may have the order',
                    (schemas.SubmitFailed,),
                    {'spec': example(SPEC_502)},
                    REPLAYED_HEADER,
                ),
                503: NOT_CONFIGURED,
            },
        ),
        'GET /rx/prescriptions/{id}': Operation(
            operation_id='getSubmission',
            tag='Prescriptions',
            summary='The full submission record, to the API client that created it',
            description='Sign `{}`: the request has no body.',
            security=CLIENT_AUTH,
            answers={200: Answer('The record', (schemas.SubmissionRecord,), {'spec': example(SPEC_RECORD)}), **OWNED},
        ),
        'GET /rx/prescriptions/{id}/timeline': Operation(
            operation_id='getTimeline',
            tag='Prescriptions',
            summary='Everything that happened to a submission, oldest first (no patient data)',
            description='Sign `{}`: the request has no body.',
            security=CLIENT_AUTH,
            answers={200: Answer('The timeline', (schemas.Timeline,), {'shipped': example(TIMELINE)}), **OWNED},
        ),
        'GET /rx/prescriptions/{id}/tracking': Operation(
            operation_id='getTracking',
            tag='Prescriptions',
            summary='What the patient may see: status, shipped/delivered, carrier, tracking and its page',
            description='Sign `{}`: the request has no body. Never errors, routing, drug mapping or payloads.',
            security=CLIENT_AUTH,
            answers={200: Answer('The patient-safe view', (schemas.Tracking,), {'shipped': example(TRACKING)}), **OWNED},
        ),
        'GET /rx/prescriptions/{id}/diagnosis': Operation(
            operation_id='getDiagnosis',
            tag='Prescriptions',
            summary="Support's checklist for the order, with ok / attention / escalate verdicts and an escalation summary",
            description='Sign `{}`: the request has no body. Reads what the router stored; calls no pharmacy.',
            security=CLIENT_AUTH,
            answers={200: Answer('The diagnosis', (schemas.Diagnosis,), {'healthy': example(DIAGNOSIS)}), **OWNED},
        ),
        'POST /rx/prescriptions/{id}/cancel': Operation(
            operation_id='cancelPrescription',
            tag='Prescriptions',
            summary='Ask the pharmacy to cancel (or void) the order',
            description='No body: sign `{}`. Idempotent: an order already cancelled or voided answers 200 again.',
            security=CLIENT_AUTH,
            answers={
                200: Answer(
                    'Cancelled (or voided): the record',
                    (schemas.SubmissionRecord,),
                    {'cancelled': example({**SPEC_RECORD, 'status': 'cancelled', 'pharmacyStatus': 'Cancelled'})},
                ),
                **OWNED,
                409: Answer(
                    'It cannot be cancelled: too late, delivered or failed, still being submitted, or the pharmacy cannot '
                    'cancel through its API',
                    (schemas.SubmissionErrorBody,),
                    {
                        'tooLate': example(
                            {'error': 'Too late to cancel: the order is shipped; strive cancels only while processing, submitted'}
                        ),
                        'noCancel': example(
                            {
                                'error': 'Pharmacy boothwyn cannot cancel orders through its API: ask the pharmacy to '
                                'cancel it directly'
                            }
                        ),
                    },
                ),
                502: Answer(
                    'The pharmacy refused or failed the cancel; the order stays where it was',
                    (schemas.SubmissionErrorBody,),
                    {
                        'refused': example(
                            {
                                'error': 'The pharmacy did not cancel the order: Strive API error 500: Internal Server Error',
                                'submissionId': SPEC_SUBMISSION_ID,
                            }
                        )
                    },
                ),
                503: NOT_CONFIGURED,
            },
            body_required=False,
        ),
        'POST /rx/prescriptions/{id}/refill': Operation(
            operation_id='refillPrescription',
            tag='Prescriptions',
            summary='A new fill of the prescription (pharmacy types that can refill)',
            description='The refill is a submission of its own. The same refillRequestId returns the same refill '
            '(`idempotent-replayed: true`) and never asks the pharmacy twice. At most `medication.refills` refills.',
            security=CLIENT_AUTH,
            body=RefillRequest,
            body_examples={'refill': example({'refillRequestId': 'refill-2026-04-16'})},
            answers={
                201: Answer(
                    'The pharmacy accepted the refill',
                    (schemas.RefillAccepted,),
                    {
                        'refill': example(
                            {
                                'submissionId': '0f6c2b1e-3d4a-5b6c-8d7e-9f0a1b2c3d4e',
                                'pharmacy': 'dispensepro-local',
                                'status': 'submitted',
                                'pharmacyOrderId': 'DP-4000000002',
                                'refillOf': SPEC_SUBMISSION_ID,
                                'refillNumber': 1,
                            }
                        )
                    },
                    REPLAYED_HEADER,
                ),
                400: _bad_request(),
                **OWNED,
                409: Answer(
                    'No refills left, the previous fill has not shipped, the id names a refill, the type cannot refill, '
                    'or the refill is still being submitted',
                    (schemas.SubmissionErrorBody,),
                    {'noneLeft': example({'error': 'No refills left: the prescription authorises 1, and all are used'})},
                ),
                413: TOO_LARGE,
                502: Answer(
                    'The pharmacy refused or failed the refill',
                    (schemas.RefillFailed,),
                    {
                        'failed': example(
                            {
                                'submissionId': '0f6c2b1e-3d4a-5b6c-8d7e-9f0a1b2c3d4e',
                                'pharmacy': 'dispensepro-local',
                                'status': 'failed',
                                'pharmacyOrderId': None,
                                'error': 'DispensePro API error 500: Internal Server Error',
                                'refillOf': SPEC_SUBMISSION_ID,
                                'refillNumber': 1,
                            }
                        )
                    },
                    REPLAYED_HEADER,
                ),
                503: NOT_CONFIGURED,
            },
        ),
        'GET /rx/health': Operation(
            operation_id='health',
            tag='Health',
            summary='Liveness',
            description='No authentication. `timestamp` is the server time: compare your clock with it after a 401.',
            security=[],
            answers={200: Answer('Up', (schemas.Health,), {'spec': example(SPEC_HEALTH)})},
        ),
        'POST /rx/webhooks/boothwyn': _pharmacy_webhook(
            'boothwyn',
            boothwyn_b2b,
            boothwyn_b2b.StatusUpdate,
            'boothwyn_webhook',
            [{'WebhookSecret': []}],
            'Boothwyn B2B pharmacies (Boothwyn, GMP). `caseId` is the pharmacyOrderId; tracking numbers are FedEx.',
        ),
        'POST /rx/webhooks/strive': _pharmacy_webhook(
            'strive',
            rxvortex,
            rxvortex.StatusUpdate,
            'strive_webhook',
            [{'WebhookSecret': []}],
            'RxVortex pharmacies (Strive). `tracking_id` is the pharmacyOrderId.',
        ),
        'POST /rx/webhooks/dispensepro': _pharmacy_webhook(
            'dispensepro',
            dispensepro,
            dispensepro.StatusUpdate,
            'dispensepro_webhook',
            [{'WebhookSecret': []}],
            'DispensePro pharmacies. ASSUMPTION: the body and the secret header (README "DispensePro").',
        ),
        'POST /rx/webhooks/lifefile': _pharmacy_webhook(
            'lifefile',
            lifefile,
            LIFEFILE_PUSH,
            'lifefile_webhook',
            [{'LifeFileBasic': []}],
            "LifeFile's Data Push: an array of fill records, each naming orderId or referenceId (the router's submission id).",
        ),
        'POST /rx/webhooks/beluga': Operation(
            operation_id='belugaWebhook',
            tag='Prescription providers',
            summary="Beluga Health's consult and pharmacy events",
            description='`RX_WRITTEN` releases (or holds) the submissions gated on that masterId; `CONSULT_CANCELED` '
            "cancels those still waiting; `PHARMACY_ORDER_*` / `PACKAGE_*` track orders at pharmacies in Beluga's "
            'network; any other event is acknowledged and changes nothing. A masterId no order waits for is 200.',
            security=[{'BelugaBearer': []}, {'BelugaSecretHeader': []}],
            body=BELUGA_EVENT,
            body_examples={'rxWritten': example(event_body('beluga_webhook'))},
            answers={
                200: WEBHOOK_OK,
                400: _bad_request(
                    {
                        'noMeds': example(
                            {
                                'error': 'Validation failed',
                                'details': {
                                    'fieldErrors': {'medsPrescribed': ['RX_WRITTEN must list the medications prescribed']},
                                    'formErrors': [],
                                },
                            }
                        )
                    }
                ),
                401: WEBHOOK_UNAUTHORIZED,
                413: TOO_LARGE,
            },
        ),
        'POST /rx/webhooks/pharmacy/{pharmacyId}': Operation(
            operation_id='ownPharmacyWebhook',
            tag='Pharmacy webhooks',
            summary="A clinic-owned (OWN) pharmacy's signed order events",
            description='Each OWN pharmacy posts to its own route with its own secret. Events: '
            + ', '.join(f'`{word}`' for word in own.WEBHOOK.vocabulary)
            + '. A repeated webhook-id is acknowledged and changes nothing.',
            security=[{'StandardWebhooks': []}],
            body=own.OrderEvent,
            body_examples={'shipped': example(event_body('own_webhook'))},
            answers={
                200: WEBHOOK_OK,
                400: _bad_request(),
                401: Answer(
                    'The signature (or static secret) is missing or wrong, or the instance has no secret',
                    (schemas.ErrorBody,),
                    {'invalid': example({'error': 'Invalid webhook signature'})},
                ),
                404: Answer(
                    'No OWN pharmacy has this id, or no submission has that pharmacyOrderId among its orders',
                    (schemas.ErrorBody,),
                    {'unknownPharmacy': example({'error': 'No pharmacy with this id posts to /rx/webhooks/pharmacy/'})},
                ),
                413: TOO_LARGE,
            },
        ),
    }


PATH_PARAMETERS = {
    'id': SUBMISSION_ID_PARAMETER,
    'pharmacyId': {
        'name': 'pharmacyId',
        'in': 'path',
        'required': True,
        'description': "The OWN pharmacy's id (its record in the router)",
        'schema': {'type': 'string', 'minLength': 1, 'maxLength': 100},
    },
}

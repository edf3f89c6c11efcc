"""The response bodies of the API, as pydantic models: what docs/openapi.json documents, and what the tests hold
every real response to (`extra='forbid'`: a field the code adds without adding it here fails them).

No handler imports this module: the bodies are built by api/views.py, service/submit.py and errors.py, and the
tests validate what those build against these models. The document leaves `additionalProperties` open, so that
fields added later (additively, as the spec's additions are) do not break a client that validates responses.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from rx_router.domain.events import EventKind
from rx_router.domain.statuses import Status
from rx_router.service.diagnosis import CheckName
from rx_router.validation.prescription import PrescriptionGate


def _open_to_additions(schema: dict[str, Any]) -> None:
    schema.pop('additionalProperties', None)


class ResponseBody(BaseModel):
    model_config = ConfigDict(
        extra='forbid', strict=True, alias_generator=to_camel, validate_by_name=True, json_schema_extra=_open_to_additions
    )


# Submit and refill answers (service/submit.py result_body): the same body for every repeat of the request.
class SubmitAccepted(ResponseBody):
    """201: the pharmacy accepted the order."""

    submission_id: str
    pharmacy: str
    status: Literal['submitted']
    pharmacy_order_id: str


class SubmitAwaitingPrescription(ResponseBody):
    """202: a gated submission, stored and waiting for its prescription; no pharmacy was called."""

    submission_id: str
    pharmacy: str
    status: Literal['awaiting_prescription']
    pharmacy_order_id: None


class SubmitFailed(ResponseBody):
    """502: the pharmacy refused the order, failed, or did not answer (`error` says whether it may have it)."""

    submission_id: str
    pharmacy: str
    status: Literal['failed']
    pharmacy_order_id: str | None
    error: str


class RefillAccepted(SubmitAccepted):
    """201: the refill, a submission of its own, accepted by the pharmacy."""

    refill_of: str
    refill_number: int


class RefillFailed(SubmitFailed):
    """502: the pharmacy refused or failed the refill."""

    refill_of: str
    refill_number: int


# Errors (errors.py): every error body has `error`, a message a client engineer can act on.
class ErrorBody(ResponseBody):
    error: str


class SubmissionErrorBody(ErrorBody):
    """409. `submissionId` names the existing submission when the conflict is about one."""

    submission_id: str | None = None


class FieldErrors(ResponseBody):
    field_errors: dict[str, list[str]]
    form_errors: list[str]


class ValidationErrorBody(ResponseBody):
    """400 for a body that parses but is not valid: field paths (dotted) and messages, never the values sent."""

    error: Literal['Validation failed']
    details: FieldErrors


class WebhookAcknowledged(ResponseBody):
    ok: Literal[True]


class Health(ResponseBody):
    status: Literal['ok']
    service: Literal['pharmacy-router']
    timestamp: str


# GET /rx/prescriptions/{id} (api/views.py submission_view).
class Package(ResponseBody):
    tracking_number: str
    carrier: str | None


class HistoryEntry(ResponseBody):
    """A change of status or tracking."""

    model_config = ConfigDict(alias_generator=None)

    at: str
    source: str
    from_: Status | None = Field(alias='from')
    to: Status | None
    tracking_number: str | None = Field(alias='trackingNumber')
    carrier: str | None


class LastCallback(ResponseBody):
    """The latest callback attempt (or failure to queue one)."""

    at: str
    event_id: str
    status: str | None = None
    attempt: int | None = None
    outcome: Literal['delivered', 'retrying', 'dead-lettered', 'not-queued']
    http_status: int | None = None
    error: str | None = None


class RoutingCandidate(ResponseBody):
    pharmacy: str
    rule: Literal['preferred_pharmacy', 'product_default', 'state_route']
    priority: int | None = None
    skipped: str | None = None


class RoutingDecision(ResponseBody):
    pharmacy: str
    pharmacy_type: str
    rule: Literal['preferred_pharmacy', 'product_default', 'state_route']
    state: str
    product: str | None
    product_matched_by: Literal['productId', 'name'] | None
    native_drug_id: str
    candidates: list[RoutingCandidate]


class SubmissionRecord(ResponseBody):
    """The full record, to its owner only: the spec's fields, then the additions."""

    id: str
    api_key_id: str
    source: str
    source_order_id: str
    callback_url: str
    patient_state: str
    medication_name: str
    pharmacy: str
    pharmacy_order_id: str | None
    status: Status
    tracking_number: str | None
    carrier: str | None
    error_message: str | None
    request_payload: dict[str, Any] = Field(
        description='The submission as validated (camelCase); a refill names its original instead: {refillOf, refillRequestId}'
    )
    response_payload: Any = Field(description="The pharmacy's raw answer (null until it answered)")
    submitted_at: str | None
    created_at: str
    updated_at: str
    test: bool
    product: str | None
    pharmacy_type: str | None
    pharmacy_status: str | None = Field(description="The pharmacy's own status word, beside the normalised status")
    held_from: Status | None
    packages: list[Package]
    routing_decision: RoutingDecision | None
    refill_of: str | None
    refill_number: int | None
    refills_used: int
    prescription: PrescriptionGate | None = Field(description='The prescription the order waits for, as requested')
    prescription_written: dict[str, Any] | None = Field(description='The prescription that released it, as the provider wrote it')
    last_callback: LastCallback | None
    history: list[HistoryEntry]


# GET /rx/prescriptions/{id}/timeline (api/views.py timeline_view; domain/events.py TimelineEvent.view).
class TimelineEntry(ResponseBody):
    """One event. Besides the fields below, an event carries its facts (`reason`, `outcome`, `eventId`,
    `httpStatus`, `rule`, ...): ids, statuses and reasons, never patient data."""

    model_config = ConfigDict(extra='allow', alias_generator=None)

    at: str
    kind: EventKind
    source: str
    actor: str | None = None
    from_: Status | None = Field(default=None, alias='from')
    to: Status | None = None
    tracking_number: str | None = Field(default=None, alias='trackingNumber')
    carrier: str | None = None
    pharmacy_status: str | None = Field(default=None, alias='pharmacyStatus')


class Timeline(ResponseBody):
    submission_id: str
    status: Status
    events: Annotated[list[TimelineEntry], Field(description='Oldest first')]


# GET /rx/prescriptions/{id}/tracking (service/tracking.py): what a patient may see, and nothing else.
class TrackedPackage(ResponseBody):
    tracking_number: str
    carrier: str | None
    tracking_url: str | None = Field(description="The pharmacy's https tracking page for it, else the carrier's; null if unknown")


class Tracking(ResponseBody):
    submission_id: str
    status: Status
    shipped: bool
    delivered: bool
    carrier: str | None = Field(description='Of the latest package')
    tracking_number: str | None = Field(description='Of the latest package')
    tracking_url: str | None = Field(description='Of the latest package')
    packages: list[TrackedPackage]
    delivered_at: str | None = Field(description='When the order moved to delivered')
    last_update: str


# GET /rx/prescriptions/{id}/diagnosis (service/diagnosis.py): support's checklist; never patient data.
class DiagnosisCheck(ResponseBody):
    model_config = ConfigDict(alias_generator=None)

    check: CheckName
    verdict: Literal['ok', 'attention', 'escalate']
    summary: str
    evidence: dict[str, Any] = Field(description='The facts behind the verdict: ids, statuses, reasons, times, counts')


class Diagnosis(ResponseBody):
    submission_id: str
    verdict: Literal['ok', 'attention', 'escalate'] = Field(description='The worst of the checks')
    escalate: bool = Field(description="The fulfillment guide's escalation verdict")
    reasons: list[str] = Field(description='The summaries of the checks that escalate (else of those needing attention)')
    checks: list[DiagnosisCheck]
    escalation_summary: str = Field(description='Text to paste into an escalation: no patient name, contact or address')

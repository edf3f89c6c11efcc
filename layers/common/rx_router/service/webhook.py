"""POST /rx/webhooks/<type's webhook>: a pharmacy's status update, applied forward-only, then a callback.

One webhook per pharmacy type. The sender is authenticated against the webhook secrets of that type's
instances (each instance names its own; GMP shares Boothwyn's), presented in the type's secret header or, for a
type that uses HTTP Basic, as its `username:password`: every instance whose secret matches may own the order.
A body may carry several reports (LifeFile: one per fill).
Nothing is accepted when no secret is configured. A refused webhook that names a known order is
recorded on that submission's timeline, with why. Each webhook counts as accepted or refused (business_metrics), for
the pharmacy that sent it when only one can have.
"""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rx_router.api.endpoint import http_endpoint
from rx_router.api.request import ApiRequest, json_body
from rx_router.api.responses import ApiResponse
from rx_router.business_metrics import Metric, count, only
from rx_router.callbacks import jobs
from rx_router.clock import iso_timestamp
from rx_router.constant_time import matches_any
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.submission import Change, PharmacyReport, Submission
from rx_router.errors import BadRequest, NotFound, RouterError, Unauthorized, ValidationFailed
from rx_router.observability import logger
from rx_router.pharmacies.records import PharmacyInstance
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import PharmacyType, WebhookSpec
from rx_router.store import secrets, submissions, timeline
from rx_router.store.clients import ApiClient
from rx_router.store.config import cached_pharmacies

OK = ApiResponse(200, {'ok': True})
INVALID_SECRET = 'Invalid webhook secret'  # noqa: S105 - the refusal message
_SAVE_ATTEMPTS = 5


def authenticated_senders(instances: list[PharmacyInstance], provided: str | None) -> list[PharmacyInstance]:
    """The instances whose webhook secret is the one provided (every configured secret is compared). Raises
    Unauthorized when none is, and when none is configured at all (fail closed)."""
    by_key: dict[str, list[PharmacyInstance]] = {}
    for instance in instances:
        if instance.webhook_secret_key:
            by_key.setdefault(instance.webhook_secret_key, []).append(instance)
    configured = {key: secrets.webhook_secrets(key) for key in by_key}
    if not any(configured.values()):
        raise Unauthorized('webhook_secret_not_configured', INVALID_SECRET)
    matched = {key: bool(values) and matches_any(values, provided or '') for key, values in configured.items()}
    senders = [instance for key, owners in by_key.items() if matched[key] for instance in owners]
    if not senders:
        raise Unauthorized('webhook_secret_mismatch', INVALID_SECRET)
    return senders


def refusal(spec: WebhookSpec, reason: str, digest: str, raw_status: str | None = None, http_status: int = 400) -> TimelineEvent:
    return TimelineEvent(
        iso_timestamp(),
        EventKind.WEBHOOK_REFUSED,
        f'webhook:{spec.name}',
        raw_status=raw_status,
        detail={'reason': reason, 'httpStatus': http_status},
        key=f'webhook_refused#{spec.name}#{reason}#{digest}',
    )


def record_refusal(pharmacies: list[str], order_id: str | None, event: TimelineEvent) -> None:
    """On the timeline of the order the refused webhook names, if it is a known one (once per identical body)."""
    if not order_id or not pharmacies:
        return
    submission = submissions.find_by_pharmacy_order(pharmacies, order_id)
    if submission is not None:
        timeline.record(submission.id, event)


def apply_report(
    submission: Submission, report: PharmacyReport, *, source: str, key: str, kind: EventKind = EventKind.WEBHOOK_ACCEPTED
) -> tuple[Submission, Change]:
    """Applies the report to the submission as stored, re-reading it when a concurrent write got there first."""
    for _ in range(_SAVE_ATTEMPTS):
        change = submission.report(report, at=iso_timestamp(), source=source, actor=submission.pharmacy, key=key, kind=kind)
        if not change.changed:
            timeline.record(submission.id, submission.new_events.pop())
            return submission, change
        try:
            submissions.save(submission)
            return submission, change
        except submissions.LostRace:
            current = submissions.get(submission.id)
            if current is None:
                raise
            submission = current
    raise RuntimeError('submission kept changing under a webhook update')


def _names(report: PharmacyReport, submission: Submission) -> bool:
    """Whether the report is about this submission: its pharmacy order id, or the router's id with no other order."""
    if report.order_id and submission.pharmacy_order_id == report.order_id:
        return True
    if submission.id != report.reference_id:
        return False
    return not report.order_id or submission.pharmacy_order_id in (None, report.order_id)


def find_submission(pharmacies: list[str], report: PharmacyReport, seen: dict[str, Submission]) -> Submission | None:
    """The submission a report is about, among the authenticated senders' orders: by the pharmacy's order id, else
    by the router's own id the pharmacy echoes (when that submission is theirs and names no other order)."""
    found = next((s for s in seen.values() if _names(report, s)), None)
    if found is None and report.order_id:
        found = submissions.find_by_pharmacy_order(pharmacies, report.order_id)
    if found is None and report.reference_id:
        candidate = submissions.get(report.reference_id)
        if candidate is not None and candidate.pharmacy in pharmacies and _names(report, candidate):
            found = candidate
    return found


def apply_reports(
    spec: WebhookSpec,
    pharmacies: list[str],
    reports: list[PharmacyReport],
    *,
    key: str,
    replayed: Callable[[Submission, str], bool] | None = None,
) -> list[Submission]:
    """Applies a webhook's reports to the submissions they name among `pharmacies`' orders, then queues one
    callback per submission whose status moved. `key` identifies the delivery on the timeline; a submission for
    which `replayed(submission, key)` says the delivery was applied before is left as it is (acknowledged).
    Returns the submissions the reports named. Raises NotFound when no report names a known submission."""
    # A body may carry several reports (one per fill), several about one submission: each is applied in turn to
    # the submission as the previous one left it, and each submission whose status moved gets one callback.
    applied: dict[str, Submission] = {}
    moved: set[str] = set()
    unmatched = 0
    for index, report in enumerate(reports):
        submission = find_submission(pharmacies, report, applied)
        if submission is None:
            unmatched += 1
            continue
        report_key = key if index == 0 else f'{key}#{index}'
        if replayed is not None and replayed(submission, report_key):
            applied[submission.id] = submission
            logger.info('webhook replayed', extra={'webhook': spec.name, 'submission_id': submission.id})
            continue
        submission, change = apply_report(submission, report, source=f'webhook:{spec.name}', key=report_key)
        applied[submission.id] = submission
        if change.moved:
            moved.add(submission.id)
        logger.info(
            'webhook applied',
            extra={
                'webhook': spec.name,
                'submission_id': submission.id,
                'reported_status': report.status.value if report.status else None,
                'from_status': change.from_status.value,
                'status': change.to_status.value,
                'moved': change.moved,
                'tracking_added': change.tracking_added,
            },
        )
    if unmatched:
        logger.warning('webhook for unknown order', extra={'webhook': spec.name, 'unmatched_reports': unmatched})
    if not applied:
        raise NotFound('No submission has that pharmacy order id')
    for submission_id in sorted(moved):
        jobs.enqueue(applied[submission_id])
    return list(applied.values())


def parse_reports(pharmacy_type: type[PharmacyType], pharmacies: list[str], body: Any, digest: str) -> list[PharmacyReport]:
    """The reports of an authenticated webhook's body. A malformed body, or (for a type whose vocabulary is
    complete) an unknown status, is refused with a 400 and recorded on the timeline of the order it names."""
    spec = pharmacy_type.webhook
    assert spec is not None
    try:
        reports = pharmacy_type.parse_webhook_reports(body)
    except (BadRequest, ValidationFailed) as exc:
        fields = ', '.join(sorted(exc.field_errors)) if isinstance(exc, ValidationFailed) else 'body'
        record_refusal(pharmacies, pharmacy_type.webhook_order_id(body), refusal(spec, f'malformed: {fields}', digest))
        raise
    unknown = next((r for r in reports if r.unknown_status), None)
    if unknown is not None and spec.refuses_unknown_status:
        record_refusal(pharmacies, unknown.order_id, refusal(spec, 'unknown status', digest, raw_status=unknown.raw_status))
        known = ', '.join(sorted(spec.vocabulary))
        raise ValidationFailed({spec.status_field: [f'Unknown status; expected one of: {known}']})
    return reports


@contextmanager
def refusals_counted(pharmacies: list[str]) -> Iterator[None]:
    """A webhook answered 4xx from within counts as refused, for its pharmacy when only one can have sent it."""
    try:
        yield
    except RouterError as exc:
        if exc.status < 500:
            count(Metric.WEBHOOKS_REFUSED, only(pharmacies))
        raise


def accepted(submissions_named: list[Submission]) -> ApiResponse:
    """The answer to an accepted webhook, counted for the pharmacy whose orders it named (when only one's)."""
    count(Metric.WEBHOOKS_ACCEPTED, only([s.pharmacy for s in submissions_named]))
    return OK


def body_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


def receive(pharmacy_type: type[PharmacyType], request: ApiRequest) -> ApiResponse:
    spec = pharmacy_type.webhook
    assert spec is not None
    digest = body_digest(request.raw_body)
    instances = cached_pharmacies().of_type(pharmacy_type.name)
    try:
        with refusals_counted([]):  # no sender is known yet
            senders = authenticated_senders(instances, spec.provided_secret(request.header(spec.secret_header)))
    except Unauthorized as exc:
        reason = 'no webhook secret configured' if exc.reason == 'webhook_secret_not_configured' else 'invalid secret'
        order_id = pharmacy_type.webhook_order_id(json_or_none(request.raw_body))
        record_refusal([i.id for i in instances], order_id, refusal(spec, reason, digest, http_status=401))
        raise
    pharmacies = [i.id for i in senders]
    with refusals_counted(pharmacies):
        reports = parse_reports(pharmacy_type, pharmacies, json_body(request.raw_body), digest)
        named = apply_reports(spec, pharmacies, reports, key=f'webhook#{spec.name}#{digest}')
    return accepted(named)


def json_or_none(raw: bytes) -> Any:
    try:
        return json_body(raw)
    except RouterError:
        return None


def webhook_handler(type_name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of a pharmacy type's webhook."""
    pharmacy_type = registry.get(type_name)
    if pharmacy_type.webhook is None:
        raise ValueError(f'pharmacy type {type_name} has no webhook')

    def use_case(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
        return receive(pharmacy_type, request)

    return http_endpoint(use_case, authenticate=None)  # pharmacies authenticate with their webhook secret

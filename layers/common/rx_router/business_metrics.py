"""Business metrics: what the router did, per pharmacy, published as CloudWatch metrics by Powertools Metrics (EMF).

Counts are kept during an invocation and flushed once at its end (`flushed`), one EMF line per pharmacy involved:
Powertools holds one value per dimension per line. Each line publishes its counts under two dimension sets,
{service} (all pharmacies: what the template's alarms watch) and {service, pharmacy} (the pharmacy's instance id,
from the configuration, never from a request). The service is POWERTOOLS_SERVICE_NAME, which the template sets to
the stack's name: two stacks in one account keep their metrics apart. A count that belongs to no pharmacy (a
webhook refused before its sender is known, a reconciliation run's totals) is published under {service} only.
Metrics carry names, pharmacy ids and numbers, never a submission id or patient data.

Nothing is printed until a handler flushes: the rxrouter CLI runs the same services and publishes nothing.
"""

import threading
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

# Loaded with the Logger already: the aws_lambda_powertools package imports its metrics module (no import cost).
from aws_lambda_powertools.metrics import Metrics, MetricUnit

from rx_router.observability import exception_summary, logger

NAMESPACE = 'PharmacyRouter'
SERVICE = 'service'  # the stack's dimension, on every line (Powertools adds it to the first set)
PHARMACY = 'pharmacy'  # the per-pharmacy dimension: a pharmacy instance id


class Metric(StrEnum):
    """Every metric the router publishes (README "Metrics and alarms")."""

    SUBMISSIONS_ACCEPTED = 'SubmissionsAccepted'  # a pharmacy accepted an order: submit, refill or release
    SUBMISSIONS_FAILED = 'SubmissionsFailed'  # an order sent to a pharmacy failed (refused, or no answer)
    SUBMISSIONS_HELD = 'SubmissionsHeld'  # a gated order held: its written prescription does not match it
    SUBMISSIONS_RELEASED = 'SubmissionsReleased'  # a gated order released by its written prescription
    WEBHOOKS_ACCEPTED = 'WebhooksAccepted'  # a webhook answered 200
    WEBHOOKS_REFUSED = 'WebhooksRefused'  # a webhook answered 4xx: bad secret or signature, malformed, unknown order
    CALLBACKS_DELIVERED = 'CallbacksDelivered'
    CALLBACKS_RETRIED = 'CallbacksRetried'  # an attempt failed; the callback is tried again later
    CALLBACKS_DEAD_LETTERED = 'CallbacksDeadLettered'  # the last attempt failed; the job goes to the dead-letter queue
    SUBMISSIONS_REPAIRED = 'SubmissionsRepairedByPolling'  # reconciliation found news a webhook never brought
    # Totals of a reconciliation run (no pharmacy):
    STATUS_QUERIES = 'StatusQueries'
    STATUS_QUERIES_FAILED = 'StatusQueriesFailed'
    PRESCRIPTION_POLLS = 'PrescriptionPolls'
    SUBMISSIONS_RELEASED_BY_POLLING = 'SubmissionsReleasedByPolling'
    STALE_SUBMISSIONS = 'StaleSubmissions'  # tracked submissions nothing updated or checked for StaleAfterSeconds


_metrics = Metrics(namespace=NAMESPACE)  # its service: POWERTOOLS_SERVICE_NAME
_counts: dict[str | None, Counter[Metric]] = {}
_lock = threading.Lock()  # the local stack runs handlers on threads; Lambda runs one invocation at a time


def count(metric: Metric, pharmacy: str | None = None, value: int = 1) -> None:
    """Adds to this invocation's count (a value of 0 still publishes the metric, keeping its series continuous)."""
    with _lock:
        _counts.setdefault(pharmacy, Counter())[metric] += value


def only(pharmacies: list[str]) -> str | None:
    """The pharmacy a count belongs to when exactly one is involved; None (all pharmacies only) otherwise."""
    distinct = set(pharmacies)
    return distinct.pop() if len(distinct) == 1 else None


def flush() -> None:
    """Publishes and clears this invocation's counts; nothing is printed when there are none."""
    with _lock:
        pending = sorted(_counts.items(), key=lambda item: item[0] or '')
        _counts.clear()
        try:
            for pharmacy, counts in pending:
                for metric, value in counts.items():
                    _metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)
                if pharmacy is not None:
                    service = {SERVICE: _metrics.provider.service} if _metrics.provider.service else {}
                    _metrics.add_dimensions(**service, **{PHARMACY: pharmacy})
                _metrics.flush_metrics()
        finally:
            _metrics.clear_metrics()  # what a disabled flush (POWERTOOLS_METRICS_DISABLED) leaves behind


def flushed(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The handler, its invocation's metrics published when it returns or raises. A failure to publish is logged,
    never raised: the invocation's answer does not depend on its metrics."""

    @wraps(handler)
    def invoke(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            try:
                flush()
            except Exception as exc:  # noqa: BLE001
                logger.warning('metrics not published', extra=exception_summary(exc))

    return invoke

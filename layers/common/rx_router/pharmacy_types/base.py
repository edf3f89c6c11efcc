"""The pharmacy type interface: what every vendor module provides, and what the rest of the router may ask of it.

A type is a class. Class-level: its settings and credentials models, its webhook (route name, secret header,
body parser, status vocabulary), its optional capabilities, and what it does with a medication its catalog
does not map. Bound to one pharmacy instance (settings validated, credentials read, an HTTP client), it
translates a prescription into the vendor's native body (pure) and sends it.
A type whose pharmacies serve a self-issued certificate names the CA to trust (`trusted_ca_pem`).
"""

import base64
import binascii
from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError

from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.errors import BadRequest
from rx_router.pharmacy_types.outcomes import PharmacyAccepted
from rx_router.validation.errors import validation_failed

if TYPE_CHECKING:
    import httpx

    from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
    from rx_router.validation.prescription import PrescriptionSubmission


class TypeSettings(BaseModel):
    """Base of a type's settings and credentials models: unknown keys are refused, not ignored."""

    model_config = ConfigDict(frozen=True, extra='forbid', str_strip_whitespace=True)


class Capability(StrEnum):
    CANCEL = 'cancel'
    REFILL = 'refill'
    STATUS = 'status'


class WebhookSpec(NamedTuple):
    """How a type's pharmacies report: POST /rx/webhooks/<name> (a per-instance webhook: /rx/webhooks/<name>/<id>),
    the shared secret in `secret_header`."""

    name: str
    secret_header: str
    status_field: str  # the body field that carries the status (error messages name it)
    vocabulary: dict[str, Status]  # the pharmacy's status words (lower case) -> the router's statuses
    # True when the vocabulary is the pharmacy's whole documented set, so an unknown word is a malformed
    # request (400); False when it is not known in full, so an unknown word is accepted and recorded.
    refuses_unknown_status: bool
    # True when the pharmacy authenticates with HTTP Basic (`secret_header` is then `authorization`): the
    # configured webhook secret is the `username:password` pair.
    basic_auth: bool = False
    # True when each instance has its own route, /rx/webhooks/<name>/<pharmacy id>, and authenticates with its own
    # secret (the type verifies it: `PharmacyType.authenticate_webhook`).
    per_instance: bool = False

    def path(self, pharmacy_id: str) -> str:
        """The route an instance's pharmacy posts its webhooks to."""
        return f'/rx/webhooks/{self.name}/{pharmacy_id}' if self.per_instance else f'/rx/webhooks/{self.name}'

    def normalise(self, raw: str | None) -> Status | None:
        return None if raw is None else self.vocabulary.get(raw.strip().lower())

    def provided_secret(self, header_value: str | None) -> str | None:
        """The secret a request presents in `secret_header`: the header itself, or Basic's `username:password`."""
        if not self.basic_auth or header_value is None:
            return header_value
        scheme, _, encoded = header_value.strip().partition(' ')
        if scheme.lower() != 'basic':
            return None
        try:
            return base64.b64decode(encoded.strip(), validate=True).decode('utf-8')
        except (binascii.Error, ValueError):
            return None


class WebhookAuth(NamedTuple):
    """Whether a per-instance webhook request is authentic; why not (for the timeline and logs, never a secret);
    the sender's id for the event, which a repeated delivery repeats (None: the request carries none)."""

    valid: bool
    reason: str = ''
    event_id: str | None = None


class CatalogMatch(NamedTuple):
    """The drug a translated order names: the catalog entry, or the type's stand-in when it has none."""

    product: str | None
    native_id: str
    entry: 'CatalogEntry | None' = None


class WebhookBody(BaseModel):
    model_config = ConfigDict(strict=True, str_strip_whitespace=True, extra='ignore')


def parse_body[B: WebhookBody](model: type[B], body: Any) -> B:
    """A webhook body validated by its type's model; 400 in the spec's shape otherwise."""
    if not isinstance(body, dict):
        raise BadRequest('Webhook body must be a JSON object')
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise validation_failed(exc) from None


class PharmacyType(ABC):
    name: ClassVar[str]
    settings_model: ClassVar[type[TypeSettings]]
    credentials_model: ClassVar[type[TypeSettings]]
    webhook: ClassVar[WebhookSpec | None] = None
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # The router statuses from which the type's `cancel` may be asked (e.g. RxVortex until shipped, DispensePro
    # void before filled); from any other status a client's cancel is refused with 409 before the pharmacy is called.
    cancellable_from: ClassVar[frozenset[Status]] = frozenset()
    # Its orders carry a signed hardcopy prescription (support's diagnosis checks it was sent).
    sends_hardcopy: ClassVar[bool] = False
    # The native drug id sent when the catalog maps no product to the medication; None: such an order is refused.
    unmatched_native_id: ClassVar[str | None] = None

    def __init__(self, instance: 'PharmacyInstance', settings: Any, credentials: Any, http: 'httpx.Client') -> None:
        self.instance = instance
        self.settings = settings
        self.credentials = credentials
        self.http = http

    @classmethod
    def trusted_ca_pem(cls, settings: Any) -> str | None:
        """The PEM CA certificate(s) an instance's API certificate must chain to, trusted instead of the public CAs
        (verification stays on); None: the public CAs. For pharmacies that serve a self-issued certificate."""
        return None

    @property
    def label(self) -> str:
        return self.instance.label

    @abstractmethod
    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        """The pharmacy's native order body. Pure: no I/O, no clock beyond the order's own timestamps."""

    @abstractmethod
    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        """Submits a translated order (to the test environment when `test`). Raises PharmacyFailed."""

    # Optional capabilities: a type that declares one in `capabilities` implements its method.
    def cancel(self, pharmacy_order_id: str, *, test: bool) -> PharmacyReport:
        """Asks the pharmacy to cancel (or void) the order; its answer as a report whose status is where the order
        now is (cancelled / voided; another status when the pharmacy says it is too late). Raises PharmacyFailed."""
        raise NotImplementedError(f'{self.name} declares no {Capability.CANCEL.value} capability')

    def refill(self, pharmacy_order_id: str, *, refill_id: str, test: bool) -> PharmacyAccepted:
        """Asks the pharmacy to fill the order's prescription again (the router has checked the refills left);
        the new fill's own pharmacy order id. `refill_id` (the refill's submission id) is the same for a repeated
        request: a type sends it where its API takes an idempotency key. Raises PharmacyFailed."""
        raise NotImplementedError(f'{self.name} declares no {Capability.REFILL.value} capability')

    def status(self, pharmacy_order_id: str, *, test: bool) -> PharmacyReport:
        """The pharmacy's own view of the order (status, raw status, tracking), applied by reconciliation through
        the same forward-only rules as a webhook. Raises PharmacyFailed."""
        raise NotImplementedError(f'{self.name} declares no {Capability.STATUS.value} capability')

    @classmethod
    def parse_webhook(cls, body: Any) -> PharmacyReport:
        """The pharmacy's webhook body as a report. Raises BadRequest / ValidationFailed when malformed."""
        raise NotImplementedError(f'{cls.name} pharmacies send no webhooks')

    @classmethod
    def parse_webhook_reports(cls, body: Any) -> list[PharmacyReport]:
        """Every report one webhook body carries (a type whose bodies hold several, e.g. one per fill, overrides
        this). Raises BadRequest / ValidationFailed when malformed."""
        return [cls.parse_webhook(body)]

    @classmethod
    def authenticate_webhook(cls, settings: Any, secrets: list[str], headers: Mapping[str, str], body: bytes) -> WebhookAuth:
        """A per-instance webhook request (`webhook.per_instance`) checked against the instance's settings and its
        configured webhook secrets (never empty: the caller refuses an instance without one)."""
        raise NotImplementedError(f'{cls.name} has no per-instance webhook')

    @classmethod
    def webhook_secrets_problem(cls, settings: Any, secrets: list[str]) -> str | None:
        """What is wrong with webhook secrets an operator configures for an instance with these settings (None: they
        can be used), so that a secret the webhook could never verify with is refused when it is set."""
        return None

    @classmethod
    def webhook_order_id(cls, body: Any) -> str | None:
        """The order id a webhook body names, if any, without validating the rest (to record refusals)."""
        return None

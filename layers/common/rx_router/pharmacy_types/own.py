"""OWN: a clinic's own pharmacy, integrated through a contract the router defines (README, "OWN"), so a pharmacy
can build to it from the documentation alone. One type, any number of instances, each with its own secrets.

    order   POST {order_url}   JSON body (translate), signed in the Standard Webhooks form with the instance's
                               signing secret; webhook-id = the router's submission id  -> 2xx {pharmacyOrderId}
    events  POST /rx/webhooks/pharmacy/{pharmacyId}   {type, pharmacyOrderId, submissionId?, occurredAt,
                               tracking?{carrier, number, url}, lineIds?}, signed the same way with the instance's
                               webhook secret(s), or (an instance so configured) a static secret in a header

Signatures are Standard Webhooks v1 (the `standardwebhooks` library: stdlib-only, ~0.5 ms to import beyond the
modules a handler has loaded already): HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with the
secret's bytes (`whsec_` + base64), base64, `v1,` prefixed; several space-separated signatures may be sent; the
timestamp must be within 5 minutes of the router's clock.
"""

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, model_validator
from standardwebhooks import Webhook, WebhookVerificationError

from rx_router.constant_time import matches_any
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.pharmacy_types.base import (
    CatalogMatch,
    PharmacyType,
    TypeSettings,
    WebhookAuth,
    WebhookBody,
    WebhookSpec,
    parse_body,
)
from rx_router.pharmacy_types.http import post_json
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.validation.us import phone_digits

if TYPE_CHECKING:  # a webhook function never loads the request model
    from rx_router.validation.prescription import PrescriptionSubmission

SECRET_PREFIX = 'whsec_'  # noqa: S105 - the prefix of every Standard Webhooks secret
# Standard Webhooks: secrets of 24 to 64 random bytes.
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = 'webhook-id', 'webhook-timestamp', 'webhook-signature'
# A webhook-id the router keys events by: printable, no '#' (the timeline keys' separator), bounded.
WEBHOOK_ID = re.compile(r'[\x21-\x22\x24-\x7e]{1,200}')
HEADER_NAME = r'^[a-z0-9][a-z0-9-]{0,63}$'

Url = Annotated[str, Field(pattern=r'^https?://', max_length=2048)]


def signing_key(secret: str) -> bytes | None:
    """The key bytes of a Standard Webhooks secret (`whsec_` + base64 of 24-64 bytes; the prefix is optional),
    or None when it is not one."""
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    encoded += '=' * (-len(encoded) % 4)  # some generators leave the padding out
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES else None


def signature_headers(secret: str, message_id: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers that sign `body` (UTF-8 JSON) with `secret` (a `whsec_` secret)."""
    key = signing_key(secret)
    if key is None:
        raise ValueError('not a Standard Webhooks secret')
    moment = at or datetime.now(UTC)
    signature = Webhook(key).sign(message_id, moment, body.decode('utf-8'))
    return {ID_HEADER: message_id, TIMESTAMP_HEADER: str(int(moment.timestamp())), SIGNATURE_HEADER: signature}


def verify_signature(secrets: list[str], headers: Mapping[str, str | None], body: bytes) -> WebhookAuth:
    """Whether one of the `v1,` signatures in `webhook-signature` is the body's under one of `secrets` (two during
    a rotation; each is tried), with a `webhook-timestamp` within 5 minutes. Secrets that are not Standard
    Webhooks secrets verify nothing."""
    message_id = headers.get(ID_HEADER) or ''
    if not WEBHOOK_ID.fullmatch(message_id):
        return WebhookAuth(False, 'missing or malformed webhook-id')
    presented = {name: headers.get(name) or '' for name in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)}
    keys = [key for key in (signing_key(s) for s in secrets) if key is not None]
    if not keys:
        return WebhookAuth(False, 'no usable webhook secret configured')
    reason = 'invalid signature'
    valid = False
    for key in keys:  # every secret is tried, so the time taken does not say which one matched
        try:
            Webhook(key).verify(body, presented, json_parse=False)
            valid = True
        except WebhookVerificationError as exc:
            reason = _reason(str(exc))
        except ValueError:  # a malformed signature list, or a body that is not UTF-8
            reason = 'malformed webhook-signature'
    return WebhookAuth(True, event_id=message_id) if valid else WebhookAuth(False, reason)


def _reason(message: str) -> str:
    if 'too old' in message or 'too new' in message:
        return 'webhook-timestamp outside 5 minutes'
    if 'Missing' in message or 'Invalid Signature Headers' in message:
        return 'missing or malformed webhook headers'
    return 'invalid signature'


def verify_static(secrets: list[str], presented: str | None) -> WebhookAuth:
    """A static secret in the instance's configured header (legacy senders), compared in constant time."""
    if presented and matches_any(secrets, presented):
        return WebhookAuth(True)
    return WebhookAuth(False, 'invalid secret')


class OwnSettings(TypeSettings):
    order_url: Url  # where the router POSTs orders (test orders too: the body's `test` says which)
    # How the instance's webhooks authenticate: `standard` (Standard Webhooks signatures, the default) or
    # `static_header` (a pharmacy that can only send a fixed secret, in the header `static_header`).
    webhook_auth: Literal['standard', 'static_header'] = 'standard'
    static_header: Annotated[str, Field(pattern=HEADER_NAME)] | None = None

    @model_validator(mode='after')
    def header_named_when_static(self) -> Self:
        if self.webhook_auth == 'static_header' and not self.static_header:
            raise ValueError('static_header (the header name) is required when webhook_auth is static_header')
        if self.static_header and self.static_header in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER):
            raise ValueError('static_header must not be a Standard Webhooks header')
        return self


class OwnCredentials(TypeSettings):
    # The secret the router signs orders with (the pharmacy verifies them with it): whsec_ + base64.
    signing_secret: Annotated[str, Field(min_length=1)]

    @model_validator(mode='after')
    def standard_secret(self) -> Self:
        if signing_key(self.signing_secret) is None:
            raise ValueError(
                f'signing_secret must be {SECRET_PREFIX} followed by the base64 of {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes'
            )
        return self


class Tracking(WebhookBody):
    carrier: str | None = Field(default=None, max_length=100)
    number: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2048, pattern=r'^https?://')


class OrderEvent(WebhookBody):
    type: str = Field(min_length=1, max_length=50)
    pharmacyOrderId: str = Field(min_length=1, max_length=200)  # noqa: N815 - the contract's field names
    # ASSUMPTION: the proposed contract's `sourceOrderId?`, named as in the order body: the router's submission id.
    submissionId: str | None = Field(default=None, max_length=100)  # noqa: N815
    occurredAt: str = Field(min_length=1, max_length=40)  # noqa: N815 - kept by the pharmacy; the router stamps its own time
    tracking: Tracking | None = None
    lineIds: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)  # noqa: N815


WEBHOOK = WebhookSpec(
    name='pharmacy',
    secret_header=SIGNATURE_HEADER,
    status_field='type',
    # The contract's events. fulfilled and out_for_delivery are shipped in the router's words, the event kept raw.
    vocabulary={
        'order.shipped': Status.SHIPPED,
        'order.fulfilled': Status.SHIPPED,
        'order.out_for_delivery': Status.SHIPPED,
        'order.delivered': Status.DELIVERED,
        'order.cancelled': Status.CANCELLED,
    },
    refuses_unknown_status=True,  # the router defines the contract: any other event is a mistake (400)
    per_instance=True,
)


def _compact(native: dict[str, Any]) -> bytes:
    return json.dumps(native, ensure_ascii=False, separators=(',', ':'), allow_nan=False).encode('utf-8')


class Own(PharmacyType):
    name: ClassVar[str] = 'own'
    settings_model = OwnSettings
    credentials_model = OwnCredentials
    webhook = WEBHOOK
    # No capabilities: the pharmacy reports by webhook; cancel, refill and status queries are not in the contract.

    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        patient, ship, med, prescriber = rx.patient, rx.ship_to, rx.medication, rx.prescriber
        native_patient: dict[str, Any] = {
            'firstName': patient.first_name,
            'lastName': patient.last_name,
            'dob': patient.dob,
            'gender': patient.gender,
            'phone': phone_digits(patient.phone),  # 10 digits
        }
        if patient.email:
            native_patient['email'] = patient.email
        ship_to: dict[str, Any] = {
            'firstName': ship.first_name,
            'lastName': ship.last_name,
            'phone': phone_digits(ship.phone),
            'addressLine1': ship.address_line1,
            'city': ship.city,
            'state': ship.state,
            'zip': ship.zip,
        }
        if ship.address_line2:
            ship_to['addressLine2'] = ship.address_line2
        native_prescriber: dict[str, Any] = {
            'firstName': prescriber.first_name,
            'lastName': prescriber.last_name,
            'npi': prescriber.npi,
        }
        if prescriber.dea_number:
            native_prescriber['deaNumber'] = prescriber.dea_number
        medication: dict[str, Any] = {
            'productId': drug.product,
            'pharmacyProductId': drug.native_id,  # the id the pharmacy's catalog entry gives (rxrouter catalog set)
            'name': med.name,
            'quantity': med.quantity,
            'daysSupply': med.days_supply,
            'refills': med.refills,
            'sig': med.sig,
        }
        if med.note:
            medication['note'] = med.note
        return {
            'submissionId': submission_id,
            'test': rx.test,
            'patient': native_patient,
            'shipTo': ship_to,
            'prescriber': native_prescriber,
            'medication': medication,
        }

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        body = _compact({**native, 'test': test})
        # The submission id as webhook-id: a retried order carries the same one, so the pharmacy can recognise it.
        headers = {
            'content-type': 'application/json',
            **signature_headers(self.credentials.signing_secret, str(native['submissionId']), body),
        }
        answer = post_json(self.http, self.label, str(self.settings.order_url), None, headers, content=body)
        order_id = answer.get('pharmacyOrderId') if isinstance(answer, dict) else None
        if not isinstance(order_id, str | int) or not str(order_id).strip():
            raise PharmacyFailed(f'{self.label} accepted the order but returned no pharmacyOrderId', raw=answer)
        return PharmacyAccepted(order_id=str(order_id).strip(), raw=answer)

    @classmethod
    def parse_webhook(cls, body: Any) -> PharmacyReport:
        event = parse_body(OrderEvent, body)
        tracking = event.tracking or Tracking()
        return PharmacyReport(
            order_id=event.pharmacyOrderId,
            raw_status=event.type,
            status=WEBHOOK.normalise(event.type),
            tracking_number=tracking.number or None,
            carrier=tracking.carrier or None,
            reference_id=event.submissionId or None,
            tracking_url=tracking.url or None,
        )

    @classmethod
    def authenticate_webhook(cls, settings: Any, secrets: list[str], headers: Mapping[str, str], body: bytes) -> WebhookAuth:
        if settings.webhook_auth == 'standard':
            return verify_signature(secrets, headers, body)
        checked = verify_static(secrets, headers.get(settings.static_header))
        # A static-secret sender may still name its event (webhook-id) so that a repeat is recognised.
        message_id = headers.get(ID_HEADER) or ''
        return checked._replace(event_id=message_id) if checked.valid and WEBHOOK_ID.fullmatch(message_id) else checked

    @classmethod
    def webhook_secrets_problem(cls, settings: Any, secrets: list[str]) -> str | None:
        if settings.webhook_auth == 'standard' and any(signing_key(secret) is None for secret in secrets):
            return (
                f'webhook secrets of an own pharmacy must be {SECRET_PREFIX} followed by the base64 of {MIN_SECRET_BYTES} to '
                f'{MAX_SECRET_BYTES} bytes (e.g. whsec_$(openssl rand -base64 32)), or set webhook_auth=static_header'
            )
        return None

    @classmethod
    def webhook_order_id(cls, body: Any) -> str | None:
        value = body.get('pharmacyOrderId') if isinstance(body, dict) else None
        return value.strip() if isinstance(value, str) and value.strip() else None


PHARMACY_TYPE = Own

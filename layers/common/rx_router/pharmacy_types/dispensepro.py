"""DispensePro / MDScripts: NDC-keyed physician dispensing. No public order API exists.

Confirmed (shared/reference/fulfillment.md §1, pharmacy-apis.md, the fulfillment guide): MDScripts is NDC-keyed;
its only public entry is a browser remote login (siteId of 5 digits, username, password); the guide lists the
actions submit, get status, refill and void, the statuses authorized, submitted, filled, shipped, delivered,
voided and failed, and shipped/delivered webhooks. Everything else here is the minimal contract the reference
proposes, each invented detail marked ASSUMPTION, so a real integration replaces this one module:

    POST {base}/api/v1/orders                 -> 201 {orderId, externalId, status}
    GET  {base}/api/v1/orders/{orderId}       -> 200 {orderId, externalId, status, trackingNumber?, carrier?}
    POST {base}/api/v1/orders/{orderId}/refill -> 201 {orderId (the new fill), refillOf, status}
    POST {base}/api/v1/orders/{orderId}/void   -> 200 {orderId, status: voided}; 409 {error, status} when too late
    webhook POST /rx/webhooks/dispensepro       {orderId, externalId?, status, trackingNumber?, carrier?, occurredAt?}
"""

from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from urllib.parse import quote

from pydantic import Field

from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.pharmacy_types.base import (
    Capability,
    CatalogMatch,
    PharmacyType,
    TypeSettings,
    WebhookBody,
    WebhookSpec,
    parse_body,
)
from rx_router.pharmacy_types.http import get_json, post_json
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.validation.us import phone_digits

if TYPE_CHECKING:  # a webhook function never loads the request model
    from rx_router.validation.prescription import PrescriptionSubmission

# ASSUMPTION: a versioned REST path; nothing about a DispensePro order API is public.
ORDERS_PATH = '/api/v1/orders'
# ASSUMPTION: a void carries a reason (the reference's void(order, reason)); the router's cancel gives none.
VOID_REASON = 'cancelled by the prescribing clinic'
# ASSUMPTION: the error codes of a 409 answer, in {"error": {"code", "message"}}.
NO_REFILLS_LEFT = 'no_refills_remaining'
NOT_REFILLABLE = 'not_refillable'

Url = Annotated[str, Field(pattern=r'^https?://')]


class DispenseProSettings(TypeSettings):
    base_url: Url
    # ASSUMPTION: a separate test environment at its own URL (as RxVortex has), chosen per submission by `test`;
    # the reference's `environment: test|prod` would instead fix one record to one environment.
    sandbox_url: Url


class DispenseProCredentials(TypeSettings):
    # Confirmed: MDScripts identifies a practice by a 5-digit siteId (its remote login).
    # ASSUMPTION: the order API identifies the site the same way, in the `x-site-id` header.
    site_id: Annotated[str, Field(pattern=r'^\d{5}$')]
    # ASSUMPTION: a per-site API key as a bearer token (the remote login's username/password is a browser login).
    api_key: Annotated[str, Field(min_length=1)]


# ASSUMPTION: the webhook body (the fields the generic webhook use case needs; externalId and occurredAt are
# accepted and not used: the order is found by orderId, and the router stamps the time it applied the report).
class StatusUpdate(WebhookBody):
    orderId: str = Field(min_length=1, max_length=200)  # noqa: N815 - the proposed native field names
    status: str = Field(min_length=1, max_length=50)
    trackingNumber: str | None = Field(default=None, max_length=100)  # noqa: N815
    carrier: str | None = Field(default=None, max_length=100)


WEBHOOK = WebhookSpec(
    name='dispensepro',
    # ASSUMPTION: the auth scheme is unknown; a shared secret per pharmacy record in this header (the reference).
    secret_header='x-webhook-secret',  # noqa: S106 - a header name
    status_field='status',
    # The fulfillment guide's words. The router has no 'accepted': authorized (the pharmacy has the order and
    # has not started it) is `submitted`, the raw word kept. filled -> processing, raw 'filled' kept.
    vocabulary={
        'authorized': Status.SUBMITTED,
        'submitted': Status.SUBMITTED,
        'filled': Status.PROCESSING,
        'shipped': Status.SHIPPED,
        'delivered': Status.DELIVERED,
        'voided': Status.VOIDED,
        'failed': Status.FAILED,
    },
    # The guide says the statuses "may include" these: the vocabulary is not known in full, so an unknown word is
    # accepted, kept raw and changes nothing.
    refuses_unknown_status=False,
)

# ASSUMPTION: void is possible only before the order is filled (the reference), i.e. while the router shows it
# submitted (authorized or submitted at the pharmacy).
CANCELLABLE_FROM = frozenset({Status.SUBMITTED})


def _error_code(failure: PharmacyFailed) -> str | None:
    error = failure.raw.get('error') if isinstance(failure.raw, dict) else None
    code = error.get('code') if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


class DispensePro(PharmacyType):
    name: ClassVar[str] = 'dispensepro'
    settings_model = DispenseProSettings
    credentials_model = DispenseProCredentials
    webhook = WEBHOOK
    capabilities = frozenset({Capability.CANCEL, Capability.REFILL, Capability.STATUS})
    cancellable_from = CANCELLABLE_FROM
    # unmatched_native_id stays None: dispensing is keyed by NDC, so a medication without one cannot be sent.

    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        patient, ship, med, prescriber = rx.patient, rx.ship_to, rx.medication, rx.prescriber
        # ASSUMPTION: field names follow the MDScripts cart push seen in public code (firstName, lastName, gender,
        # homePhone, dob as MMDDYYYY, address, city, state, zip; lines ndc, qty, refills, sig, daysSupply), as JSON.
        year, month, day = patient.dob.split('-')
        native_patient: dict[str, Any] = {
            'firstName': patient.first_name,
            'lastName': patient.last_name,
            'dob': f'{month}{day}{year}',
            'gender': patient.gender,  # ASSUMPTION: the cart push's gender values are unknown; the router's words
            'homePhone': phone_digits(patient.phone),
        }
        if patient.email:
            native_patient['email'] = patient.email
        native_prescriber: dict[str, Any] = {
            'firstName': prescriber.first_name,
            'lastName': prescriber.last_name,
            'npi': prescriber.npi,
        }
        if prescriber.dea_number:
            native_prescriber['deaNumber'] = prescriber.dea_number
        ship_to: dict[str, Any] = {
            'firstName': ship.first_name,
            'lastName': ship.last_name,
            'phone': phone_digits(ship.phone),
            'address': ship.address_line1,
            'city': ship.city,
            'state': ship.state,
            'zip': ship.zip,
        }
        if ship.address_line2:
            ship_to['address2'] = ship.address_line2
        line: dict[str, Any] = {
            'lineId': '1',
            'ndc': drug.native_id,
            'qty': med.quantity,
            'refills': med.refills,
            'sig': med.sig,
            'daysSupply': med.days_supply,
        }
        if med.note:
            line['note'] = med.note
        return {
            # ASSUMPTION: the pharmacy is idempotent on externalId (the reference: "idempotent on sourceOrderId +
            # line ids"): a repeated order answers the existing one, so a retry cannot dispense twice.
            'externalId': submission_id,
            'patient': native_patient,
            'prescriber': native_prescriber,
            'shipTo': ship_to,
            'lines': [line],
        }

    def _url(self, test: bool, *parts: str) -> str:
        base = str(self.settings.sandbox_url if test else self.settings.base_url).rstrip('/') + ORDERS_PATH
        return '/'.join([base, *(quote(part, safe='') for part in parts)])

    def _headers(self) -> dict[str, str]:
        return {'authorization': f'Bearer {self.credentials.api_key}', 'x-site-id': self.credentials.site_id}

    def _report(self, body: Any, order_id: str) -> PharmacyReport:
        # ASSUMPTION: an order's answer is {orderId, status, trackingNumber?, carrier?}: one package per order.
        if not isinstance(body, dict):
            raise PharmacyFailed(f'{self.label} answered without an order status', raw=body)
        raw = body.get('status')
        raw_status = raw.strip() if isinstance(raw, str) and raw.strip() else None
        tracking, carrier = body.get('trackingNumber'), body.get('carrier')
        return PharmacyReport(
            order_id=str(body.get('orderId') or order_id),
            raw_status=raw_status,
            status=WEBHOOK.normalise(raw_status),
            tracking_number=str(tracking) if tracking else None,
            carrier=str(carrier) if carrier else None,
        )

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        body = post_json(self.http, self.label, self._url(test), native, self._headers())
        # ASSUMPTION: the pharmacy's order id is `orderId` (201 for a new order, 200 for a repeated externalId).
        order_id = body.get('orderId') if isinstance(body, dict) else None
        if not order_id:
            raise PharmacyFailed(f'{self.label} accepted the request but returned no orderId', raw=body)
        return PharmacyAccepted(order_id=str(order_id), raw=body)

    def status(self, pharmacy_order_id: str, *, test: bool) -> PharmacyReport:
        body = get_json(self.http, self.label, self._url(test, pharmacy_order_id), self._headers())
        return self._report(body, pharmacy_order_id)

    def refill(self, pharmacy_order_id: str, *, refill_id: str, test: bool) -> PharmacyAccepted:
        # ASSUMPTION: a refill is a new order (its own orderId) for the same prescription, and the pharmacy is
        # idempotent on the refill's externalId as on an order's (the same refill asked again is the same fill).
        url = self._url(test, pharmacy_order_id, 'refill')
        try:
            body = post_json(self.http, self.label, url, {'externalId': refill_id}, self._headers())
        except PharmacyFailed as failure:
            if failure.http_status == 409 and _error_code(failure) == NO_REFILLS_LEFT:
                raise PharmacyFailed(
                    f'{self.label} refused the refill: the prescription has no refills left at the pharmacy',
                    raw=failure.raw,
                    http_status=409,
                ) from None
            if failure.http_status == 409 and _error_code(failure) == NOT_REFILLABLE:
                raise PharmacyFailed(
                    f'{self.label} refused the refill: the order has not been filled, or was voided or failed',
                    raw=failure.raw,
                    http_status=409,
                ) from None
            raise
        order_id = body.get('orderId') if isinstance(body, dict) else None
        if not order_id or str(order_id) == pharmacy_order_id:
            raise PharmacyFailed(f'{self.label} accepted the refill but returned no new orderId', raw=body)
        return PharmacyAccepted(order_id=str(order_id), raw=body)

    def cancel(self, pharmacy_order_id: str, *, test: bool) -> PharmacyReport:
        """Voids the order. Too late (ASSUMPTION: 409 with the order's current status) is a report of that status,
        so the caller sees where the order is; a 409 without a status it can read is PharmacyFailed 409."""
        url = self._url(test, pharmacy_order_id, 'void')
        try:
            body = post_json(self.http, self.label, url, {'reason': VOID_REASON}, self._headers())
        except PharmacyFailed as failure:
            if failure.http_status != 409:
                raise
            report = self._report(failure.raw, pharmacy_order_id) if isinstance(failure.raw, dict) else None
            if report is None or report.status is None:
                raise PharmacyFailed(
                    f'{self.label} refused to void the order (too late); it gave no current status the router knows',
                    raw=failure.raw,
                    http_status=409,
                ) from None
            return report
        return self._report(body, pharmacy_order_id)

    @classmethod
    def parse_webhook(cls, body: Any) -> PharmacyReport:
        parsed = parse_body(StatusUpdate, body)
        return PharmacyReport(
            order_id=parsed.orderId,
            raw_status=parsed.status,
            status=WEBHOOK.normalise(parsed.status),
            tracking_number=parsed.trackingNumber or None,
            carrier=parsed.carrier or None,
        )

    @classmethod
    def webhook_order_id(cls, body: Any) -> str | None:
        value = body.get('orderId') if isinstance(body, dict) else None
        return value.strip() if isinstance(value, str) and value.strip() else None


PHARMACY_TYPE = DispensePro

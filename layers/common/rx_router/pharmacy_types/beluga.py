"""Pharmacies in Beluga Health's network: Beluga itself sends the prescription it wrote to the pharmacy the visit
names, so the router never calls the pharmacy. It records the order as delegated to that pharmacy (Beluga's
`pharmacyId`) and tracks it from Beluga's pharmacy and package events on the Beluga webhook.

Known (shared/reference/fulfillment.md §3): Beluga routes a visit to a pharmacy by `pharmacyId` (required for
Beluga routing) and sends the prescription there itself; the events seen in public receivers are
`PHARMACY_ORDER_IN_FULFILLMENT`, `PHARMACY_ORDER_SHIPPED {orderId, info{carrier, tracking}}`,
`PHARMACY_ORDER_DELIVERED` and `PACKAGE_IN_TRANSIT | OUT_FOR_DELIVERY | DELIVERED | DELIVERY_FAILED {info{trackerStatus,
trackingUrl, tracking, carrier, deliveredDate}}`, every body `{masterId, event, ...}` with string values.
"""

from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, model_validator

from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.errors import Unprocessable
from rx_router.pharmacy_types.base import CatalogMatch, PharmacyType, TypeSettings, WebhookBody, WebhookSpec, parse_body
from rx_router.pharmacy_types.outcomes import PharmacyAccepted

if TYPE_CHECKING:
    from rx_router.validation.prescription import PrescriptionSubmission

NAME = 'beluga'
DELEGATED = 'delegated to Beluga'


class BelugaNetworkSettings(TypeSettings):
    # Beluga's id of the pharmacy (the visit's `pharmacyId`).
    pharmacy_id: Annotated[str, Field(min_length=1, max_length=100)]


class NoCredentials(TypeSettings):
    """The router never calls the pharmacy: nothing to authenticate with (no credentials entry needed; an entry
    shared with Beluga's API key is ignored)."""

    model_config = ConfigDict(frozen=True, extra='ignore')

    @model_validator(mode='before')
    @classmethod
    def nothing_stored(cls, value: Any) -> Any:
        return {} if value is None else value


class PackageInfo(WebhookBody):
    tracking: Annotated[str, Field(max_length=100)] | None = None
    carrier: Annotated[str, Field(max_length=100)] | None = None


class PharmacyEvent(WebhookBody):
    master_id: Annotated[str, Field(min_length=1, max_length=100, alias='masterId')]
    event: Annotated[str, Field(min_length=1, max_length=100)]
    info: PackageInfo | None = None


# ASSUMPTION: the event names are those seen in public receivers; PHARMACY_ORDER_CREATED appears only in the guide.
WEBHOOK = WebhookSpec(
    name='beluga',
    secret_header='authorization',  # noqa: S106 - a header name (also accepted: x-beluga-webhook-secret)
    status_field='event',
    vocabulary={
        'pharmacy_order_created': Status.SUBMITTED,  # in no public source but the guide: optional, changes nothing
        'pharmacy_order_in_fulfillment': Status.PROCESSING,
        'pharmacy_order_shipped': Status.SHIPPED,
        'package_in_transit': Status.SHIPPED,
        'package_out_for_delivery': Status.SHIPPED,
        'pharmacy_order_delivered': Status.DELIVERED,
        'package_delivered': Status.DELIVERED,
    },
    # PACKAGE_DELIVERY_FAILED (and any event not listed) is recorded with its raw name for support and moves nothing.
    refuses_unknown_status=False,
)


def is_pharmacy_event(event: str) -> bool:
    return event.startswith(('PHARMACY_ORDER_', 'PACKAGE_'))


class BelugaNetwork(PharmacyType):
    name: ClassVar[str] = NAME
    settings_model = BelugaNetworkSettings
    credentials_model = NoCredentials
    webhook = WEBHOOK

    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        if rx.prescription is None or rx.prescription.provider != 'beluga':
            raise Unprocessable(
                f"{self.label} is in Beluga's network: Beluga sends it the prescription it wrote, so the order must "
                'name that prescription (prescription: {"provider": "beluga", "masterId": ...})'
            )
        return {'delegatedTo': 'beluga', 'pharmacyId': self.settings.pharmacy_id, 'masterId': rx.prescription.master_id}

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        """No call: Beluga has sent the prescription to its pharmacy. The order is known by the visit's masterId."""
        # ASSUMPTION: one network order per visit and pharmacy, so the masterId identifies it (Beluga's own
        # `orderId` arrives only on PHARMACY_ORDER_SHIPPED and is kept in the raw event, not used as the key).
        return PharmacyAccepted(order_id=native['masterId'], raw={**native, 'outcome': DELEGATED})

    @classmethod
    def parse_webhook(cls, body: Any) -> PharmacyReport:
        event = parse_body(PharmacyEvent, body)
        info = event.info or PackageInfo()
        return PharmacyReport(
            order_id=event.master_id,
            raw_status=event.event,
            status=WEBHOOK.normalise(event.event),
            tracking_number=info.tracking or None,
            carrier=info.carrier or None,
        )

    @classmethod
    def webhook_order_id(cls, body: Any) -> str | None:
        master_id = body.get('masterId') if isinstance(body, dict) else None
        return master_id if isinstance(master_id, str) else None


PHARMACY_TYPE = BelugaNetwork

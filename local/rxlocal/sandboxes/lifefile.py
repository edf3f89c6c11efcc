"""LifeFile (Belmar's platform): POST /lfapi/v1/order with HTTP Basic and the `X-Vendor-ID`, `X-Location-ID`,
`X-API-Network-ID` headers of the pharmacy's account; answers `{"type": "success", "data": {"orderId"}}`, rejects
with `{"type": "error", "messages": [...]}`; its Data Push posts a JSON array, one record per fill, with Basic auth.

The order body is checked against LifeFile support's sample payload (RevelationPharma/lifefile-example). The
HTTP statuses of its rejections (401, 400) and the rxStatus words other than "Shipping" are ASSUMPTIONS: the
router records those words and changes nothing, as it would for a real pharmacy's unknown word.
"""

import base64
import binascii
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator

from rxlocal.sandboxes.base import DATE, Native, Sandbox, SandboxOrder, Text, location

API_PREFIX = '/lfapi/v1'
PHONE = r'^\(\d{3}\) \d{3}-\d{4}$'
# rxStatus per sandbox action: "Shipping" is LifeFile's (its Data Push sample); the others are ASSUMPTIONS.
RX_STATUSES = {'shipped': 'Shipping', 'processing': 'Processing', 'delivered': 'Delivered', 'cancelled': 'Cancelled'}
Id = int | Annotated[str, Field(min_length=1)]


class LfMessage(Native):
    id: Id
    sentTime: Annotated[str, Field(pattern=r'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$')]  # noqa: N815 - native names


class LfGeneral(Native):
    referenceId: Text  # noqa: N815
    statusId: Text  # noqa: N815
    memo: str | None = None


class LfPrescriber(Native):
    npi: Annotated[str, Field(pattern=r'^\d{10}$')]
    firstName: Text  # noqa: N815
    lastName: Text  # noqa: N815


class LfPatient(Native):
    firstName: Text  # noqa: N815
    lastName: Text  # noqa: N815
    gender: Literal['m', 'f', 'a', 'u']
    dateOfBirth: Annotated[str, Field(pattern=DATE)]  # noqa: N815
    address1: Text
    city: Text
    state: Annotated[str, Field(pattern=r'^[A-Z]{2}$')]
    zip: Text
    country: Literal['US']
    phoneMobile: Annotated[str, Field(pattern=PHONE)] | None = None  # noqa: N815


class LfShipping(Native):
    recipientType: Literal['clinic', 'patient']  # noqa: N815
    recipientFirstName: Text  # noqa: N815
    recipientLastName: Text  # noqa: N815
    addressLine1: Text  # noqa: N815
    city: Text
    state: Annotated[str, Field(pattern=r'^[A-Z]{2}$')]
    zipCode: Text  # noqa: N815
    country: Literal['US']
    service: int


class LfBilling(Native):
    payorType: Literal['pat', 'doc']  # noqa: N815


class LfRx(Native):
    rxType: Literal['new', 'refill']  # noqa: N815
    drugName: Text  # noqa: N815
    drugStrength: Text  # noqa: N815
    drugForm: Text  # noqa: N815
    lfProductID: Id  # noqa: N815
    quantity: Annotated[float, Field(gt=0)]
    quantityUnits: Text  # noqa: N815
    directions: Text
    refills: Annotated[int, Field(ge=0)]
    dateWritten: Annotated[str, Field(pattern=DATE)]  # noqa: N815
    daysSupply: Annotated[int, Field(gt=0)]  # noqa: N815


class LfDocument(Native):
    pdfBase64: Text  # noqa: N815

    @field_validator('pdfBase64')
    @classmethod
    def is_pdf(cls, value: str) -> str:
        try:
            document = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError('not base64') from None
        if not document.startswith(b'%PDF-'):
            raise ValueError('not a PDF')
        return value


class LfPractice(Native):
    id: Id


class LfOrderBody(Native):
    general: LfGeneral
    prescriber: LfPrescriber
    practice: LfPractice
    patient: LfPatient
    shipping: LfShipping
    billing: LfBilling
    rxs: Annotated[list[LfRx], Field(min_length=1)]
    document: LfDocument


class LfOrder(Native):
    message: LfMessage
    order: LfOrderBody


def error(*messages: str) -> dict[str, Any]:
    return {'type': 'error', 'messages': list(messages)}


class LifeFileSandbox(Sandbox):
    type_name = 'lifefile'

    @classmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        return {'base_url': url + API_PREFIX}

    @classmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        return {'username': f'local-{pharmacy}-api', 'password': f'local-{pharmacy}-api-password'}

    @classmethod
    def local_seed(cls) -> tuple[list[Any], list[Any]]:
        from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance

        belmar = PharmacyInstance(
            id='belmar',
            type='lifefile',
            label='Belmar',
            settings={
                'base_url': 'http://127.0.0.1:9/replaced-by-the-sandbox',
                'vendor_id': '11208',
                'location_id': '110',
                'network_id': '1104',
                'practice_id': '988599',
                'shipping_service': 6227,
                'test_status_id': 'SBA',
                'production_status_id': 'SBB',
            },
            credentials_key='belmar',
            webhook_secret_key='belmar',  # noqa: S106 - the key of the secret, not a secret
        )
        entries = [
            CatalogEntry(pharmacy='belmar', product='semaglutide', name='Semaglutide', native_id='900101', rank=10),
            CatalogEntry(pharmacy='belmar', product='tirzepatide', name='Tirzepatide', native_id='900102', rank=10),
            CatalogEntry(
                pharmacy='belmar',
                product='testosterone-cypionate',
                name='Testosterone Cypionate',
                native_id='900103',
                match=('testosterone',),
                rank=20,
                schedule='III',
            ),
        ]
        return [belmar], entries

    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if method == 'POST' and path.removeprefix(API_PREFIX) == '/order':  # the test harness mounts base_url itself
            return self.order(headers, body)
        return 404, error('Not Found')

    def authorised(self, headers: dict[str, str]) -> bool:
        creds, settings = self.config.credentials, self.config.settings
        pair = f'{creds["username"]}:{creds["password"]}'.encode()
        expected = {
            'authorization': 'Basic ' + base64.b64encode(pair).decode(),
            'x-vendor-id': str(settings.get('vendor_id', '')),
            'x-location-id': str(settings.get('location_id', '')),
            'x-api-network-id': str(settings.get('network_id', '')),
        }
        return all(secrets.compare_digest(headers.get(name, ''), value) for name, value in expected.items())

    def order(self, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if not self.authorised(headers):
            return 401, error('Unauthorized')
        general = (body.get('order') or {}).get('general') if isinstance(body, dict) else None
        memo = str(general.get('memo') or '') if isinstance(general, dict) else ''
        self.apply_triggers(memo, (400, error('Order rejected by sandbox:reject')))
        try:
            order = LfOrder.model_validate(body)
        except ValidationError as exc:
            return 400, error(*(f'{location(e)}: {e["msg"]}' for e in exc.errors()))
        settings = self.config.settings
        if str(order.order.practice.id) != str(settings.get('practice_id')):
            return 400, error('order.practice.id: Unknown practice')
        status_ids = {settings.get('test_status_id'): True, settings.get('production_status_id'): False}
        if order.order.general.statusId not in status_ids:
            return 400, error('order.general.statusId: Unknown status id')
        unknown = [
            f'order.rxs.{i}.lfProductID: Unknown product'
            for i, rx in enumerate(order.order.rxs)
            if str(rx.lfProductID) not in self.config.drug_ids
        ]
        if unknown:
            return 400, error(*unknown)
        order_id = str(10_000_000 + secrets.randbelow(90_000_000))
        test = status_ids[order.order.general.statusId]
        self.remember(SandboxOrder(order_id=order_id, sender_id=order.order.general.referenceId, test=test))
        return 200, {'type': 'success', 'data': {'orderId': order_id}}

    def webhook_headers(self, body: bytes) -> dict[str, str]:
        # LifeFile's Data Push authenticates with HTTP Basic: the configured secret is the `username:password` pair.
        return {'authorization': 'Basic ' + base64.b64encode(self.config.webhook_secret.encode()).decode()}

    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> Any:
        """A Data Push array: one record per fill (`fills` in the options: several sharing one tracking number)."""
        fills = max(1, int(options.get('fills') or 1))
        at = datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S')
        shipped = order.tracking_number is not None
        return [
            {
                'pharmacyLocation': self.config.pharmacy,
                'fillId': f'{order.order_id}{index}',
                'rxNumber': f'{order.order_id}{index}',
                'foreignRxNumber': None,
                'orderId': order.order_id,
                'referenceId': order.sender_id,
                'practiceId': str(self.config.settings.get('practice_id', '')),
                'rxStatus': options.get('rxStatus') or RX_STATUSES[order.status],
                'rxStatusDateTime': at,
                'deliveryService': 'FEDEX PRIORITY OVERNIGHT' if shipped else None,
                'service': str(self.config.settings.get('shipping_service', '')),
                'trackingNumber': order.tracking_number if shipped else None,
                'shipCarrier': (options.get('carrier') or 'FedEx') if shipped else None,
                'foreignOrderId': None,
            }
            for index in range(1, fills + 1)
        ]

"""Boothwyn's Nucleus B2B API (also GMP's): POST /api/Prescriptions/B2B with `x-functions-key`, `?test=true` for
the test database; rejections are 400 `{"Success": false, "Message": ...}`; status webhooks
`{caseId, rxStatus, trackingNumber?}`."""

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from rxlocal.sandboxes.base import DATE, Native, Sandbox, SandboxOrder, Text, location


class B2BAddress(Native):
    address1: Text
    city: Text
    state: Annotated[str, Field(pattern=r'^[A-Z]{2}$')]
    zipCode: Annotated[str, Field(pattern=r'^\d{5}(-?\d{4})?$')]  # noqa: N815 - the native field name


class B2BPatient(Native):
    firstName: Text  # noqa: N815
    lastName: Text  # noqa: N815
    email: str
    phoneNumber: Annotated[str, Field(pattern=r'^\d{10}$')]  # noqa: N815
    dateOfBirth: Annotated[str, Field(pattern=DATE)]  # noqa: N815
    gender: Literal['m', 'f']
    address: B2BAddress
    allergies: list[str]
    medications: list[str]
    conditions: list[str]


class B2BLicense(Native):
    type: Literal['npi']
    value: Annotated[str, Field(pattern=r'^\d{10}$')]


class B2BClinician(Native):
    fullName: Text  # noqa: N815
    licenses: Annotated[list[B2BLicense], Field(min_length=1)]


class B2BPrescription(Native):
    sku: Text
    amount: Annotated[float, Field(gt=0)]
    unit: Text
    daysSupply: Annotated[int, Field(gt=0)]  # noqa: N815
    instructions: Text
    notes: str | None = None


class B2BOrder(Native):
    caseId: Text  # noqa: N815
    orderType: Literal[1]  # noqa: N815
    shippingMethod: int  # noqa: N815
    patient: B2BPatient
    clinician: B2BClinician
    prescriptions: Annotated[list[B2BPrescription], Field(min_length=1)]


def rejection(message: str) -> dict[str, Any]:
    return {'Results': [], 'TotalCount': 0, 'Message': message, 'Success': False}


class BoothwynB2BSandbox(Sandbox):
    type_name = 'boothwyn_b2b'

    @classmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        return {'base_url': url + '/'}

    @classmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        return {'api_key': f'local-{pharmacy}-functions-key'}

    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if method == 'POST' and path == '/api/Prescriptions/B2B':
            return self.order(headers, body, test or query == 'test=true')
        return 404, {'message': 'Not Found'}

    def order(self, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if not secrets.compare_digest(headers.get('x-functions-key', ''), self.config.credentials['api_key']):
            return 401, {'Message': 'Unauthorized', 'Success': False}
        prescriptions = body.get('prescriptions', []) if isinstance(body, dict) else []
        notes = ' '.join(str(p.get('notes') or '') for p in prescriptions if isinstance(p, dict))
        self.apply_triggers(notes, (400, rejection('Order rejected by sandbox:reject')))
        try:
            order = B2BOrder.model_validate(body)
        except ValidationError as exc:
            return 400, rejection('; '.join(f'{location(e)}: {e["msg"]}' for e in exc.errors()))
        unknown = [
            f'prescriptions.{i}.sku: Unknown SKU' for i, p in enumerate(order.prescriptions) if p.sku not in self.config.drug_ids
        ]
        if unknown:
            return 400, rejection('; '.join(unknown))
        self.remember(SandboxOrder(order_id=order.caseId, sender_id=order.caseId, test=test))
        return 200, {
            'Results': [{'CaseId': order.caseId, 'TimeStamp': datetime.now(UTC).isoformat()}],
            'TotalCount': 1,
            'Message': 'Created',
            'Success': True,
        }

    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {'caseId': order.order_id, 'rxStatus': order.status}
        if order.tracking_number:
            payload['trackingNumber'] = order.tracking_number
        return payload

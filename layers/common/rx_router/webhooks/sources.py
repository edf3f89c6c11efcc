"""The pharmacies' webhook bodies and status vocabularies (the spec's "Webhook: Boothwyn / Strive")."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rx_router import statuses
from rx_router.errors import BadRequest, ValidationFailed


@dataclass(frozen=True)
class PharmacyUpdate:
    order_id: str
    status: str | None
    tracking_number: str | None
    carrier: str | None


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, str_strip_whitespace=True, extra='ignore')


class BoothwynBody(_Body):
    caseId: str = Field(min_length=1, max_length=200)  # noqa: N815 - Boothwyn's field names
    trackingNumber: str | None = Field(default=None, max_length=100)  # noqa: N815
    rxStatus: str | None = Field(default=None, max_length=50)  # noqa: N815


class StriveBody(_Body):
    tracking_id: str = Field(min_length=1, max_length=200)
    trackingnumber: str | None = Field(default=None, max_length=100)
    rxstatus: str | None = Field(default=None, max_length=50)
    shippingcarrier: str | None = Field(default=None, max_length=100)


BOOTHWYN_STATUSES = {
    'shipped': statuses.SHIPPED,
    'delivered': statuses.DELIVERED,
    'cancelled': statuses.CANCELLED,
    'processing': statuses.PROCESSING,
}
STRIVE_STATUSES = {**BOOTHWYN_STATUSES, 'in-transit': statuses.SHIPPED}


def _status(raw: str | None, vocabulary: dict[str, str], field: str) -> str | None:
    if raw is None:
        return None
    mapped = vocabulary.get(raw.strip().lower())
    if mapped is None:
        raise ValidationFailed({field: [f'Unknown status; expected one of: {", ".join(sorted(vocabulary))}']})
    return mapped


def _validated(model: type[_Body], body: Any) -> Any:
    if not isinstance(body, dict):
        raise BadRequest('Webhook body must be a JSON object')
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors(include_input=False, include_url=False):
            message = 'Required' if error['type'] == 'missing' else error['msg']
            fields.setdefault('.'.join(str(p) for p in error['loc']) or 'body', []).append(message)
        raise ValidationFailed(fields) from None


def parse_boothwyn(body: Any) -> PharmacyUpdate:
    parsed = _validated(BoothwynBody, body)
    tracking = parsed.trackingNumber or None
    return PharmacyUpdate(
        order_id=parsed.caseId,
        status=_status(parsed.rxStatus, BOOTHWYN_STATUSES, 'rxStatus'),
        tracking_number=tracking,
        carrier='FedEx' if tracking else None,  # Boothwyn ships with FedEx (spec)
    )


def parse_strive(body: Any) -> PharmacyUpdate:
    parsed = _validated(StriveBody, body)
    return PharmacyUpdate(
        order_id=parsed.tracking_id,
        status=_status(parsed.rxstatus, STRIVE_STATUSES, 'rxstatus'),
        tracking_number=parsed.trackingnumber or None,
        carrier=parsed.shippingcarrier or None,
    )


PARSERS = {'boothwyn': parse_boothwyn, 'strive': parse_strive}

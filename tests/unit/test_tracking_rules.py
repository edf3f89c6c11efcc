import pytest

from rx_router import statuses as s
from rx_router.errors import BadRequest, ValidationFailed
from rx_router.webhooks.sources import PharmacyUpdate, parse_boothwyn, parse_strive


@pytest.mark.parametrize(
    ('current', 'new', 'allowed'),
    [
        (s.SUBMITTED, s.PROCESSING, True),
        (s.SUBMITTED, s.SHIPPED, True),
        (s.PROCESSING, s.SHIPPED, True),
        (s.SHIPPED, s.DELIVERED, True),
        (s.SUBMITTED, s.DELIVERED, True),
        (s.SHIPPED, s.CANCELLED, True),
        (s.SHIPPED, s.PROCESSING, False),
        (s.DELIVERED, s.SHIPPED, False),
        (s.SHIPPED, s.SHIPPED, False),
        (s.DELIVERED, s.CANCELLED, False),
        (s.CANCELLED, s.SHIPPED, False),
        (s.FAILED, s.SUBMITTED, False),
        (s.VOIDED, s.DELIVERED, False),
        (s.SUBMITTED, 'lost-in-space', False),
    ],
)
def test_statuses_only_move_forward(current: str, new: str, allowed: bool) -> None:
    assert s.can_move(current, new) is allowed


@pytest.mark.parametrize(
    ('raw', 'status'), [('shipped', 'shipped'), ('Shipped', 'shipped'), ('delivered', 'delivered'), ('cancelled', 'cancelled'),
                        ('processing', 'processing')],
)  # fmt: skip
def test_boothwyn_status_mapping(raw: str, status: str) -> None:
    assert parse_boothwyn({'caseId': 'c-1', 'rxStatus': raw}).status == status


def test_boothwyn_tracking_is_fedex() -> None:
    update = parse_boothwyn({'caseId': 'c-1', 'trackingNumber': '794644790132', 'rxStatus': 'shipped'})
    assert update == PharmacyUpdate('c-1', 'shipped', '794644790132', 'FedEx')
    assert parse_boothwyn({'caseId': 'c-1', 'rxStatus': 'processing'}).carrier is None


@pytest.mark.parametrize(('raw', 'status'), [('in-transit', 'shipped'), ('shipped', 'shipped'), ('delivered', 'delivered'),
                                             ('cancelled', 'cancelled'), ('processing', 'processing')])  # fmt: skip
def test_strive_status_mapping(raw: str, status: str) -> None:
    update = parse_strive({'tracking_id': 'STV-1', 'rxstatus': raw, 'trackingnumber': '1Z9', 'shippingcarrier': 'UPS'})
    assert update == PharmacyUpdate('STV-1', status, '1Z9', 'UPS')


def test_status_is_optional() -> None:
    assert parse_strive({'tracking_id': 'STV-1', 'trackingnumber': '1Z9'}).status is None


def test_unknown_status_is_a_clear_400() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_boothwyn({'caseId': 'c-1', 'rxStatus': 'teleported'})
    assert err.value.status == 400
    assert err.value.field_errors == {'rxStatus': ['Unknown status; expected one of: cancelled, delivered, processing, shipped']}
    with pytest.raises(ValidationFailed) as err:
        parse_strive({'tracking_id': 'STV-1', 'rxstatus': 'teleported'})
    assert 'in-transit' in err.value.field_errors['rxstatus'][0]


@pytest.mark.parametrize('body', [{}, {'caseId': ''}, {'caseId': 7}, {'caseId': 'c', 'rxStatus': 5}])
def test_malformed_boothwyn_bodies(body: dict) -> None:
    with pytest.raises(ValidationFailed):
        parse_boothwyn(body)


def test_non_object_body() -> None:
    with pytest.raises(BadRequest):
        parse_strive(['tracking_id'])

import json
from typing import Any

import pytest

from rx_router.errors import ValidationFailed
from rx_router.validation.prescription import parse_submission
from rx_router.validation.us import is_dea_number, is_npi, phone_digits
from tests.support import PATIENT_VALUES, submission


def errors_for(body: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as err:
        parse_submission(body)
    assert json.dumps(err.value.body())  # serialisable
    return err.value.field_errors


def with_field(path: str, value: Any) -> dict[str, Any]:
    body = submission()
    *parents, leaf = path.split('.')
    target = body
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return body


DELETE = object()


def test_spec_example_is_valid() -> None:
    rx = parse_submission(submission())
    assert rx.routing_state == 'TX'
    assert rx.wire() == submission()


@pytest.mark.parametrize(
    'path',
    [
        'source',
        'sourceOrderId',
        'callbackUrl',
        'patient',
        'shipTo',
        'prescriber',
        'medication',
        'patient.firstName',
        'patient.lastName',
        'patient.dob',
        'patient.gender',
        'patient.phone',
        'shipTo.firstName',
        'shipTo.lastName',
        'shipTo.phone',
        'shipTo.addressLine1',
        'shipTo.city',
        'shipTo.state',
        'shipTo.zip',
        'prescriber.firstName',
        'prescriber.lastName',
        'prescriber.npi',
        'medication.name',
        'medication.sig',
        'medication.quantity',
        'medication.daysSupply',
        'medication.refills',
    ],
)
def test_required_fields_report_required_at_their_dotted_path(path: str) -> None:
    assert errors_for(with_field(path, DELETE)) == {path: ['Required']}


@pytest.mark.parametrize(
    'path', ['patient.email', 'shipTo.addressLine2', 'prescriber.address', 'medication.clinicalJustification', 'routing']
)
def test_optional_fields_may_be_omitted(path: str) -> None:
    parse_submission(with_field(path, DELETE))


@pytest.mark.parametrize(
    ('path', 'value', 'message'),
    [
        ('patient.dob', '1990-02-30', 'Must be a real calendar date'),
        ('patient.dob', '03/15/1990', 'Must be a date in YYYY-MM-DD format'),
        ('patient.dob', '2999-01-01', 'Must not be in the future'),
        ('patient.dob', '1850-01-01', 'Must be on or after 1900-01-01'),
        ('patient.gender', 'other', "Input should be 'male' or 'female'"),
        ('patient.phone', '555-1234', 'Must be a 10-digit US phone number'),
        ('patient.email', 'jane-at-example', 'Must be a valid email address'),
        ('shipTo.state', 'XX', 'Must be a two-letter US state code'),
        ('shipTo.state', 'tx', 'Must be a two-letter US state code'),
        ('shipTo.zip', '7870', 'Must be a 5- or 9-digit ZIP code'),
        ('shipTo.zip', '78701-12', 'Must be a 5- or 9-digit ZIP code'),
        ('prescriber.npi', '1982609765', 'Must be a valid 10-digit NPI'),
        ('prescriber.npi', '198260976', 'Must be a valid 10-digit NPI'),
        ('prescriber.deaNumber', 'AB1234567', 'Must be a valid DEA registration number'),
        ('prescriber.licenseState', 'ZZ', 'Must be a two-letter US state code'),
        ('prescriber.signatureBase64', 'not base64!', 'Must be base64-encoded'),
        ('medication.quantity', 0, 'Must be positive'),
        ('medication.quantity', -1.5, 'Must be positive'),
        ('medication.quantity', '1', 'Must be a number'),
        ('medication.quantity', True, 'Must be a number'),
        ('medication.quantity', 100_001, 'Must be at most 100000'),
        ('medication.daysSupply', 0, 'Input should be greater than 0'),
        ('medication.daysSupply', 2.5, 'Input should be a valid integer'),
        ('medication.refills', -1, 'Input should be greater than or equal to 0'),
        ('callbackUrl', '/relative/path', 'Must be an absolute http(s) URL'),
        ('callbackUrl', 'ftp://example.com/x', 'Must be an absolute http(s) URL'),
        ('callbackUrl', 'https://user:pw@example.com/x', 'Must not contain credentials'),
        ('source', '', 'String should have at least 1 character'),
        ('source', '   ', 'String should have at least 1 character'),
        ('test', 'yes', 'Input should be a valid boolean'),
        ('routing.patientState', 'Texas', 'String should have at most 2 characters'),
    ],
)
def test_invalid_values(path: str, value: Any, message: str) -> None:
    errors = errors_for(with_field(path, value))
    assert list(errors) == [path] or errors.get(path), errors
    assert any(m.startswith(message) for m in errors[path]), errors[path]


def test_known_clinical_list_needs_entries() -> None:
    body = submission(clinical={'allergies': {'known': True}, 'conditions': {'known': False}})
    assert errors_for(body) == {'clinical.allergies': ['entries must list at least one item when known is true']}


def test_clinical_and_bill_to_accepted() -> None:
    body = submission(clinical={'allergies': {'known': True, 'entries': ['penicillin']}, 'billTo': 'patient'})
    rx = parse_submission(body)
    assert rx.clinical is not None and rx.clinical.bill_to == 'patient'


def test_non_object_bodies_are_form_errors() -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_submission(['not', 'an', 'object'])
    assert err.value.body()['details'] == {'fieldErrors': {}, 'formErrors': ['Request body must be a JSON object']}


def test_error_messages_never_echo_patient_values() -> None:
    body = submission(patient={'firstName': 123, 'lastName': ['Smith'], 'dob': 'Jane', 'gender': 'Smith', 'phone': 'Austin'})
    body['shipTo']['zip'] = '123 Main St'
    with pytest.raises(ValidationFailed) as err:
        parse_submission(body)
    rendered = json.dumps(err.value.body())
    assert not any(value in rendered for value in PATIENT_VALUES)


def test_integer_quantity_stays_integer() -> None:
    assert parse_submission(submission()).wire()['medication']['quantity'] == 1
    assert isinstance(parse_submission(submission()).wire()['medication']['quantity'], int)


@pytest.mark.parametrize(
    ('npi', 'valid'), [('1982609764', True), ('1234567893', True), ('1234567890', False), ('12345678ab', False)]
)
def test_npi_check_digit(npi: str, valid: bool) -> None:
    assert is_npi(npi) is valid


@pytest.mark.parametrize(('dea', 'valid'), [('AB1234563', True), ('AB1234567', False), ('A11234563', False)])
def test_dea_check_digit(dea: str, valid: bool) -> None:
    assert is_dea_number(dea) is valid


@pytest.mark.parametrize(
    ('phone', 'digits'),
    [('(555) 123-4567', '5551234567'), ('+1 555.123.4567', '5551234567'), ('555-123-456', None), ('call me', None)],
)
def test_phone_digits(phone: str, digits: str | None) -> None:
    assert phone_digits(phone) == digits


def test_integral_float_quantity_is_normalised_and_fractions_kept() -> None:
    assert parse_submission(with_field('medication.quantity', 2.0)).wire()['medication']['quantity'] == 2
    assert parse_submission(with_field('medication.quantity', 2.5)).wire()['medication']['quantity'] == 2.5


def test_integral_floats_are_whole_numbers_for_days_supply_and_refills() -> None:
    """28.0 is the integer 28 in JSON (and in the OpenAPI document's `integer`): accepted and stored as 28."""
    wire = parse_submission(with_field('medication.daysSupply', 28.0)).wire()
    assert (wire['medication']['daysSupply'], type(wire['medication']['daysSupply'])) == (28, int)
    assert parse_submission(with_field('medication.refills', 2.0)).wire()['medication']['refills'] == 2
    assert errors_for(with_field('medication.refills', 1.5)) == {'medication.refills': ['Input should be a valid integer']}
    assert 'medication.daysSupply' in errors_for(with_field('medication.daysSupply', True))

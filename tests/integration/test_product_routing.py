"""Product routing through the submit handler: medication.productId, the product's Default Pharmacy, catalog
eligibility, and the decision recorded on the submission. Configuration changes need no redeploy."""

from typing import Any

from functions.get_submission.app import lambda_handler as get_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router.cache import TtlCache
from rx_router.pharmacies.records import CatalogEntry, Product
from rx_router.store import config
from rx_router.store.models import SubmissionModel
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, get_event, response_json, submission, submit_event


def submit(creds: Credentials, **overrides: Any) -> dict[str, Any]:
    return submit_handler(submit_event(creds, submission(**overrides)), LambdaContext())


def medication(**fields: Any) -> dict[str, Any]:
    return {**submission()['medication'], **fields}


def reconfigure() -> None:
    """What a running container sees once its configuration cache expires."""
    TtlCache.clear_all()


def test_product_id_names_the_product_whatever_the_medication_name(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(
        creds, routing={'patientState': 'WA'}, medication=medication(name='Compounded GLP-1', productId='tirzepatide')
    )
    assert response['statusCode'] == 201, response['body']
    [order] = pharmacies.orders()
    assert order.body['prescriptions'][0]['sku'] == '12850'
    stored = SubmissionModel.get(response_json(response)['submissionId'])
    assert stored.product == 'tirzepatide'
    assert stored.routing_decision['productMatchedBy'] == 'productId'
    assert stored.request_payload['medication']['productId'] == 'tirzepatide'


def test_unknown_product_id_is_422_and_nothing_is_stored(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(creds, medication=medication(productId='unobtainium'))
    assert response['statusCode'] == 422
    assert response_json(response) == {
        'error': 'medication.productId is not a product in any pharmacy catalog (rxrouter catalog list)'
    }
    assert pharmacies.calls == [] and list(SubmissionModel.scan()) == []


def test_product_default_pharmacy_comes_before_state_routes(creds: Credentials, pharmacies: FakePharmacies) -> None:
    # Given NAD+ defaults to GMP
    config.put_product(Product(product='nad', default_pharmacy='gmp'))
    reconfigure()
    # When a Washington patient (Boothwyn's state) orders it
    response = submit(creds, routing={'patientState': 'WA'}, medication=medication(name='NAD+ 100mg/mL'))
    # Then GMP fills it, and the decision says why
    assert response_json(response)['pharmacy'] == 'gmp'
    [order] = pharmacies.orders()
    assert order.url == 'https://gmp.pharmacy.test/api/Prescriptions/B2B'
    view = response_json(get_handler(get_event(creds, response_json(response)['submissionId']), LambdaContext()))
    assert view['routingDecision']['rule'] == 'product_default'
    assert view['routingDecision']['candidates'] == [{'pharmacy': 'gmp', 'rule': 'product_default'}]


def test_a_default_pharmacy_not_eligible_in_the_state_is_skipped_for_the_state_route(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    gmp_nad = config.load_config().entry('gmp', 'nad')
    assert gmp_nad is not None
    config.put_catalog_entry(gmp_nad.model_copy(update={'states': ('NY', 'NJ')}))
    config.put_product(Product(product='nad', default_pharmacy='gmp'))
    reconfigure()
    response = submit(creds, routing={'patientState': 'WA'}, medication=medication(name='NAD+ 100mg/mL'))
    assert response_json(response)['pharmacy'] == 'boothwyn'
    decision = SubmissionModel.get(response_json(response)['submissionId']).routing_decision
    assert decision['rule'] == 'state_route'
    assert decision['candidates'] == [
        {'pharmacy': 'gmp', 'rule': 'product_default', 'skipped': 'product nad is not eligible in WA'},
        {'pharmacy': 'boothwyn', 'rule': 'state_route', 'priority': 100},
    ]


def test_when_no_candidate_can_fill_the_answer_names_every_reason(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(creds, routing={'patientState': 'TX'}, medication=medication(name='NAD+ 100mg/mL'))
    assert response['statusCode'] == 422
    reason = 'strive (state route): no catalog item for product nad'
    assert response_json(response) == {'error': f'No pharmacy can fill this prescription for state TX: {reason}'}
    assert pharmacies.calls == [] and list(SubmissionModel.scan()) == []


def test_a_controlled_product_needs_a_dea_number(creds: Credentials, pharmacies: FakePharmacies) -> None:
    entry = CatalogEntry(
        pharmacy='boothwyn',
        product='testosterone',
        name='Testosterone',
        native_id='13001',
        match=('testosterone',),
        schedule='III',
    )
    config.put_catalog_entry(entry)
    reconfigure()
    pharmacies.by_pharmacy['boothwyn'].config.drug_ids |= {'13001'}
    body = {'routing': {'patientState': 'WA'}, 'medication': medication(name='Testosterone cypionate 200mg/mL')}
    refused = submit(creds, **body)
    assert refused['statusCode'] == 422
    assert 'Schedule III controlled substance: prescriber.deaNumber is required' in response_json(refused)['error']
    assert pharmacies.calls == []
    accepted = submit(
        creds, prescriber={**submission()['prescriber'], 'deaNumber': 'AB1234563'}, sourceOrderId='with-dea', **body
    )
    assert accepted['statusCode'] == 201, accepted['body']
    [order] = pharmacies.orders()
    assert order.body['prescriptions'][0]['sku'] == '13001'


def test_an_operators_new_catalog_entry_routes_without_a_redeploy(creds: Credentials, pharmacies: FakePharmacies) -> None:
    config.put_catalog_entry(CatalogEntry(pharmacy='strive', product='nad', name='NAD+', native_id='cat-nad-1', match=('nad',)))
    reconfigure()
    pharmacies.by_pharmacy['strive'].config.drug_ids |= {'cat-nad-1'}
    response = submit(creds, routing={'patientState': 'TX'}, medication=medication(name='NAD+ 100mg/mL'))
    assert response['statusCode'] == 201, response['body']
    [order] = pharmacies.orders()
    assert order.body['medication_requests'][0]['preset_catalog_id'] == 'cat-nad-1'


def test_an_inactive_pharmacy_is_skipped_and_named(creds: Credentials, pharmacies: FakePharmacies) -> None:
    strive = config.load_config().pharmacies['strive']
    config.replace_pharmacy(strive.model_copy(update={'active': False}))
    reconfigure()
    response = submit(creds)  # TX
    assert response['statusCode'] == 422
    assert response_json(response) == {
        'error': 'No pharmacy can fill this prescription for state TX: strive (state route): inactive'
    }

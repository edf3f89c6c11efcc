"""template.yaml is the source of truth; these tests keep the code and the template in step."""

import importlib
import json
from typing import Any

import pytest

from rx_router.store.models import ALL_MODELS, SubmissionModel
from tests.support import EVENTS
from tests.template import DATA_KEY_MODES, deployed, http_routes, resources, template

FUNCTIONS = resources('AWS::Serverless::Function')
TABLE_ENV = {
    'API_CLIENTS_TABLE',
    'ROUTING_TABLE',
    'PHARMACY_CONFIG_TABLE',
    'SUBMISSIONS_TABLE',
    'TIMELINE_TABLE',
    'PRESCRIPTION_GATES_TABLE',
}


def table_for(model: Any) -> dict[str, Any]:
    env_name = next(
        k
        for k, v in template()['Globals']['Function']['Environment']['Variables'].items()
        if k in TABLE_ENV and v == {'Ref': _logical_id(model)}
    )
    assert env_name
    return template()['Resources'][_logical_id(model)]['Properties']


def _logical_id(model: Any) -> str:
    return {
        'ApiClientModel': 'ApiClientsTable',
        'RouteModel': 'RoutingTable',
        'PharmacyConfigModel': 'PharmacyConfigTable',
        'SubmissionModel': 'SubmissionsTable',
        'TimelineModel': 'TimelineTable',
        'PrescriptionGateModel': 'PrescriptionGatesTable',
    }[model.__name__]


def index_keys(props: dict[str, Any]) -> dict[str, Any]:
    return {
        i['IndexName']: ({(k['AttributeName'], k['KeyType']) for k in i['KeySchema']}, i['Projection']['ProjectionType'])
        for i in props.get('GlobalSecondaryIndexes', [])
    }


@pytest.mark.parametrize('model', ALL_MODELS, ids=lambda m: m.__name__)
def test_table_keys_match_the_pynamodb_model(model: Any) -> None:
    props = deployed(table_for(model))
    schema = model._get_schema()
    assert {(k['AttributeName'], k['KeyType']) for k in props['KeySchema']} == {
        (k['AttributeName'], k['KeyType']) for k in schema['key_schema']
    }
    declared = {(a['AttributeName'], a['AttributeType']) for a in props['AttributeDefinitions']}
    assert declared == {(a['AttributeName'], a['AttributeType']) for a in schema['attribute_definitions']}
    assert index_keys(props) == {
        i['index_name']: ({(k['AttributeName'], k['KeyType']) for k in i['key_schema']}, i['projection']['ProjectionType'])
        for i in schema.get('global_secondary_indexes', [])
    }


# A stack created before the keys-only pharmacy-order index upgrades in these steps (README "Deploying").
UPGRADE_STEPS = [
    {'PreviousOrderIndex': 'Keep', 'OpenOrderIndex': 'Defer'},
    {'PreviousOrderIndex': 'Drop', 'OpenOrderIndex': 'Defer'},
    {},  # the defaults
]


def test_an_old_stack_upgrades_one_index_per_update() -> None:
    parameters = template()['Parameters']
    assert (parameters['PreviousOrderIndex']['Default'], parameters['OpenOrderIndex']['Default']) == ('Drop', 'Create')
    table = table_for(SubmissionModel)
    before = {'pharmacy-order-index'}  # what such a stack has
    for step in UPGRADE_STEPS:
        after = set(index_keys(deployed(table, step)))
        assert len(before ^ after) == 1, (step, before, after)  # CloudFormation: one index created or deleted per update
        before = after
    assert before == {'pharmacy-order-keys', 'open-orders-by-check'}
    # every index's key attributes are declared, whichever step
    for step in UPGRADE_STEPS:
        props = deployed(table, step)
        declared = {a['AttributeName'] for a in props['AttributeDefinitions']}
        assert {k['AttributeName'] for i in props['GlobalSecondaryIndexes'] for k in i['KeySchema']} <= declared


def test_reconciliation_is_scheduled_only_once_its_index_exists() -> None:
    [event] = FUNCTIONS['ReconcileFunction']['Properties']['Events'].values()
    assert event['Type'] == 'Schedule'
    assert deployed(event['Properties'])['Enabled'] is True
    assert deployed(event['Properties'], {'OpenOrderIndex': 'Defer'})['Enabled'] is False


@pytest.mark.parametrize('name', sorted(resources('AWS::DynamoDB::Table')))
def test_tables_are_encrypted_on_demand_recoverable_and_retained(name: str) -> None:
    table = template()['Resources'][name]
    assert table['DeletionPolicy'] == 'Retain'
    props = deployed(table['Properties'])
    assert props['BillingMode'] == 'PAY_PER_REQUEST'
    assert props['SSESpecification'] == {'SSEEnabled': True}  # DataKeyMode=None: the AWS managed key aws/dynamodb
    assert props['PointInTimeRecoverySpecification'] == {'PointInTimeRecoveryEnabled': True}


def test_routes_are_the_spec_routes() -> None:
    assert {r.route_key: r.function for r in http_routes()} == {
        'POST /rx/prescriptions/submit': 'SubmitFunction',
        'GET /rx/prescriptions/{id}': 'GetSubmissionFunction',
        'GET /rx/prescriptions/{id}/timeline': 'GetTimelineFunction',
        'GET /rx/prescriptions/{id}/tracking': 'GetTrackingFunction',
        'GET /rx/prescriptions/{id}/diagnosis': 'GetDiagnosisFunction',
        'POST /rx/prescriptions/{id}/cancel': 'CancelPrescriptionFunction',
        'POST /rx/prescriptions/{id}/refill': 'RefillPrescriptionFunction',
        'GET /rx/health': 'HealthFunction',
        'POST /rx/webhooks/boothwyn': 'BoothwynB2BWebhookFunction',
        'POST /rx/webhooks/strive': 'RxVortexWebhookFunction',
        'POST /rx/webhooks/dispensepro': 'DispenseProWebhookFunction',
        'POST /rx/webhooks/lifefile': 'LifeFileWebhookFunction',
        'POST /rx/webhooks/beluga': 'BelugaWebhookFunction',
        'POST /rx/webhooks/pharmacy/{pharmacyId}': 'OwnWebhookFunction',
    }


@pytest.mark.parametrize('name', sorted(FUNCTIONS))
def test_every_function_handler_exists(name: str) -> None:
    props = FUNCTIONS[name]['Properties']
    package = 'functions.' + props['CodeUri'].strip('/').split('/')[-1]
    module_name, attr = props['Handler'].rsplit('.', 1)
    module = importlib.import_module(f'{package}.{module_name}')
    assert callable(getattr(module, attr))


def test_sample_events_match_declared_routes() -> None:
    route_keys = {json.loads(p.read_text()).get('routeKey') for p in EVENTS.glob('*.json')} - {None}
    assert route_keys == {r.route_key for r in http_routes()}


def test_runtime_architecture_and_layer_build() -> None:
    globals_ = template()['Globals']['Function']
    assert globals_['Runtime'] == 'python3.12'
    assert globals_['Architectures'] == ['arm64']
    layer = template()['Resources']['CommonLayer']
    assert layer['Metadata'] == {'BuildMethod': 'python3.12', 'BuildArchitecture': 'arm64'}
    assert layer['Properties']['CompatibleArchitectures'] == ['arm64']


@pytest.mark.parametrize('mode', sorted(DATA_KEY_MODES))
def test_no_wildcard_iam_actions(mode: str) -> None:
    for name, fn in FUNCTIONS.items():
        for policy in deployed(fn['Properties'], DATA_KEY_MODES[mode]).get('Policies', []):
            assert isinstance(policy, dict) and 'Statement' in policy, f'{name}: use explicit statements'
            for statement in policy['Statement']:
                for action in statement['Action']:
                    assert '*' not in action, f'{name}: {action}'
                assert '*' not in (statement['Resource'] if isinstance(statement['Resource'], list) else [statement['Resource']])


def test_callback_queue_has_dead_letter_queue_that_outlives_it() -> None:
    queue = template()['Resources']['CallbackQueue']['Properties']
    dlq = template()['Resources']['CallbackDeadLetterQueue']['Properties']
    assert queue['RedrivePolicy']['deadLetterTargetArn'] == {'Fn::GetAtt': 'CallbackDeadLetterQueue.Arn'}
    assert dlq['MessageRetentionPeriod'] > queue['MessageRetentionPeriod']
    assert deployed(queue)['SqsManagedSseEnabled'] is True and deployed(dlq)['SqsManagedSseEnabled'] is True


def test_submit_timeout_leaves_room_for_token_and_order_calls() -> None:
    submit = FUNCTIONS['SubmitFunction']['Properties']
    pharmacy_timeout = float(submit['Environment']['Variables']['PHARMACY_TIMEOUT_SECONDS'])
    assert 2 * pharmacy_timeout + 5 <= submit['Timeout'] <= 29  # token + order + DynamoDB; HTTP API gives up at 30 s


def test_callback_sender_consumes_the_queue_with_partial_batches_and_matching_retry_budget() -> None:
    sender = FUNCTIONS['CallbackSenderFunction']['Properties']
    [event] = sender['Events'].values()
    assert event['Type'] == 'SQS'
    assert event['Properties']['Queue'] == {'Fn::GetAtt': 'CallbackQueue.Arn'}
    assert event['Properties']['FunctionResponseTypes'] == ['ReportBatchItemFailures']
    queue = template()['Resources']['CallbackQueue']['Properties']
    assert queue['VisibilityTimeout'] >= 6 * sender['Timeout']
    max_attempts = int(template()['Globals']['Function']['Environment']['Variables']['CALLBACK_MAX_ATTEMPTS'])
    assert queue['RedrivePolicy']['maxReceiveCount'] == max_attempts


def test_retry_schedule_fits_the_queue_and_spans_about_a_day() -> None:
    from rx_router.settings import DEFAULT_RETRY_SCHEDULE

    schedule = list(DEFAULT_RETRY_SCHEDULE)
    max_attempts = int(template()['Globals']['Function']['Environment']['Variables']['CALLBACK_MAX_ATTEMPTS'])
    assert len(schedule) == max_attempts - 1
    assert 18 * 3600 <= sum(schedule) * 1.2 and sum(schedule) * 0.8 <= 30 * 3600
    assert max(schedule) * 1.2 <= 43_200  # SQS visibility limit
    retention = template()['Resources']['CallbackQueue']['Properties']['MessageRetentionPeriod']
    assert sum(schedule) * 1.2 < retention


def test_dead_letter_queue_depth_alarm() -> None:
    alarm = template()['Resources']['CallbackDeadLetterAlarm']['Properties']
    assert alarm['MetricName'] == 'ApproximateNumberOfMessagesVisible'
    assert alarm['Dimensions'] == [{'Name': 'QueueName', 'Value': {'Fn::GetAtt': 'CallbackDeadLetterQueue.QueueName'}}]
    assert alarm['Threshold'] == 0 and alarm['ComparisonOperator'] == 'GreaterThanThreshold'

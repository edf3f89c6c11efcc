"""The patient data key (DataKeyMode): every table, queue and secret is encrypted under it when it is on and under
today's AWS keys when it is off; the key policy and each function's role allow only the KMS actions the work needs,
through the service that needs them. Resources are read from the template, so a table, queue, secret or function
added later is checked too."""

import re
import shlex
import tomllib
from typing import Any

import pytest

from tests.support import ROOT
from tests.template import DATA_KEY_MODES, condition, deployed, deployed_resources, resources, rules_hold, template

ON = ('Create', 'Existing')
KEY_OF_MODE = {'Create': {'Fn::GetAtt': 'DataKey.Arn'}, 'Existing': {'Ref': 'DataKeyArn'}}
ACCOUNT_ROOT = {'AWS': {'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root'}}

# Where patient data rests, and the service that asks KMS for each; every other resource type holds none.
DATA_STORES = {'AWS::DynamoDB::Table': 'dynamodb', 'AWS::SQS::Queue': 'sqs', 'AWS::SecretsManager::Secret': 'secretsmanager'}
HOLDS_NO_PATIENT_DATA = {
    'AWS::Serverless::Function',
    'AWS::Serverless::HttpApi',
    'AWS::Serverless::LayerVersion',
    'AWS::Logs::LogGroup',  # API access logs: ids, status, latency, source IP
    'AWS::CloudWatch::Alarm',
    'AWS::CloudWatch::Dashboard',  # metric names, pharmacy ids and alarm ARNs
    'Custom::ConfigSeed',
    'AWS::KMS::Key',
    'AWS::KMS::Alias',
}

# What KMS actions a call makes the service request as the caller (AWS docs, cited in the README):
# DynamoDB decrypts the table key for any access; SQS generates and checks a data key for a producer and decrypts
# it for a consumer; Secrets Manager decrypts to read and generates a data key to write.
DECRYPT, GENERATE = 'kms:Decrypt', 'kms:GenerateDataKey'
KMS_USE = {
    'secretsmanager:GetSecretValue': {(DECRYPT, 'secretsmanager')},
    'secretsmanager:PutSecretValue': {(DECRYPT, 'secretsmanager'), (GENERATE, 'secretsmanager')},
    'sqs:SendMessage': {(DECRYPT, 'sqs'), (GENERATE, 'sqs')},
    'sqs:ReceiveMessage': {(DECRYPT, 'sqs')},
    'sqs:ChangeMessageVisibility': set(),  # touches no message body
    'sqs:DeleteMessage': set(),
}
# What DynamoDB requires on a customer managed key (for the principal that creates or switches a table).
DYNAMODB_KEY_ACTIONS = {
    'kms:Encrypt',
    'kms:Decrypt',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:DescribeKey',
    'kms:CreateGrant',
}
CRYPTOGRAPHIC = DYNAMODB_KEY_ACTIONS - {'kms:DescribeKey'}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def service_of(via: Any) -> str:
    endpoint: str = via['Fn::Sub']
    assert endpoint.endswith('.${AWS::Region}.amazonaws.com'), endpoint
    return endpoint.removesuffix('.${AWS::Region}.amazonaws.com')


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in function['Properties'].get('Policies', []) for s in policy['Statement']]


def kms_needed(function: dict[str, Any]) -> set[tuple[str, str]]:
    """The (KMS action, service) pairs a function's own AWS calls need once its data is under the key."""
    needed: set[tuple[str, str]] = set()
    for statement in statements(function):
        for action in as_list(statement['Action']):
            if action.startswith('kms:'):
                continue
            if action.startswith('dynamodb:'):
                needed.add((DECRYPT, 'dynamodb'))
            else:
                assert action in KMS_USE, f'{action}: say which KMS actions it needs under the data key'
                needed |= KMS_USE[action]
    for event in function['Properties'].get('Events', {}).values():
        if event['Type'] == 'SQS':  # Lambda's poller receives with the function's role
            needed.add((DECRYPT, 'sqs'))
    return needed


def kms_granted(function: dict[str, Any], key: Any) -> set[tuple[str, str]]:
    granted = set()
    for statement in statements(function):
        actions = as_list(statement['Action'])
        if not any(a.startswith('kms:') for a in actions):
            continue
        assert all(a.startswith('kms:') for a in actions), statement
        assert statement['Effect'] == 'Allow' and statement['Resource'] == key, statement
        assert list(statement['Condition']) == ['StringEquals'] and list(statement['Condition']['StringEquals']) == [
            'kms:ViaService'
        ], statement
        for via in as_list(statement['Condition']['StringEquals']['kms:ViaService']):
            granted |= {(action, service_of(via)) for action in actions}
    return granted


def key_policy() -> list[dict[str, Any]]:
    [key] = deployed_resources(DATA_KEY_MODES['Create'], 'AWS::KMS::Key').values()
    statements: list[dict[str, Any]] = key['Properties']['KeyPolicy']['Statement']
    return statements


def allowed_through(service: str) -> set[str]:
    return {
        action
        for s in key_policy()
        if 'Condition' in s and service in {service_of(v) for v in as_list(s['Condition']['StringEquals']['kms:ViaService'])}
        for action in s['Action']
    }


def test_every_resource_type_is_a_data_store_or_holds_no_patient_data() -> None:
    kinds = {r['Type'] for r in template()['Resources'].values()}
    assert kinds <= set(DATA_STORES) | HOLDS_NO_PATIENT_DATA, kinds - set(DATA_STORES) - HOLDS_NO_PATIENT_DATA
    assert set(DATA_STORES) <= kinds


@pytest.mark.parametrize('mode', sorted(DATA_KEY_MODES))
def test_every_table_uses_the_data_key_when_on_and_the_aws_managed_key_when_off(mode: str) -> None:
    tables = deployed_resources(DATA_KEY_MODES[mode], 'AWS::DynamoDB::Table')
    assert set(tables) == set(resources('AWS::DynamoDB::Table'))
    for name, table in tables.items():
        expected = (
            {'SSEEnabled': True, 'SSEType': 'KMS', 'KMSMasterKeyId': KEY_OF_MODE[mode]}
            if mode in ON
            else {'SSEEnabled': True}  # as before: the AWS managed key aws/dynamodb
        )
        assert table['Properties']['SSESpecification'] == expected, name


@pytest.mark.parametrize('mode', sorted(DATA_KEY_MODES))
def test_every_queue_uses_the_data_key_when_on_and_sqs_managed_encryption_when_off(mode: str) -> None:
    queues = deployed_resources(DATA_KEY_MODES[mode], 'AWS::SQS::Queue')
    assert queues
    for name, queue in queues.items():
        props = queue['Properties']
        if mode in ON:
            assert props['KmsMasterKeyId'] == KEY_OF_MODE[mode], name
            assert props['SqsManagedSseEnabled'] is False, name  # SQS takes one kind of encryption per queue
            # one KMS call pair per caller an hour instead of every 5 minutes (SQS's default); within SQS's bounds
            assert 3600 <= props['KmsDataKeyReusePeriodSeconds'] <= 86_400, name
        else:
            assert props['SqsManagedSseEnabled'] is True, name
            assert 'KmsMasterKeyId' not in props and 'KmsDataKeyReusePeriodSeconds' not in props, name


@pytest.mark.parametrize('mode', sorted(DATA_KEY_MODES))
def test_every_secret_uses_the_data_key_when_on_and_the_aws_managed_key_when_off(mode: str) -> None:
    secrets = deployed_resources(DATA_KEY_MODES[mode], 'AWS::SecretsManager::Secret')
    assert secrets
    for name, secret in secrets.items():
        if mode in ON:
            assert secret['Properties']['KmsKeyId'] == KEY_OF_MODE[mode], name
        else:
            assert 'KmsKeyId' not in secret['Properties'], name  # aws/secretsmanager


@pytest.mark.parametrize('mode', sorted(DATA_KEY_MODES))
def test_the_key_exists_only_when_the_stack_creates_it(mode: str) -> None:
    keys = deployed_resources(DATA_KEY_MODES[mode], 'AWS::KMS::Key')
    aliases = deployed_resources(DATA_KEY_MODES[mode], 'AWS::KMS::Alias')
    outputs = {
        name
        for name, output in template()['Outputs'].items()
        if 'Condition' not in output or condition(output['Condition'], DATA_KEY_MODES[mode])
    }
    assert ('PatientDataKeyArn' in outputs) is (mode in ON)
    if mode != 'Create':
        assert keys == {} and aliases == {}
        return
    [(name, key)] = keys.items()
    [alias] = aliases.values()
    assert alias['Properties']['TargetKeyId'] == {'Ref': name}
    assert deployed(template()['Outputs']['PatientDataKeyArn']['Value'], DATA_KEY_MODES[mode]) == KEY_OF_MODE[mode]


def test_the_created_key_rotates_yearly_and_outlives_the_tables_it_protects() -> None:
    [key] = deployed_resources(DATA_KEY_MODES['Create'], 'AWS::KMS::Key').values()
    assert key['Properties']['EnableKeyRotation'] is True
    assert key['Properties']['KeySpec'] == 'SYMMETRIC_DEFAULT' and key['Properties']['KeyUsage'] == 'ENCRYPT_DECRYPT'
    assert 'RotationPeriodInDays' not in key['Properties']  # AWS's default: 365 days
    # tables are retained with their backups and recovery points, which stay encrypted under this key
    assert (key['DeletionPolicy'], key['UpdateReplacePolicy']) == ('Retain', 'Retain')
    for table in template()['Resources'].values():
        if table['Type'] == 'AWS::DynamoDB::Table':
            assert table['DeletionPolicy'] == 'Retain'


def test_the_key_policy_keeps_the_key_manageable_and_allows_use_only_through_the_data_services() -> None:
    policy = key_policy()
    for statement in policy:
        assert statement['Effect'] == 'Allow' and statement['Principal'] == ACCOUNT_ROOT, statement
        assert statement['Resource'] == '*', statement  # in a key policy '*' is the key itself
        for action in statement['Action']:
            assert action.startswith('kms:') and '*' not in action, action
        if CRYPTOGRAPHIC & set(statement['Action']):
            conditions = statement['Condition']['StringEquals']
            assert conditions['kms:CallerAccount'] == {'Ref': 'AWS::AccountId'}, statement
            assert conditions['kms:ViaService'], statement
    unconditioned = {a for s in policy if 'Condition' not in s for a in s['Action']}
    assert not unconditioned & CRYPTOGRAPHIC  # administration never decrypts
    assert {'kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:DisableKey', 'kms:RevokeGrant'} <= unconditioned


def test_the_key_policy_allows_each_data_service_what_it_needs() -> None:
    services = set(DATA_STORES.values())
    allowed = {
        service_of(v) for s in key_policy() if 'Condition' in s for v in as_list(s['Condition']['StringEquals']['kms:ViaService'])
    }
    assert allowed == services
    assert allowed_through('dynamodb') == DYNAMODB_KEY_ACTIONS
    assert allowed_through('sqs') == {DECRYPT, GENERATE}
    assert allowed_through('secretsmanager') == {DECRYPT, GENERATE}
    functions = deployed_resources(DATA_KEY_MODES['Create'], 'AWS::Serverless::Function')
    for name, function in functions.items():
        for action, service in kms_needed(function):
            assert action in allowed_through(service), (name, action, service)


@pytest.mark.parametrize('mode', sorted(DATA_KEY_MODES))
def test_each_function_may_use_the_key_exactly_as_its_work_needs(mode: str) -> None:
    functions = deployed_resources(DATA_KEY_MODES[mode], 'AWS::Serverless::Function')
    touching = 0
    for name, function in functions.items():
        needed = kms_needed(function)
        granted = kms_granted(function, KEY_OF_MODE.get(mode))
        assert granted == (needed if mode in ON else set()), name
        touching += bool(needed)
    assert touching >= 10  # the API, webhook, reconcile, callback and seed functions all hold patient data


def test_a_function_that_touches_no_data_gets_no_key_and_one_that_sends_callbacks_gets_a_data_key() -> None:
    functions = deployed_resources(DATA_KEY_MODES['Create'], 'AWS::Serverless::Function')
    assert kms_granted(functions['HealthFunction'], KEY_OF_MODE['Create']) == set()
    assert kms_granted(functions['SubmitFunction'], KEY_OF_MODE['Create']) == {
        (DECRYPT, 'dynamodb'),
        (DECRYPT, 'secretsmanager'),
        (DECRYPT, 'sqs'),
        (GENERATE, 'sqs'),
    }
    assert kms_granted(functions['CallbackSenderFunction'], KEY_OF_MODE['Create']) == {
        (DECRYPT, 'dynamodb'),
        (DECRYPT, 'sqs'),
    }


def test_existing_mode_needs_a_key_arn_and_only_existing_mode_takes_one() -> None:
    assert rules_hold(DATA_KEY_MODES['None']) and rules_hold(DATA_KEY_MODES['Create'])
    assert rules_hold(DATA_KEY_MODES['Existing'])
    assert not rules_hold({'DataKeyMode': 'Existing'})
    assert not rules_hold({'DataKeyMode': 'Create', 'DataKeyArn': DATA_KEY_MODES['Existing']['DataKeyArn']})
    pattern = template()['Parameters']['DataKeyArn']['AllowedPattern']
    assert re.fullmatch(pattern, DATA_KEY_MODES['Existing']['DataKeyArn'])
    assert re.fullmatch(pattern, '')
    assert not re.fullmatch(pattern, 'alias/pharmacy-router')  # IAM policies name the key, not an alias


def test_the_data_key_is_off_by_default_and_on_for_prod() -> None:
    assert template()['Parameters']['DataKeyMode']['Default'] == 'None'
    config = tomllib.loads((ROOT / 'samconfig.toml').read_text())

    def overrides(environment: str) -> dict[str, str]:
        pairs = shlex.split(config[environment]['deploy']['parameters']['parameter_overrides'])
        return dict(pair.split('=', 1) for pair in pairs)

    assert overrides('prod')['DataKeyMode'] == 'Create'
    assert overrides('default').get('DataKeyMode', 'None') == 'None'

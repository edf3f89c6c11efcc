"""AWS on loopback: moto's server mode, with the template's tables (built from the pynamodb models),
queues (with their redrive policies) and secrets created under local names."""

import json
import logging
import os
from dataclasses import dataclass, field

from moto.server import ThreadedMotoServer

from rxlocal import template

REGION = 'us-east-1'
ACCOUNT = '123456789012'


@dataclass
class LocalAws:
    endpoint: str
    server: ThreadedMotoServer
    refs: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.server.stop()


def start(port: int = 0) -> LocalAws:
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    endpoint = f'http://{host}:{bound}'
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID='local',
        AWS_SECRET_ACCESS_KEY='local',  # noqa: S106 - moto accepts any credentials
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )
    os.environ.pop('AWS_PROFILE', None)
    os.environ.pop('AWS_SESSION_TOKEN', None)
    return LocalAws(endpoint=endpoint, server=server)


def name_resources(aws: LocalAws, prefix: str) -> None:
    """Physical names for every table, queue and secret, as Ref / GetAtt would give them."""
    for logical in template.resources('AWS::DynamoDB::Table'):
        name = f'{prefix}-{logical}'
        aws.refs[logical] = name
        aws.refs[f'{logical}.Arn'] = f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}'
    for logical in template.resources('AWS::SQS::Queue'):
        name = f'{prefix}-{logical}'
        aws.refs[logical] = f'{aws.endpoint}/{ACCOUNT}/{name}'
        aws.refs[f'{logical}.Arn'] = f'arn:aws:sqs:{REGION}:{ACCOUNT}:{name}'
        aws.refs[f'{logical}.QueueName'] = name
    for logical in template.resources('AWS::SecretsManager::Secret'):
        aws.refs[logical] = f'{prefix}-{logical}'
    for logical in (*template.resources('AWS::Serverless::HttpApi'), *template.resources('AWS::Serverless::Function')):
        aws.refs.setdefault(logical, f'{prefix}-{logical}')
    aws.refs.update(
        {'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': prefix}
    )


def function_environment(refs: dict[str, str]) -> dict[str, str]:
    """The union of every function's environment (Globals merged), resolved. Conflicts are errors."""
    merged: dict[str, str] = {}
    for fn in template.functions().values():
        for key, raw in fn.environment.items():
            value = template.resolve(raw, refs)
            if merged.get(key, value) != value:
                raise ValueError(f'{key} differs between functions; the local stack runs them in one process')
            merged[key] = value
    return merged


def create_tables() -> None:
    """Creates each template table from the pynamodb model bound to it (so the two cannot drift)."""
    from rx_router.store.models import ALL_MODELS

    declared = {os.environ.get(var) for var in os.environ if var.endswith('_TABLE')}
    for model in ALL_MODELS:
        if model.Meta.table_name not in declared:
            raise RuntimeError(f'{model.__name__} table {model.Meta.table_name} is not declared in template.yaml')
        if not model.exists():
            model.create_table(wait=True)


def create_queues(aws: LocalAws) -> None:
    import boto3

    sqs = boto3.client('sqs')
    queues = template.resources('AWS::SQS::Queue')
    ordered = sorted(queues, key=lambda name: 'RedrivePolicy' in queues[name].get('Properties', {}))
    for logical in ordered:
        props = queues[logical].get('Properties', {})
        attributes = {
            key: str(props[key]) for key in ('VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds') if key in props
        }
        if 'RedrivePolicy' in props:
            policy = props['RedrivePolicy']
            attributes['RedrivePolicy'] = json.dumps(
                {
                    'deadLetterTargetArn': template.resolve(policy['deadLetterTargetArn'], aws.refs),
                    'maxReceiveCount': str(policy['maxReceiveCount']),
                }
            )
        sqs.create_queue(QueueName=aws.refs[f'{logical}.QueueName'], Attributes=attributes)


def create_secrets(aws: LocalAws) -> None:
    """Each template secret, holding an empty JSON object as a new stack's do (the stack fills in local values)."""
    import boto3

    client = boto3.client('secretsmanager')
    for logical in template.resources('AWS::SecretsManager::Secret'):
        created = client.create_secret(Name=aws.refs[logical], SecretString='{}')
        aws.refs[logical] = created['ARN']

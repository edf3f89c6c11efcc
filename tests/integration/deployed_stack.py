"""A CloudFormation stack (moto) exposing the outputs `rxrouter --stack NAME` reads, pointing at the test tables,
secrets and queues (template.yaml's Outputs)."""

import json
import os

import boto3

OUTPUTS = {
    'ApiClientsTableName': os.environ['API_CLIENTS_TABLE'],
    'RoutingTableName': os.environ['ROUTING_TABLE'],
    'PharmacyConfigTableName': os.environ['PHARMACY_CONFIG_TABLE'],
    'SubmissionsTableName': os.environ['SUBMISSIONS_TABLE'],
    'TimelineTableName': os.environ['TIMELINE_TABLE'],
    'PrescriptionGatesTableName': os.environ['PRESCRIPTION_GATES_TABLE'],
    'PharmacyCredentialsSecretArn': os.environ['PHARMACY_CREDENTIALS_SECRET'],
    'WebhookSecretsSecretArn': os.environ['WEBHOOK_SECRETS_SECRET'],
    'CallbackQueueUrl': os.environ['CALLBACK_QUEUE_URL'],
    'CallbackDeadLetterQueueUrl': os.environ['CALLBACK_QUEUE_URL'] + '-dlq',  # conftest's test-callbacks-dlq
}


def create_stack(name: str, outputs: dict[str, str] = OUTPUTS) -> str:
    template = {
        'Resources': {'Placeholder': {'Type': 'AWS::SQS::Queue'}},
        'Outputs': {key: {'Value': value} for key, value in outputs.items()},
    }
    boto3.client('cloudformation').create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name

"""A CloudFormation stack (moto) exposing the outputs `rxrouter --stack NAME` reads, pointing at the test tables."""

import json
import os

import boto3

OUTPUTS = {
    'ApiClientsTableName': os.environ['API_CLIENTS_TABLE'],
    'RoutingTableName': os.environ['ROUTING_TABLE'],
    'SubmissionsTableName': os.environ['SUBMISSIONS_TABLE'],
    'CallbackQueueUrl': os.environ['CALLBACK_QUEUE_URL'],
}


def create_stack(name: str, outputs: dict[str, str] = OUTPUTS) -> str:
    template = {
        'Resources': {'Placeholder': {'Type': 'AWS::SQS::Queue'}},
        'Outputs': {key: {'Value': value} for key, value in outputs.items()},
    }
    boto3.client('cloudformation').create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name

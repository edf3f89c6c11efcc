"""Runs the real submit handler in-process with the network stubbed; writes its timings as JSON.

Run by bench.py in a fresh process (it patches botocore for the whole process).
"""

import io
import json
import statistics
import sys
import time
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse

CLIENT_ITEM = {
    'apiKey': {'S': 'rxk_bench'},
    'id': {'S': 'client-bench'},
    'name': {'S': 'bench'},
    'secrets': {'L': [{'S': 'bench-secret'}]},
    'active': {'BOOL': True},
    'createdAt': {'S': '2026-01-01T00:00:00.000Z'},
    'updatedAt': {'S': '2026-01-01T00:00:00.000Z'},
}
ROUTES = [
    {
        'state': {'S': 'TX'},
        'pharmacy': {'S': 'strive'},
        'priority': {'N': '100'},
        'isActive': {'BOOL': True},
        'updatedAt': {'S': 'x'},
    }
]
CONFIG = [
    {
        'pk': {'S': 'pharmacy'},
        'sk': {'S': 'strive'},
        'updatedAt': {'S': 'x'},
        'record': {
            'S': json.dumps(
                {
                    'id': 'strive',
                    'type': 'rxvortex',
                    'label': 'Strive',
                    'settings': {
                        'base_url': 'https://strive.bench.invalid',
                        'sandbox_url': 'https://sandbox.strive.bench.invalid',
                    },
                    'credentials_key': 'strive',
                    'webhook_secret_key': 'strive',
                }
            )
        },
    },
    {
        'pk': {'S': 'catalog#strive'},
        'sk': {'S': 'semaglutide'},
        'updatedAt': {'S': 'x'},
        'record': {
            'S': json.dumps(
                {
                    'pharmacy': 'strive',
                    'product': 'semaglutide',
                    'name': 'Semaglutide',
                    'native_id': 'cat-sema',
                    'match': ['semaglutide'],
                }
            )
        },
    },
]
CREDENTIALS = json.dumps({'strive': {'client_id': 'cid', 'client_secret': 'csecret'}})


class RawBody(io.BytesIO):
    def stream(self, **kwargs: Any) -> Any:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def answer(request: Any, **kwargs: Any) -> AWSResponse:
    target = request.headers.get('X-Amz-Target', b'')
    target = target.decode() if isinstance(target, bytes) else target
    operation = target.rsplit('.', 1)[-1]
    if operation == 'GetItem':
        body: dict[str, Any] = {'Item': CLIENT_ITEM}
    elif operation == 'Scan':
        items = CONFIG if 'pharmacy-config' in json.loads(request.body)['TableName'] else ROUTES
        body = {'Items': items, 'Count': len(items), 'ScannedCount': len(items)}
    elif operation == 'UpdateItem' and json.loads(request.body).get('ReturnValues', 'NONE') == 'NONE':
        body = {}
    elif operation == 'UpdateItem':
        sent = json.loads(request.body)
        attributes = {
            k: {'S': 'x'}
            for k in (
                'apiKeyId',
                'apiKey',
                'source',
                'sourceOrderId',
                'callbackUrl',
                'patientState',
                'medicationName',
                'createdAt',
                'updatedAt',
            )
        }
        attributes.update(
            id=sent['Key']['id'],
            pharmacy={'S': 'strive'},
            status={'S': 'submitted'},
            pharmacyOrderId={'S': 'STV-1'},
            test={'BOOL': False},
            requestPayload={'S': '{}'},
            callbackUrl={'S': 'https://127.0.0.1/cb'},
            history={'L': []},
            version={'N': '2'},
        )
        body = {'Attributes': attributes}
    elif operation == 'SendMessage':
        body = {'MessageId': 'm-1', 'MD5OfMessageBody': '0' * 32}
    elif operation == 'GetSecretValue':
        body = {'Name': 'bench/pharmacy-credentials', 'SecretString': CREDENTIALS}
    else:  # TransactWriteItems and anything else that answers with an empty object
        body = {}
    return AWSResponse(request.url, 200, {'content-type': 'application/x-amz-json-1.0'}, RawBody(json.dumps(body).encode()))


_create_client = botocore.session.Session.create_client


def create_stubbed_client(self: Any, *args: Any, **kwargs: Any) -> Any:
    client = _create_client(self, *args, **kwargs)
    client.meta.events.register_first('before-send', answer)
    return client


botocore.session.Session.create_client = create_stubbed_client  # type: ignore[method-assign]


def main(result_path: str) -> None:
    import httpx

    from functions.submit.app import lambda_handler
    from rx_router import http_clients
    from tests.support import Credentials, LambdaContext, submission, submit_event

    def pharmacy(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith('generate-access-token'):
            return httpx.Response(200, json={'access_token': 't', 'expires_in': 86400})
        return httpx.Response(201, json={'order_tracking_id': 'STV-1', 'status': 'Created'})

    http_clients._clients['pharmacy'] = httpx.Client(transport=httpx.MockTransport(pharmacy))
    creds = Credentials('rxk_bench', 'bench-secret')
    batch, batches = 200, 15
    events = [
        submit_event(creds, submission(sourceOrderId=f'bench-{i}', callbackUrl='https://127.0.0.1/cb'))
        for i in range(batch * batches + 1)
    ]
    context = LambdaContext()

    started = time.perf_counter()
    assert lambda_handler(events[0], context)['statusCode'] == 201
    first_ms = (time.perf_counter() - started) * 1000

    per_call = []
    for b in range(batches):
        chunk = events[1 + b * batch : 1 + (b + 1) * batch]
        cpu = time.process_time()
        for event in chunk:
            lambda_handler(event, context)
        per_call.append((time.process_time() - cpu) * 1000 / batch)
    status = lambda_handler(events[-1], context)['statusCode']
    assert status == 201, status
    figures = {'first_ms': first_ms, 'warm_cpu_ms': statistics.median(per_call), 'batch': batch, 'batches': batches}
    more_events = [
        submit_event(creds, submission(sourceOrderId=f'bench-aws-{i}', callbackUrl='https://127.0.0.1/cb'))
        for i in range(batch * batches)
    ]
    figures['aws_calls_cpu_ms'] = aws_calls_cpu_ms(lambda_handler, more_events, context, batch)
    with open(result_path, 'w') as out:
        json.dump({**figures, 'getitem_cpu_ms': getitem_cpu_ms(), 'three_calls_floor_ms': three_calls_floor_ms()}, out)


def aws_calls_cpu_ms(handler: Any, events: list[Any], context: Any, batch: int) -> float:
    """CPU per submit spent inside its three AWS calls (reserve, record the outcome, queue the callback)."""
    from rx_router.callbacks import jobs
    from rx_router.store import submissions

    spent = [0.0]

    def timed(fn: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - started

        return call

    originals = submissions.reserve, submissions.record_outcome, jobs.enqueue
    submissions.reserve, submissions.record_outcome, jobs.enqueue = (timed(fn) for fn in originals)
    try:
        per_call = []
        for b in range(0, len(events), batch):
            spent[0] = 0.0
            for event in events[b : b + batch]:
                handler(event, context)
            per_call.append(spent[0] * 1000 / batch)
    finally:
        submissions.reserve, submissions.record_outcome, jobs.enqueue = originals
    return statistics.median(per_call)


def three_calls_floor_ms() -> float:
    """The same three calls made directly on botocore clients, with pynamodb's client options for DynamoDB:
    the least CPU a submit can spend on AWS while it reserves, records and queues through botocore."""
    from botocore.config import Config

    from tests.support import submission

    session = botocore.session.get_session()
    dynamodb = session.create_client('dynamodb', config=Config(parameter_validation=False))
    sqs = session.create_client('sqs')
    item = {'id': {'S': '0' * 36}, 'status': {'S': 'pending'}, 'requestPayload': {'S': json.dumps(submission())}}

    def submit_calls() -> None:
        dynamodb.put_item(TableName='t', Item=item, ConditionExpression='attribute_not_exists(id)')
        dynamodb.update_item(
            TableName='t',
            Key={'id': item['id']},
            UpdateExpression='SET #s = :s',
            ConditionExpression='#s = :p',
            ExpressionAttributeNames={'#s': 'status'},
            ExpressionAttributeValues={':s': {'S': 'submitted'}, ':p': {'S': 'pending'}},
        )
        sqs.send_message(QueueUrl='https://sqs.us-east-1.amazonaws.com/123456789012/q', MessageBody='{"eventId":"x"}')

    samples = []
    for _ in range(9):
        cpu = time.process_time()
        for _ in range(300):
            submit_calls()
        samples.append((time.process_time() - cpu) * 1000 / 300)
    return statistics.median(samples)


def getitem_cpu_ms() -> float:
    """CPU of one stubbed GetItem on a default botocore client: a yardstick for comparing machines."""
    client = botocore.session.get_session().create_client('dynamodb')
    samples = []
    for _ in range(7):
        cpu = time.process_time()
        for _ in range(500):
            client.get_item(TableName='bench-api-clients', Key={'apiKey': {'S': 'rxk_bench'}})
        samples.append((time.process_time() - cpu) * 1000 / 500)
    return statistics.median(samples)


if __name__ == '__main__':
    main(sys.argv[1])

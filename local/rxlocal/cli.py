"""rxrouter: operate a Pharmacy Router, the local stack by default or a deployed stack by name.

With no --stack, it reads the state file the running local stack wrote (make run). With --stack it
reads the stack's outputs through the boto3 default credential chain (--region or AWS_REGION).
"""

import argparse
import json
import os
import sys
from typing import Any

import httpx

from rxlocal import state

STACK_OUTPUT_ENV = {
    'ApiClientsTableName': 'API_CLIENTS_TABLE',
    'RoutingTableName': 'ROUTING_TABLE',
    'SubmissionsTableName': 'SUBMISSIONS_TABLE',
}
SUPPORT_FIELDS = (
    'id', 'status', 'pharmacy', 'pharmacyOrderId', 'trackingNumber', 'carrier', 'errorMessage', 'test',
    'patientState', 'medicationName', 'source', 'sourceOrderId', 'apiKeyId', 'callbackUrl',
    'submittedAt', 'createdAt', 'updatedAt', 'lastCallback', 'history',
)  # fmt: skip


class CliError(Exception):
    pass


QUEUE_OUTPUTS = {'CallbackQueue': 'CallbackQueueUrl', 'CallbackDeadLetterQueue': 'CallbackDeadLetterQueueUrl'}
_queues: dict[str, str] = {}


def connect(args: argparse.Namespace) -> dict[str, Any] | None:
    """Points the layer's store at the target stack; returns the local state when local."""
    if args.stack:
        import boto3

        session = boto3.session.Session(region_name=args.region)
        outputs = session.client('cloudformation').describe_stacks(StackName=args.stack)['Stacks'][0].get('Outputs', [])
        values = {o['OutputKey']: o['OutputValue'] for o in outputs}
        missing = [k for k in STACK_OUTPUT_ENV if k not in values]
        if missing:
            raise CliError(f'stack {args.stack} lacks outputs {", ".join(missing)}')
        os.environ.update({env: values[key] for key, env in STACK_OUTPUT_ENV.items()})
        _queues.update({logical: values[key] for logical, key in QUEUE_OUTPUTS.items() if key in values})
        if session.region_name:
            os.environ['AWS_DEFAULT_REGION'] = session.region_name
        return None
    local = state.read()
    if local is None:
        raise CliError(
            f'no local stack is running ({state.state_file()} is missing): start one with `make run`, or pass --stack NAME'
        )
    os.environ.update(local['environment'])
    _queues.update(local.get('queues', {}))
    os.environ.update(
        AWS_ENDPOINT_URL=local['awsEndpoint'],
        AWS_DEFAULT_REGION=local['region'],
        AWS_ACCESS_KEY_ID='local',
        AWS_SECRET_ACCESS_KEY='local',  # noqa: S106 - moto accepts any credentials
    )
    return local


def emit(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def clients_create(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.clients import create_client

    issued = create_client(args.name)
    emit({'apiKey': issued.client.api_key, 'apiSecret': issued.api_secret})


def clients_list(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.clients import list_clients

    emit([
        {'apiKey': c.api_key, 'id': c.client_id, 'name': c.name, 'active': c.active, 'activeSecrets': len(c.secrets),
         'createdAt': c.created_at, 'updatedAt': c.updated_at}
        for c in sorted(list_clients(), key=lambda c: c.created_at)
    ])  # fmt: skip


def clients_rotate(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.clients import rotate_secret

    issued = rotate_secret(args.api_key)
    emit(
        {
            'apiKey': issued.client.api_key,
            'apiSecret': issued.api_secret,
            'note': 'the previous secret stays valid until the next rotation',
        }
    )


def clients_revoke(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.clients import revoke

    revoke(args.api_key)
    emit({'apiKey': args.api_key, 'active': False})


def routes_list(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.routes import load_routes

    rows = sorted(load_routes(), key=lambda r: (r.state, -r.priority, r.pharmacy))
    emit([{'state': r.state, 'pharmacy': r.pharmacy, 'priority': r.priority, 'isActive': r.is_active} for r in rows])


def routes_set(args: argparse.Namespace, local: Any) -> None:
    from rx_router.pharmacies import PHARMACIES
    from rx_router.store.routes import Route, put_route
    from rx_router.validation.us import US_STATES

    state_code, pharmacy = args.state.upper(), args.pharmacy.lower()
    if state_code not in US_STATES:
        raise CliError(f'{args.state} is not a two-letter US state code')
    if pharmacy not in PHARMACIES:
        raise CliError(f'unknown pharmacy {args.pharmacy}; known: {", ".join(sorted(PHARMACIES))}')
    route = Route(state_code, pharmacy, args.priority, not args.inactive)
    put_route(route)
    emit({'state': route.state, 'pharmacy': route.pharmacy, 'priority': route.priority, 'isActive': route.is_active,
          'note': 'running routers pick this up within ROUTING_CACHE_SECONDS (60 s by default)'})  # fmt: skip


def submission_record(submission_id: str) -> Any:
    from rx_router.service.get_submission import submission_view
    from rx_router.store.submissions import get

    record = get(submission_id)
    if record is None:
        raise CliError(f'no submission {submission_id}')
    return submission_view(record)


def submissions_show(args: argparse.Namespace, local: Any) -> None:
    view = submission_record(args.submission_id)
    shown = {key: view[key] for key in SUPPORT_FIELDS}
    if args.payloads:
        shown.update(requestPayload=view['requestPayload'], responsePayload=view['responsePayload'])
    emit(shown)


def sandbox_action(args: argparse.Namespace, local: Any) -> None:
    if local is None:
        raise CliError('sandbox commands work against the local stack only')
    view = submission_record(args.submission_id)
    if not view['pharmacyOrderId']:
        raise CliError(f'submission {args.submission_id} has no pharmacy order (status {view["status"]})')
    url = local['sandboxes'][view['pharmacy']]
    options = {'trackingNumber': args.tracking} if getattr(args, 'tracking', None) else {}
    response = httpx.post(f'{url}/_sandbox/orders/{view["pharmacyOrderId"]}/{args.action}', json=options, timeout=15)
    emit(response.json())
    if response.status_code >= 400:
        raise CliError(f'sandbox answered {response.status_code}')


def callbacks_redrive(args: argparse.Namespace, local: Any) -> None:
    """Moves every job from the callback DLQ back to the callback queue (fix the receiver first)."""
    import boto3

    if not {'CallbackQueue', 'CallbackDeadLetterQueue'} <= _queues.keys():
        raise CliError('the target stack does not expose its callback queues')
    sqs = boto3.client('sqs')
    moved = 0
    while args.limit is None or moved < args.limit:
        batch = sqs.receive_message(QueueUrl=_queues['CallbackDeadLetterQueue'], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = batch.get('Messages', [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=_queues['CallbackQueue'], MessageBody=message['Body'])
            sqs.delete_message(QueueUrl=_queues['CallbackDeadLetterQueue'], ReceiptHandle=message['ReceiptHandle'])
            moved += 1
    emit({'redriven': moved})


def callbacks_resend(args: argparse.Namespace, local: Any) -> None:
    """Queues the callback for a submission's current state again (after `not-queued`, or on request)."""
    from rx_router.callbacks import jobs
    from rx_router.store.submissions import PENDING, get

    if 'CallbackQueue' not in _queues:
        raise CliError('the target stack does not expose its callback queue')
    record = get(args.submission_id)
    if record is None:
        raise CliError(f'no submission {args.submission_id}')
    if record.status == PENDING:
        raise CliError(f'submission {args.submission_id} is still pending: there is no result to call back yet')
    job = jobs.latest_job(record)
    jobs.send(job, _queues['CallbackQueue'])
    emit({'submissionId': record.id, 'status': record.status, 'eventId': job.event_id, 'queued': True})


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog='rxrouter', description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument('--stack', help='a deployed stack name (default: the running local stack)')
    root.add_argument('--region', help='AWS region of --stack (default: the boto3 chain)')
    groups = root.add_subparsers(dest='group', required=True)

    clients = groups.add_parser('clients', help='API clients').add_subparsers(dest='command', required=True)
    create = clients.add_parser('create', help='provision a client; prints its key and secret once')
    create.add_argument('--name', required=True)
    create.set_defaults(run=clients_create)
    clients.add_parser('list', help='clients (never their secrets)').set_defaults(run=clients_list)
    rotate = clients.add_parser('rotate-secret', help='issue a new secret; the previous one stays valid')
    rotate.add_argument('api_key')
    rotate.set_defaults(run=clients_rotate)
    revoke = clients.add_parser('revoke', help='deactivate a client')
    revoke.add_argument('api_key')
    revoke.set_defaults(run=clients_revoke)

    routes = groups.add_parser('routes', help='the routing table').add_subparsers(dest='command', required=True)
    routes.add_parser('list').set_defaults(run=routes_list)
    put = routes.add_parser('set', help='add or change a (state, pharmacy) row')
    put.add_argument('state')
    put.add_argument('pharmacy')
    put.add_argument('--priority', type=int, required=True)
    put.add_argument('--inactive', action='store_true')
    put.set_defaults(run=routes_set)

    submissions = groups.add_parser('submissions', help='submission records').add_subparsers(dest='command', required=True)
    show = submissions.add_parser('show', help='what support needs to answer "where is my medication?"')
    show.add_argument('submission_id')
    show.add_argument('--payloads', action='store_true', help='include the request (patient data) and pharmacy response')
    show.set_defaults(run=submissions_show)

    callbacks = groups.add_parser('callbacks', help='callback delivery').add_subparsers(dest='command', required=True)
    redrive = callbacks.add_parser('redrive', help='replay the dead-letter queue into the callback queue')
    redrive.add_argument('--limit', type=int, help='move at most this many jobs')
    redrive.set_defaults(run=callbacks_redrive)
    resend = callbacks.add_parser('resend', help="queue a submission's latest callback again (same event id)")
    resend.add_argument('submission_id')
    resend.set_defaults(run=callbacks_resend)

    sandbox = groups.add_parser('sandbox', help='make a sandbox pharmacy act on an order (local stack)')
    actions = sandbox.add_subparsers(dest='action', required=True)
    for action in ('process', 'ship', 'deliver', 'cancel'):
        sub = actions.add_parser(action, help=f'the pharmacy sends its "{action}" webhook to the router')
        sub.add_argument('submission_id')
        if action == 'ship':
            sub.add_argument('--tracking', help='tracking number (random if omitted)')
        sub.set_defaults(run=sandbox_action)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        local = connect(args)
        args.run(args, local)
    except CliError as exc:
        print(f'rxrouter: {exc}', file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

"""rxrouter: operate a Pharmacy Router, the local stack by default or a deployed stack by name.

With no --stack, it reads the state file the running local stack wrote (make run). With --stack it
reads the stack's outputs through the boto3 default credential chain (--region or AWS_REGION).

  clients       API clients: create, list, rotate-secret, revoke
  pharmacies    pharmacy instances: list, show, add, set, disable (secrets are written, never printed)
  catalog       what a pharmacy can fill: list, set, remove
  products      a product's Default Pharmacy: list, set-default, clear-default
  routes        state routes: list, set; explain shows which pharmacy a prescription would go to, and why
  submissions   show (no patient data unless --payloads), timeline, sync (ask the pharmacy)
  diagnose      support's checklist for one submission, the escalation verdict and a summary to paste
  console       a read-only operator page on loopback (find, timeline, diagnosis, dead letters)
  providers     prescription providers' webhook secrets (Beluga)
  callbacks     redrive the dead-letter queue, resend a submission's callback
  sandbox       make a local sandbox pharmacy act on an order

Every command prints JSON. A refused change exits 2 with `rxrouter: <what to fix>` and writes nothing;
`--force` overrides the refusals that protect routing (disabling the last route of a state, or a product's
Default Pharmacy). Running routers pick configuration changes up within ROUTING_CACHE_SECONDS (60 s).
"""

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from rxlocal import state

if TYPE_CHECKING:
    from pydantic import BaseModel

    from rx_router.pharmacies.records import PharmacyConfig, PharmacyInstance, Route
    from rx_router.pharmacy_types.base import PharmacyType

STACK_OUTPUT_ENV = {
    'ApiClientsTableName': 'API_CLIENTS_TABLE',
    'RoutingTableName': 'ROUTING_TABLE',
    'PharmacyConfigTableName': 'PHARMACY_CONFIG_TABLE',
    'SubmissionsTableName': 'SUBMISSIONS_TABLE',
    'TimelineTableName': 'TIMELINE_TABLE',
    'PrescriptionGatesTableName': 'PRESCRIPTION_GATES_TABLE',
    'PharmacyCredentialsSecretArn': 'PHARMACY_CREDENTIALS_SECRET',
    'WebhookSecretsSecretArn': 'WEBHOOK_SECRETS_SECRET',
    'CallbackQueueUrl': 'CALLBACK_QUEUE_URL',
}
SUPPORT_FIELDS = (
    'id', 'status', 'pharmacy', 'pharmacyOrderId', 'trackingNumber', 'carrier', 'errorMessage', 'test',
    'patientState', 'medicationName', 'source', 'sourceOrderId', 'apiKeyId', 'callbackUrl',
    'submittedAt', 'createdAt', 'updatedAt', 'lastCallback', 'history',
    'routingDecision', 'product', 'pharmacyType', 'pharmacyStatus', 'heldFrom', 'packages',
)  # fmt: skip
MAX_WEBHOOK_SECRETS = 2  # the current one and, while rotating, the next
CACHE_NOTE = 'running routers pick this up within ROUTING_CACHE_SECONDS (60 s by default)'


class CliError(Exception):
    pass


DEAD_LETTER_QUEUE = 'CallbackDeadLetterQueue'
QUEUE_OUTPUTS = {DEAD_LETTER_QUEUE: 'CallbackDeadLetterQueueUrl'}
_queues: dict[str, str] = {}


def connect(args: argparse.Namespace) -> dict[str, Any] | None:
    """Points the layer's store at the target stack; returns the local state when local."""
    from rx_router import aws
    from rx_router.settings import settings

    settings.cache_clear()  # the layer reads its settings on first use: after this
    aws.reset()  # and builds its AWS clients from the environment this sets
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


# --- shared helpers -------------------------------------------------------------------------------------


def camel(record: 'BaseModel') -> dict[str, Any]:
    from pydantic.alias_generators import to_camel

    return {to_camel(key): value for key, value in record.model_dump(mode='json').items()}


def validated[M: 'BaseModel'](model: type[M], data: Any, what: str, hint: str = '') -> M:
    """`data` as `model` (pydantic's lax mode: "45" becomes 45 for an int); CliError naming each problem."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = '; '.join(
            f'{".".join(str(part) for part in error["loc"]) or "value"}: {error["msg"]}'
            for error in exc.errors(include_input=False)  # never echo a value back: it may be a secret
        )
        raise CliError(f'{what}: {problems}{hint}') from None


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """`--setting key=value ...` as a dict (values stay strings: the type's settings model coerces them)."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition('=')
        if not sep or not key.strip():
            raise CliError(f'--setting takes key=value, not {pair!r}')
        parsed[key.strip()] = value
    return parsed


def type_settings(type_name: str, kind: type['PharmacyType'], values: dict[str, Any]) -> dict[str, Any]:
    """Settings as the type's model validates and coerces them (the defaults it fills in are not stored)."""
    fields = kind.settings_model.model_fields
    accepted = ', '.join(f'{name} (required)' if field.is_required() else name for name, field in fields.items())
    checked = validated(kind.settings_model, values, f'settings of type {type_name}', f' ({type_name} accepts {accepted})')
    return checked.model_dump(mode='json', exclude_unset=True)


def pharmacy_type(name: str) -> type['PharmacyType']:
    from rx_router.pharmacy_types import registry

    try:
        return registry.get(name)
    except registry.UnknownType:
        raise CliError(f'unknown pharmacy type {name}; known types: {", ".join(registry.names())}') from None


def configured_pharmacy(config: 'PharmacyConfig', pharmacy_id: str) -> 'PharmacyInstance':
    instance = config.pharmacies.get(pharmacy_id)
    if instance is None:
        raise CliError(f'unknown pharmacy {pharmacy_id}; known: {", ".join(sorted(config.pharmacies))}')
    return instance


def read_input(path: str | None, stdin: bool, what: str) -> str | None:
    if stdin:
        return sys.stdin.read()
    if path is None:
        return None
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise CliError(f'cannot read the {what} file {path}: {exc.strerror}') from None


def read_credentials(args: argparse.Namespace, type_name: str, kind: type['PharmacyType']) -> dict[str, Any] | None:
    """The credentials document from --credentials-file / --credentials-stdin, validated by the type, or None."""
    text = read_input(args.credentials_file, args.credentials_stdin, 'credentials')
    if text is None:
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f'credentials must be a JSON object ({exc.msg} at line {exc.lineno})') from None
    fields = ', '.join(kind.credentials_model.model_fields)
    checked = validated(kind.credentials_model, document, f'credentials of type {type_name}', f' ({type_name} takes {fields})')
    return checked.model_dump(mode='json')


def read_webhook_secrets(
    path: str | None, kind: type['PharmacyType'] | None = None, settings: dict[str, Any] | None = None
) -> list[str] | None:
    """The webhook secrets in --webhook-secret-file, one a line (two while rotating), or None; refused when the
    instance's type could never verify with them."""
    text = read_input(path, False, 'webhook secret')
    if text is None:
        return None
    values = [line.strip() for line in text.splitlines() if line.strip()]
    if not 1 <= len(values) <= MAX_WEBHOOK_SECRETS:
        raise CliError(f'the webhook secret file must hold one secret a line, at most {MAX_WEBHOOK_SECRETS} (rotation)')
    if kind is not None:
        problem = kind.webhook_secrets_problem(kind.settings_model.model_validate(settings or {}), values)
        if problem:
            raise CliError(problem)
    return values


def secret_document(secret_id: str) -> dict[str, Any]:
    from rx_router.store.secrets import stored_document

    document = json.loads(stored_document(secret_id))
    return document if isinstance(document, dict) else {}


@contextmanager
def restoring_secrets(secret_ids: list[str]) -> Iterator[None]:
    """Puts each secret's document back as it was when the block fails (secrets are written before the
    record that names them, so a record is never live without its secrets)."""
    from rx_router.store.secrets import replace_document, stored_document

    before = {secret_id: stored_document(secret_id) for secret_id in secret_ids}
    try:
        yield
    except BaseException:
        for secret_id, document in before.items():
            replace_document(secret_id, document)
        raise


def save_pharmacy(
    write: Callable[['PharmacyInstance'], None],
    instance: 'PharmacyInstance',
    credentials: dict[str, Any] | None,
    webhook_secrets: list[str] | None,
) -> None:
    from rx_router.errors import Conflict
    from rx_router.settings import settings
    from rx_router.store import secrets

    written = [settings().pharmacy_credentials_secret] if credentials is not None else []
    written += [settings().webhook_secrets_secret] if webhook_secrets is not None else []
    with restoring_secrets(written):
        if credentials is not None:
            secrets.put_pharmacy_credentials(instance.credentials_key, credentials)
        if webhook_secrets is not None and instance.webhook_secret_key:
            secrets.put_webhook_secrets(instance.webhook_secret_key, webhook_secrets)
        try:
            write(instance)
        except Conflict as exc:
            raise CliError(exc.message) from None


def serving_routes(config: 'PharmacyConfig') -> dict[str, set[str]]:
    """Per state, the pharmacies that can take its routed orders: active routes to active pharmacies."""
    serving: dict[str, set[str]] = {}
    for route in config.routes:
        instance = config.pharmacies.get(route.pharmacy)
        if route.is_active and instance is not None and instance.active:
            serving.setdefault(route.state, set()).add(route.pharmacy)
    return serving


def last_route_of(config: 'PharmacyConfig', pharmacy: str, states: set[str] | None = None) -> list[str]:
    """The states (of `states`, or all) whose only serving route is `pharmacy`."""
    return sorted(s for s, ps in serving_routes(config).items() if ps == {pharmacy} and (states is None or s in states))


def default_of(config: 'PharmacyConfig', pharmacy: str) -> list[str]:
    return sorted(p.product for p in config.products.values() if p.default_pharmacy == pharmacy)


def refuse_unless_forced(args: argparse.Namespace, problems: list[str]) -> None:
    if problems and not args.force:
        raise CliError('; '.join(problems) + '; pass --force to do it anyway')


def route_view(route: 'Route') -> dict[str, Any]:
    return {'state': route.state, 'pharmacy': route.pharmacy, 'priority': route.priority, 'isActive': route.is_active}


def secrets_configured(instance: 'PharmacyInstance') -> dict[str, bool]:
    """Whether the instance's credentials and webhook secret are set, never what they are."""
    from rx_router.settings import settings

    credentials = secret_document(settings().pharmacy_credentials_secret).get(instance.credentials_key)
    key = instance.webhook_secret_key
    hooks = secret_document(settings().webhook_secrets_secret).get(key) if key else None
    return {
        'credentialsConfigured': isinstance(credentials, dict) and bool(credentials),
        'webhookSecretConfigured': any(isinstance(v, str) and v.strip() for v in (hooks if isinstance(hooks, list) else [hooks])),
    }


def pharmacy_details(pharmacy_id: str) -> dict[str, Any]:
    """A pharmacy as configured now: its record, secrets set or not, catalog, routes and the products it is default of."""
    from rx_router.store.config import load_config

    config = load_config()
    instance = configured_pharmacy(config, pharmacy_id)
    return {
        **camel(instance),
        **secrets_configured(instance),
        'catalog': [camel(e) for e in config.catalog_of(instance.id)],
        'routes': [route_view(r) for r in sorted(config.routes, key=lambda r: r.state) if r.pharmacy == instance.id],
        'defaultPharmacyOf': default_of(config, instance.id),
    }


# --- clients --------------------------------------------------------------------------------------------


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


# --- pharmacies -----------------------------------------------------------------------------------------


def pharmacies_list(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.config import load_config

    emit([camel(p) for _, p in sorted(load_config().pharmacies.items())])


PROVIDER_WEBHOOKS = ('beluga',)  # prescription providers' webhook-secrets entries (not pharmacy instances)


def providers_set_secret(args: argparse.Namespace, local: Any) -> None:
    from rx_router.settings import settings
    from rx_router.store import secrets

    values = read_webhook_secrets(args.webhook_secret_file)
    assert values is not None  # the option is required
    with restoring_secrets([settings().webhook_secrets_secret]):
        secrets.put_webhook_secrets(args.provider, values)
    emit({'provider': args.provider, 'webhookSecrets': len(values)})


def pharmacies_show(args: argparse.Namespace, local: Any) -> None:
    emit(pharmacy_details(args.pharmacy))


def pharmacies_add(args: argparse.Namespace, local: Any) -> None:
    from rx_router.pharmacies.records import PharmacyInstance, is_identifier
    from rx_router.store import config

    if not is_identifier(args.pharmacy):
        raise CliError(f'invalid pharmacy id {args.pharmacy!r}: use 2-50 lower-case letters, digits and hyphens, from a letter')
    if args.pharmacy in config.load_config().pharmacies:
        raise CliError(f'a pharmacy with id {args.pharmacy} already exists; change it with `rxrouter pharmacies set`')
    kind = pharmacy_type(args.type)
    fields = {
        'id': args.pharmacy,
        'type': args.type,
        'label': args.label,
        'active': not args.inactive,
        'settings': type_settings(args.type, kind, parse_pairs(args.setting)),
        'credentials_key': args.credentials_key or args.pharmacy,
        'webhook_secret_key': args.webhook_secret_key or (args.pharmacy if args.webhook_secret_file else None),
        'test_mode_allowed': args.test_mode,
    }
    instance = validated(PharmacyInstance, fields, f'pharmacy {args.pharmacy}')
    credentials = read_credentials(args, args.type, kind)
    webhook_secrets = read_webhook_secrets(args.webhook_secret_file, kind, instance.settings)
    save_pharmacy(config.add_pharmacy, instance, credentials, webhook_secrets)
    emit(pharmacy_details(instance.id))


def pharmacies_set(args: argparse.Namespace, local: Any) -> None:
    from rx_router.pharmacies.records import PharmacyInstance
    from rx_router.store import config

    instance = configured_pharmacy(config.load_config(), args.pharmacy)
    kind = pharmacy_type(instance.type)
    settings = {**instance.settings, **parse_pairs(args.setting)}
    for key in args.unset:
        if key not in settings:
            raise CliError(f'{key} is not a setting of {instance.id}; its settings: {", ".join(sorted(instance.settings))}')
        del settings[key]
    changes: dict[str, Any] = {'settings': type_settings(instance.type, kind, settings)}
    if args.label is not None:
        changes['label'] = args.label
    if args.test_mode is not None:
        changes['test_mode_allowed'] = args.test_mode
    if args.active:
        changes['active'] = True
    if args.webhook_secret_file and not instance.webhook_secret_key:
        changes['webhook_secret_key'] = instance.id
    changed = validated(PharmacyInstance, {**instance.model_dump(), **changes}, f'pharmacy {instance.id}')
    credentials = read_credentials(args, instance.type, kind)
    webhook_secrets = read_webhook_secrets(args.webhook_secret_file, kind, changed.settings)
    save_pharmacy(config.replace_pharmacy, changed, credentials, webhook_secrets)
    emit(pharmacy_details(instance.id))


def pharmacies_disable(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store import config

    current = config.load_config()
    instance = configured_pharmacy(current, args.pharmacy)
    problems = []
    if states := last_route_of(current, instance.id):
        problems.append(f'{instance.id} is the only active route of {", ".join(states)}: add another route first')
    if products := default_of(current, instance.id):
        problems.append(f'{instance.id} is the Default Pharmacy of {", ".join(products)}: change or clear it first')
    refuse_unless_forced(args, problems)
    config.replace_pharmacy(instance.model_copy(update={'active': False}))
    emit({**pharmacy_details(instance.id), 'note': CACHE_NOTE})


# --- catalog --------------------------------------------------------------------------------------------


def catalog_list(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.config import load_config

    current = load_config()
    emit([camel(e) for e in current.catalog_of(configured_pharmacy(current, args.pharmacy).id)])


def catalog_set(args: argparse.Namespace, local: Any) -> None:
    """Adds an entry, or changes the given fields of an existing one (the others keep their values)."""
    from rx_router.pharmacies.records import CatalogEntry
    from rx_router.store import config

    current = config.load_config()
    configured_pharmacy(current, args.pharmacy)
    existing = current.entry(args.pharmacy, args.product)
    fields = existing.model_dump() if existing else {'pharmacy': args.pharmacy, 'product': args.product, 'name': args.product}
    given = {
        'native_id': args.native_id,
        'name': args.name,
        'match': args.match,
        'rank': args.rank,
        'states': [s.strip().upper() for s in args.states.split(',')] if args.states is not None else None,
        'schedule': args.schedule,
    }
    fields.update({key: value for key, value in given.items() if value is not None})
    entry = validated(CatalogEntry, fields, f'catalog entry {args.pharmacy}/{args.product}')
    config.put_catalog_entry(entry)
    emit({**camel(entry), 'note': CACHE_NOTE})


def catalog_remove(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store import config

    current = config.load_config()
    configured_pharmacy(current, args.pharmacy)
    if current.entry(args.pharmacy, args.product) is None:
        raise CliError(f'{args.pharmacy} has no catalog entry for {args.product} (rxrouter catalog list {args.pharmacy})')
    product = current.products.get(args.product)
    if product and product.default_pharmacy == args.pharmacy:
        refuse_unless_forced(args, [f'{args.pharmacy} is the Default Pharmacy of {args.product}: change or clear it first'])
    if not config.remove_catalog_entry(args.pharmacy, args.product):
        raise CliError(f'{args.pharmacy} has no catalog entry for {args.product}')
    emit({'pharmacy': args.pharmacy, 'product': args.product, 'removed': True})


# --- products -------------------------------------------------------------------------------------------


def products_list(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.config import load_config

    current = load_config()
    emit([
        {'product': product,
         'defaultPharmacy': current.products[product].default_pharmacy if product in current.products else None,
         'pharmacies': sorted(e.pharmacy for e in current.catalog if e.product == product)}
        for product in sorted(current.known_products())
    ])  # fmt: skip


def put_default(product: str, pharmacy: str | None) -> None:
    from rx_router.pharmacies.records import Product
    from rx_router.store import config

    record = validated(Product, {'product': product, 'default_pharmacy': pharmacy}, f'product {product}')
    config.put_product(record)
    emit({**camel(record), 'note': CACHE_NOTE})


def products_set_default(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.config import load_config

    current = load_config()
    configured_pharmacy(current, args.pharmacy)
    if current.entry(args.pharmacy, args.product) is None:
        raise CliError(
            f'{args.pharmacy} has no catalog entry for {args.product}: add one first (rxrouter catalog set {args.pharmacy} '
            f'{args.product} --native-id ID)'
        )
    put_default(args.product, args.pharmacy)


def products_clear_default(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.config import load_config

    if args.product not in load_config().known_products():
        raise CliError(f'unknown product {args.product} (rxrouter products list)')
    put_default(args.product, None)


# --- routes ---------------------------------------------------------------------------------------------


def us_state(value: str) -> str:
    from rx_router.validation.us import US_STATES

    if value.upper() not in US_STATES:
        raise CliError(f'{value} is not a two-letter US state code')
    return value.upper()


def routes_list(args: argparse.Namespace, local: Any) -> None:
    from rx_router.store.config import load_routes

    emit([route_view(r) for r in sorted(load_routes(), key=lambda r: (r.state, -r.priority, r.pharmacy))])


def routes_set(args: argparse.Namespace, local: Any) -> None:
    from rx_router.pharmacies.records import Route
    from rx_router.store import config

    state_code = us_state(args.state)
    current = config.load_config()
    pharmacy = configured_pharmacy(current, args.pharmacy.lower()).id
    if args.inactive and (states := last_route_of(current, pharmacy, {state_code})):
        refuse_unless_forced(args, [f'{pharmacy} is the only active route of {states[0]}: disabling the last route of a state'])
    route = Route(state_code, pharmacy, args.priority, not args.inactive)
    config.put_route(route)
    emit({**route_view(route), 'note': CACHE_NOTE})


def routes_explain(args: argparse.Namespace, local: Any) -> None:
    """Which pharmacy a prescription would go to now, and why (the configuration read fresh, not cached)."""
    from rx_router.errors import Unprocessable
    from rx_router.routing.resolve import NoPharmacy, Request, resolve
    from rx_router.store.config import load_config

    request = Request(us_state(args.state), args.medication, args.product, args.pharmacy, args.test, args.dea)
    try:
        emit(resolve(request, load_config()).view())
    except NoPharmacy as exc:
        emit({'decision': None, 'error': exc.message, 'candidates': [c.view() for c in exc.candidates]})
        raise CliError(exc.message) from None
    except Unprocessable as exc:
        raise CliError(exc.message) from None


# --- submissions and callbacks --------------------------------------------------------------------------


def existing_submission(submission_id: str) -> Any:
    from rx_router.store import submissions

    submission = submissions.get(submission_id)
    if submission is None:
        raise CliError(f'no submission {submission_id}')
    return submission


def submission_record(submission_id: str) -> dict[str, Any]:
    from rx_router.api.views import submission_view
    from rx_router.store.timeline import events_of

    submission = existing_submission(submission_id)
    return submission_view(submission, events_of(submission))


def submissions_show(args: argparse.Namespace, local: Any) -> None:
    view = submission_record(args.submission_id)
    shown = {key: view[key] for key in SUPPORT_FIELDS}
    if args.payloads:
        shown.update(requestPayload=view['requestPayload'], responsePayload=view['responsePayload'])
    emit(shown)


def submissions_timeline(args: argparse.Namespace, local: Any) -> None:
    from rx_router.api.views import timeline_view
    from rx_router.store.timeline import events_of

    submission = existing_submission(args.submission_id)
    emit(timeline_view(submission, events_of(submission)))


def diagnose(args: argparse.Namespace, local: Any) -> None:
    """The support checklist for one submission, with the escalation verdict (no patient data)."""
    from rx_router.service.diagnosis import diagnose as diagnosis
    from rx_router.store.config import load_pharmacies
    from rx_router.store.timeline import events_of

    submission = existing_submission(args.submission_id)
    found = diagnosis(submission, events_of(submission), load_pharmacies())
    if args.summary:
        print(found['escalationSummary'])
    else:
        emit(found)


def submissions_sync(args: argparse.Namespace, local: Any) -> None:
    """Asks the pharmacy where the order is and applies the answer forward-only (source `poll`)."""
    from rx_router.errors import Conflict
    from rx_router.pharmacy_types.outcomes import PharmacyFailed
    from rx_router.service.reconcile import sync

    submission = existing_submission(args.submission_id)
    record_operator_action(submission.id, operator(local), 'submissions sync')
    try:
        synced = sync(submission)
    except Conflict as exc:
        raise CliError(exc.message) from None
    except PharmacyFailed as exc:
        raise CliError(f'the pharmacy did not answer the status query: {exc.message}') from None
    emit(
        {
            'submissionId': synced.submission.id,
            'pharmacyStatus': synced.report.raw_status,
            'reportedStatus': synced.report.status.value if synced.report.status else None,
            'from': synced.from_status.value,
            'status': synced.submission.status.value,
            'moved': synced.moved,
            'trackingAdded': synced.tracking_added,
            'trackingNumber': synced.submission.tracking_number,
        }
    )


def sandbox_action(args: argparse.Namespace, local: Any) -> None:
    if local is None:
        raise CliError('sandbox commands work against the local stack only')
    view = submission_record(args.submission_id)
    if not view['pharmacyOrderId']:
        raise CliError(f'submission {args.submission_id} has no pharmacy order (status {view["status"]})')
    url = local['sandboxes'][view['pharmacy']]
    options: dict[str, Any] = {'trackingNumber': args.tracking} if getattr(args, 'tracking', None) else {}
    if getattr(args, 'fills', None):
        options['fills'] = args.fills
    if getattr(args, 'event', None):
        options['event'] = args.event
    if getattr(args, 'bad_signature', False):
        options['badSignature'] = True
    response = httpx.post(f'{url}/_sandbox/orders/{view["pharmacyOrderId"]}/{args.action}', json=options, timeout=15)
    emit(response.json())
    if response.status_code >= 400:
        raise CliError(f'sandbox answered {response.status_code}')


def sandbox_visit_action(args: argparse.Namespace, local: Any) -> None:
    """Beluga's visit events, from the local stack's Beluga sandbox (the one of its `beluga` pharmacy instance)."""
    if local is None:
        raise CliError('sandbox commands work against the local stack only')
    from rx_router.store.config import load_pharmacies

    beluga = [i.id for i in load_pharmacies().pharmacies.values() if i.type == 'beluga' and i.id in local['sandboxes']]
    if not beluga:
        raise CliError('the local stack has no Beluga sandbox (a pharmacy instance of type beluga)')
    options = {'medIds': args.med_id, 'silent': args.silent} if args.action == 'rx-written' else {}
    url = f'{local["sandboxes"][beluga[0]]}/_sandbox/visits/{args.master_id}/{args.action}'
    response = httpx.post(url, json=options, timeout=30)
    emit(response.json())
    if response.status_code >= 400:
        raise CliError(f'sandbox answered {response.status_code}')


def operator(local: Any) -> str:
    """Who is acting, for the timeline: the AWS identity against a deployed stack, the local user locally."""
    if local is not None:
        import getpass

        return f'local:{getpass.getuser()}'
    import boto3

    return str(boto3.client('sts').get_caller_identity()['Arn'])


def record_operator_action(submission_id: str, actor: str, action: str, **detail: Any) -> None:
    from rx_router.clock import iso_timestamp
    from rx_router.domain.events import EventKind, TimelineEvent
    from rx_router.store import timeline

    event = TimelineEvent(iso_timestamp(), EventKind.OPERATOR, 'rxrouter', actor=actor, detail={'action': action, **detail})
    timeline.record(submission_id, event)


def dead_letter_queue() -> str:
    if DEAD_LETTER_QUEUE not in _queues:
        raise CliError('the target stack does not expose its callback dead-letter queue')
    return _queues[DEAD_LETTER_QUEUE]


def dead_letter_depth() -> int:
    import boto3

    attributes = boto3.client('sqs').get_queue_attributes(
        QueueUrl=dead_letter_queue(), AttributeNames=['ApproximateNumberOfMessages']
    )['Attributes']
    return int(attributes['ApproximateNumberOfMessages'])


def redrive(limit: int | None, actor: str) -> int:
    """Moves jobs from the callback DLQ back to the callback queue, each on its submission's timeline; how many."""
    import boto3

    from rx_router.settings import settings

    sqs, dlq = boto3.client('sqs'), dead_letter_queue()
    moved = 0
    while limit is None or moved < limit:
        batch = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = batch.get('Messages', [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=settings().callback_queue_url, MessageBody=message['Body'])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message['ReceiptHandle'])
            job = json.loads(message['Body'])
            record_operator_action(job['submissionId'], actor, 'callbacks redrive', eventId=job.get('eventId'))
            moved += 1
    return moved


def console(args: argparse.Namespace, local: Any) -> None:
    """Serves the read-only operator page on loopback until interrupted."""
    from rxlocal.console import Console, ConsoleServer

    actor = operator(local)
    server = ConsoleServer(Console(lambda: actor, record_operator_action, dead_letter_depth, redrive), port=args.port)
    print(json.dumps({'url': server.page_url}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


def callbacks_redrive(args: argparse.Namespace, local: Any) -> None:
    """Moves every job from the callback DLQ back to the callback queue (fix the receiver first)."""
    emit({'redriven': redrive(args.limit, operator(local))})


def callbacks_resend(args: argparse.Namespace, local: Any) -> None:
    """Queues the callback for a submission's current state again (after `not-queued`, or on request)."""
    from rx_router.callbacks import jobs
    from rx_router.domain.statuses import Status
    from rx_router.settings import settings

    submission = existing_submission(args.submission_id)
    if submission.status is Status.PENDING:
        raise CliError(f'submission {submission.id} is still pending: there is no result to call back yet')
    job = jobs.job_for(submission)
    jobs.send(job, settings().callback_queue_url)
    record_operator_action(
        submission.id, operator(local), 'callbacks resend', eventId=job.event_id, status=submission.status.value
    )
    emit({'submissionId': submission.id, 'status': submission.status.value, 'eventId': job.event_id, 'queued': True})


# --- the command line -----------------------------------------------------------------------------------


def add_credentials_options(command: argparse.ArgumentParser) -> None:
    credentials = command.add_mutually_exclusive_group()
    credentials.add_argument('--credentials-file', metavar='FILE', help="the type's credentials, a JSON object")
    credentials.add_argument('--credentials-stdin', action='store_true', help='read the credentials JSON from stdin')


def add_pharmacy_commands(groups: Any) -> None:
    pharmacies = groups.add_parser('pharmacies', help='pharmacy instances').add_subparsers(dest='command', required=True)
    pharmacies.add_parser('list', help='instances (never their secrets)').set_defaults(run=pharmacies_list)
    show = pharmacies.add_parser('show', help='an instance, its catalog and routes, whether its secrets are set')
    show.add_argument('pharmacy')
    show.set_defaults(run=pharmacies_show)

    add = pharmacies.add_parser('add', help='configure a new instance of a pharmacy type')
    add.add_argument('pharmacy', metavar='ID')
    add.add_argument('--type', required=True, help='its pharmacy type (the unknown-type error lists them)')
    add.add_argument('--label', required=True)
    add.add_argument('--setting', action='append', default=[], metavar='KEY=VALUE', help="one of the type's settings")
    add_credentials_options(add)
    add.add_argument('--credentials-key', metavar='KEY', help='its key in the credentials secret (default: ID)')
    hooks = add.add_mutually_exclusive_group()
    hooks.add_argument('--webhook-secret-file', metavar='FILE', help='webhook secret(s), one a line (stored under ID)')
    hooks.add_argument('--webhook-secret-key', metavar='KEY', help="share another instance's webhook secret key")
    add.add_argument('--test-mode', action=argparse.BooleanOptionalAction, default=True, help='allow test orders')
    add.add_argument('--inactive', action='store_true', help='add it disabled')
    add.set_defaults(run=pharmacies_add)

    put = pharmacies.add_parser('set', help="change an instance's label, settings, secrets, test mode; re-enable it")
    put.add_argument('pharmacy', metavar='ID')
    put.add_argument('--label')
    put.add_argument('--setting', action='append', default=[], metavar='KEY=VALUE')
    put.add_argument('--unset', action='append', default=[], metavar='KEY', help='remove a setting')
    add_credentials_options(put)
    put.add_argument('--webhook-secret-file', metavar='FILE', help='replace the secret(s) under its webhook key, one a line')
    put.add_argument('--test-mode', action=argparse.BooleanOptionalAction, default=None, help='allow test orders')
    put.add_argument('--active', action='store_true', help='enable it again')
    put.set_defaults(run=pharmacies_set)

    disable = pharmacies.add_parser('disable', help='stop routing to an instance')
    disable.add_argument('pharmacy', metavar='ID')
    disable.add_argument('--force', action='store_true', help="even if it is a state's last route or a Default Pharmacy")
    disable.set_defaults(run=pharmacies_disable)


def add_catalog_commands(groups: Any) -> None:
    catalog = groups.add_parser('catalog', help="pharmacies' catalogs").add_subparsers(dest='command', required=True)
    listed = catalog.add_parser('list', help="a pharmacy's catalog entries")
    listed.add_argument('pharmacy')
    listed.set_defaults(run=catalog_list)
    put = catalog.add_parser('set', help='add an entry, or change the given fields of one')
    put.add_argument('pharmacy')
    put.add_argument('product')
    put.add_argument('--native-id', required=True, help="the drug's id in the pharmacy's API")
    put.add_argument('--name', help='display name (default: PRODUCT)')
    put.add_argument('--match', nargs='+', metavar='KEYWORD', help='medication names containing one of these are PRODUCT')
    put.add_argument('--rank', type=int, help='match rules are tried lowest rank first (default 100)')
    put.add_argument('--states', help='comma-separated states it may ship to (default: every state)')
    put.add_argument('--schedule', help='DEA schedule, when controlled: II, IIN, III, IIIN, IV or V')
    put.set_defaults(run=catalog_set)
    remove = catalog.add_parser('remove', help='remove an entry')
    remove.add_argument('pharmacy')
    remove.add_argument('product')
    remove.add_argument('--force', action='store_true', help="even if the pharmacy is the product's Default Pharmacy")
    remove.set_defaults(run=catalog_remove)


def add_product_commands(groups: Any) -> None:
    products = groups.add_parser('products', help="products' Default Pharmacy").add_subparsers(dest='command', required=True)
    products.add_parser('list', help='every product, its Default Pharmacy and the pharmacies that carry it').set_defaults(
        run=products_list
    )
    put = products.add_parser('set-default', help="route the product to this pharmacy before the states' routes")
    put.add_argument('product')
    put.add_argument('pharmacy')
    put.set_defaults(run=products_set_default)
    clear = products.add_parser('clear-default', help='route the product by state again')
    clear.add_argument('product')
    clear.set_defaults(run=products_clear_default)


def add_route_commands(groups: Any) -> None:
    routes = groups.add_parser('routes', help='the routing table').add_subparsers(dest='command', required=True)
    routes.add_parser('list').set_defaults(run=routes_list)
    put = routes.add_parser('set', help='add or change a (state, pharmacy) row')
    put.add_argument('state')
    put.add_argument('pharmacy')
    put.add_argument('--priority', type=int, required=True)
    put.add_argument('--inactive', action='store_true')
    put.add_argument('--force', action='store_true', help="even if it is the state's last active route")
    put.set_defaults(run=routes_set)
    explain = routes.add_parser('explain', help='which pharmacy a prescription would go to now, and why')
    explain.add_argument('--state', required=True, help="the patient's state")
    explain.add_argument('--medication', required=True, help='the medication name')
    explain.add_argument('--product', help='medication.productId')
    explain.add_argument('--pharmacy', help='routing.preferredPharmacy')
    explain.add_argument('--test', action='store_true', help='a test order')
    explain.add_argument('--dea', action='store_true', help='the prescriber has a DEA number')
    explain.set_defaults(run=routes_explain)


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

    add_pharmacy_commands(groups)
    providers = groups.add_parser('providers', help='prescription providers (Beluga)').add_subparsers(
        dest='command', required=True
    )
    secret = providers.add_parser('set-secret', help="the secret(s) a provider's webhook must present, one a line")
    secret.add_argument('provider', choices=PROVIDER_WEBHOOKS)
    secret.add_argument('--webhook-secret-file', metavar='FILE', required=True, help='one secret a line (two while rotating)')
    secret.set_defaults(run=providers_set_secret)
    add_catalog_commands(groups)
    add_product_commands(groups)
    add_route_commands(groups)

    submissions = groups.add_parser('submissions', help='submission records').add_subparsers(dest='command', required=True)
    show = submissions.add_parser('show', help='what support needs to answer "where is my medication?"')
    show.add_argument('submission_id')
    show.add_argument('--payloads', action='store_true', help='include the request (patient data) and pharmacy response')
    show.set_defaults(run=submissions_show)
    timeline = submissions.add_parser('timeline', help='everything that happened to a submission (no patient data)')
    timeline.add_argument('submission_id')
    timeline.set_defaults(run=submissions_timeline)
    sync = submissions.add_parser(
        'sync', help='ask the pharmacy where the order is and apply its answer (types with a status query)'
    )
    sync.add_argument('submission_id')
    sync.set_defaults(run=submissions_sync)

    served = groups.add_parser('console', help='a read-only operator page on 127.0.0.1 (prints its URL)')
    served.add_argument('--port', type=int, default=8089, help='0 picks a free port')
    served.set_defaults(run=console)

    diagnosed = groups.add_parser('diagnose', help="support's checklist for a submission, with the escalation verdict")
    diagnosed.add_argument('submission_id')
    diagnosed.add_argument('--summary', action='store_true', help='print only the escalation summary to paste')
    diagnosed.set_defaults(run=diagnose)

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
            sub.add_argument('--fills', type=int, help='fill records sharing the tracking number (per-fill pharmacies)')
            sub.add_argument('--event', help='OWN pharmacies: order.fulfilled or order.out_for_delivery (default order.shipped)')
        sub.add_argument('--bad-signature', action='store_true', help='OWN pharmacies: sign the event with a wrong secret')
        sub.set_defaults(run=sandbox_action)
    written = actions.add_parser('rx-written', help="Beluga's prescriber writes the visit's prescription (RX_WRITTEN)")
    written.add_argument('master_id')
    written.add_argument('--med-id', action='append', help='a prescribed medId (repeat for more; default semaglutide)')
    written.add_argument('--silent', action='store_true', help='record it in the visit without the webhook (a missed event)')
    written.set_defaults(run=sandbox_visit_action)
    canceled = actions.add_parser('consult-canceled', help='Beluga cancels the consult (CONSULT_CANCELED)')
    canceled.add_argument('master_id')
    canceled.set_defaults(run=sandbox_visit_action)
    replay = actions.add_parser('replay', help="OWN pharmacies: send the order's last event again (same webhook-id)")
    replay.add_argument('submission_id')
    replay.set_defaults(run=sandbox_action)
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

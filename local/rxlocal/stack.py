"""`make run`: the whole router on loopback, in the foreground, until Ctrl-C."""

import json
import logging
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

from rxlocal import aws, runtime, sandboxes, state, template
from rxlocal.gateway import Gateway
from rxlocal.launcher import OVERRIDABLE
from rxlocal.poller import QueuePoller
from rxlocal.sandboxes import SandboxConfig
from rxlocal.sandboxes.server import SandboxServer

log = logging.getLogger('rxlocal')

# Local-only credentials: stable so the README's examples work verbatim. Never valid anywhere else.
DEMO_API_KEY = 'rxk_local_demo'
DEMO_API_SECRET = 'local-demo-secret-not-for-production'  # noqa: S105
# Template parameters the deployer must give are URLs; locally each pharmacy record's URLs are then pointed at
# its sandbox, so this placeholder never receives a request.
UNUSED_URL = 'http://127.0.0.1:9/replaced-by-the-sandbox'
DEMO_SUBMISSION = {
    'source': 'demo',
    'sourceOrderId': 'demo-001',
    'callbackUrl': 'http://127.0.0.1:9/callback',
    'patient': {'firstName': 'Test', 'lastName': 'Patient', 'dob': '1990-03-15', 'gender': 'female', 'phone': '(555) 123-4567'},
    'shipTo': {
        'firstName': 'Test',
        'lastName': 'Patient',
        'phone': '(555) 123-4567',
        'addressLine1': '1 Demo St',
        'city': 'Austin',
        'state': 'TX',
        'zip': '78701',
    },
    'prescriber': {'firstName': 'Ali', 'lastName': 'Nolan', 'npi': '1982609764'},
    'medication': {'name': 'Semaglutide 2.5mg/mL', 'sig': 'Inject 0.25mL weekly', 'quantity': 1, 'daysSupply': 28, 'refills': 0},
    'test': True,
}


@dataclass
class LocalConfig:
    port: int
    aws_port: int
    log_level: str
    sandbox_timeout_seconds: float
    overrides: dict[str, str] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> 'LocalConfig':
        return cls(
            port=int(os.environ.get('PORT', 3000)),
            aws_port=int(os.environ.get('RXLOCAL_AWS_PORT', 0)),
            log_level=os.environ.get('LOG_LEVEL', 'WARNING'),
            sandbox_timeout_seconds=float(os.environ.get('SANDBOX_TIMEOUT_SECONDS', 30)),
            overrides={k: os.environ[k] for k in OVERRIDABLE if os.environ.get(k)},
            environ=dict(os.environ),
        )

    def webhook_secret(self, key: str) -> str:
        """A pharmacy's local webhook secret: `<KEY>_WEBHOOK_SECRET` (e.g. BOOTHWYN_WEBHOOK_SECRET), or a default."""
        return self.environ.get(f'{key.upper().replace("-", "_")}_WEBHOOK_SECRET') or f'local-{key}-webhook-secret'


class LocalStack:
    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.sandboxes: dict[str, SandboxServer] = {}
        self.sandbox_environment: dict[str, str] = {}
        self.pollers: list[QueuePoller] = []
        self.gateway: Gateway | None = None
        self.aws: aws.LocalAws | None = None

    def start(self) -> None:
        started = time.perf_counter()
        self.aws = aws.start(self.config.aws_port)
        aws.name_resources(self.aws, prefix='rx-local')
        self.gateway = Gateway(template.http_routes(), self.config.port)
        aws.create_secrets(self.aws)
        refs = {**self.aws.refs, **self._parameters()}
        environment = aws.function_environment(refs)
        environment.update(self.config.overrides)
        environment.setdefault('POWERTOOLS_LOG_LEVEL', self.config.log_level)
        environment['CALLBACK_ALLOW_LOOPBACK'] = 'true'  # local callback receivers listen on 127.0.0.1
        os.environ.update(environment)
        aws.create_tables()
        aws.create_queues(self.aws)
        self._seed(refs)
        self._start_sandboxes()
        if self.sandbox_environment:  # a provider's API the sandboxes play (the functions are not loaded yet)
            from rx_router.settings import settings

            environment.update(self.sandbox_environment)
            os.environ.update(self.sandbox_environment)
            settings.cache_clear()
        functions = {name: runtime.load(fn) for name, fn in template.functions().items()}
        self.gateway.functions = functions
        for name, fn in template.functions().items():
            for source in fn.sqs_sources:
                poller = QueuePoller(functions[name], source, self.aws.refs[source.queue], self.aws.refs[f'{source.queue}.Arn'])
                self.pollers.append(poller)
        self.gateway.start()
        for poller in self.pollers:
            poller.start()
        state.write_env_vars(environment, self.aws.endpoint)  # for `make invoke` (sam local invoke --env-vars)
        state.write(self.describe(environment))
        self.startup_seconds = time.perf_counter() - started

    def _parameters(self) -> dict[str, str]:
        """Template parameters: what the deployer must give gets a local value; the rest take their defaults
        (an empty default, such as a catalog id, gets a local one so the seeded catalog is complete; an empty URL,
        an optional API's, the placeholder its sandbox replaces)."""
        local = {'Environment': 'dev', 'LogLevel': self.config.log_level}
        found = {}
        for name, spec in template.load().get('Parameters', {}).items():
            if name in local:
                found[name] = local[name]
            elif 'Default' not in spec or (name.endswith('Url') and not spec['Default']):
                found[name] = UNUSED_URL  # an optional API's URL too: its sandbox replaces it (Sandbox.environment)
            else:
                found[name] = str(spec['Default']) or 'local-' + re.sub(r'(?<!^)(?=[A-Z])', '-', name).lower()
        return found

    def _seed(self, refs: dict[str, str]) -> None:
        """What the stack's seed custom resource writes on deploy, from its properties in the template."""
        from rx_router.service.seed import seed
        from rx_router.store import clients

        for resource in template.resources('Custom::ConfigSeed').values():
            properties = {k: template.resolve(v, refs) for k, v in resource['Properties'].items() if k != 'ServiceToken'}
            seed(properties)
        self._seed_local_instances()
        clients.ensure_client('local demo client', api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET)

    @staticmethod
    def _seed_local_instances() -> None:
        """Each sandbox type's local instances and catalog entries (Sandbox.local_seed), if not configured yet."""
        from rx_router.store import config

        current = config.load_config()
        for kind in sandboxes.TYPES.values():
            instances, entries = kind.local_seed()
            for instance in instances:
                if instance.id not in current.pharmacies:
                    config.add_pharmacy(instance)
            for entry in entries:
                config.put_catalog_entry(entry)

    def _start_sandboxes(self) -> None:
        """One sandbox per pharmacy record, of the record's type; the record's URLs point at it, and its local
        credentials and webhook secret go into the stack's secrets."""
        from rx_router.pharmacy_types import registry
        from rx_router.store import config, secrets

        assert self.gateway
        current = config.load_config()
        for instance in current.pharmacies.values():
            kind = sandboxes.TYPES[instance.type]
            webhook = registry.get(instance.type).webhook
            server = SandboxServer(instance.id)
            credentials = kind.local_credentials(instance.id)
            key = instance.webhook_secret_key
            webhook_secret = kind.local_webhook_secret(self.config.webhook_secret(key)) if key else ''
            sandbox = kind(
                SandboxConfig(
                    pharmacy=instance.id,
                    credentials=credentials,
                    drug_ids=frozenset(entry.native_id for entry in current.catalog_of(instance.id)),
                    webhook_url=self.gateway.url + webhook.path(instance.id) if webhook else '',
                    webhook_header=webhook.secret_header if webhook else '',
                    webhook_secret=webhook_secret,
                    timeout_seconds=self.config.sandbox_timeout_seconds,
                    settings=dict(instance.settings),
                )
            )
            config.replace_pharmacy(
                instance.model_copy(update={'settings': {**instance.settings, **kind.url_settings(server.url)}})
            )
            secrets.put_pharmacy_credentials(instance.credentials_key, credentials)
            if instance.webhook_secret_key:
                secrets.put_webhook_secrets(instance.webhook_secret_key, [webhook_secret])
            server.start(sandbox)
            self.sandboxes[instance.id] = server
            self.sandbox_environment.update(kind.environment(server.url))

    def describe(self, environment: dict[str, str]) -> dict[str, object]:
        assert self.gateway and self.aws
        return {
            'pid': os.getpid(),
            'apiUrl': self.gateway.url,
            'awsEndpoint': self.aws.endpoint,
            'region': aws.REGION,
            'environment': environment,
            'sandboxes': {name: s.url for name, s in self.sandboxes.items()},
            'queues': {name: self.aws.refs[name] for name in template.resources('AWS::SQS::Queue')},
            'demoClient': {'apiKey': DEMO_API_KEY, 'apiSecret': DEMO_API_SECRET},
        }

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self.gateway:
            self.gateway.stop()
        for sandbox in self.sandboxes.values():
            sandbox.stop()
        if self.aws:
            self.aws.stop()
        state.remove(os.getpid())


def banner(stack: LocalStack) -> str:
    assert stack.gateway
    url = stack.gateway.url
    body = json.dumps(DEMO_SUBMISSION, separators=(',', ':'))
    sandboxes = '\n'.join(f'    {name:9} {s.url}' for name, s in stack.sandboxes.items())
    return f"""
Pharmacy Router (local) is up in {stack.startup_seconds:.1f}s: {url}/rx/health
  demo API client (local only)  X-API-Key: {DEMO_API_KEY}   secret: {DEMO_API_SECRET}
  AWS (moto)                    {stack.aws.endpoint if stack.aws else ''}
  sandbox pharmacies
{sandboxes}
  CLI                           .venv/bin/rxrouter --help

Submit a prescription (copy-paste):
  BODY='{body}'
  TS=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  SIG=$(printf '%s' "$TS.$BODY" | openssl dgst -sha256 -hmac '{DEMO_API_SECRET}' | sed 's/^.* //')
  curl -s {url}/rx/prescriptions/submit -H 'content-type: application/json' \\
    -H 'x-api-key: {DEMO_API_KEY}' -H "x-timestamp: $TS" -H "x-signature: $SIG" -d "$BODY"

Ctrl-C stops everything.
"""


def main() -> int:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter('%(asctime)s %(message)s', datefmt='%H:%M:%S'))
    logging.getLogger('rxlocal').addHandler(handler)
    logging.getLogger('rxlocal').setLevel(logging.INFO)
    stack = LocalStack(LocalConfig.from_env())
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.start()
        print(banner(stack), flush=True)
        stopping.wait()
    finally:
        log.info('stopping')
        stack.stop()
    return 0

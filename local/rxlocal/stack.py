"""`make run`: the whole router on loopback, in the foreground, until Ctrl-C."""

import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

from rxlocal import aws, runtime, state, template
from rxlocal.gateway import Gateway
from rxlocal.poller import QueuePoller
from rxlocal.sandbox import SandboxConfig, SandboxPharmacy

log = logging.getLogger('rxlocal')

# Local-only credentials: stable so the README's examples work verbatim. Never valid anywhere else.
DEMO_API_KEY = 'rxk_local_demo'
DEMO_API_SECRET = 'local-demo-secret-not-for-production'  # noqa: S105
PHARMACY_CREDENTIALS = {
    'boothwyn': {'api_key': 'local-boothwyn-functions-key'},
    'gmp': {'api_key': 'local-gmp-functions-key'},
    'strive': {'client_id': 'local-strive-client', 'client_secret': 'local-strive-client-secret'},
}
DEFAULT_WEBHOOK_SECRETS = {
    'BOOTHWYN_WEBHOOK_SECRET': 'local-boothwyn-webhook-secret',
    'STRIVE_WEBHOOK_SECRET': 'local-strive-webhook-secret',
}
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
# Function settings the launching environment may override locally (everything else comes from the template).
OVERRIDABLE = ('PHARMACY_TIMEOUT_SECONDS', 'POWERTOOLS_LOG_LEVEL', 'CALLBACK_RETRY_SCHEDULE')


@dataclass
class LocalConfig:
    port: int
    aws_port: int
    log_level: str
    webhook_secrets: dict[str, str]
    sandbox_timeout_seconds: float
    overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> 'LocalConfig':
        return cls(
            port=int(os.environ.get('PORT', 3000)),
            aws_port=int(os.environ.get('RXLOCAL_AWS_PORT', 0)),
            log_level=os.environ.get('LOG_LEVEL', 'WARNING'),
            webhook_secrets={k: os.environ.get(k) or v for k, v in DEFAULT_WEBHOOK_SECRETS.items()},
            sandbox_timeout_seconds=float(os.environ.get('SANDBOX_TIMEOUT_SECONDS', 30)),
            overrides={k: os.environ[k] for k in OVERRIDABLE if os.environ.get(k)},
        )


class LocalStack:
    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.sandboxes: dict[str, SandboxPharmacy] = {}
        self.pollers: list[QueuePoller] = []
        self.gateway: Gateway | None = None
        self.aws: aws.LocalAws | None = None

    def start(self) -> None:
        started = time.perf_counter()
        self.aws = aws.start(self.config.aws_port)
        aws.name_resources(self.aws, prefix='rx-local')
        self.gateway = Gateway(template.http_routes(), self.config.port)
        self._make_sandboxes()
        refs = {**self.aws.refs, **self._parameters()}
        hooks = self.config.webhook_secrets
        aws.create_secrets(
            self.aws,
            {
                'PharmacyCredentialsSecret': lambda: PHARMACY_CREDENTIALS,
                'WebhookSecretsSecret': lambda: {
                    'boothwyn': [hooks['BOOTHWYN_WEBHOOK_SECRET']],
                    'strive': [hooks['STRIVE_WEBHOOK_SECRET']],
                },
            },
        )
        refs.update(self.aws.refs)
        environment = aws.function_environment(refs)
        environment.update(self.config.overrides)
        environment.setdefault('POWERTOOLS_LOG_LEVEL', self.config.log_level)
        environment['CALLBACK_ALLOW_LOOPBACK'] = 'true'  # local callback receivers listen on 127.0.0.1
        os.environ.update(environment)  # before the layer is imported: the models read table names at import
        aws.create_tables()
        aws.create_queues(self.aws)
        self._seed()
        functions = {name: runtime.load(fn) for name, fn in template.functions().items()}
        self.gateway.functions = functions
        for name, fn in template.functions().items():
            for source in fn.sqs_sources:
                poller = QueuePoller(functions[name], source, self.aws.refs[source.queue], self.aws.refs[f'{source.queue}.Arn'])
                self.pollers.append(poller)
        for sandbox in self.sandboxes.values():
            sandbox.start(self.gateway.url)
        self.gateway.start()
        for poller in self.pollers:
            poller.start()
        state.write(self.describe(environment))
        self.startup_seconds = time.perf_counter() - started

    def _make_sandboxes(self) -> None:
        secrets = self.config.webhook_secrets
        timeout = self.config.sandbox_timeout_seconds
        self.sandboxes = {
            'boothwyn': SandboxPharmacy(
                SandboxConfig(
                    'boothwyn',
                    'boothwyn_b2b',
                    PHARMACY_CREDENTIALS['boothwyn'],
                    '/rx/webhooks/boothwyn',
                    secrets['BOOTHWYN_WEBHOOK_SECRET'],
                    timeout,
                )
            ),
            'gmp': SandboxPharmacy(
                SandboxConfig(
                    'gmp',
                    'boothwyn_b2b',
                    PHARMACY_CREDENTIALS['gmp'],
                    '/rx/webhooks/boothwyn',
                    secrets['BOOTHWYN_WEBHOOK_SECRET'],
                    timeout,
                )
            ),
            'strive': SandboxPharmacy(
                SandboxConfig(
                    'strive',
                    'strive',
                    PHARMACY_CREDENTIALS['strive'],
                    '/rx/webhooks/strive',
                    secrets['STRIVE_WEBHOOK_SECRET'],
                    timeout,
                )
            ),
        }

    def _parameters(self) -> dict[str, str]:
        """Template parameters: pharmacy URLs point at the sandboxes; the rest take their defaults."""
        declared = template.load().get('Parameters', {})
        local = {
            'BoothwynBaseUrl': self.sandboxes['boothwyn'].url + '/',
            'GmpBaseUrl': self.sandboxes['gmp'].url + '/',
            'StriveBaseUrl': self.sandboxes['strive'].url,
            'StriveSandboxUrl': self.sandboxes['strive'].sandbox_url,
            'StriveCatalogSemaglutide': 'local-strive-semaglutide',
            'StriveCatalogTirzepatide': 'local-strive-tirzepatide',
            'Environment': 'dev',
            'LogLevel': self.config.log_level,
        }
        missing = [name for name, spec in declared.items() if name not in local and 'Default' not in spec]
        if missing:
            raise RuntimeError(f'template parameters without a local value: {", ".join(missing)}')
        return {name: local.get(name, str(spec.get('Default', ''))) for name, spec in declared.items()}

    def _seed(self) -> None:
        from rx_router.routing import default_routes
        from rx_router.store import clients, routes

        routes.seed_if_empty(default_routes())
        clients.ensure_client('local demo client', api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET)

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

"""rxrouter configures pharmacies, catalogs, products and routes (against a named stack), refuses what would
break routing or the records with exit 2 and nothing written, and never prints a secret."""

import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.submit.app import lambda_handler as submit_handler
from rx_router.errors import Conflict
from rx_router.pharmacies.records import PharmacyConfig
from rx_router.pharmacy_types import registry
from rx_router.settings import settings
from rx_router.store import config
from rxlocal import cli
from tests.fake_pharmacies import FakePharmacies
from tests.integration.conftest import PHARMACY_CREDENTIALS, WEBHOOK_SECRETS
from tests.integration.deployed_stack import create_stack
from tests.support import PATIENT_VALUES, Credentials, LambdaContext, response_json, submission, submit_event

STACK = 'rx-prod'
ACME_CREDENTIALS = {'client_id': 'acme-client', 'client_secret': 'acme-client-secret-value'}
ACME_HOOKS = ['acme-hook-secret-current', 'acme-hook-secret-next']
STDIN_CREDENTIALS = {'client_id': 'acme-client-2', 'client_secret': 'acme-stdin-secret-value'}
SECRET_VALUES = (
    *(value for document in (*PHARMACY_CREDENTIALS.values(), ACME_CREDENTIALS, STDIN_CREDENTIALS) for value in document.values()),
    *(value for values in (*WEBHOOK_SECRETS.values(), ACME_HOOKS) for value in values),
)
ACME_SETTINGS = [
    '--setting',
    'base_url=https://acme.pharmacy.test',
    '--setting',
    'sandbox_url=https://sandbox.acme.pharmacy.test',
]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Rx:
    """`rxrouter --stack rx-prod ...`, keeping everything it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.printed: list[str] = []

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()  # not the command's: the metric lines a handler called by the test printed
        code = cli.main(['--stack', STACK, *args])
        out, err = self.capsys.readouterr()
        self.printed += [out, err]
        return Result(code, out, err)

    def refused(self, *args: str) -> str:
        """Runs a command that must be refused; returns its message."""
        result = self(*args)
        assert result.code == 2, result
        assert result.err.startswith('rxrouter: ')
        return result.err


@pytest.fixture
def rx(capsys: pytest.CaptureFixture[str]) -> Iterator[Rx]:
    create_stack(STACK)
    runner = Rx(capsys)
    yield runner
    printed = '\n'.join(runner.printed)
    assert [value for value in SECRET_VALUES if value in printed] == []


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {
        'acme.json': json.dumps(ACME_CREDENTIALS),
        'hooks.txt': '\n'.join(ACME_HOOKS) + '\n',
        'three-hooks.txt': 'one\ntwo\nthree\n',
        'incomplete.json': json.dumps({'client_id': 'acme-client'}),
        'not-json.json': 'client_id=acme',
        'extra.json': json.dumps({**ACME_CREDENTIALS, 'password': 'nope'}),
    }
    for name, text in paths.items():
        (tmp_path / name).write_text(text)
    return {name: str(tmp_path / name) for name in paths}


def secret(secret_id: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(boto3.client('secretsmanager').get_secret_value(SecretId=secret_id)['SecretString'])
    return document


@dataclass(frozen=True)
class Snapshot:
    config: PharmacyConfig
    credentials: dict[str, Any]
    webhook_secrets: dict[str, Any]


def snapshot() -> Snapshot:
    return Snapshot(
        config.load_config(), secret(settings().pharmacy_credentials_secret), secret(settings().webhook_secrets_secret)
    )


def add_acme(rx: Rx, files: dict[str, str], *extra: str) -> Result:
    result = rx(
        'pharmacies', 'add', 'acme', '--type', 'rxvortex', '--label', 'Acme', *ACME_SETTINGS,
        '--credentials-file', files['acme.json'], '--webhook-secret-file', files['hooks.txt'], *extra,
    )  # fmt: skip
    assert result.code == 0, result.err
    return result


# --- pharmacies -----------------------------------------------------------------------------------------


def test_pharmacy_add_list_show_set_disable(rx: Rx, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    added = add_acme(rx, files).json
    assert added['credentialsConfigured'] is True and added['webhookSecretConfigured'] is True
    assert secret(settings().pharmacy_credentials_secret) == {**PHARMACY_CREDENTIALS, 'acme': ACME_CREDENTIALS}
    assert secret(settings().webhook_secrets_secret) == {**WEBHOOK_SECRETS, 'acme': ACME_HOOKS}

    listed = {p['id']: p for p in rx('pharmacies', 'list').json}
    assert sorted(listed) == ['acme', 'boothwyn', 'gmp', 'strive']
    assert listed['acme'] == {
        'id': 'acme', 'type': 'rxvortex', 'label': 'Acme', 'active': True, 'testModeAllowed': True,
        'credentialsKey': 'acme', 'webhookSecretKey': 'acme',
        'settings': {'base_url': 'https://acme.pharmacy.test', 'sandbox_url': 'https://sandbox.acme.pharmacy.test'},
    }  # fmt: skip
    assert listed['gmp']['webhookSecretKey'] == 'boothwyn'

    shown = rx('pharmacies', 'show', 'strive').json
    assert (shown['credentialsConfigured'], shown['webhookSecretConfigured']) == (True, True)
    assert [(e['product'], e['nativeId']) for e in shown['catalog']] == [
        ('semaglutide', 'cat-sema-25'),
        ('tirzepatide', 'cat-tirz-10'),
    ]
    assert shown['routes'] == [{'state': 'TX', 'pharmacy': 'strive', 'priority': 100, 'isActive': True}]
    acme = rx('pharmacies', 'show', 'acme').json
    assert (acme['catalog'], acme['routes'], acme['defaultPharmacyOf']) == ([], [], [])

    monkeypatch.setattr(sys, 'stdin', io.StringIO(json.dumps(STDIN_CREDENTIALS)))
    changed = rx(
        'pharmacies', 'set', 'acme', '--label', 'Acme Rx', '--setting', 'quantity_units=EA', '--no-test-mode',
        '--credentials-stdin',
    )  # fmt: skip
    assert changed.code == 0, changed.err
    assert (changed.json['label'], changed.json['testModeAllowed'], changed.json['settings']['quantity_units']) == (
        'Acme Rx',
        False,
        'EA',
    )
    assert secret(settings().pharmacy_credentials_secret)['acme'] == STDIN_CREDENTIALS
    assert secret(settings().webhook_secrets_secret)['acme'] == ACME_HOOKS  # not given: unchanged

    assert 'quantity_units' not in rx('pharmacies', 'set', 'acme', '--unset', 'quantity_units').json['settings']
    assert rx('pharmacies', 'disable', 'acme').json['active'] is False
    assert config.load_config().pharmacies['acme'].active is False
    enabled = rx('pharmacies', 'set', 'acme', '--active', '--test-mode').json
    assert (enabled['active'], enabled['testModeAllowed'], enabled['label']) == (True, True, 'Acme Rx')


def test_settings_are_coerced_by_the_type_and_secrets_can_be_shared(rx: Rx) -> None:
    result = rx(
        'pharmacies', 'add', 'gmp-west', '--type', 'boothwyn_b2b', '--label', 'GMP West',
        '--setting', 'base_url=https://west.gmp.pharmacy.test/', '--setting', 'shipping_method=45',
        '--credentials-key', 'gmp', '--webhook-secret-key', 'boothwyn', '--inactive',
    )  # fmt: skip
    assert result.code == 0, result.err
    stored = config.load_config().pharmacies['gmp-west']
    assert stored.settings == {'base_url': 'https://west.gmp.pharmacy.test/', 'shipping_method': 45}
    assert (stored.credentials_key, stored.webhook_secret_key, stored.active) == ('gmp', 'boothwyn', False)
    assert (result.json['credentialsConfigured'], result.json['webhookSecretConfigured']) == (True, True)


ADD = ['pharmacies', 'add', 'acme', '--label', 'Acme', '--type']
ADD_ACME = [*ADD, 'rxvortex', *ACME_SETTINGS]


@pytest.mark.parametrize(
    ('args', 'message'),
    [
        ([*ADD, 'surescripts'], f'unknown pharmacy type surescripts; known types: {", ".join(registry.names())}'),
        ([*ADD_ACME, '--setting', 'colour=blue'], 'colour: Extra inputs are not permitted'),
        ([*ADD, 'rxvortex', '--setting', 'base_url=https://acme.test'], 'sandbox_url: Field required'),
        ([*ADD, 'rxvortex', '--setting', 'base_url'], '--setting takes key=value'),
        ([*ADD, 'boothwyn_b2b', '--setting', 'base_url=https://a.test', '--setting', 'shipping_method=fast'], 'shipping_method'),
        (['pharmacies', 'add', 'strive', '--type', 'rxvortex', '--label', 'S'], 'a pharmacy with id strive already exists'),
        (['pharmacies', 'add', 'Acme_Rx', '--type', 'rxvortex', '--label', 'A'], "invalid pharmacy id 'Acme_Rx'"),
        ([*ADD_ACME, '--credentials-key', 'Bad Key'], 'credentials_key: String should match pattern'),
        ([*ADD_ACME, '--credentials-file', 'incomplete.json'], 'client_secret: Field required'),
        ([*ADD_ACME, '--credentials-file', 'extra.json'], 'password: Extra inputs are not permitted'),
        ([*ADD_ACME, '--credentials-file', 'not-json.json'], 'credentials must be a JSON object'),
        ([*ADD_ACME, '--credentials-file', 'missing.json'], 'cannot read the credentials file'),
        ([*ADD_ACME, '--credentials-file', 'acme.json', '--webhook-secret-file', 'three-hooks.txt'], 'at most 2'),
    ],
)
def test_add_refusals_write_nothing(rx: Rx, files: dict[str, str], args: list[str], message: str) -> None:
    before = snapshot()
    args = [files.get(arg, arg) for arg in args]
    assert message in rx.refused(*args)
    assert snapshot() == before


def test_a_failed_record_write_restores_the_secrets(rx: Rx, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot()

    def raced(instance: Any) -> None:  # another operator added the same id between the check and the write
        raise Conflict(f'a pharmacy with id {instance.id} already exists; change it with `rxrouter pharmacies set`')

    monkeypatch.setattr(config, 'add_pharmacy', raced)
    assert 'already exists' in rx.refused(
        'pharmacies', 'add', 'acme', '--type', 'rxvortex', '--label', 'Acme', *ACME_SETTINGS,
        '--credentials-file', files['acme.json'], '--webhook-secret-file', files['hooks.txt'],
    )  # fmt: skip
    assert snapshot() == before

    def unavailable(instance: Any) -> None:
        raise ConnectionError('DynamoDB unreachable')

    monkeypatch.setattr(config, 'replace_pharmacy', unavailable)
    with pytest.raises(ConnectionError):
        rx('pharmacies', 'set', 'strive', '--credentials-file', files['acme.json'], '--webhook-secret-file', files['hooks.txt'])
    assert snapshot() == before


@pytest.mark.parametrize(
    ('args', 'message'),
    [
        (['pharmacies', 'set', 'nope', '--label', 'X'], 'unknown pharmacy nope; known: boothwyn, gmp, strive'),
        (['pharmacies', 'show', 'nope'], 'unknown pharmacy nope; known: boothwyn, gmp, strive'),
        (['pharmacies', 'disable', 'nope'], 'unknown pharmacy nope'),
        (['pharmacies', 'set', 'strive', '--setting', 'colour=blue'], 'colour: Extra inputs are not permitted (rxvortex accepts'),
        (['pharmacies', 'set', 'strive', '--setting', 'base_url=ftp://strive.test'], 'base_url: String should match pattern'),
        (['pharmacies', 'set', 'strive', '--unset', 'colour'], 'colour is not a setting of strive'),
        (['pharmacies', 'set', 'strive', '--unset', 'sandbox_url'], 'sandbox_url: Field required'),
        (['pharmacies', 'set', 'strive', '--label', ''], 'label: String should have at least 1 character'),
        (['pharmacies', 'set', 'boothwyn', '--credentials-file', 'acme.json'], 'client_id: Extra inputs are not permitted'),
        (['pharmacies', 'set', 'strive', '--webhook-secret-file', 'three-hooks.txt'], 'at most 2'),
    ],
)
def test_set_refusals_write_nothing(rx: Rx, files: dict[str, str], args: list[str], message: str) -> None:
    before = snapshot()
    assert message in rx.refused(*[files.get(arg, arg) for arg in args])
    assert snapshot() == before


def test_credentials_from_stdin_are_validated_too(rx: Rx, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot()
    monkeypatch.setattr(sys, 'stdin', io.StringIO(json.dumps({'client_secret': STDIN_CREDENTIALS['client_secret']})))
    assert 'client_id: Field required' in rx.refused('pharmacies', 'set', 'strive', '--credentials-stdin')
    assert snapshot() == before


def test_disable_refuses_the_last_route_of_a_state_and_a_default_pharmacy(rx: Rx, files: dict[str, str]) -> None:
    before = snapshot()
    message = rx.refused('pharmacies', 'disable', 'strive')
    assert 'strive is the only active route of TX' in message and '--force' in message
    assert snapshot() == before

    add_acme(rx, files)
    assert rx('catalog', 'set', 'acme', 'semaglutide', '--native-id', 'acme-sema').code == 0
    assert rx('products', 'set-default', 'semaglutide', 'acme').code == 0
    before = snapshot()
    message = rx.refused('pharmacies', 'disable', 'acme')
    assert 'acme is the Default Pharmacy of semaglutide' in message and 'only active route' not in message
    assert snapshot() == before

    assert rx('pharmacies', 'disable', 'acme', '--force').json['active'] is False
    assert rx('routes', 'set', 'TX', 'boothwyn', '--priority', '50').code == 0  # TX has a second route now
    assert rx('pharmacies', 'disable', 'strive').json['active'] is False
    assert rx('pharmacies', 'disable', 'gmp', '--force').json['active'] is False


# --- catalog and products -------------------------------------------------------------------------------


def test_catalog_set_list_remove(rx: Rx) -> None:
    added = rx(
        'catalog', 'set', 'strive', 'nad', '--native-id', 'cat-nad', '--name', 'NAD+', '--match', 'NAD', 'nicotinamide',
        '--rank', '3', '--states', 'tx,FL', '--schedule', 'III',
    )  # fmt: skip
    assert added.code == 0, added.err
    entry = {
        'pharmacy': 'strive', 'product': 'nad', 'name': 'NAD+', 'nativeId': 'cat-nad', 'match': ['nad', 'nicotinamide'],
        'rank': 3, 'states': ['FL', 'TX'], 'schedule': 'III',
    }  # fmt: skip
    assert entry.items() <= added.json.items()
    assert entry in rx('catalog', 'list', 'strive').json

    changed = rx('catalog', 'set', 'strive', 'nad', '--native-id', 'cat-nad-2').json  # the other fields stay
    assert changed | {'nativeId': 'cat-nad'} == {**entry, 'note': changed['note']}

    assert rx('catalog', 'remove', 'strive', 'nad').json == {'pharmacy': 'strive', 'product': 'nad', 'removed': True}
    assert [e['product'] for e in rx('catalog', 'list', 'strive').json] == ['semaglutide', 'tirzepatide']


@pytest.mark.parametrize(
    ('args', 'message'),
    [
        (['catalog', 'list', 'nope'], 'unknown pharmacy nope; known: boothwyn, gmp, strive'),
        (['catalog', 'set', 'nope', 'nad', '--native-id', 'x'], 'unknown pharmacy nope'),
        (['catalog', 'set', 'strive', 'nad', '--native-id', 'x', '--schedule', 'VI'], 'schedule: Input should be'),
        (
            ['catalog', 'set', 'strive', 'nad', '--native-id', 'x', '--states', 'TX,ZZ'],
            'states must be two-letter US state codes',
        ),
        (['catalog', 'set', 'strive', 'NAD Plus', '--native-id', 'x'], 'product: String should match pattern'),
        (
            ['catalog', 'set', 'strive', 'nad', '--native-id', 'x', '--rank', '-1'],
            'rank: Input should be greater than or equal to 0',
        ),
        (['catalog', 'remove', 'nope', 'nad'], 'unknown pharmacy nope'),
        (['catalog', 'remove', 'strive', 'nad'], 'strive has no catalog entry for nad'),
        (['products', 'set-default', 'semaglutide', 'nope'], 'unknown pharmacy nope; known: boothwyn, gmp, strive'),
        (['products', 'set-default', 'nad', 'strive'], 'strive has no catalog entry for nad'),
        (['products', 'clear-default', 'aspirin'], 'unknown product aspirin'),
    ],
)
def test_catalog_and_product_refusals_write_nothing(rx: Rx, args: list[str], message: str) -> None:
    before = snapshot()
    assert message in rx.refused(*args)
    assert snapshot() == before


def test_catalog_remove_refuses_a_default_pharmacy_entry_unless_forced(rx: Rx) -> None:
    assert rx('products', 'set-default', 'semaglutide', 'strive').code == 0
    before = snapshot()
    message = rx.refused('catalog', 'remove', 'strive', 'semaglutide')
    assert 'strive is the Default Pharmacy of semaglutide' in message and '--force' in message
    assert snapshot() == before
    assert rx('catalog', 'remove', 'strive', 'semaglutide', '--force').json['removed'] is True
    assert config.load_config().entry('strive', 'semaglutide') is None


def test_products_set_default_list_clear(rx: Rx) -> None:
    products = {p['product']: p for p in rx('products', 'list').json}
    assert products['semaglutide'] == {
        'product': 'semaglutide',
        'defaultPharmacy': None,
        'pharmacies': ['boothwyn', 'gmp', 'strive'],
    }
    assert products['nad'] == {'product': 'nad', 'defaultPharmacy': None, 'pharmacies': ['boothwyn', 'gmp']}

    set_default = rx('products', 'set-default', 'semaglutide', 'gmp').json
    assert (set_default['product'], set_default['defaultPharmacy']) == ('semaglutide', 'gmp')
    assert {p['product']: p['defaultPharmacy'] for p in rx('products', 'list').json}['semaglutide'] == 'gmp'
    assert rx('pharmacies', 'show', 'gmp').json['defaultPharmacyOf'] == ['semaglutide']

    assert rx('products', 'clear-default', 'semaglutide').json['defaultPharmacy'] is None
    assert config.load_config().products['semaglutide'].default_pharmacy is None


# --- routes ---------------------------------------------------------------------------------------------


def test_routes_set_takes_configured_pharmacies_only(rx: Rx, files: dict[str, str]) -> None:
    before = snapshot()
    assert 'unknown pharmacy acme; known: boothwyn, gmp, strive' in rx.refused('routes', 'set', 'TX', 'acme', '--priority', '5')
    assert 'ZZ is not a two-letter US state code' in rx.refused('routes', 'set', 'ZZ', 'strive', '--priority', '5')
    assert snapshot() == before

    add_acme(rx, files)
    assert rx('routes', 'set', 'tx', 'acme', '--priority', '5').json['state'] == 'TX'
    assert {'state': 'TX', 'pharmacy': 'acme', 'priority': 5, 'isActive': True} in rx('routes', 'list').json


def test_routes_set_refuses_disabling_the_last_route_of_a_state(rx: Rx) -> None:
    before = snapshot()
    message = rx.refused('routes', 'set', 'TX', 'strive', '--priority', '100', '--inactive')
    assert 'disabling the last route of a state' in message and 'TX' in message and '--force' in message
    assert snapshot() == before

    assert rx('routes', 'set', 'TX', 'boothwyn', '--priority', '10').code == 0
    assert rx('routes', 'set', 'TX', 'strive', '--priority', '100', '--inactive').json['isActive'] is False
    assert rx('routes', 'set', 'TX', 'boothwyn', '--priority', '10', '--inactive', '--force').json['isActive'] is False
    assert [r for r in config.load_routes() if r.state == 'TX' and r.is_active] == []


def test_routes_explain(rx: Rx) -> None:
    explained = rx('routes', 'explain', '--state', 'TX', '--medication', 'Semaglutide 2.5mg/mL').json
    assert explained == {
        'pharmacy': 'strive', 'pharmacyType': 'rxvortex', 'rule': 'state_route', 'state': 'TX', 'product': 'semaglutide',
        'productMatchedBy': 'name', 'nativeDrugId': 'cat-sema-25',
        'candidates': [{'pharmacy': 'strive', 'rule': 'state_route', 'priority': 100}],
    }  # fmt: skip

    preferred = rx('routes', 'explain', '--state', 'TX', '--medication', 'Semaglutide 2.5mg/mL', '--pharmacy', 'gmp').json
    assert (preferred['pharmacy'], preferred['rule'], preferred['nativeDrugId']) == ('gmp', 'preferred_pharmacy', '12565')

    rx('products', 'set-default', 'semaglutide', 'boothwyn')
    default = rx('routes', 'explain', '--state', 'tx', '--medication', 'x', '--product', 'semaglutide', '--test').json
    assert (default['pharmacy'], default['rule'], default['productMatchedBy']) == ('boothwyn', 'product_default', 'productId')


def test_routes_explain_without_a_pharmacy_exits_2(rx: Rx) -> None:
    result = rx('routes', 'explain', '--state', 'MN', '--medication', 'Semaglutide 2.5mg/mL')
    assert result.code == 2
    assert result.json == {'decision': None, 'error': 'No pharmacy route configured for state: MN', 'candidates': []}
    assert 'No pharmacy route configured for state: MN' in result.err

    skipped = rx('routes', 'explain', '--state', 'TX', '--medication', 'NAD+ 200mg')
    assert skipped.code == 2
    assert skipped.json['candidates'] == [
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 100, 'skipped': 'no catalog item for product nad'}
    ]
    assert 'ZZ is not a two-letter US state code' in rx.refused('routes', 'explain', '--state', 'ZZ', '--medication', 'x')
    assert 'medication.productId is not a product' in rx.refused(
        'routes', 'explain', '--state', 'TX', '--medication', 'x', '--product', 'aspirin'
    )


# --- submissions ----------------------------------------------------------------------------------------


def test_submissions_show_and_timeline_without_patient_data(rx: Rx, creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = response_json(submit_handler(submit_event(creds, submission()), LambdaContext()))

    shown = rx('submissions', 'show', created['submissionId'])
    assert shown.code == 0, shown.err
    assert list(shown.json) == list(cli.SUPPORT_FIELDS)
    assert (shown.json['pharmacy'], shown.json['pharmacyType'], shown.json['product']) == ('strive', 'rxvortex', 'semaglutide')
    assert shown.json['routingDecision']['rule'] == 'state_route'
    assert [value for value in PATIENT_VALUES if value in shown.out] == []
    assert (
        'Jane' in rx('submissions', 'show', created['submissionId'], '--payloads').json['requestPayload']['patient']['firstName']
    )

    timeline = rx('submissions', 'timeline', created['submissionId'])
    assert timeline.code == 0, timeline.err
    assert (timeline.json['submissionId'], timeline.json['status']) == (created['submissionId'], 'submitted')
    assert {'received', 'routed', 'sent_to_pharmacy', 'pharmacy_answered'} <= {e['kind'] for e in timeline.json['events']}
    assert [value for value in PATIENT_VALUES if value in timeline.out] == []
    assert 'no submission nope' in rx.refused('submissions', 'timeline', 'nope')


def test_own_pharmacies_take_standard_webhooks_secrets_unless_static(rx: Rx, tmp_path: Path) -> None:
    """An OWN instance's secrets must be usable by its webhook: whsec_ secrets, or any secret in static-header mode."""
    whsec = 'whsec_bmV3LXdlYmhvb2stc2VjcmV0LW9mLXRoZS1waGFybWFjeQ=='
    paths = {
        'creds.json': json.dumps({'signing_secret': 'whsec_c2lnbmluZy1zZWNyZXQtb2YtdGhlLXJvdXRlci0wMQ=='}),
        'plain-creds.json': json.dumps({'signing_secret': 'plain-signing-secret'}),
        'whsec.txt': whsec + '\n',
        'plain.txt': 'plain-webhook-secret\n',
    }
    for name, text in paths.items():
        (tmp_path / name).write_text(text)
    add = [
        'pharmacies',
        'add',
        'clinic-rx',
        '--type',
        'own',
        '--label',
        'Clinic',
        '--setting',
        'order_url=https://rx.clinic.test/orders',
    ]
    before = snapshot()
    message = rx.refused(
        *add, '--credentials-file', str(tmp_path / 'creds.json'), '--webhook-secret-file', str(tmp_path / 'plain.txt')
    )
    assert 'must be whsec_ followed by the base64' in message and 'plain-webhook-secret' not in message
    assert 'signing_secret' in rx.refused(
        *add, '--credentials-file', str(tmp_path / 'plain-creds.json'), '--webhook-secret-file', str(tmp_path / 'whsec.txt')
    )
    assert snapshot() == before
    added = rx(*add, '--credentials-file', str(tmp_path / 'creds.json'), '--webhook-secret-file', str(tmp_path / 'whsec.txt'))
    assert added.code == 0, added.err
    assert (added.json['type'], added.json['webhookSecretKey'], added.json['webhookSecretConfigured']) == (
        'own',
        'clinic-rx',
        True,
    )
    assert secret(settings().webhook_secrets_secret)['clinic-rx'] == [whsec]
    static = ['--setting', 'webhook_auth=static_header', '--setting', 'static_header=x-clinic-secret']
    changed = rx('pharmacies', 'set', 'clinic-rx', *static, '--webhook-secret-file', str(tmp_path / 'plain.txt'))
    assert changed.code == 0, changed.err
    assert changed.json['settings']['webhook_auth'] == 'static_header'
    assert secret(settings().webhook_secrets_secret)['clinic-rx'] == ['plain-webhook-secret']

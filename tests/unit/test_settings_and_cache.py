from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from rx_router import cache
from rx_router.cache import TtlCache
from rx_router.errors import ConfigurationError
from rx_router.settings import DEFAULT_RETRY_SCHEDULE, Settings

REQUIRED = {
    'API_CLIENTS_TABLE': 'clients',
    'ROUTING_TABLE': 'routing',
    'SUBMISSIONS_TABLE': 'submissions',
    'PHARMACY_CONFIG_TABLE': 'pharmacy-config',
    'TIMELINE_TABLE': 'timeline',
    'PRESCRIPTION_GATES_TABLE': 'prescription-gates',
    'PHARMACY_CREDENTIALS_SECRET': 'rx/pharmacy-credentials',
    'WEBHOOK_SECRETS_SECRET': 'rx/webhook-secrets',
    'CALLBACK_QUEUE_URL': 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks',
}


def configuration_error(environ: dict[str, str]) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_environment(environ)
    assert err.value.status == 503
    assert err.value.body() == {'error': 'Service is not fully configured; contact the router operators'}
    return err.value


# --- settings ---------------------------------------------------------------------------------------


def test_the_required_variables_and_the_defaults() -> None:
    settings = Settings.from_environment({**REQUIRED, 'PATH': '/usr/bin', 'AWS_REGION': 'us-east-1'})
    assert settings.model_dump() == {
        'api_clients_table': 'clients',
        'routing_table': 'routing',
        'submissions_table': 'submissions',
        'pharmacy_config_table': 'pharmacy-config',
        'timeline_table': 'timeline',
        'prescription_gates_table': 'prescription-gates',
        'pharmacy_credentials_secret': 'rx/pharmacy-credentials',
        'webhook_secrets_secret': 'rx/webhook-secrets',
        'callback_queue_url': 'https://sqs.us-east-1.amazonaws.com/123456789012/callbacks',
        'callback_max_attempts': 10,
        'callback_retry_schedule': DEFAULT_RETRY_SCHEDULE,
        'callback_allow_loopback': False,
        'max_body_bytes': 262_144,
        'signature_tolerance_seconds': 300,
        'routing_cache_seconds': 60,
        'api_client_cache_seconds': 30,
        'credentials_cache_seconds': 300,
        'pharmacy_timeout_seconds': 10.0,
        'reconcile_after_seconds': 21_600,
        'reconcile_max_per_run': 100,
        'beluga_api_url': None,
        'prescription_poll_after_seconds': 1800,
        'diagnosis_awaiting_prescription_hours': 72,
        'diagnosis_shipped_without_tracking_hours': 24,
        'diagnosis_no_update_hours': 120,
        'stale_after_seconds': 86_400,
    }
    assert DEFAULT_RETRY_SCHEDULE == (30, 120, 600, 1800, 3600, 7200, 14400, 21600, 28800)


def test_every_setting_is_read_from_its_variable() -> None:
    environ = {
        **REQUIRED,
        'CALLBACK_MAX_ATTEMPTS': '3',
        'CALLBACK_RETRY_SCHEDULE': '5,10',
        'CALLBACK_ALLOW_LOOPBACK': 'true',
        'MAX_BODY_BYTES': '1024',
        'SIGNATURE_TOLERANCE_SECONDS': '0',
        'ROUTING_CACHE_SECONDS': '1',
        'API_CLIENT_CACHE_SECONDS': '2',
        'CREDENTIALS_CACHE_SECONDS': '0',
        'PHARMACY_TIMEOUT_SECONDS': '2.5',
    }
    settings = Settings.from_environment(environ)
    assert (settings.callback_max_attempts, settings.callback_retry_schedule, settings.callback_allow_loopback) == (
        3,
        (5, 10),
        True,
    )
    assert (settings.max_body_bytes, settings.signature_tolerance_seconds, settings.pharmacy_timeout_seconds) == (1024, 0, 2.5)
    assert (settings.routing_cache_seconds, settings.api_client_cache_seconds, settings.credentials_cache_seconds) == (1, 2, 0)


def test_settings_are_frozen() -> None:
    settings = Settings.from_environment(REQUIRED)
    with pytest.raises(ValidationError):
        settings.routing_table = 'other'  # type: ignore[misc]


def test_names_are_stripped() -> None:
    assert Settings.from_environment({**REQUIRED, 'ROUTING_TABLE': '  routing  '}).routing_table == 'routing'


@pytest.mark.parametrize('name', sorted(REQUIRED))
def test_a_missing_variable_is_named(name: str) -> None:
    environ = {k: v for k, v in REQUIRED.items() if k != name}
    assert configuration_error(environ).detail == f'environment variables missing or invalid: {name}'


@pytest.mark.parametrize('name', ['ROUTING_TABLE', 'CALLBACK_QUEUE_URL'])
def test_a_blank_variable_is_missing(name: str) -> None:
    assert configuration_error({**REQUIRED, name: '   '}).detail == f'environment variables missing or invalid: {name}'


def test_every_missing_variable_is_named_in_order() -> None:
    assert configuration_error({}).detail == 'environment variables missing or invalid: ' + ', '.join(sorted(REQUIRED))


def test_lower_case_names_are_not_the_variables() -> None:
    environ = {k: v for k, v in REQUIRED.items() if k != 'ROUTING_TABLE'} | {'routing_table': 'routing'}
    assert configuration_error(environ).detail == 'environment variables missing or invalid: ROUTING_TABLE'


@pytest.mark.parametrize(
    ('name', 'value'),
    [
        ('CALLBACK_MAX_ATTEMPTS', 'secret-ten'),
        ('CALLBACK_MAX_ATTEMPTS', '0'),
        ('MAX_BODY_BYTES', '0'),
        ('SIGNATURE_TOLERANCE_SECONDS', '-1'),
        ('ROUTING_CACHE_SECONDS', '1.5'),
        ('CREDENTIALS_CACHE_SECONDS', 'forever'),
        ('PHARMACY_TIMEOUT_SECONDS', '0'),
        ('PHARMACY_TIMEOUT_SECONDS', 'slow-secret'),
        ('CALLBACK_ALLOW_LOOPBACK', 'sometimes'),
        ('CALLBACK_RETRY_SCHEDULE', '30,-1'),
    ],
)
def test_an_invalid_variable_is_named_never_its_value(name: str, value: str) -> None:
    err = configuration_error({**REQUIRED, name: value})
    assert err.detail == f'environment variables missing or invalid: {name}'
    for shown in (err.detail, err.message, str(err), repr(err), repr(err.body())):
        assert value not in shown
    assert err.__cause__ is None and err.__suppress_context__


def test_missing_and_invalid_are_named_together() -> None:
    environ = {k: v for k, v in REQUIRED.items() if k != 'TIMELINE_TABLE'} | {'CALLBACK_MAX_ATTEMPTS': 'x'}
    assert (
        configuration_error(environ).detail == 'environment variables missing or invalid: CALLBACK_MAX_ATTEMPTS, TIMELINE_TABLE'
    )


@pytest.mark.parametrize(
    ('value', 'schedule'),
    [
        ('30', (30,)),
        ('30,120', (30, 120)),
        (' 30 , 120 ,600', (30, 120, 600)),
        ('0,5', (0, 5)),
        ('', DEFAULT_RETRY_SCHEDULE),
        ('  ', DEFAULT_RETRY_SCHEDULE),
    ],
)
def test_callback_retry_schedule(value: str, schedule: tuple[int, ...]) -> None:
    assert Settings.from_environment({**REQUIRED, 'CALLBACK_RETRY_SCHEDULE': value}).callback_retry_schedule == schedule


@pytest.mark.parametrize('value', ['30,', ',30', '30,,60', '30;60', 'abc', '1.5', '30,-5'])
def test_invalid_callback_retry_schedules(value: str) -> None:
    assert (
        configuration_error({**REQUIRED, 'CALLBACK_RETRY_SCHEDULE': value}).detail
        == 'environment variables missing or invalid: CALLBACK_RETRY_SCHEDULE'
    )


@pytest.mark.parametrize(
    ('value', 'allowed'),
    [
        ('true', True),
        ('True', True),
        ('TRUE', True),
        ('1', True),
        ('yes', True),
        ('on', True),
        ('false', False),
        ('False', False),
        ('0', False),
        ('no', False),
        ('off', False),
        ('', False),
    ],
)
def test_callback_allow_loopback(value: str, allowed: bool) -> None:
    assert Settings.from_environment({**REQUIRED, 'CALLBACK_ALLOW_LOOPBACK': value}).callback_allow_loopback is allowed


@pytest.mark.parametrize('value', ['2', 'enabled', 'truthy', '-1'])
def test_callback_allow_loopback_refuses_other_words(value: str) -> None:
    assert (
        configuration_error({**REQUIRED, 'CALLBACK_ALLOW_LOOPBACK': value}).detail
        == 'environment variables missing or invalid: CALLBACK_ALLOW_LOOPBACK'
    )


def test_padded_booleans_are_read_like_padded_numbers() -> None:
    settings = Settings.from_environment({**REQUIRED, 'CALLBACK_MAX_ATTEMPTS': ' 4 ', 'CALLBACK_ALLOW_LOOPBACK': ' true '})
    assert (settings.callback_max_attempts, settings.callback_allow_loopback) == (4, True)


# --- TtlCache ----------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(cache.time, 'monotonic', fake)
    yield fake


class Loader:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f'value-{self.calls}'


def test_get_loads_once_and_keeps_the_value_for_its_ttl(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 10)
    load = Loader()
    assert values.get('k', load) == 'value-1'
    clock.now += 9.9
    assert values.get('k', load) == 'value-1'
    assert load.calls == 1
    clock.now += 0.1  # expired exactly at its ttl
    assert values.get('k', load) == 'value-2'
    assert values.get('k', load) == 'value-2'
    assert load.calls == 2


def test_keys_are_cached_apart(clock: Clock) -> None:
    values: TtlCache[tuple[str, str], str] = TtlCache(lambda: 10)
    values.put(('a', '1'), 'one')
    values.put(('a', '2'), 'two')
    assert (values.peek(('a', '1')), values.peek(('a', '2')), values.peek(('b', '1'))) == ('one', 'two', None)


def test_a_failing_load_caches_nothing(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 10)

    def fail() -> str:
        raise RuntimeError('store unavailable')

    with pytest.raises(RuntimeError):
        values.get('k', fail)
    assert values.get('k', lambda: 'loaded') == 'loaded'


def test_peek_never_loads_and_forgets_expired_values(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 10)
    assert values.peek('k') is None
    values.put('k', 'v')
    assert values.peek('k') == 'v'
    clock.now += 10
    assert values.peek('k') is None


def test_put_with_its_own_ttl(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 10)
    values.put('short', 'v', ttl=1)
    values.put('long', 'v', ttl=100)
    values.put('none', 'v', ttl=0)
    assert values.peek('none') is None
    clock.now += 1
    assert (values.peek('short'), values.peek('long')) == (None, 'v')
    clock.now += 98.9
    assert values.peek('long') == 'v'


def test_put_replaces_a_value_and_its_expiry(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 10)
    values.put('k', 'old')
    clock.now += 8
    values.put('k', 'new')
    clock.now += 8
    assert values.peek('k') == 'new'


def test_the_ttl_is_read_when_a_value_is_stored(clock: Clock) -> None:
    ttl = {'seconds': 10.0}
    reads: list[float] = []

    def configured() -> float:
        reads.append(ttl['seconds'])
        return ttl['seconds']

    values: TtlCache[str, str] = TtlCache(configured)
    assert reads == []  # not at construction (settings are never read at import)
    values.put('a', 'v')
    ttl['seconds'] = 0
    values.put('b', 'v')
    assert (values.peek('a'), values.peek('b')) == ('v', None)
    assert reads == [10.0, 0]
    values.put('c', 'v', ttl=5)
    assert reads == [10.0, 0]


def test_a_zero_ttl_caches_nothing(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 0)
    load = Loader()
    assert [values.get('k', load) for _ in range(3)] == ['value-1', 'value-2', 'value-3']


def test_when_full_the_oldest_entry_is_evicted(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 100, max_entries=2)
    values.put('a', '1')
    values.put('b', '2')
    values.put('c', '3')
    assert (values.peek('a'), values.peek('b'), values.peek('c')) == (None, '2', '3')


def test_when_full_expired_entries_are_evicted_first(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 100, max_entries=3)
    values.put('a', '1')
    values.put('short-1', '2', ttl=1)
    values.put('short-2', '3', ttl=1)
    clock.now += 1
    values.put('d', '4')
    values.put('e', '5')
    assert (values.peek('a'), values.peek('d'), values.peek('e')) == ('1', '4', '5')
    assert values._entries.keys() == {'a', 'd', 'e'}


def test_replacing_a_key_in_a_full_cache_evicts_nothing(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 100, max_entries=2)
    values.put('a', '1')
    values.put('b', '2')
    values.put('a', '3')
    assert (values.peek('a'), values.peek('b')) == ('3', '2')


def test_when_full_the_least_recently_stored_entry_is_evicted(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 100, max_entries=2)
    values.put('a', '1')
    values.put('b', '2')
    clock.now += 1
    values.put('a', '3')  # 'a' is now the newest value
    values.put('c', '4')
    assert (values.peek('a'), values.peek('b'), values.peek('c')) == ('3', None, '4')


def test_pop_and_clear(clock: Clock) -> None:
    values: TtlCache[str, str] = TtlCache(lambda: 100)
    values.put('a', '1')
    values.put('b', '2')
    values.pop('a')
    values.pop('never-stored')
    assert (values.peek('a'), values.peek('b')) == (None, '2')
    values.clear()
    assert values.peek('b') is None


def test_clear_all_forgets_every_cache(clock: Clock) -> None:
    first: TtlCache[str, str] = TtlCache(lambda: 100)
    second: TtlCache[int, str] = TtlCache(lambda: 100, max_entries=1)
    first.put('a', '1')
    second.put(1, 'one')
    TtlCache.clear_all()
    assert (first.peek('a'), second.peek(1)) == (None, None)
    load = Loader()
    assert first.get('a', load) == 'value-1' and load.calls == 1

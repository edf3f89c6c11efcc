"""Init builds what requests use without touching the network; a SnapStart restore re-seeds and forgets."""

import random
import subprocess
import sys

import snapshot_restore_py

from rx_router import aws, http_clients, lifecycle
from rx_router.cache import TtlCache
from rx_router.pharmacy_types import registry


def test_init_builds_the_clients_with_the_network_off() -> None:
    aws.reset()
    http_clients._clients.clear()
    services = ('dynamodb', 'sqs', 'secretsmanager')
    lifecycle.init(*services, pharmacy_http=True, callback_http=True, types=tuple(registry.names()))  # sockets off here
    built = [aws.client(service) for service in services]
    assert [aws.client(service) for service in services] == built  # built once, at init
    assert set(http_clients._clients) == {'pharmacy', 'callbacks'}
    for client in built:
        assert client.meta.config.user_agent == aws.USER_AGENT  # fixed: botocore does not rebuild it per call


def test_restore_hook_is_registered_once() -> None:
    lifecycle.init()
    lifecycle.init()
    assert [hook for hook, *_ in snapshot_restore_py.get_after_restore()].count(lifecycle.after_restore) == 1


def test_after_restore_reseeds_random_and_empties_every_cache() -> None:
    cache: TtlCache[str, str] = TtlCache(lambda: 60)
    cache.put('config', 'as of the snapshot')
    random.seed(7)
    from_snapshot = [random.random() for _ in range(3)]
    random.seed(7)  # two environments restored from one snapshot start with the same state
    lifecycle.after_restore()
    assert [random.random() for _ in range(3)] != from_snapshot
    assert cache.peek('config') is None


def test_api_handlers_import_neither_boto3_nor_powertools_parameters() -> None:
    """One botocore session serves every AWS call: boto3 and Parameters would each bring their own."""
    probe = (
        'import sys, functions.submit.app, functions.boothwyn_b2b_webhook.app, functions.callback_sender.app,'
        ' functions.own_webhook.app;'
        "print(sorted(m for m in ('boto3', 'aws_lambda_powertools.utilities.parameters') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'

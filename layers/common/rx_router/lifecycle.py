"""What a function does at init, and what it redoes when SnapStart restores it from a snapshot.

Lambda gives init more CPU than the first request (at 512 MB a request runs with ~0.29 vCPU), and a client
waits for the first request, so everything that can be built before a request is built at import: the AWS
clients, the HTTP clients, the pharmacy type modules. Nothing here touches the network or fills a cache.

With SnapStart (template parameter SnapStart=Enabled) many environments resume from one snapshot of that init.
They would share `random`'s state (the callback retry jitter would repeat across them) and any cache filled
before the snapshot, so the restore hook re-seeds `random` and empties every TtlCache.
"""

import random

from rx_router.cache import TtlCache


def after_restore() -> None:
    random.seed()  # from os.urandom: each restored environment gets its own sequence
    TtlCache.clear_all()


def _register_restore_hook() -> None:
    try:
        from snapshot_restore_py import register_after_restore  # provided by Lambda's Python runtimes
    except ImportError:  # outside Lambda without the package (it is installed for tests and the local stack)
        return
    if after_restore not in _registered():
        register_after_restore(after_restore)


def _registered() -> list[object]:
    from snapshot_restore_py import get_after_restore

    return [hook for hook, *_ in get_after_restore()]  # (hook, args, kwargs)


def init(*services: str, pharmacy_http: bool = False, callback_http: bool = False, types: tuple[str, ...] = ()) -> None:
    """Builds the AWS clients (by service name) and the rest of what the function's requests use; called at
    import by its app.py."""
    from rx_router import aws

    _register_restore_hook()
    for service in services:
        aws.client(service)
    if pharmacy_http or callback_http:
        from rx_router import http_clients

        if pharmacy_http:
            http_clients.pharmacy()
        if callback_http:
            http_clients.callbacks()
    if types:
        from rx_router.pharmacy_types import registry

        for name in types:
            registry.get(name)

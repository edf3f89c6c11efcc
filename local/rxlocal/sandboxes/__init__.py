"""Sandbox pharmacies: one fake per pharmacy type, speaking its native API as far as it is known
(shared/reference/pharmacy-apis.md). The local stack serves one per configured pharmacy instance on loopback;
the integration tests drive the same fakes through httpx.MockTransport (tests/pharmacy_fakes.py)."""

from rxlocal.sandboxes.base import Sandbox, SandboxConfig
from rxlocal.sandboxes.beluga import BelugaSandbox
from rxlocal.sandboxes.boothwyn_b2b import BoothwynB2BSandbox
from rxlocal.sandboxes.dispensepro import DispenseProSandbox
from rxlocal.sandboxes.lifefile import LifeFileSandbox
from rxlocal.sandboxes.own import OwnSandbox
from rxlocal.sandboxes.pioneerrx import PioneerRxSandbox
from rxlocal.sandboxes.rxvortex import RxVortexSandbox

TYPES: dict[str, type[Sandbox]] = {
    cls.type_name: cls
    for cls in (
        BelugaSandbox,
        BoothwynB2BSandbox,
        DispenseProSandbox,
        LifeFileSandbox,
        OwnSandbox,
        PioneerRxSandbox,
        RxVortexSandbox,
    )
}

__all__ = ['TYPES', 'Sandbox', 'SandboxConfig']

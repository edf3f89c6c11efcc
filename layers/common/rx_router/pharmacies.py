"""The pharmacies the router knows, and which adapter speaks to each.

`webhook` names the webhook endpoint (/rx/webhooks/<webhook>) the pharmacy's status updates arrive at:
GMP fulfils through Boothwyn's system, so its updates come through Boothwyn's webhook.

Adding a pharmacy is a row here plus (if its API is new) one adapter module; nothing else in the
router mentions a pharmacy by name. Adapter modules are imported on first use only.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Pharmacy:
    name: str
    label: str
    adapter: str
    env_prefix: str
    webhook: str


PHARMACIES: dict[str, Pharmacy] = {
    p.name: p
    for p in (
        Pharmacy(name='boothwyn', label='Boothwyn', adapter='boothwyn_b2b', env_prefix='BOOTHWYN', webhook='boothwyn'),
        Pharmacy(name='gmp', label='GMP', adapter='boothwyn_b2b', env_prefix='GMP', webhook='boothwyn'),
        Pharmacy(name='strive', label='Strive', adapter='strive', env_prefix='STRIVE', webhook='strive'),
    )
}


def pharmacies_on_webhook(webhook: str) -> list[str]:
    return [p.name for p in PHARMACIES.values() if p.webhook == webhook]

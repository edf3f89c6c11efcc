"""Beluga Health, locally: the prescriber service whose RX_WRITTEN releases gated submissions, and the network whose
pharmacies it sends prescriptions to (the `beluga` pharmacy type, which the router never calls).

It serves Beluga's visit fetch (`GET /visit/externalFetch/{masterId}`, Bearer api key) from the visits it knows, and
sends Beluga's webhook events to the router (`Authorization: Bearer <secret>`, every value a string):
- `POST /_sandbox/visits/{masterId}/rx-written {"medIds": [...], "silent": false}`: the prescriber writes the
  prescription (one `medsPrescribed` entry per medId); `silent` records it in the visit without sending the
  webhook (a missed event, for reconciliation to recover);
- `POST /_sandbox/visits/{masterId}/consult-canceled`;
- `POST /_sandbox/orders/{masterId}/process|ship|deliver`: the network pharmacy's PHARMACY_ORDER_* events.
"""

import json
import re
import secrets
from typing import Any, ClassVar

from rxlocal.sandboxes.base import Reply, Sandbox, SandboxOrder, _json

FETCH = re.compile(r'/visit/externalFetch/([^/]+)')
VISIT_ACTION = re.compile(r'/_sandbox/visits/([^/]+)/(rx-written|consult-canceled)')
EVENTS = {
    'processing': 'PHARMACY_ORDER_IN_FULFILLMENT',
    'shipped': 'PHARMACY_ORDER_SHIPPED',
    'delivered': 'PHARMACY_ORDER_DELIVERED',
}
LOCAL_PRODUCTS = ('semaglutide', 'tirzepatide')


class BelugaSandbox(Sandbox):
    type_name: ClassVar[str] = 'beluga'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visits: dict[str, list[dict[str, str]]] = {}

    @classmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        return {}  # the router never calls a network pharmacy

    @classmethod
    def environment(cls, url: str) -> dict[str, str]:
        return {'BELUGA_API_URL': url}

    @classmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        return {'api_key': 'local-beluga-api-key'}

    @classmethod
    def local_seed(cls) -> tuple[list[Any], list[Any]]:
        from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance

        instance = PharmacyInstance(
            id='beluga-network',
            type=cls.type_name,
            label='Beluga network pharmacy (local)',
            settings={'pharmacy_id': 'LOCAL-PHARMACY-1'},
            credentials_key='beluga',  # Beluga's API key: the provider's, which the visit fetch uses
            webhook_secret_key='beluga',  # noqa: S106 - the key of Beluga's webhook secret, not a secret
        )
        entries = [
            CatalogEntry(pharmacy=instance.id, product=product, name=product.title(), native_id=product, match=(product,))
            for product in LOCAL_PRODUCTS
        ]
        return [instance], entries

    def webhook_headers(self, body: bytes) -> dict[str, str]:
        return {'authorization': f'Bearer {self.config.webhook_secret}'}

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], raw: bytes, *, test_environment: bool = False
    ) -> tuple[int, Any]:
        visit = VISIT_ACTION.fullmatch(path)
        if method == 'POST' and visit:
            master_id, action = visit.groups()
            options = _json(raw) or {}
            if action == 'rx-written':
                return self.rx_written(master_id, list(options.get('medIds') or LOCAL_PRODUCTS[:1]), bool(options.get('silent')))
            return self.send({'masterId': master_id, 'event': 'CONSULT_CANCELED'})
        order = re.fullmatch(r'/_sandbox/orders/([^/]+)/(process|ship|deliver|cancel)', path)
        if method == 'POST' and order and order.group(1) not in self.orders:
            self.remember(SandboxOrder(order_id=order.group(1), sender_id='beluga', test=False))
        return super().handle(method, path, query, headers, raw, test_environment=test_environment)

    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        found = FETCH.fullmatch(path)
        if method != 'GET' or found is None:
            return 200, {'status': 404, 'error': 'Not found'}  # Beluga's way: HTTP 200, the status in the body
        if headers.get('authorization') != f'Bearer {self.config.credentials["api_key"]}':
            return 200, {'status': 401, 'error': 'Unauthorized'}
        history = self.visits.get(found.group(1), [])
        return 200, {'visitStatus': 'resolved' if history else 'active', 'resolvedStatus': '', 'rxHistory': history}

    def rx_written(self, master_id: str, med_ids: list[str], silent: bool) -> tuple[int, Any]:
        meds = [
            {
                'name': med_id.title(),
                'strength': '',
                'medId': med_id,
                'rxId': f'RX-{secrets.randbelow(10**8):08d}',
                'quantity': '1',
                'refills': '0',
            }
            for med_id in med_ids
        ]
        with self.lock:
            self.visits[master_id] = [{**m, 'daysSupply': '28'} for m in meds]
        if silent:
            return 200, {'masterId': master_id, 'medsPrescribed': meds, 'webhook': None}
        return self.send({'masterId': master_id, 'event': 'RX_WRITTEN', 'docName': 'Dr. Local', 'medsPrescribed': meds})

    def send(self, event: dict[str, Any]) -> tuple[int, Any]:
        response = self.post_webhook(json.dumps(event, separators=(',', ':')).encode(), {})
        return 200, {'webhook': event, 'routerStatus': response.status_code, 'routerBody': _json(response.content)}

    def action_status(self, order: SandboxOrder, action: str, options: dict[str, Any]) -> str:
        if action == 'cancel':
            raise Reply(409, {'message': 'Beluga sends no cancel event for a pharmacy order'})
        return super().action_status(order, action, options)

    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> Any:
        event: dict[str, Any] = {'masterId': order.order_id, 'event': EVENTS[order.status], 'orderId': f'BLG-{order.order_id}'}
        if order.status == 'shipped':
            event['info'] = {'carrier': 'UPS', 'tracking': str(order.tracking_number), 'trackerStatus': 'in_transit'}
        return event

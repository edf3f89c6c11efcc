"""What every sandbox pharmacy does: remember orders, honour the test triggers, and send its status webhook.

Triggers, in the order's note (medication.note): `sandbox:fail-500` answers HTTP 500, `sandbox:reject`
answers the pharmacy's native 4xx rejection, `sandbox:timeout` does not answer in time.
"""

import json
import re
import secrets
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

DATE = r'^\d{4}-\d{2}-\d{2}$'
Text = Annotated[str, Field(min_length=1)]


class Native(BaseModel):
    """A pharmacy's native body: what the sandbox checks, and nothing it does not know about."""

    model_config = ConfigDict(extra='allow')


ACTIONS = {'process': 'processing', 'ship': 'shipped', 'deliver': 'delivered', 'cancel': 'cancelled'}
TIMEOUT = 0  # a reply status meaning: drop the connection without an answer
TEST_PREFIX = '/sandbox'  # a type's separate test environment, when it has one, is the same server under /sandbox


@dataclass
class SandboxConfig:
    """One sandbox, configured from its pharmacy instance record."""

    pharmacy: str
    credentials: dict[str, str]
    drug_ids: frozenset[str]  # the native drug ids its catalog knows
    webhook_url: str = ''  # where it posts its status webhooks
    webhook_header: str = 'x-webhook-secret'
    webhook_secret: str = ''
    timeout_seconds: float = 30.0
    token_ttl_seconds: int = 86_400
    settings: dict[str, Any] = field(default_factory=dict)  # the instance's settings (ids a sandbox checks)


@dataclass
class SandboxOrder:
    order_id: str
    sender_id: str
    test: bool
    status: str = 'received'
    tracking_number: str | None = None
    received_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class Reply(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body


class Sandbox(ABC):
    type_name: ClassVar[str]
    # The instance setting whose URL is the pharmacy's separate test environment (None: test mode is a flag).
    test_url_setting: ClassVar[str | None] = None

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.orders: dict[str, SandboxOrder] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @classmethod
    @abstractmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        """The instance settings that point the router at a sandbox served at `url`."""

    @classmethod
    def environment(cls, url: str) -> dict[str, str]:
        """The router's environment settings that point it at a sandbox served at `url` beyond its instance's URLs
        (a provider's API the sandbox also plays)."""
        return {}

    @classmethod
    @abstractmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        """Credentials for a local instance (valid nowhere else)."""

    @classmethod
    def local_seed(cls) -> tuple[list[Any], list[Any]]:
        """Pharmacy instances (rx_router.pharmacies.records.PharmacyInstance) and their catalog entries that the
        local stack adds for this type beyond the deployment's seed, so a newcomer can route to the type. URLs
        in their settings are replaced by the sandbox's (url_settings)."""
        return [], []

    @abstractmethod
    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        """The pharmacy's own API."""

    @abstractmethod
    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> Any:
        """The pharmacy's native webhook body for the order's current status."""

    def webhook_headers(self, body: bytes) -> dict[str, str]:
        """How the pharmacy authenticates its webhook (`body`: the bytes it posts): by default its secret in the
        type's secret header."""
        return {self.config.webhook_header: self.config.webhook_secret}

    @classmethod
    def local_webhook_secret(cls, seed: str) -> str:
        """The webhook secret a local instance of the type uses, made from the stack's configured value."""
        return seed

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], raw: bytes, *, test_environment: bool = False
    ) -> tuple[int, Any]:
        headers = {k.lower(): v for k, v in headers.items()}
        admin = re.fullmatch(r'/_sandbox/orders/([^/]+)/(process|ship|deliver|cancel)', path)
        try:
            if method == 'GET' and path == '/_sandbox/orders':
                return 200, [asdict(o) for o in self.orders.values()]
            if method == 'POST' and admin:
                return self.send_status_webhook(admin.group(1), admin.group(2), _json(raw) or {})
            return self.api(method, path, query, headers, _json(raw), test_environment)
        except Reply as reply:
            return reply.status, reply.body

    def apply_triggers(self, notes: str, rejection: tuple[int, Any]) -> None:
        if 'sandbox:fail-500' in notes:
            raise Reply(500, {'message': 'Internal Server Error'})
        if 'sandbox:reject' in notes:
            raise Reply(*rejection)
        if 'sandbox:timeout' in notes:
            self.stopping.wait(self.config.timeout_seconds)
            raise Reply(TIMEOUT, None)

    def remember(self, order: SandboxOrder) -> None:
        with self.lock:
            self.orders[order.order_id] = order

    def send_status_webhook(self, order_id: str, action: str, options: dict[str, Any]) -> tuple[int, Any]:
        order = self.orders.get(order_id)
        if order is None:
            return 404, {'message': f'No sandbox order {order_id}'}
        tracking = options.get('trackingNumber') or order.tracking_number
        if action == 'ship' and not tracking:
            tracking = f'{secrets.randbelow(10**12):012d}'
        order.status, order.tracking_number = self.action_status(order, action, options), tracking
        payload = self.status_webhook(order, options)
        response = self.post_webhook(encode(payload), options)
        return 200, {
            'order': asdict(order),
            'webhook': payload,
            'routerStatus': response.status_code,
            'routerBody': _json(response.content),
        }

    def post_webhook(self, body: bytes, options: dict[str, Any]) -> httpx.Response:
        headers = {'content-type': 'application/json', **self.webhook_headers(body)}
        return httpx.post(self.config.webhook_url, content=body, headers=headers, timeout=10)

    def action_status(self, order: SandboxOrder, action: str, options: dict[str, Any]) -> str:
        """The native status an admin action moves the order to; a type with its own status machine refuses a
        move it does not allow by raising Reply."""
        return ACTIONS[action]

    def stop(self) -> None:
        self.stopping.set()


def location(error: Any) -> str:
    return '.'.join(str(p) for p in error['loc'])


def encode(payload: Any) -> bytes:
    """JSON as httpx writes it (compact UTF-8)."""
    return json.dumps(payload, ensure_ascii=False, separators=(',', ':'), allow_nan=False).encode('utf-8')


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None

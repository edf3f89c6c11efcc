"""What sending an order to a pharmacy can come to."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PharmacyAccepted:
    order_id: str
    raw: Any


class PharmacyFailed(Exception):
    """The pharmacy did not take the order (or may not have). `message` is client-safe."""

    def __init__(self, message: str, raw: Any = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw
        self.http_status = http_status

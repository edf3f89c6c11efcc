"""The configuration records: pharmacy instances, catalog entries, products, routes, and one snapshot of all.

A pharmacy *instance* (boothwyn, gmp, strive, ...) is an instance of a pharmacy *type* (boothwyn_b2b,
rxvortex, ...). Its non-secret settings are validated by its type; its credentials and webhook secret live in
Secrets Manager, under the keys named here (never in this table).
"""

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rx_router.validation.us import US_STATES

ID_PATTERN = r'^[a-z][a-z0-9-]{1,49}$'
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
Schedule = Literal['II', 'IIN', 'III', 'IIIN', 'IV', 'V']


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra='forbid', str_strip_whitespace=True)


class PharmacyInstance(Record):
    id: Identifier
    type: Annotated[str, Field(min_length=1, max_length=50)]
    label: Annotated[str, Field(min_length=1, max_length=100)]
    active: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials_key: Identifier  # key of this instance's credentials in the pharmacy-credentials secret
    webhook_secret_key: Identifier | None = None  # key of its webhook secret(s) in the webhook-secrets secret
    test_mode_allowed: bool = True


class CatalogEntry(Record):
    """One product a pharmacy can fill, and the drug id its API knows it by."""

    pharmacy: Identifier
    product: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200)]
    native_id: Annotated[str, Field(min_length=1, max_length=100)]
    # Case-insensitive "name contains" rules: a medication whose name contains any of them is this product.
    match: tuple[Annotated[str, Field(min_length=1, max_length=100)], ...] = ()
    rank: Annotated[int, Field(ge=0, le=10_000)] = 100  # rules are tried in rank order, lowest first
    states: tuple[str, ...] | None = None  # states the pharmacy may ship this product to; None: every state
    schedule: Schedule | None = None  # DEA controlled-substance schedule, when the product is one

    @field_validator('match')
    @classmethod
    def lower_case(cls, rules: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(rule.lower() for rule in rules)

    @field_validator('states')
    @classmethod
    def us_states(cls, states: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if states is None:
            return None
        unknown = sorted(set(states) - US_STATES)
        if unknown or not states:
            raise ValueError('states must be two-letter US state codes')
        return tuple(sorted(set(states)))

    def matches(self, medication_name: str) -> bool:
        lowered = medication_name.lower()
        return any(rule in lowered for rule in self.match)

    def eligible_in(self, state: str) -> bool:
        return self.states is None or state in self.states


class Product(Record):
    """A product's routing: its Default Pharmacy, the main routing signal after an order's assigned pharmacy."""

    product: Identifier
    default_pharmacy: Identifier | None = None


@dataclass(frozen=True)
class Route:
    state: str
    pharmacy: str
    priority: int
    is_active: bool


@dataclass(frozen=True)
class PharmacyConfig:
    """Everything routing and translation need, read together and cached together."""

    pharmacies: dict[str, PharmacyInstance] = field(default_factory=dict)
    catalog: tuple[CatalogEntry, ...] = ()
    products: dict[str, Product] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()

    def catalog_of(self, pharmacy: str) -> tuple[CatalogEntry, ...]:
        return tuple(e for e in self.catalog if e.pharmacy == pharmacy)

    def entry(self, pharmacy: str, product: str) -> CatalogEntry | None:
        return next((e for e in self.catalog if e.pharmacy == pharmacy and e.product == product), None)

    def known_products(self) -> set[str]:
        return {e.product for e in self.catalog} | set(self.products)

    def of_type(self, type_name: str) -> list[PharmacyInstance]:
        return [p for p in self.pharmacies.values() if p.type == type_name]


def is_identifier(value: str) -> bool:
    return re.fullmatch(ID_PATTERN, value) is not None

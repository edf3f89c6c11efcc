"""Which pharmacy fills a prescription, and why.

Resolution order: the order's assigned pharmacy (`routing.preferredPharmacy`, which bypasses everything else
and is never silently replaced), then the product's Default Pharmacy, then the state's active routes by
priority (highest first; the spec's "Pharmacy Routing"). A candidate that cannot fill the prescription —
not configured, inactive, test mode not allowed, no catalog entry for the product, the product not
eligible in the patient's state, a controlled product without a DEA number — is skipped for the next one,
with its reason. The Decision records the rule that chose and every candidate skipped.
"""

from typing import Any, Literal, NamedTuple

from rx_router.errors import Unprocessable
from rx_router.pharmacies.catalog import ProductMatch, identify_product
from rx_router.pharmacies.records import PharmacyConfig
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import CatalogMatch

Rule = Literal['preferred_pharmacy', 'product_default', 'state_route']


class Request(NamedTuple):
    """What routing looks at in a prescription (no patient data beyond the state)."""

    state: str
    medication_name: str
    product_id: str | None = None
    preferred_pharmacy: str | None = None
    test: bool = False
    has_dea_number: bool = False


class Candidate(NamedTuple):
    pharmacy: str
    rule: Rule
    priority: int | None = None
    skipped: str | None = None  # why it cannot fill; None for the chosen one

    def view(self) -> dict[str, Any]:
        shown = {'pharmacy': self.pharmacy, 'rule': self.rule, 'priority': self.priority, 'skipped': self.skipped}
        return {k: v for k, v in shown.items() if v is not None}


class Decision(NamedTuple):
    pharmacy: str
    pharmacy_type: str
    rule: Rule
    state: str
    product: ProductMatch
    drug: CatalogMatch
    candidates: tuple[Candidate, ...] = ()

    def view(self) -> dict[str, Any]:
        """What GET shows as `routingDecision` (no credentials, no settings)."""
        return {
            'pharmacy': self.pharmacy,
            'pharmacyType': self.pharmacy_type,
            'rule': self.rule,
            'state': self.state,
            'product': self.product.product,
            'productMatchedBy': self.product.matched_by,
            'nativeDrugId': self.drug.native_id,
            'candidates': [c.view() for c in self.candidates],
        }


class NoPharmacy(Unprocessable):
    def __init__(self, message: str, candidates: tuple[Candidate, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


def resolve(request: Request, config: PharmacyConfig) -> Decision:
    product = identify_product(request.medication_name, request.product_id, config)
    skipped: list[Candidate] = []
    for pharmacy, rule, priority in _candidates(request, product, config):
        if any(c.pharmacy == pharmacy for c in skipped):
            continue
        reason, drug = _cannot_fill(request, product, pharmacy, config)
        if reason is None and drug is not None:
            chosen = Candidate(pharmacy, rule, priority)
            instance = config.pharmacies[pharmacy]
            return Decision(pharmacy, instance.type, rule, request.state, product, drug, (*skipped, chosen))
        skipped.append(Candidate(pharmacy, rule, priority, reason))
        if rule == 'preferred_pharmacy':
            raise NoPharmacy(_preferred_message(pharmacy, reason or '', config), tuple(skipped))
    if not skipped:
        raise NoPharmacy(f'No pharmacy route configured for state: {request.state}')
    reasons = '; '.join(f'{c.pharmacy} ({c.rule.replace("_", " ")}): {c.skipped}' for c in skipped)
    raise NoPharmacy(f'No pharmacy can fill this prescription for state {request.state}: {reasons}', tuple(skipped))


def _candidates(request: Request, product: ProductMatch, config: PharmacyConfig) -> list[tuple[str, Rule, int | None]]:
    if request.preferred_pharmacy is not None:
        return [(request.preferred_pharmacy, 'preferred_pharmacy', None)]
    found: list[tuple[str, Rule, int | None]] = []
    default = config.products.get(product.product) if product.product else None
    if default and default.default_pharmacy:
        found.append((default.default_pharmacy, 'product_default', None))
    # Highest priority first; between equal priorities the spec's table never has, the later name (as before).
    routes = sorted(
        (r for r in config.routes if r.state == request.state and r.is_active),
        key=lambda r: (r.priority, r.pharmacy),
        reverse=True,
    )
    found += [(r.pharmacy, 'state_route', r.priority) for r in routes]
    return found


def _cannot_fill(
    request: Request, product: ProductMatch, pharmacy: str, config: PharmacyConfig
) -> tuple[str | None, CatalogMatch | None]:
    instance = config.pharmacies.get(pharmacy)
    if instance is None:
        return 'not a configured pharmacy', None
    if not instance.active:
        return 'inactive', None
    if request.test and not instance.test_mode_allowed:
        return 'test mode is not allowed for this pharmacy', None
    try:
        pharmacy_type = registry.get(instance.type)
    except registry.UnknownType:
        return f'unknown pharmacy type {instance.type}', None
    if product.product is None:
        if pharmacy_type.unmatched_native_id is None:
            return 'no catalog item matches the medication (set medication.productId, or add a catalog rule)', None
        return None, CatalogMatch(None, pharmacy_type.unmatched_native_id)
    entry = config.entry(pharmacy, product.product)
    if entry is None:
        return f'no catalog item for product {product.product}', None
    if not entry.eligible_in(request.state):
        return f'product {product.product} is not eligible in {request.state}', None
    if entry.schedule and not request.has_dea_number:
        return (
            f'product {product.product} is a Schedule {entry.schedule} controlled substance: prescriber.deaNumber is required',
            None,
        )
    return None, CatalogMatch(product.product, entry.native_id, entry)


def _preferred_message(pharmacy: str, reason: str, config: PharmacyConfig) -> str:
    if pharmacy not in config.pharmacies:
        known = ', '.join(sorted(config.pharmacies))
        return f'routing.preferredPharmacy is not a known pharmacy; known pharmacies: {known}'
    if reason == 'inactive':
        return f'routing.preferredPharmacy {pharmacy} is not active'
    return f'routing.preferredPharmacy {pharmacy} cannot fill this prescription: {reason}'

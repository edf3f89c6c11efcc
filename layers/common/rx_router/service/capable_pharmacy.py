"""The pharmacy of a submission, bound and ready, when its type can do what a client or operator asks."""

from rx_router.domain.submission import Submission
from rx_router.errors import Conflict
from rx_router.pharmacies import adapters
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import Capability, PharmacyType
from rx_router.store.config import cached_pharmacies


def capable_pharmacy(submission: Submission, capability: Capability, cannot: str) -> PharmacyType:
    """Conflict(`cannot`) when the submission's pharmacy type lacks `capability`; Conflict too when the pharmacy is
    no longer configured."""
    try:
        pharmacy_type = registry.get(submission.pharmacy_type)
    except registry.UnknownType:
        raise Conflict(f'Pharmacy {submission.pharmacy} has a pharmacy type the router does not know') from None
    if capability not in pharmacy_type.capabilities:
        raise Conflict(cannot)
    instance = cached_pharmacies().pharmacies.get(submission.pharmacy)
    if instance is None:
        raise Conflict(f'Pharmacy {submission.pharmacy} is no longer configured: ask the pharmacy directly')
    return adapters.bound(instance)

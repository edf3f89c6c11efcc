"""Which product a prescription's medication is, and the drug id a pharmacy's API knows it by.

A medication is the product its `medication.productId` names; otherwise the first catalog entry whose rules
its name matches (rules tried in rank order, then by product and pharmacy), so every pharmacy agrees on it.
"""

from typing import Literal, NamedTuple

from rx_router.errors import Unprocessable
from rx_router.pharmacies.records import PharmacyConfig

MatchedBy = Literal['productId', 'name']


class ProductMatch(NamedTuple):
    product: str | None  # None: no product matches the medication
    matched_by: MatchedBy | None


def identify_product(medication_name: str, product_id: str | None, config: PharmacyConfig) -> ProductMatch:
    if product_id is not None:
        if product_id not in config.known_products():
            raise Unprocessable('medication.productId is not a product in any pharmacy catalog (rxrouter catalog list)')
        return ProductMatch(product_id, 'productId')
    ruled = sorted((e for e in config.catalog if e.match), key=lambda e: (e.rank, e.product, e.pharmacy))
    found = next((entry for entry in ruled if entry.matches(medication_name)), None)
    return ProductMatch(found.product, 'name') if found else ProductMatch(None, None)

"""The pharmacy types the router speaks, by name. A module is imported when its type is first needed."""

import importlib

from rx_router.pharmacy_types.base import PharmacyType

MODULES = {
    'beluga': 'rx_router.pharmacy_types.beluga',
    'boothwyn_b2b': 'rx_router.pharmacy_types.boothwyn_b2b',
    'dispensepro': 'rx_router.pharmacy_types.dispensepro',
    'own': 'rx_router.pharmacy_types.own',
    'lifefile': 'rx_router.pharmacy_types.lifefile',
    'rxvortex': 'rx_router.pharmacy_types.rxvortex',
    'pioneerrx': 'rx_router.pharmacy_types.pioneerrx',
}


class UnknownType(KeyError):
    pass


def names() -> list[str]:
    return sorted(MODULES)


def get(name: str) -> type[PharmacyType]:
    if name not in MODULES:
        raise UnknownType(name)
    found: type[PharmacyType] = importlib.import_module(MODULES[name]).PHARMACY_TYPE
    return found

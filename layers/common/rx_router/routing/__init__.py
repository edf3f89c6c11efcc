"""Routing: which pharmacy fills a prescription (resolve.py), from the configuration in rx_router.pharmacies."""

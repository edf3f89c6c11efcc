"""Pharmacy types: one module per vendor API. Everything vendor-specific (settings and credentials models, the
native order body, auth, the webhook body and status vocabulary, test mode) lives in its type's module and
nowhere else. registry.py names them; instances of them are data (rx_router.pharmacies)."""

"""Pharmacy adapters: one module per pharmacy API behind the PharmacyAdapter interface (base.py)."""

"""Pharmacy Router shared layer: everything the Lambda handlers have in common."""

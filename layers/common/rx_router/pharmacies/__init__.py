"""Pharmacy instances and their drug catalogs: data, configured by operators (rxrouter pharmacies / catalog /
products), read from the pharmacy-config table and cached per container. Types live in pharmacy_types/."""

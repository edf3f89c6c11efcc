"""The local stack: the router's real handlers and layer, served on loopback from template.yaml.

AWS is emulated by moto's server mode; pharmacies by sandboxes speaking their native APIs.
"""

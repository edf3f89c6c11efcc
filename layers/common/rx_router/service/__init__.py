"""Use cases: one module per API operation. Handlers call exactly one of these."""

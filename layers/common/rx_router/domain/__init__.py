"""The submission as a domain object: its statuses, what can happen to it, and the rules. No I/O here."""

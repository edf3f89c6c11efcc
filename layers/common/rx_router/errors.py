"""Domain errors. Each carries the HTTP status and a client-safe message; api/responses.py maps them.

Messages must never contain patient data: they reach clients and logs verbatim.
"""

from typing import Any


class RouterError(Exception):
    status = 500
    public_message = 'Internal error'

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or self.public_message)
        self.message = message or self.public_message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {'error': self.message, **self.extra}


class BadRequest(RouterError):
    status = 400


class ValidationFailed(RouterError):
    status = 400

    def __init__(self, field_errors: dict[str, list[str]], form_errors: list[str] | None = None) -> None:
        super().__init__('Validation failed')
        self.field_errors = field_errors
        self.form_errors = form_errors or []

    def body(self) -> dict[str, Any]:
        return {'error': self.message, 'details': {'fieldErrors': self.field_errors, 'formErrors': self.form_errors}}


class Unauthorized(RouterError):
    """Every authentication failure looks the same to the caller; `reason` is for our logs only."""

    status = 401
    public_message = 'Invalid signature'

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class Forbidden(RouterError):
    status = 403


class NotFound(RouterError):
    status = 404


class Conflict(RouterError):
    status = 409


class PayloadTooLarge(RouterError):
    status = 413


class Unprocessable(RouterError):
    status = 422


class ConfigurationError(RouterError):
    """The deployment is missing something it needs; the caller cannot fix it."""

    status = 503
    public_message = 'Service is not fully configured; contact the router operators'

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail


class BadGateway(RouterError):
    """The pharmacy did not do what was asked (it refused, failed or did not answer)."""

    status = 502

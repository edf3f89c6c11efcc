"""The one way a pydantic ValidationError becomes the spec's 400 body: field paths and messages, never input."""

from typing import Any

from pydantic import ValidationError

from rx_router.errors import ValidationFailed


def _message(error: Any) -> str:
    if error['type'] == 'missing':
        return 'Required'
    if error['type'] == 'extra_forbidden':
        return 'Unknown field'
    message: str = error['msg']
    return message.removeprefix('Value error, ')


def validation_failed(exc: ValidationError) -> ValidationFailed:
    """{"fieldErrors": {"patient.dob": ["Required"]}, "formErrors": [...]} from a pydantic error."""
    field_errors: dict[str, list[str]] = {}
    form_errors: list[str] = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        if error['loc']:
            field_errors.setdefault('.'.join(str(part) for part in error['loc']), []).append(_message(error))
        else:
            form_errors.append(_message(error))
    return ValidationFailed(field_errors, form_errors)


def field_names(exc: ValidationError) -> str:
    """The top-level fields a pydantic error is about, comma-separated: for configuration errors, which name what
    to fix and never the value (it may be a secret)."""
    return ', '.join(sorted({str(error['loc'][0]) for error in exc.errors(include_input=False) if error['loc']}))

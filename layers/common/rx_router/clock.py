from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as JavaScript's Date.toISOString() writes it."""
    moment = (moment or utc_now()).astimezone(UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'

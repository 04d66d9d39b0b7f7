"""UTC timestamps in one ISO 8601 form: ``2026-11-23T01:32:56.123Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return format_utc(datetime.now(UTC))


def format_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> str:
    """Parse a time a person typed; a time without a zone is taken as UTC.

    Raises ValueError with a readable message.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        # OverflowError: a time at the edge of the calendar has no UTC equivalent.
        return format_utc(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        raise ValueError(
            f"{text!r} is not an ISO 8601 time; write it like 2026-11-20T14:03:00Z "
            "or 2026-11-20T15:03:00+01:00"
        ) from None


def from_timestamp(seconds: float) -> str:
    return format_utc(datetime.fromtimestamp(seconds, UTC))

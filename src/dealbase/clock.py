"""Time in the stored form (UTC ``YYYY-MM-DD HH:MM:SS``) and its conversions."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def to_v2(stored: str | None) -> str | None:
    """``2024-07-01 05:46:33`` → ``2024-07-01T05:46:33Z``."""
    if stored is None:
        return None
    return f"{stored[:10]}T{stored[11:19]}Z"


def to_iso(stored: str | None) -> str | None:
    """``2024-07-01 05:46:33`` → ``2024-07-01T05:46:33.000Z`` (how v1 leads give times)."""
    if stored is None:
        return None
    return f"{stored[:10]}T{stored[11:19]}.000Z"


def parse_time(text: str) -> str | None:
    """Accept RFC 3339 or ``YYYY-MM-DD HH:MM:SS`` (also a bare date); return the stored form."""
    match = _TIME.match(text.strip())
    if not match:
        if _DATE.match(text.strip()):
            return parse_time(text.strip() + " 00:00:00")
        return None
    day, clock, _frac, zone = match.groups()
    if len(clock) == 5:
        clock += ":00"
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in (None, 'Z') else zone}")
        # an offset can carry a time out of the years datetime holds (9999-12-31T23:00-05:00)
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError):
        return None


def parse_date(text: str) -> str | None:
    text = text.strip()
    if not _DATE.match(text):
        return None
    try:
        date.fromisoformat(text)
    except ValueError:
        return None
    return text


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept in the month's last day when it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def later(seconds: int, start: str | None = None) -> str:
    """The stored form of the moment ``seconds`` after ``start`` (default: now)."""
    moment = datetime.strptime(start or now(), "%Y-%m-%d %H:%M:%S") + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S")

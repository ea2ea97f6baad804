"""ISO weeks as the shop says them: ``2026-W46`` (Monday to Sunday)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pipeline.errors import ShelfAuditError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_of(day: date | datetime) -> str:
    """The ISO week label of a day (``2026-W46``)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(label: str) -> tuple[int, int]:
    """``"2026-W46"`` -> ``(2026, 46)``.

    Raises:
        ShelfAuditError: not a valid ISO week label.
    """
    match = _WEEK.match(label or "")
    if not match:
        raise ShelfAuditError(f"week {label!r} is not like 2026-W46")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ShelfAuditError(f"week {label!r} does not exist") from None
    return year, week


def week_start(label: str) -> date:
    """The Monday of a week."""
    year, week = parse_week(label)
    return date.fromisocalendar(year, week, 1)


def week_bounds(label: str) -> tuple[datetime, datetime]:
    """``[Monday 00:00, next Monday 00:00)`` of a week, naive UTC datetimes."""
    start = week_start(label)
    begin = datetime(start.year, start.month, start.day)
    return begin, begin + timedelta(days=7)


def previous_week(label: str) -> str:
    """The week before ``label``."""
    return week_of(week_start(label) - timedelta(days=7))


def next_week(label: str) -> str:
    """The week after ``label``."""
    return week_of(week_start(label) + timedelta(days=7))

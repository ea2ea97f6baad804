"""Time as the store counts it: ISO weeks (``2026-W46``, Monday to Sunday) and store-local days.

The database keeps naive UTC; a photo's ``captured_on`` day and ``iso_week`` are taken in the
store's own time zone (``timezone`` in ``stores.yaml``), so a photo taken at 00:30 on Monday in
Shanghai belongs to that Monday's week.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week(day: date | datetime) -> str:
    """The ISO week label of a day: ``2026-W46``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str) -> date:
    """The Monday of an ISO week label.

    Raises:
        ShelfAuditError: not like ``2026-W46`` or no such week.
    """
    match = _WEEK.match(label or "")
    if not match:
        raise ShelfAuditError(_("week {label!r} is not like 2026-W46").format(label=label))
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise ShelfAuditError(_("week {label!r} does not exist").format(label=label)) from None


def previous_week(label: str) -> str:
    return iso_week(week_start(label) - timedelta(days=7))


def weeks_between(first: str, last: str) -> list[str]:
    """Every ISO week from ``first`` to ``last``, both included, in order (charts draw weeks
    without data too: ``2026-W52, 2026-W53, 2027-W01``)."""
    day, end = week_start(first), week_start(last)
    out = []
    while day <= end:
        out.append(iso_week(day))
        day += timedelta(days=7)
    return out


def last_complete_week(today: date | None = None) -> str:
    """The ISO week before the current one (what the Monday report covers)."""
    today = today or datetime.now(UTC).date()
    return iso_week(today - timedelta(days=7))


def zone(name: str | None) -> ZoneInfo:
    """A time zone by IANA name (``UTC`` when empty).

    Raises:
        ShelfAuditError: unknown zone name.
    """
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ShelfAuditError(_("unknown time zone {name!r} (use an IANA name such as "
                                "Asia/Shanghai)").format(name=name)) from None


def local_to_utc(local: datetime, tz: str | None) -> datetime:
    """A store-local wall-clock time (naive) as naive UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime, tz: str | None) -> datetime:
    """Naive UTC as the store's naive wall-clock time."""
    return moment.replace(tzinfo=UTC).astimezone(zone(tz)).replace(tzinfo=None)


def local_day(moment: datetime, tz: str | None) -> date:
    """The store-local day of a naive UTC moment."""
    return utc_to_local(moment, tz).date()

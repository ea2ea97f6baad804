"""How the weekly report's values read, in every rendering (page, CSV, Excel, PDF).

Public on purpose: the page and each writer format a number, a change or a photo caption with
these functions, so one figure reads the same everywhere — in the language current when they
are called (:mod:`pipeline.i18n`; the writers render inside ``i18n.using(lang)``), numbers and
times formatted with Babel, times on the store's clock with its zone named.
:func:`spreadsheet_text` and :func:`is_formula_like` keep text that a spreadsheet would run as
a formula inert (OWASP "CSV injection"): a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline import i18n
from pipeline.i18n import _, ngettext
from pipeline.reports.model import WorstPhoto

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "shelf-sans.ttf"
MISSING = i18n.MISSING
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def number(value: Any, unit: str = "") -> str:
    """``1234.0`` -> ``"1,234.0"`` (floats to one decimal, in the reader's locale), ``None``
    -> ``"–"``."""
    if value is None:
        return MISSING
    return f"{i18n.number(value)}{unit}"


def percent(value: float | None) -> str:
    """A KPI as people read it: ``"90.0%"`` (always one decimal, the locale's pattern)."""
    return i18n.percent(None if value is None else float(value))


def change(value: float | None) -> str:
    """A change in percentage points: ``"+1.5 pts"`` / ``"+1.5 个百分点"``."""
    return i18n.points(value)


def local_time(photo: WorstPhoto) -> str:
    """When the photo was taken, on the store's clock with the zone named:
    ``"Mon, Nov 16, 2026, 02:00 Asia/Shanghai"``."""
    return i18n.moment(photo.captured_at, photo.timezone or "UTC")


def photo_caption(photo: WorstPhoto) -> str:
    """The caption of one worst photo (the page and the PDF print the same words)."""
    violations = ngettext("{n} violation", "{n} violations", photo.violations).format(
        n=photo.violations)
    return _("Inspection #{id} · camera {camera} · {when} · compliance {compliance} · "
             "{violations}").format(id=photo.inspection, camera=photo.camera,
                                    when=local_time(photo),
                                    compliance=percent(photo.compliance), violations=violations)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (or the start of one)."""
    return text.startswith(FORMULA_PREFIXES)


def spreadsheet_text(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: formula-like text gets a leading ``'``.

    Numbers and ``None`` pass unchanged (``-3.5`` stays a number); only text is guarded.
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value

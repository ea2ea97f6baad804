"""How the weekly report's values read, in every rendering (page, CSV, Excel, PDF).

Public on purpose: the page and each writer format a number, a change or a photo caption with
these functions, so one figure reads the same everywhere. :func:`spreadsheet_text` and
:func:`is_formula_like` keep text that a spreadsheet would run as a formula inert (OWASP "CSV
injection"): a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.store.report_model import WorstPhoto

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "shelf-sans.ttf"
MISSING = "–"
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def number(value: Any, unit: str = "") -> str:
    """``90.0`` -> ``"90.0"`` (floats to one decimal), ``None`` -> ``"–"``."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def percent(value: float | None) -> str:
    """A KPI as people read it: ``"90.0 %"`` (always one decimal)."""
    return number(None if value is None else float(value), " %")


def change(value: float | None) -> str:
    """A change in percentage points: ``"+1.5 pts"``."""
    return MISSING if value is None else f"{value:+.1f} pts"


def local_time(photo: WorstPhoto) -> str:
    """When the photo was taken, on the store's clock: ``"2026-11-16 02:00 Asia/Shanghai"``."""
    return f"{photo.captured_local:%Y-%m-%d %H:%M} {photo.timezone}".strip()


def photo_caption(photo: WorstPhoto) -> str:
    """The caption of one worst photo (the page and the PDF print the same words)."""
    return (f"Inspection #{photo.inspection} · camera {photo.camera} · {local_time(photo)} · "
            f"compliance {percent(photo.compliance)} · {photo.violations} violations")


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

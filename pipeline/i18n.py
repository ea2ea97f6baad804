"""Words, numbers and times in the reader's language (gettext catalogs managed with Babel).

Every string a person reads goes through :func:`_` (or :func:`ngettext`) with an English message
id; the Chinese (zh-CN) translations live in ``pipeline/locale/zh_CN/LC_MESSAGES/shelfaudit.po``
and its compiled ``.mo`` (both committed; see ``docs/TRANSLATING.md`` for the extract / update /
compile commands). Strings defined before anyone reads them (module constants) are marked with
:func:`N_` and translated where they are shown: ``_(LABELS[name])``.

Which language is "current", first match wins:

1. :func:`using` — a block that renders for one reader (a report file, a CLI run, a test);
2. in a dashboard run: the session's choice (:data:`SESSION_KEY` in ``st.session_state``, set by
   the sidebar switch), else the browser's ``Accept-Language`` header;
3. the process environment: ``SHELFAUDIT_LANG``, then ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``;
4. English.

Languages are ``"en"`` and ``"zh"`` (anything like ``zh-CN``, ``zh_Hans``, ``zh_CN.UTF-8`` reads
as ``zh``). Numbers, percentages, dates and times are formatted with Babel for the language's
locale (:func:`number`, :func:`percent`, :func:`points`, :func:`day`, :func:`moment`); times are
always shown on a named clock (a store's time zone, or UTC).
"""

from __future__ import annotations

import gettext
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DOMAIN = "shelfaudit"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
"""Language code -> its name in itself (what the sidebar switch offers)."""
DEFAULT = "en"
CATALOG_DIRS: dict[str, str] = {"zh": "zh_CN"}  # language -> folder under locale/ (en: the ids)
BABEL_LOCALES: dict[str, str] = {"en": "en", "zh": "zh_Hans_CN"}
SESSION_KEY = "lang"
ENV = "SHELFAUDIT_LANG"
MISSING = "–"

_chosen: ContextVar[str | None] = ContextVar("shelfaudit_lang", default=None)


def normalize(value: str | None) -> str | None:
    """``"zh-CN"``, ``"zh_Hans"``, ``"zh_CN.UTF-8"`` -> ``"zh"``; ``"en-GB"`` -> ``"en"``;
    anything else (``"fr"``, ``"C"``, empty) -> ``None``."""
    if not value:
        return None
    base = re.split(r"[-_.@;]", str(value).strip().lower(), maxsplit=1)[0]
    return base if base in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first supported language of an HTTP ``Accept-Language`` header, by quality."""
    ranked = []
    for i, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        lang = normalize(tag)
        if lang and quality > 0:
            ranked.append((-quality, i, lang))
    return min(ranked)[2] if ranked else None


def from_environment(environ: dict[str, str] | None = None) -> str:
    """The language of a command-line run: ``SHELFAUDIT_LANG``, then the POSIX locale
    variables (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English."""
    env = os.environ if environ is None else environ
    for name in (ENV, "LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return normalize(env[name]) or DEFAULT
    return DEFAULT


def _dashboard_language() -> str | None:
    """The dashboard session's language, or ``None`` outside a Streamlit script run."""
    if "streamlit" not in sys.modules:  # the CLI never imports streamlit: stay fast
        return None
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is None:
            return None
        found = normalize(ctx.session_state[SESSION_KEY]) if SESSION_KEY in \
            ctx.session_state else None
        return found or browser_language()
    except Exception:  # noqa: BLE001 - no session (bare mode, a background thread)
        return None


def browser_language() -> str:
    """The language the browser asks for (``Accept-Language``), English when none fits."""
    try:
        import streamlit as st

        return from_accept_language(st.context.headers.get("Accept-Language")) or DEFAULT
    except Exception:  # noqa: BLE001 - no browser (AppTest, scripts)
        return DEFAULT


def current() -> str:
    """The reader's language now (see the module docstring for the order)."""
    return _chosen.get() or _dashboard_language() or from_environment()


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Render in ``lang`` inside the block (``None``: keep the current language)."""
    chosen = normalize(lang) or current()
    token = _chosen.set(chosen)
    try:
        yield chosen
    finally:
        _chosen.reset(token)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the message ids themselves)."""
    folder = CATALOG_DIRS.get(lang)
    if folder is None:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[folder], fallback=True)


def _(message: str) -> str:
    """``message`` (an English message id) in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for ``n``, in the current language."""
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for the catalog without translating it now (translate where shown)."""
    return message




# -- numbers, dates and times ---------------------------------------------------------------
def babel_locale(lang: str | None = None) -> str:
    return BABEL_LOCALES[normalize(lang) or current()]


def number(value: Any, decimals: int = 1, lang: str | None = None) -> str:
    """``1234.5`` -> ``"1,234.5"`` (floats with ``decimals`` places, ints as they are)."""
    from babel.numbers import format_decimal

    if value is None:
        return MISSING
    if isinstance(value, float):
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=babel_locale(lang))
    return format_decimal(value, locale=babel_locale(lang))


@lru_cache(maxsize=8)
def _percent_pattern(locale: str, decimals: int) -> str:
    from babel import Locale

    pattern = Locale.parse(locale).percent_formats[None].pattern  # "#,##0%"
    return re.sub(r"0(?![0-9])", "0" + ("." + "0" * decimals if decimals else ""), pattern,
                  count=1)


def percent(value: float | None, decimals: int = 1, lang: str | None = None) -> str:
    """A KPI in percent (``90.0`` -> ``"90.0%"``) in the locale's percent pattern."""
    from babel.numbers import format_percent

    if value is None:
        return MISSING
    loc = babel_locale(lang)
    return format_percent(float(value) / 100, format=_percent_pattern(loc, decimals), locale=loc)


def points(value: float | None, lang: str | None = None) -> str:
    """A change in percentage points: ``"+1.5 pts"`` / ``"+1.5 个百分点"``."""
    from babel.numbers import format_decimal

    if value is None:
        return MISSING
    signed = format_decimal(value, format="+#,##0.0;-#,##0.0", locale=babel_locale(lang))
    with using(lang):
        return _("{change} pts").format(change=signed)


def zone_of(tz: str | None) -> ZoneInfo:
    return ZoneInfo(tz or "UTC")


def local(moment_utc: datetime, tz: str | None) -> datetime:
    """A naive (or aware) UTC moment on the clock of ``tz`` (aware)."""
    aware = moment_utc if moment_utc.tzinfo else moment_utc.replace(tzinfo=UTC)
    return aware.astimezone(zone_of(tz))


def day(value: date | datetime | None, lang: str | None = None, weekday: bool = True) -> str:
    """A calendar day: ``"Mon, Nov 16, 2026"`` / ``"2026年11月16日周一"``."""
    from babel.dates import format_skeleton

    if value is None:
        return MISSING
    return format_skeleton("yMMMEd" if weekday else "yMMMd", value,
                           locale=babel_locale(lang), fuzzy=True)


def clock(value: datetime, lang: str | None = None) -> str:
    """A wall-clock time, 24-hour: ``"02:00"``."""
    from babel.dates import format_skeleton

    return format_skeleton("Hm", value, locale=babel_locale(lang), fuzzy=True)


def moment(moment_utc: datetime | None, tz: str | None = "UTC", lang: str | None = None,
           weekday: bool = True, zone: bool = True) -> str:
    """A UTC moment on the clock of ``tz``, with the zone named:
    ``"Sat, Nov 14, 2026, 02:00 Asia/Shanghai"`` / ``"2026年11月14日周六 02:00 Asia/Shanghai"``."""
    from babel import Locale

    if moment_utc is None:
        return MISSING
    when = local(moment_utc, tz)
    loc = babel_locale(lang)
    joined = str(Locale.parse(loc).datetime_formats["medium"]).replace("'", "")
    text = joined.format(clock(when, lang), day(when, lang, weekday))
    return f"{text} {tz or 'UTC'}" if zone else text

"""Rule message templates: bare ``{name}`` placeholders only, filled without ``str.format``.

A message such as ``"Shelf {shelf}: refill it"`` names values the rule fills in. Python's
format mini-language would also allow ``{shelf:>1500000000}`` (a 1.5 GB string per violation),
``{shelf!r}`` or ``{sku.__class__}``; none of that is a shelf message, so :func:`template_error`
refuses any conversion, format spec, attribute or index when the rule file is validated, and
:func:`fill` replaces bare names by plain text with a regular expression — it cannot allocate
more than :data:`MAX_VALUE` characters per placeholder and never raises, so a message can never
fail a run (scheduler, Upload page, what-if preview).

``{{`` and ``}}`` stand for literal braces, as in Python.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.i18n import _

MAX_MESSAGE = 500  # characters of a message template in a rule file
MAX_VALUE = 200  # characters one filled-in value may add
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def template_error(message: str, allowed: Sequence[str], field: str = "message") -> str | None:
    """Why ``message`` may not be used as a rule message, or ``None`` when it is fine.

    Only bare placeholders from ``allowed`` are accepted: ``{shelf}``, not ``{shelf:>9}``,
    ``{shelf!r}``, ``{sku.name}``, ``{sku[0]}`` or ``{}``. ``field``: the rule file's field
    named in the reason (``message``, ``message_zh``).
    """
    if len(message) > MAX_MESSAGE:
        return _("{field} has {n} characters; at most {limit} are allowed").format(
            field=field, n=len(message), limit=MAX_MESSAGE)
    try:
        fields = [(f, spec, conv) for _text, f, spec, conv in string.Formatter().parse(message)
                  if f is not None]
    except ValueError as exc:
        return _("{field} is not a valid template: {error} (write {open} and {close} for "
                 "braces)").format(field=field, error=exc, open="{{", close="}}")
    names = ", ".join("{" + a + "}" for a in allowed)
    for name, spec, conversion in fields:
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (
            f":{spec}" if spec else "") + "}"
        if spec or conversion:
            return (_("placeholder '{shown}' in {field} has a format spec; only bare {{name}} "
                      "placeholders are allowed (this type knows: {names})") if spec else
                    _("placeholder '{shown}' in {field} has a conversion; only bare {{name}} "
                      "placeholders are allowed (this type knows: {names})")).format(
                          shown=shown[:60], field=field, names=names)
        if name not in allowed:
            return _("unknown placeholder '{shown}' in {field}{suggestion} (this type knows: "
                     "{names})").format(shown=shown[:60], field=field,
                                        suggestion=_suggest(name, allowed), names=names)
    return None


def placeholders(template: str) -> list[str]:
    """The bare ``{name}`` placeholders of ``template``, in order (``{{`` is not one)."""
    return [m.group(1) for m in _TOKEN.finditer(str(template)) if m.group(1)]


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with each bare ``{name}`` replaced by ``str(values[name])`` (cut at
    :data:`MAX_VALUE` characters); unknown names and anything else stay as written. Never
    raises."""
    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name not in values:
            return token
        try:
            text = str(values[name])
        except Exception:  # noqa: BLE001 - a value that cannot be shown must not stop a run
            return token
        return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"

    try:
        return _TOKEN.sub(one, str(template))
    except Exception:  # noqa: BLE001 - belt and braces: the template itself, unfilled
        return str(template)


def _suggest(name: str, allowed: Sequence[str]) -> str:
    from pipeline.yamldoc import suggest

    return suggest(name, list(allowed))

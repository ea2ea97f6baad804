"""The ``shelfaudit`` entry point run in-process as a user runs it: exit code, stdout, stderr."""

from __future__ import annotations

import sys

import pytest

from pipeline.cli import main


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: object,
            lang: str | None = None) -> tuple[int | str | None, str, str]:
    """``shelfaudit ARGS`` through the real entry point (its one-line errors included), in
    ``lang`` (``SHELFAUDIT_LANG``) when given."""
    if lang is not None:
        monkeypatch.setenv("SHELFAUDIT_LANG", lang)
    monkeypatch.setattr(sys, "argv", ["shelfaudit", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err

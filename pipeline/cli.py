"""The ``shelfaudit`` command line (typer).

Each command group lives in :mod:`pipeline.commands` and registers itself; heavy imports
(torch, ultralytics, transformers) happen inside command bodies so ``--help`` stays fast.
Exit codes: 0 success, 1 findings/failure, 2 usage/input error — with a one-line message on
stderr, never a bare traceback (set ``SHELFAUDIT_DEBUG=1`` for tracebacks).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import typer

from pipeline import __version__
from pipeline.clihelp import translate_help
from pipeline.commands import ops, rules, synth, train, users, vision

app = typer.Typer(
    name="shelfaudit",
    help="ShelfAudit — retail shelf compliance from shelf photos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_modules = [synth, vision, train, rules, ops, users]
# Command modules added by later work register here once they exist.
for _name in ("recognizer", "embedder", "models", "api", "cluster", "alerts", "load"):
    if importlib.util.find_spec(f"pipeline.commands.{_name}") is not None:
        _modules.append(importlib.import_module(f"pipeline.commands.{_name}"))
for _module in _modules:
    _module.register(app)


@app.command("version")
def version() -> None:
    """Print the ShelfAudit version."""
    typer.echo(__version__)


translate_help(app)  # --help in the language of SHELFAUDIT_LANG / LANG (pipeline.clihelp)


def main() -> None:
    """Console-script entry point with user-facing error handling (one line on stderr, in
    the language of ``SHELFAUDIT_LANG`` / ``LANG``: see :mod:`pipeline.i18n`)."""
    from pipeline.errors import ShelfAuditError
    from pipeline.i18n import _
    from pipeline.yamldoc import YamlFileError

    try:
        # typer.Exit(code) inside a command comes back as the return value here
        code = app(standalone_mode=False)
    except SystemExit:
        raise
    except YamlFileError as exc:
        for problem in exc.problems:
            print(_("error: {message}").format(message=problem), file=sys.stderr)
        sys.exit(2)
    except ShelfAuditError as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence for a CLI
        code = _framework_exit(exc)
        if code is not None:
            sys.exit(code)
        if os.environ.get("SHELFAUDIT_DEBUG"):
            raise
        print(_("error: {message}").format(message=f"{type(exc).__name__}: {exc}"),
              file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


def _framework_exit(exc: Exception) -> int | None:
    """The exit code of click's own exceptions (a usage error shown as click shows it: the
    usage line, then ``Error: ...``; exit code 2), ``None`` for any other exception. Recent
    typer carries its own copy of click, whose exceptions are not click's."""
    import click

    if isinstance(exc, click.exceptions.Exit | typer.Exit):
        return exc.exit_code
    if isinstance(exc, click.exceptions.Abort | typer.Abort):
        return 1
    if isinstance(exc, click.ClickException | typer.TyperException) and hasattr(exc, "show"):
        exc.show()
        return exc.exit_code
    return None


if __name__ == "__main__":  # pragma: no cover
    main()

"""``--help`` in the reader's language: typer's command and option help through the catalog.

Typer builds its click commands when the app is called, with the English help of each
command (its docstring or ``help=``) and option (``help=``). :func:`translate_help` gives every
command and group of the app a class whose ``format_help`` first puts that English text
through :func:`pipeline.i18n._` (the language of ``SHELFAUDIT_LANG`` / ``LANG``, like every CLI
message), so the command modules keep plain English docstrings and ``help=`` strings. The
English stays the message id: ``docs/CLI.md`` (:mod:`pipeline.clidocs`, which reads the click
objects without formatting them) stays English, and help without a translation shows in English.

Babel cannot see docstrings or ``help=`` strings: :func:`extract` (named in ``babel.cfg`` for the
command modules whose help is translated) adds them to what ``extract_python`` finds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import typer
from typer.core import TyperCommand, TyperGroup

from pipeline.i18n import N_, _

HELP_OPTION = N_("Show this message and exit.")
# typer's own words in the help panels (module constants of typer.rich_utils, read when the
# help is drawn): the name of each constant -> its English text, also our message id
PANEL_WORDS = {"ARGUMENTS_PANEL_TITLE": N_("Arguments"), "OPTIONS_PANEL_TITLE": N_("Options"),
               "COMMANDS_PANEL_TITLE": N_("Commands"), "REQUIRED_LONG_STRING": N_("[required]"),
               "DEFAULT_STRING": N_("[default: {}]"), "ENVVAR_STRING": N_("[env var: {}]")}
_ENGLISH = "_shelfaudit_english_help"


def _translate(command: Any, ctx: Any) -> None:
    """Set the help of ``command`` and its parameters to the current language (from the
    English kept at the first call, so calling again in another language works)."""
    english = getattr(command, _ENGLISH, None)
    params = command.get_params(ctx)
    if english is None:
        english = (command.help, command.short_help, {id(p): getattr(p, "help", None)
                                                      for p in params})
        setattr(command, _ENGLISH, english)
    text, short, by_param = english
    command.help = _(text) if text else text
    command.short_help = _(short) if short else short
    for param in params:
        if by_param.get(id(param)):
            param.help = _(by_param[id(param)])  # type: ignore[attr-defined]


@contextmanager
def _typer_words() -> Iterator[None]:
    """While the help is drawn: typer's panel titles and ``[default: ...]`` in the current
    language, and help text that folds a run wider than its column onto the next line instead
    of cutting it with "…" (Chinese has no spaces to wrap at)."""
    from typer import rich_utils

    kept = {name: getattr(rich_utils, name) for name in [*PANEL_WORDS, "_make_rich_text"]
            if hasattr(rich_utils, name)}
    make_text = kept.get("_make_rich_text")

    def folding_text(**kwargs: Any) -> Any:
        text = make_text(**kwargs)
        if hasattr(text, "overflow"):
            text.overflow = "fold"
        return text

    try:
        for name in kept:
            setattr(rich_utils, name, folding_text if name == "_make_rich_text"
                    else _(PANEL_WORDS[name]))
        yield
    finally:
        for name, value in kept.items():
            setattr(rich_utils, name, value)


class TranslatedCommand(TyperCommand):
    """A typer command whose ``--help`` is drawn in the current language."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _translate(self, ctx)
        with _typer_words():
            super().format_help(ctx, formatter)


class TranslatedGroup(TyperGroup):
    """A typer group whose ``--help`` (its own text and its commands' lines) is drawn in the
    current language."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _translate(self, ctx)
        for name in self.list_commands(ctx):
            sub = self.get_command(ctx, name)
            if sub is not None:
                _translate(sub, typer.Context(sub, info_name=name, parent=ctx))
        with _typer_words():
            super().format_help(ctx, formatter)


def translate_help(app: typer.Typer) -> typer.Typer:
    """Give ``app``, its groups and every command the translated ``--help`` (call once, after
    every command is registered)."""
    app.info.cls = _chosen(app.info.cls, TyperGroup, TranslatedGroup)
    for command in app.registered_commands:
        command.cls = _chosen(command.cls, TyperCommand, TranslatedCommand)
    for group in app.registered_groups:
        group.cls = _chosen(group.cls, TyperGroup, TranslatedGroup)
        if group.typer_instance is not None:
            translate_help(group.typer_instance)
    return app


def _chosen(cls: Any, plain: type, translated: type) -> Any:
    """``translated`` where typer would use its plain class (unset, a default placeholder or
    the plain class itself); a class a module chose on purpose stays."""
    return translated if not isinstance(cls, type) or cls is plain else cls


# -- extraction (babel.cfg) -----------------------------------------------------------------
def _command_names(tree: ast.AST) -> set[str]:
    """Functions made commands by a call ``x.command(...)(func)`` / ``x.callback(...)(func)``."""
    names = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Call)
                and isinstance(node.func.func, ast.Attribute)
                and node.func.func.attr in ("command", "callback")):
            names.update(a.id for a in node.args if isinstance(a, ast.Name))
    return names


def _is_typer_parameter(node: ast.expr | None) -> bool:
    """``typer.Option(...)`` / ``typer.Argument(...)``."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("Option", "Argument"))


def _is_command(node: ast.FunctionDef, registered: set[str], parameters: set[str]) -> bool:
    """A function typer shows as a command: decorated with ``.command``/``.callback``,
    registered as ``x.command(...)(func)`` in this file, or taking typer parameters (a command
    registered from another module, such as ``serve``; ``parameters``: module constants that
    hold one, such as ``ENGINE_OPTION``)."""
    defaults = [d for d in [*node.args.defaults, *node.args.kw_defaults] if d is not None]
    return node.name in registered or any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
        and d.func.attr in ("command", "callback") for d in node.decorator_list) or any(
        _is_typer_parameter(d) or (isinstance(d, ast.Name) and d.id in parameters)
        for d in defaults)


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
            ) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method: ``_()`` / ``ngettext()`` / ``N_()`` as ``extract_python`` finds
    them, plus every ``help="..."`` keyword and the docstring of every typer command (what
    typer shows as its help, cleaned as :func:`inspect.getdoc` cleans it)."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    registered = _command_names(tree)
    parameters = {target.id for node in tree.body if isinstance(node, ast.Assign)
                  and _is_typer_parameter(node.value)
                  for target in node.targets if isinstance(target, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if (keyword.arg == "help" and isinstance(value, ast.Constant)
                        and isinstance(value.value, str) and value.value):
                    yield value.lineno, "", value.value, []
        elif isinstance(node, ast.FunctionDef) and _is_command(node, registered, parameters):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.body[0].lineno, "", doc, []

"""Generate ``docs/CLI.md`` from the live ``shelfaudit`` command tree (``--help`` of every command).

Run ``python -m pipeline.clidocs > docs/CLI.md``; a test fails when the file is out of date.
"""

from __future__ import annotations

import os
import re

import click
import typer


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if hasattr(command, "list_commands"):
        for name in sorted(command.list_commands(click.Context(command))):
            sub = command.get_command(click.Context(command), name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name])


def command_paths() -> list[list[str]]:
    """Every command path, e.g. ``[[], ["synth"], ["rules", "validate"], ...]``."""
    from pipeline.cli import app

    return [path for path, _ in _walk(typer.main.get_command(app), [])]


def plain_help(path: list[str]) -> str:
    """The ``--help`` text of one command, without colours or boxes."""
    from pipeline.cli import app

    root = typer.main.get_command(app)
    os.environ["COLUMNS"] = "100"
    os.environ["TERMINAL_WIDTH"] = "100"
    ctx = click.Context(root, info_name="shelfaudit", terminal_width=100, max_content_width=100)
    command = root
    for name in path:
        assert hasattr(command, "list_commands")
        command = command.get_command(ctx, name)
        ctx = click.Context(command, info_name=name, parent=ctx, terminal_width=100,
                            max_content_width=100)
    formatter = click.HelpFormatter(width=100, max_width=100)
    formatter.write_usage(ctx.command_path, " ".join(command.collect_usage_pieces(ctx)))
    if command.help:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(_plain(command.help))
    records = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record:
            records.append((record[0], _plain(record[1])))
    if records:
        with formatter.section("Options"):
            formatter.write_dl(records)
    if hasattr(command, "list_commands"):
        subs = [(n, _plain(command.get_command(ctx, n).get_short_help_str(80)))
                for n in command.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(subs)
    return formatter.getvalue().rstrip() + "\n"


def _plain(text: str) -> str:
    """Strip rich markup like ``[bold]`` and collapse whitespace."""
    text = re.sub(r"\[/?[a-z ]+\]", "", text or "")
    return " ".join(text.split())


def render() -> str:
    lines = ["# `shelfaudit` command reference", "",
             "Generated from `--help` by `python -m pipeline.clidocs > docs/CLI.md`; "
             "a test keeps it current.", ""]
    for path in command_paths():
        title = " ".join(["shelfaudit", *path])
        lines += [f"## `{title}`", "", "```text", plain_help(path).rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")

"""CLI command groups. Each module has ``register(app)``; keep imports inside command bodies."""

from __future__ import annotations

import typer


def bench_group(app: typer.Typer) -> typer.Typer:
    """The ``bench`` group of ``app``, made here when no module made it yet (modules add their
    ``bench <name>`` commands to it)."""
    bench = next((g.typer_instance for g in app.registered_groups if g.name == "bench"), None)
    if bench is None:
        bench = typer.Typer(name="bench", help="Speed benchmarks.", no_args_is_help=True)
        app.add_typer(bench, name="bench")
    return bench

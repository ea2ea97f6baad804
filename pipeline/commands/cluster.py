"""CLI command: ``shelfaudit bench cluster`` (the local engine against Ray; see
:mod:`pipeline.cluster.bench`)."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    """Add ``bench cluster`` to the ``bench`` group (made here if no module made it yet)."""
    from pipeline.commands import bench_group

    bench = bench_group(app)
    bench.command("cluster")(bench_cluster)


def bench_cluster(
    photos: int = typer.Option(24, "--photos", min=2, help="Photos per engine measurement."),
    width: int = typer.Option(1280, "--width", min=320, max=4000, help="Photo width (px)."),
    inspector: str = typer.Option("models", "--inspector",
                                  help="models (the starter models) or fake (the engines' "
                                       "own overhead only)."),
    address: str | None = typer.Option(
        None, "--address", help="A Ray cluster to use (default: Ray started in this process "
                                "with this machine's CPUs)."),
    db_photos: int = typer.Option(400, "--db-photos", min=16,
                                  help="Photos for the committed-inspections rate."),
    pg_url: str | None = typer.Option(
        None, "--pg-url", help="An empty PostgreSQL database for the commit rate (default: a "
                               "throwaway cluster; needs the postgresql server binaries)."),
    gpu_s_per_photo: float = typer.Option(
        0.03, "--gpu-s-per-photo", min=0.0001,
        help="The scaling model's GPU node: seconds per photo (an assumption; not measured)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Photos/s of the local engine, Ray with 1 and with 2 actors (same photos, one run); Ray's
    overhead per photo; committed inspections/s on PostgreSQL; and a scaling table modelled
    from those costs. Runs in a temporary home: never touches your data."""
    from pipeline.cluster.bench import ClusterBenchOptions, format_report, run_cluster_bench

    options = ClusterBenchOptions(photos=photos, width=width, inspector=inspector,
                                  address=address, db_photos=db_photos, pg_url=pg_url,
                                  gpu_s_per_photo=gpu_s_per_photo)
    report = run_cluster_bench(options, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))

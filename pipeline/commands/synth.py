"""CLI command: ``shelfaudit synth`` renders the synthetic shelf world with ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.i18n import _, number


def register(app: typer.Typer) -> None:
    """Add this group's commands to the shelfaudit app."""
    app.command("synth")(synth)


def synth(
    out: Path = typer.Option(..., "--out", help="Output folder (created if missing)."),
    scenes: int = typer.Option(10, "--scenes", min=1, help="Number of photos to render."),
    seed: int = typer.Option(0, "--seed", min=0, help="Dataset seed (same seed, same bytes)."),
    width: int | None = typer.Option(
        None, "--width", min=320, max=8000,
        help="Photo width in px (default: random 640-4000 per photo)."),
    fault_rate: float = typer.Option(
        1.0, "--fault-rate", min=0.0,
        help="Multiplier on the default fault rates (0 = perfect shelves)."),
    fault: list[str] = typer.Option(
        [], "--fault", help="Set one fault's rate after --fault-rate, as TYPE=RATE (repeatable), "
        "e.g. --fault lying=0.25."),
    split: float = typer.Option(
        0.2, "--split", min=0.0, max=0.95, help="Validation fraction for the YOLO export."),
    categories: str | None = typer.Option(
        None, "--categories", help="Comma-separated categories to stock (default: random)."),
    promo_rate: float | None = typer.Option(
        None, "--promo-rate", min=0.0, max=1.0,
        help="Chance that a planned block carries a promo sign (default 0.22)."),
    catalog_path: Path | None = typer.Option(
        None, "--catalog", help="Catalog YAML (default: $SHELFAUDIT_RULES/catalog.yaml)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Render synthetic shelf photos with ground truth, YOLO and COCO exports.

    Writes OUT/images, OUT/truth, OUT/detections.json, OUT/yolo (data.yaml) and OUT/coco.

    Faults (gap, lying, competitor, misplaced, missing_tag, wrong_price, missing_promo,
    unknown) come at the default rates times --fault-rate; the same seed gives the same bytes.
    """
    import time
    from collections import Counter
    from dataclasses import replace

    from pipeline.catalog import load_catalog
    from pipeline.errors import ShelfAuditError
    from pipeline.synth import FaultRates, write_dataset
    from pipeline.synth.faults import FAULT_TYPES

    catalog = load_catalog(catalog_path)
    if out.exists() and not out.is_dir():
        raise ShelfAuditError(_("{path}: exists and is not a folder").format(path=out))
    wanted = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
    known = [c.id for c in catalog.categories]
    bad = [c for c in wanted or [] if c not in known]
    if bad:
        raise ShelfAuditError(_("--categories: unknown {bad} (known: {known})").format(
            bad=", ".join(bad), known=", ".join(known)))
    rates = FaultRates().scaled(fault_rate)
    for item in fault:
        name, _sep, value = item.partition("=")
        if name.strip() not in FAULT_TYPES:
            raise ShelfAuditError(_("--fault {item}: unknown fault type (known: {known})")
                                  .format(item=item, known=", ".join(FAULT_TYPES)))
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not 0.0 <= rate <= 1.0:
            raise ShelfAuditError(_("--fault {item}: the rate must be a number from 0 to 1")
                                  .format(item=item))
        rates = replace(rates, **{name.strip(): rate})
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()

    def count(_index: int, scene) -> None:  # noqa: ANN001 - Scene
        counts.update(f["type"] for f in scene.faults)
        kinds.update(str(k) for k in scene.truth.detections.data.get("kind", []))

    start = time.perf_counter()
    paths = write_dataset(catalog, out, scenes=scenes, seed=seed, width=width,
                          fault_rates=rates,
                          progress=not (quiet or as_json), val_fraction=split, on_scene=count,
                          categories=wanted, promo_rate=promo_rate)
    seconds = time.perf_counter() - start
    summary = {"out": str(out), "scenes": len(paths), "seed": seed,
               "faults": dict(sorted(counts.items())), "objects": dict(sorted(kinds.items())),
               "seconds": round(seconds, 2),
               "seconds_per_scene": round(seconds / max(1, len(paths)), 3)}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, sort_keys=True))
        return
    typer.echo(_("wrote {n} photos to {out} in {seconds}s ({each}s each); faults: {faults}")
               .format(n=len(paths), out=out, seconds=number(seconds),
                       each=summary["seconds_per_scene"],
                       faults=", ".join(f"{k} {v}" for k, v in summary["faults"].items())
                       or _("none")))

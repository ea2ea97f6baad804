"""CLI commands: ``shelfaudit train recognizer`` and ``shelfaudit bench``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.commands.train import train_app
from pipeline.i18n import _, number


@train_app.command("recognizer")
def recognizer(
    data: Path | None = typer.Option(
        None, "--data", help="Synthetic dataset folder (truth/*.json + images/) to train on."),
    scenes: int = typer.Option(160, "--scenes", min=1, help="Scenes to render (no --data)."),
    seed: int = typer.Option(0, "--seed", min=0,
                             help="Training seed; tuning uses seed+1, the gallery seed+2."),
    val_scenes: int = typer.Option(24, "--val-scenes", min=1, help="Scenes for tuning."),
    steps: int = typer.Option(1500, "--steps", min=1, help="Most optimizer steps."),
    epochs: float | None = typer.Option(
        None, "--epochs", min=0.01, help="Passes over the training crops (sets --steps)."),
    batch: int = typer.Option(64, "--batch", min=2, help="Crops per step."),
    minutes: float = typer.Option(20.0, "--minutes", min=0.1,
                                  help="Wall-clock budget of the training loop."),
    out: Path = typer.Option(Path("models/recognizer"), "--out", help="Model folder to write."),
    gallery: Path | None = typer.Option(
        Path("models/gallery"), "--gallery", help="Where to write the reference gallery."),
    no_gallery: bool = typer.Option(False, "--no-gallery", help="Do not write a gallery."),
    per_sku: int = typer.Option(5, "--per-sku", min=1, help="Reference photos per SKU."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads for torch."),
    empty_per_gap: int = typer.Option(
        2, "--empty-per-gap", min=0,
        help="Empty-shelf crops per ground-truth gap (the 'empty shelf' class; 0: none)."),
    sign_windows: int = typer.Option(
        0, "--sign-windows", min=0,
        help="'No product' crops over promo signs and price tags, per photo."),
    init: Path | None = typer.Option(
        None, "--init", help="Fine-tune this trained recognizer folder instead of starting "
        "from random weights (keeps its tokenizer; its tuning is the starting point)."),
    detector: Path | None = typer.Option(
        None, "--detector-boxes", help="Also learn from this detector checkpoint's product "
        "boxes on the training scenes, labelled from the truth (stray boxes: 'empty shelf')."),
    lr: float = typer.Option(1e-3, "--lr", min=1e-7, help="Peak learning rate."),
    retune: bool = typer.Option(
        False, "--retune", help="Do not train: tune the naming rule of the model in --out "
        "again (weights and gallery unchanged)."),
) -> None:
    """Train the starter recognizer (small CLIP) on synthetic crops and tune its rule."""
    from pipeline.lab.train_recognizer import (
        RecognizerTraining,
        retune_recognizer,
        train_recognizer,
    )

    job = RecognizerTraining(
        data=data, scenes=scenes, seed=seed, val_scenes=val_scenes, steps=steps, batch=batch,
        out=out, gallery_out=None if no_gallery else gallery, gallery_per_sku=per_sku,
        threads=threads, max_minutes=minutes, epochs=epochs, empty_per_gap=empty_per_gap,
        sign_windows=sign_windows, init=init, detector=detector, lr=lr,
    )
    (retune_recognizer if retune else train_recognizer)(
        job, log=lambda line: typer.echo(line, err=True))
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    typer.echo(_("wrote {out} ({size} MB)").format(out=out, size=number(size / 1e6)))


def bench(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    quick: bool = typer.Option(False, "--quick", help="A few seconds: tiny model, small photos."),
    photos: int | None = typer.Option(None, "--photos", min=1, help="Photos per measurement."),
    big: bool = typer.Option(True, "--big/--no-big",
                             help="Also measure a ViT-B/32-size CLIP (random transformer "
                                  "weights)."),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="torch CPU threads (default: torch's; --quick: 1)."),
    head: str = typer.Option(
        "fitted", "--head",
        help="ViT-B/32 projection head: fitted (on other synthetic crops, so labels have real "
             "margins) or random."),
) -> None:
    """Recognition speed: naive loop vs batched pipeline, model-only rate, re-inspection.

    Sub-commands measure other parts (e.g. `shelfaudit bench api`).
    """
    if ctx.invoked_subcommand:
        return
    from pipeline.lab.recognizer_bench import format_report, run_bench

    if head not in ("fitted", "random"):
        raise typer.BadParameter(_("{head}: use fitted or random").format(head=repr(head)),
                                 param_hint="--head")
    report = run_bench(quick=quick, photos=photos, big=big and not quick, threads=threads,
                       log=lambda line: typer.echo(line, err=True), head=head)
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))


def register(app: typer.Typer) -> None:
    """``train recognizer`` is added to the train group on import; ``bench`` at the top (a
    group: other modules add sub-commands such as ``bench api``)."""
    group = typer.Typer(name="bench", no_args_is_help=False)
    group.callback(invoke_without_command=True)(bench)
    app.add_typer(group, name="bench")

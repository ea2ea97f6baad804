"""CLI commands: ``shelfaudit train embedder`` and ``shelfaudit eval recognition``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.commands.train import train_app
from pipeline.i18n import N_, _, number

_DATA_HELP = N_("Photo set: Grocery Store layout (classes.csv + <split>.txt) or <class>/*.jpg "
                "folders (optionally under <split>/).")


@train_app.command("embedder")
def embedder(
    data: Path = typer.Option(..., "--data", help=_DATA_HELP),
    out: Path = typer.Option(Path("models/embedder"), "--out", help="Model folder to write."),
    workdir: Path = typer.Option(Path(".work/embedder"), "--workdir",
                                 help="Checkpoints; a run with the same folder resumes."),
    split: str = typer.Option("train", "--split", help="Split to train on."),
    withhold: int = typer.Option(0, "--withhold", min=0,
                                 help="Leave this many classes (fixed seed) out of training."),
    steps: int = typer.Option(600, "--steps", min=1, help="Optimiser steps."),
    batch: int = typer.Option(48, "--batch", min=4, help="Photos per step (12 classes x 4)."),
    size: int = typer.Option(192, "--size", min=32, help="Input size in pixels."),
    threads: int = typer.Option(2, "--threads", min=1, help="CPU threads."),
    seed: int = typer.Option(0, "--seed", help="Seed for sampling and augmentation."),
) -> None:
    """Fine-tune the EfficientNet-Lite0 embedder (ImageNet start) by metric learning, then tune
    its open-set threshold on photos kept out of training."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from pipeline.lab.calibrate import calibrate_unknown
    from pipeline.lab.train_embedder import EmbedderJob, train_embedder

    job = EmbedderJob(data=str(data), out=str(out), workdir=str(workdir), split=split,
                      withhold=withhold, steps=steps, batch=batch, size=size, threads=threads,
                      seed=seed)
    steps_text = _("{done}/{total} steps, loss {loss}").format(
        done="{task.completed}", total="{task.total}", loss="{task.fields[loss]:.3f}")
    with Progress(TextColumn("[bold]" + _("training")), BarColumn(), TextColumn(steps_text),
                  TimeRemainingColumn()) as bar:
        task = bar.add_task("train", total=steps, loss=0.0)
        record = train_embedder(job, lambda step, total, loss: bar.update(
            task, completed=step, loss=loss))
    calibration = calibrate_unknown(out, job)
    typer.echo(_("wrote {out} ({photos} photos, {classes} classes, {seconds} s); open-set "
                 "threshold {threshold}").format(
        out=out, photos=record["photos"], classes=len(record["classes"]),
        seconds=number(float(record["seconds_this_run"]), 0),
        threshold=number(float(calibration["unknown_threshold"]), 3)))


@train_app.command("unknown-floor")
def unknown_floor(
    data: Path = typer.Option(..., "--data", help=_DATA_HELP),
    embedder_dir: Path = typer.Option(Path("models/embedder"), "--embedder",
                                      help="Embedder folder whose floor is tuned (rewritten)."),
    gallery_split: str = typer.Option("train", "--gallery-split",
                                      help="Split the reference photos come from."),
    tune_split: str = typer.Option("val", "--tune-split", help="Split whose photos are named."),
    shots: int = typer.Option(5, "--shots", min=1, help="Reference photos per class."),
    seed: int = typer.Option(0, "--seed", help="Seed of the gallery draw and left-out classes."),
) -> None:
    """Re-tune the embedder's open-set floor on another split (photos of other sessions)."""
    from pipeline.lab.calibrate import calibrate_on_split

    record = calibrate_on_split(embedder_dir, str(data), gallery_split, tune_split, shots,
                                seed=seed)
    typer.echo(json.dumps(record, indent=2))


def recognition(
    data: Path = typer.Option(..., "--data", help=_DATA_HELP),
    gallery_split: str = typer.Option("train", "--gallery-split",
                                      help="Split the reference photos come from."),
    test_split: str = typer.Option("val", "--test-split", help="Split that is named."),
    shots: int = typer.Option(5, "--shots", min=1, help="Reference photos per class."),
    unknown_classes: int = typer.Option(
        0, "--unknown-classes", min=0,
        help="Leave this many classes out of the gallery; their photos must come out unknown."),
    embedder_dir: Path | None = typer.Option(
        None, "--embedder", help="Embedder folder (default: the one in models.yaml)."),
    imagenet: bool = typer.Option(False, "--imagenet",
                                  help="Use the untrained ImageNet trunk (the baseline)."),
    unknown_threshold: float | None = typer.Option(
        None, "--unknown-threshold", help="Open-set floor (default: the embedder's tuned one)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the gallery draw and withheld classes."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Real-photo recognition: top-1 / top-5 by reference-gallery matching, open set."""
    from pipeline.lab.recognition_eval import evaluate_recognition, load_embedder, render_table

    model = load_embedder(embedder_dir, imagenet)
    figures = evaluate_recognition(str(data), model, gallery_split, test_split, shots,
                                   unknown_classes, seed, unknown_threshold)
    if as_json:
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        render_table(figures)


def register(app: typer.Typer) -> None:
    """``train embedder`` is on the train group already; ``eval recognition`` joins eval."""
    from pipeline.commands.vision import eval_app

    eval_app.command("recognition")(recognition)
    eval_app.command("domain")(domain_figures)


def domain_figures(
    photos: list[Path] = typer.Option(..., "--photos", help="Folders of photos (each counted "
                                      "on its own; searched recursively)."),
    models: Path | None = typer.Option(None, "--models", help="Models settings (default: in "
                                       "force)."),
    limit: int = typer.Option(300, "--limit", min=1, help="Most photos used per folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Out-of-domain check: how many photos of each folder the configured models' domain
    reference flags (real shelf photos should be, photos like the training photos not)."""
    from pipeline.context import edge_context
    from pipeline.lab.domain_reference import evaluate_domain
    from pipeline.vision.config import load_models_config
    from pipeline.vision.engine import Inspector

    context = edge_context()  # this command's settings and catalog
    inspector = Inspector.load(load_models_config(models, context.settings), context.catalog,
                               settings=context.settings)
    figures = evaluate_domain(inspector.domain_verdicts, photos, limit)
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    for folder, f in figures.items():
        if not f["checked"]:
            typer.echo(_("{folder}: {photos} photos, not checked (no domain reference for "
                         "these model weights)").format(folder=folder, photos=f["photos"]))
            continue
        typer.echo(_("{folder}: {flagged}/{photos} flagged out of domain (distance "
                     "{low}-{high}, floor {floor})").format(
            folder=folder, flagged=f["flagged"], photos=f["photos"],
            low=number(float(f["min_distance"]), 3), high=number(float(f["max_distance"]), 3),
            floor=number(float(f["floor"]), 3)))


@train_app.command("domain")
def domain(
    photos: list[Path] = typer.Option(..., "--photos",
                                      help="Folders of photos of the models' training domain."),
    tune: list[Path] = typer.Option(..., "--tune", help="Other photos of that domain (the "
                                    "floor is set so that none of them is flagged)."),
    foreign: list[Path] = typer.Option([], "--foreign",
                                       help="Photos known to be foreign (only counted)."),
    out: Path = typer.Option(Path("models/domain"), "--out", help="Reference folder to write."),
    embedder_dir: Path = typer.Option(Path("models/embedder"), "--embedder",
                                      help="Embedder whose trunk gives the photo features."),
    models: Path | None = typer.Option(None, "--models", help="Models settings whose detector "
                                       "and recognizer the reference is for (default: in force)."),
    limit: int = typer.Option(300, "--limit", min=1, help="Most photos used per option."),
    margin: float = typer.Option(1.25, "--margin", min=1.0, help="Floor = largest tuning "
                                 "distance x this."),
) -> None:
    """Make the domain reference of the configured models (out-of-domain check)."""
    import os

    from pipeline.context import edge_context
    from pipeline.lab.domain_reference import build_reference, photo_files
    from pipeline.vision.config import load_models_config
    from pipeline.vision.embedder import Embedder
    from pipeline.vision.engine import Inspector

    context = edge_context()  # this command's settings and catalog
    inspector = Inspector.load(load_models_config(models, context.settings), context.catalog,
                               settings=context.settings)
    model = Embedder.load(embedder_dir)
    check, figures = build_reference(
        model, photo_files(photos, limit), photo_files(tune, limit), inspector.domain_models(),
        photo_files(foreign, limit) if foreign else (), margin=margin)
    check.meta["embedder"] = os.path.relpath(embedder_dir.resolve(), out.resolve())
    check.save(out)
    typer.echo(json.dumps(figures, indent=2))

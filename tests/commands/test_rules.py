"""CLI: rules validate / schema / docs / score, and check (what-if on detections JSON)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipeline.detections import dumps
from tests.factories.cli import run_cli
from tests.factories.shelves import CHIPS, COLA, layout

from ..conftest import REPO


@pytest.fixture
def run(monkeypatch, capsys):
    """``run("rules", "validate")`` -> (exit code, stdout, stderr) through the real entry point."""

    return lambda *args: run_cli(monkeypatch, capsys, *args)


def test_validate_clean_folder(run):
    code, out, _ = run("rules", "validate")
    assert code == 0 and "no problems" in out


def test_validate_broken_file_exit_1_with_location(run, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - id: x\n    type: min_facing\n    min: 2\n", encoding="utf-8")
    code, out, _ = run("rules", "validate", path)
    assert code == 1
    assert f"{path}:3:11: rule 'x': unknown rule type 'min_facing'" in out
    code, out, _ = run("rules", "validate", path, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False and doc["problems"][0]["line"] == 3


def test_schema_is_json_schema(run):
    code, out, _ = run("rules", "schema")
    assert code == 0 and json.loads(out)["title"] == "ShelfAudit rule set"
    assert run("rules", "schema", "--kind", "nope")[0] == 2


def test_docs_check(run, tmp_path):
    assert run("rules", "docs", "--check", "--out", REPO / "docs" / "RULES.md")[0] == 0
    stale = tmp_path / "RULES.md"
    stale.write_text("old", encoding="utf-8")
    assert run("rules", "docs", "--check", "--out", stale)[0] == 1
    assert run("rules", "docs", "--out", stale)[0] == 0
    assert run("rules", "docs", "--check", "--out", stale)[0] == 0


def _detections(tmp_path, catalog, **changes):
    shelf = layout([[COLA] * 5, [CHIPS] * 5], catalog, store="s001", camera="c01", **changes)
    doc = json.loads(dumps([shelf.photo]))
    doc["photos"][0]["planogram"] = shelf.planogram.model_dump(mode="json")
    path = tmp_path / "det.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_check_passes_a_good_shelf(run, tmp_path, catalog):
    rules = REPO / "rules" / "pricing.yaml"
    code, out, _ = run("check", "--rules", rules, "--detections", _detections(tmp_path, catalog))
    assert code == 0 and "OK" in out


def test_check_reports_violations(run, tmp_path, catalog):
    det = _detections(tmp_path, catalog, prices={(2, CHIPS): 9.9}, actual={(1, 2): None})
    code, out, _ = run("check", "--rules", REPO / "rules" / "general.yaml",
                       "--rules", REPO / "rules" / "pricing.yaml", "--detections", det, "--json")
    assert code == 1
    (result,) = json.loads(out)["results"]
    assert sorted(v["rule"] for v in result["violations"]) == ["no-gaps", "prices-right"]
    assert result["store"] == "s001" and result["kpis"]["price"] == 50.0


def test_check_without_rules_uses_the_camera_s_rule_sets(run, tmp_path, catalog):
    det = _detections(tmp_path, catalog, lying=[(1, 0)])
    code, out, _ = run("check", "--detections", det)
    assert code == 1 and "drinks-upright" in out  # beverages.yaml applies to s001/c01


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('{"photos": [{"detections": [{"kind": "product"}]}]}',
                                       "not in the detections JSON format")],
)
def test_check_bad_input_exit_2(run, tmp_path, content, message):
    path = tmp_path / "det.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run("check", "--detections", path)
    assert code == 2 and message in err


def test_check_needs_photos_or_detections(run):
    assert run("check")[0] == 2


def test_check_bad_rules_file_exit_2(run, tmp_path, catalog):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {id: a, type: nope}\n", encoding="utf-8")
    code, _, err = run("check", "--rules", bad, "--detections", _detections(tmp_path, catalog))
    assert code == 2 and "unknown rule type 'nope'" in err


def test_check_later_rules_file_switches_off_an_earlier_rule(run, tmp_path, catalog):
    det = _detections(tmp_path, catalog, actual={(1, 2): None})  # one gap
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("rules:\n  - {id: no-gaps, type: max_gaps}\n", encoding="utf-8")
    second.write_text("rules:\n  - {id: no-gaps, type: max_gaps, enabled: false}\n",
                      encoding="utf-8")
    assert run("check", "--rules", first, "--detections", det)[0] == 1
    code, out, _ = run("check", "--rules", first, "--rules", second, "--detections", det)
    assert code == 0 and "OK" in out
    code, out, _ = run("check", "--rules", second, "--rules", first, "--detections", det)
    assert code == 1 and "no-gaps" in out  # the later file wins


def _cli(args: list[str], cwd, after: str = "pass") -> subprocess.CompletedProcess:
    """The real CLI in a fresh interpreter, run in ``cwd`` with SHELFAUDIT_RULES unset;
    ``after`` runs when it exits."""
    env = {k: v for k, v in os.environ.items() if k != "SHELFAUDIT_RULES"}
    script = "import sys\nfrom pipeline.cli import main\ntry:\n    main()\nfinally:\n    " + after
    return subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_validate_works_from_a_folder_without_rules(tmp_path):
    done = _cli(["rules", "validate"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no problems" in done.stdout


def test_validate_imports_no_model_code(tmp_path):
    heavy = ("supervision", "torch", "ultralytics", "transformers", "cv2")
    done = _cli(["rules", "validate"], tmp_path,
                f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"

"""End to end on synthetic scenes: from ground truth the engine finds exactly the injected faults.

The scenes come from ``pipeline.synth`` (12 photos, 640 px, twice the default fault rates);
rules are the shipped ``rules/synthetic.yaml``.
"""

from __future__ import annotations

import json
import sys

import pytest

from pipeline import keys
from pipeline.cli import main
from pipeline.detections import PhotoDetections, field_values
from pipeline.rules.config import load_config
from pipeline.rules.engine import evaluate
from pipeline.rules.score import FAULT_RULES, ScoreTable, read_truth, score_dataset, score_photo
from pipeline.rules.shelves import assign_shelves, infer_rows
from pipeline.rules.whatif import rules_from_files

from ..conftest import REPO

SYNTHETIC_RULES = REPO / "rules" / "synthetic.yaml"


@pytest.fixture(scope="module")
def table(synthetic_dir, catalog):
    return score_dataset(synthetic_dir, rules_from_files([SYNTHETIC_RULES]), catalog)


@pytest.mark.parametrize("fault", sorted(FAULT_RULES))
def test_engine_is_exact_on_ground_truth(table, fault):
    row = table.rows[fault]
    assert row.tp + row.fn > 0, f"no '{fault}' fault in the sample: raise the rates"
    assert (row.precision, row.recall) == (1.0, 1.0), row


def test_shelf_rows_inferred_equal_truth(synthetic_dir):
    for path in sorted((synthetic_dir / "truth").glob("*.json")):
        truth, _, _ = read_truth(path)
        det = truth.detections
        inferred = field_values(assign_shelves(det, infer_rows(det)), keys.SHELF)
        assert list(inferred) == list(field_values(det, keys.SHELF)), path.name


def test_gaps_found_without_gap_boxes(synthetic_dir, catalog):
    """What a detector gives: no gap boxes; empty spans are inferred from products."""
    rules = [r for r in rules_from_files([SYNTHETIC_RULES]) if r.type == "max_gaps"]
    table = ScoreTable()
    for path in sorted((synthetic_dir / "truth").glob("*.json")):
        truth, faults, planogram = read_truth(path)
        keep = field_values(truth.detections, keys.KIND) != keys.GAP
        photo = PhotoDetections(truth.path, truth.width, truth.height, truth.detections[keep])
        score_photo(evaluate(photo, rules, catalog, planogram), faults, table)
    assert (table.rows["gap"].precision, table.rows["gap"].recall) == (1.0, 1.0)


def test_perfect_shelves_of_every_demo_camera_pass_the_shipped_rules(catalog):
    from pipeline.synth import FaultRates, render_scene

    config = load_config(REPO / "rules")
    for store in config.stores.stores[:1] + config.stores.stores[2:]:
        for camera in store.cameras.values():
            plan = config.planogram_for(store.id, camera.id)
            scene = render_scene(catalog, 3, width=640, planogram=plan,
                                 fault_rates=FaultRates().scaled(0))
            photo = PhotoDetections("p.jpg", scene.truth.width, scene.truth.height,
                                    scene.truth.detections, store=store.id, camera=camera.id)
            result = config.evaluate(photo)
            assert result.passed, (store.id, camera.id, [v.message for v in result.violations])
            assert result.kpis.compliance == 100.0 and result.kpis.osa == 100.0


def test_check_cli_finds_the_injected_faults(synthetic_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["shelfaudit", "check", "--rules", str(SYNTHETIC_RULES),
                                      "--detections", str(synthetic_dir / "truth"), "--json"])
    with pytest.raises(SystemExit) as info:
        main()
    results = json.loads(capsys.readouterr().out)["results"]
    assert info.value.code == 1
    faults = [len(json.loads(p.read_text(encoding="utf-8"))["faults"])
              for p in sorted((synthetic_dir / "truth").glob("*.json"))]
    assert [len(r["violations"]) for r in results] == faults


def test_score_cli_prints_the_table(synthetic_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["shelfaudit", "rules", "score", "--data",
                                      str(synthetic_dir), "--min", "1.0"])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert "| price_match | wrong_price |" in out and "1.000" in out


def test_score_with_predictions_matched_by_file_name(synthetic_dir, catalog):
    rules = rules_from_files([SYNTHETIC_RULES])
    photos = []
    for path in sorted((synthetic_dir / "truth").glob("*.json")):
        truth, _, _ = read_truth(path)
        photos.append(PhotoDetections(f"/elsewhere/{truth.path}", truth.width, truth.height,
                                      truth.detections))
    table = score_dataset(synthetic_dir, rules, catalog, predictions=photos)
    assert all(r.precision == r.recall == 1.0 for r in table.rows.values())
    nothing = score_dataset(synthetic_dir, rules, catalog, predictions=[])
    assert nothing.rows["lying"].recall == 0.0 and nothing.rows["wrong_price"].recall == 0.0


def test_score_table_gives_wilson_intervals():
    from pipeline.rules.score import TypeScore, wilson

    assert wilson(0, 0) is None
    low, high = wilson(7, 8)  # one false violation among eight
    assert 0.52 < low < 0.54 and 0.97 < high < 0.98
    row = TypeScore("planogram_position", "misplaced", tp=7, fp=1, fn=0)
    assert row.to_dict()["precision_95"] == [0.529, 0.978]
    assert row.to_dict()["recall_95"][1] == 1.0
    table = ScoreTable(rows={"misplaced": row})
    assert "| 0.875 | 1.000 | 0.53–0.98 | 0.65–1.00 |" in table.render()

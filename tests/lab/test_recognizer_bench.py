"""``shelfaudit bench --quick``: the four measurements come out, in seconds."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def quick_report():
    from pipeline.lab.recognizer_bench import run_bench

    return run_bench(quick=True, log=lambda line: None)


def test_quick_bench_measures_naive_optimized_model_only_and_reinspection(quick_report):
    report = quick_report["models"]["starter"]
    assert report["photos"] == 1 and 100 <= report["crops"] <= 200
    for part in ("naive", "optimized", "model_only", "first_inspection", "re_inspection"):
        assert report[part]["crops_per_s"] > 0
    assert report["naive"]["rss_peak_mb"] >= 0
    assert report["speedup"] > 1.0  # batching + cached text beat the per-crop loop
    assert report["agreement_without_grouping"] >= 0.99  # same rule, same weights
    assert report["re_inspection"]["reused_crops"] == report["crops"]
    assert report["re_inspection_agreement"] == 1.0
    work = report["optimized"]["work"]
    assert work["classified"] + work["grouped"] == report["crops"]


def test_report_table_names_every_figure(quick_report):
    from pipeline.lab.recognizer_bench import format_report

    text = format_report(quick_report)
    for words in ("(a) naive loop", "(b) optimized", "speedup", "(c) model-only",
                  "(d) re-inspection", "agree"):
        assert words in text


def test_bench_command_prints_json(monkeypatch, quick_report):
    from typer.testing import CliRunner

    from pipeline import cli
    from pipeline.lab import recognizer_bench as bench

    monkeypatch.setattr(bench, "run_bench", lambda **kwargs: quick_report)
    result = CliRunner().invoke(cli.app, ["bench", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["models"]["starter"]["crops"] > 0


def test_fitting_the_projection_head_gives_labels_real_margins(catalog):
    """The bench's ViT-B/32 stand-in: random transformer, projection head fitted to the catalog
    (here on the tiny architecture, a few scenes)."""
    import torch

    from pipeline.lab.recognizer_bench import fit_head, random_clip

    recognizer, model, _, accuracy = random_clip(catalog, "tiny")
    assert accuracy is None
    before = model.visual_projection.weight.detach().clone()
    accuracy = fit_head(model, recognizer.text, catalog, recognizer.encoder.spec, scenes=4,
                        steps=150, log=lambda line: None)
    assert accuracy > 0.3  # chance is 1 in 26
    assert not torch.equal(before, model.visual_projection.weight)

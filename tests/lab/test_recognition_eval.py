"""``eval recognition``: gallery draw, top-1/top-5, open set, unseen classes, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pipeline.lab.photo_sets import read_split
from pipeline.lab.recognition_eval import GalleryMatch, evaluate_recognition, pick_gallery
from tests.factories.photo_sets import COLOURS, ColourEmbedder, grocery_set, plain_set


def test_gallery_match_scores_a_class_by_its_best_reference():
    refs = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    match = GalleryMatch.build(torch.tensor([[0.0, 1.0]]), refs, ["a", "b", "a"])
    assert match.classes == ["a", "b"]
    assert match.scores[0].tolist() == pytest.approx([0.8, 1.0])
    assert match.ranked(2) == [["b", "a"]]


def test_gallery_draw_is_fixed_by_seed(tmp_path):
    photos = read_split(grocery_set(tmp_path), "train")
    first = pick_gallery(photos, 3, seed=1)
    assert first == pick_gallery(photos, 3, seed=1)
    assert first != pick_gallery(photos, 3, seed=2)
    assert len(first) == 3 * len(COLOURS)


def test_separable_classes_are_named_right(tmp_path):
    figures = evaluate_recognition(str(grocery_set(tmp_path)), ColourEmbedder(), shots=2)
    assert figures["n"] == 3 * len(COLOURS)
    assert figures["top1"] == 1.0 and figures["top5"] == 1.0
    assert figures["top1_ci"][1] == 1.0 and figures["top1_ci"][0] < 1.0
    assert set(figures["per_coarse"]) == {"apple", "milk", "juice", "yoghurt"}
    assert figures["unknown_recall"] is None  # no open set asked


def test_open_set_withheld_classes_must_come_out_unknown(tmp_path):
    root = grocery_set(tmp_path)
    # a floor above every cross-class similarity: withheld photos are unknown, known ones not
    figures = evaluate_recognition(str(root), ColourEmbedder({"unknown_threshold": 0.995}),
                                   shots=2, unknown_classes=2)
    assert len(figures["unknown_classes"]) == 2
    assert figures["n_unknown"] == 2 * 3
    assert figures["unknown_recall"] == 1.0
    assert figures["known_false_unknown"] == 0.0
    # a floor of -1 calls nothing unknown
    low = evaluate_recognition(str(root), ColourEmbedder(), shots=2, unknown_classes=2,
                               unknown_threshold=-1.0)
    assert low["unknown_recall"] == 0.0


def test_classes_the_embedder_never_trained_on_are_reported_apart(tmp_path):
    figures = evaluate_recognition(str(grocery_set(tmp_path)),
                                   ColourEmbedder(withheld=["milk", "juice"]), shots=2)
    assert figures["n_unseen"] == 2 * 3 and figures["top1_unseen"] == 1.0
    assert figures["n_seen"] == 4 * 3


def test_plain_folder_splits_gallery_and_tests_apart(tmp_path):
    figures = evaluate_recognition(str(plain_set(tmp_path, n=6)), ColourEmbedder(),
                                   gallery_split="train", test_split="train", shots=2)
    assert figures["n"] == 4 * len(COLOURS)  # 6 photos - 2 references per class


def test_cli_prints_json_with_the_contract_keys(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.vision.embedder import Embedder, EmbedNet

    torch.manual_seed(0)
    folder = Embedder(EmbedNet(dim=8).eval(), size=32).save(tmp_path / "emb",
                                                           {"unknown_threshold": 0.5})
    (tmp_path / "set").mkdir()
    root = grocery_set(tmp_path / "set")
    result = CliRunner().invoke(app, ["eval", "recognition", "--data", str(root), "--embedder",
                                      str(folder), "--shots", "2", "--unknown-classes", "1",
                                      "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for key in ("top1", "top5", "n", "unknown_recall", "known_false_unknown", "photos_per_s"):
        assert key in figures
    assert 0.0 <= figures["top1"] <= 1.0 and figures["n"] == 5 * 3
    assert np.isfinite(figures["crop_ms"])


def test_cli_missing_folder_is_one_line(tmp_path):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "eval", "recognition", "--data",
                          str(tmp_path / "nope"), "--imagenet"], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "no such folder" in run.stderr

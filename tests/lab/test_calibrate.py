"""The embedder's open-set floor: the best separating score, tuned on kept-out or other photos."""

from __future__ import annotations

import json

import numpy as np
import torch

from pipeline.lab.calibrate import best_floor
from tests.factories.photo_sets import grocery_set


def test_best_floor_separates_strangers_from_known():
    known = np.array([0.9, 0.85, 0.8, 0.75])
    strangers = np.array([0.4, 0.5, 0.78])
    floor, recall, false = best_floor(known, strangers)
    # Youden's J: catching the 0.78 stranger (J = 1 - 1/4) beats sparing the 0.75 known photo
    # (J = 2/3 - 0)
    assert floor == 0.8 and recall == 1.0 and false == 0.25
    floor, recall, false = best_floor(known, np.array([0.4, 0.5]))
    assert 0.5 < floor <= 0.75 and recall == 1.0 and false == 0.0


def test_floor_tuned_on_another_split_is_written_into_the_embedder(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.vision.embedder import Embedder, EmbedNet

    torch.manual_seed(0)
    folder = Embedder(EmbedNet(dim=8).eval(), size=32).save(tmp_path / "emb",
                                                           {"unknown_threshold": 0.123})
    (tmp_path / "set").mkdir()
    root = grocery_set(tmp_path / "set")
    result = CliRunner().invoke(app, ["train", "unknown-floor", "--data", str(root),
                                      "--embedder", str(folder), "--shots", "2"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    meta = json.loads((folder / "embedder.json").read_text())
    assert meta["unknown_threshold"] == record["unknown_threshold"] != 0.123
    assert meta["calibration"]["photos"] == 3 * 6  # every val photo was named
    assert "val" in meta["calibration"]["rule"]

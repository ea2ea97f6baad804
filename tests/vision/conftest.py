"""Fixtures for the vision tests: a tiny untrained 3-class YOLO checkpoint, a tiny random
CLIP-family model, synthetic photos."""

from __future__ import annotations

import numpy as np
import pytest

REPO_NAMES = {0: "product", 1: "price_tag", 2: "promo"}


def save_tiny_checkpoint(path, names=REPO_NAMES):
    """An untrained yolo11n with the given class names, saved the way ultralytics saves one."""
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    model = YOLO("yolo11n.yaml")
    network = DetectionModel("yolo11n.yaml", nc=len(names), verbose=False)
    network.names = dict(names)
    model.model = network
    model.save(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    """Path of a tiny local checkpoint (random weights: it finds random boxes at low conf)."""
    return save_tiny_checkpoint(tmp_path_factory.mktemp("weights") / "tiny3.pt")


@pytest.fixture(scope="session")
def shelf_scene(catalog):
    """One rendered synthetic shelf photo with its ground truth."""
    from pipeline.synth import render_scene

    return render_scene(catalog, seed=11, width=960)


@pytest.fixture
def noise_images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(3)] + [
        rng.integers(0, 255, (200, 280, 3), dtype=np.uint8)
    ]


def save_tiny_clip(folder, kind, catalog):
    """A tiny random CLIP / SigLIP / Chinese-CLIP saved as a Hugging Face folder."""
    import torch
    from transformers import (
        ChineseCLIPConfig,
        ChineseCLIPModel,
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        SiglipConfig,
        SiglipModel,
    )

    from pipeline.lab.tokenizer import build_tokenizer

    tok = build_tokenizer(catalog)
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)
    text = dict(small, vocab_size=len(tok), max_position_embeddings=32,
                eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id,
                pad_token_id=tok.pad_token_id)
    vision = dict(small, image_size=32, patch_size=8)
    torch.manual_seed(0)
    if kind == "clip":
        model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
        processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size=32,
                                       do_center_crop=True)
    elif kind == "siglip":
        model = SiglipModel(SiglipConfig(text_config=text, vision_config=vision))
        processor = CLIPImageProcessor(size={"height": 32, "width": 32}, do_center_crop=False,
                                       image_mean=[0.5] * 3, image_std=[0.5] * 3)
    else:
        text = dict(text, type_vocab_size=2)
        model = ChineseCLIPModel(ChineseCLIPConfig(text_config=text, vision_config=vision,
                                                   projection_dim=16))
        processor = CLIPImageProcessor(size={"height": 32, "width": 32}, do_center_crop=False)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory, catalog):
    return save_tiny_clip(tmp_path_factory.mktemp("tiny-clip"), "clip", catalog)

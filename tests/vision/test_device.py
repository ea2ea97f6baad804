"""Device choice: auto = cuda -> mps -> cpu; the settings' device (SHELFAUDIT_DEVICE) wins over
the models file's; absent GPUs fall back; pick_device reads no environment."""

from __future__ import annotations

import pytest
import torch

from pipeline.errors import ShelfAuditError
from pipeline.settings import Settings
from pipeline.vision.config import load_models_config
from pipeline.vision.device import pick_device, use_half


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("SHELFAUDIT_DEVICE", raising=False)


def test_auto_prefers_cuda_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto").type == "cuda"


def test_auto_uses_mps_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device("auto").type == "mps"


def test_auto_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device("auto") == torch.device("cpu")


def test_settings_device_cpu_gives_cpu(monkeypatch, tmp_path):
    """Settings(device="cpu") wins over a models file that asks for cuda, on a GPU machine."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    models = tmp_path / "models.yaml"
    models.write_text("device: cuda\n", encoding="utf-8")
    config = load_models_config(settings=Settings(device="cpu", models=models))
    assert config.device == "cpu"
    assert pick_device(config.device) == torch.device("cpu")


def test_settings_auto_leaves_the_models_file_alone(tmp_path):
    models = tmp_path / "models.yaml"
    models.write_text("device: cpu\n", encoding="utf-8")
    assert load_models_config(settings=Settings(device="auto", models=models)).device == "cpu"


def test_the_environment_reaches_the_device_through_settings(monkeypatch):
    monkeypatch.setenv("SHELFAUDIT_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    settings = Settings()
    assert settings.device == "cpu"
    assert pick_device(load_models_config(settings=settings).device) == torch.device("cpu")


def test_pick_device_reads_no_environment(monkeypatch):
    """What is asked for is what is picked: the variable counts only through Settings."""
    monkeypatch.setenv("SHELFAUDIT_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("cuda") == torch.device("cuda")


def test_an_unknown_settings_device_is_a_clear_error(tmp_path):
    config = load_models_config(settings=Settings(device="gpu-please", models=None,
                                                  home=tmp_path))
    with pytest.raises(ShelfAuditError, match="unknown device 'gpu-please'"):
        pick_device(config.device)


@pytest.mark.parametrize("asked", ["cuda", "cuda:0", "mps"])
def test_missing_accelerator_falls_back_to_cpu(monkeypatch, asked):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device(asked) == torch.device("cpu")


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ShelfAuditError, match="unknown device 'gpu-please'"):
        pick_device("gpu-please")


@pytest.mark.parametrize(("device", "half"), [("cuda", True), ("cpu", False), ("mps", False)])
def test_half_precision_only_on_cuda(device, half):
    assert use_half(torch.device(device)) is half

"""Device choice: auto = cuda -> mps -> cpu; SHELFAUDIT_DEVICE overrides; absent GPUs fall back."""

from __future__ import annotations

import pytest
import torch

from pipeline.errors import ShelfAuditError
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


def test_env_overrides_the_requested_device(monkeypatch):
    monkeypatch.setenv("SHELFAUDIT_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("cuda") == torch.device("cpu")


def test_env_auto_leaves_the_request_alone(monkeypatch):
    monkeypatch.setenv("SHELFAUDIT_DEVICE", "auto")
    assert pick_device("cpu") == torch.device("cpu")


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

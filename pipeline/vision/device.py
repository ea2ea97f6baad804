"""Where models run: ``auto`` picks cuda, then mps, then cpu.

The device asked for comes from the settings passed down (``Settings.device``, i.e.
``SHELFAUDIT_DEVICE``, wins when it names one; see
:func:`pipeline.vision.config.requested_device`), never from the environment read here.
"""

from __future__ import annotations

import torch

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _, ngettext


def _auto() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_device(requested: str | None = "auto") -> torch.device:
    """The torch device for ``requested`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``).

    A device that is asked for but absent (``cuda`` on a CPU-only machine) falls back to the
    CPU rather than failing, so the same settings file works on a laptop and on a GPU server.

    Raises:
        ShelfAuditError: the device string is not one torch understands.
    """
    choice = (requested or "auto").strip().lower()
    if choice == "auto":
        return _auto()
    try:
        device = torch.device(choice)
    except RuntimeError as exc:
        raise ShelfAuditError(_("unknown device {device} (use auto, cpu, cuda, cuda:N or mps): "
                                "{problem}").format(device=repr(choice), problem=exc)) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            count = torch.cuda.device_count()
            raise ShelfAuditError(ngettext(
                "device {device} asked for, but only {n} GPU exists",
                "device {device} asked for, but only {n} GPUs exist", count).format(
                device=repr(choice), n=count))
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            return torch.device("cpu")
    return device


def use_half(device: torch.device) -> bool:
    """Half precision pays off (and is safe) on CUDA only."""
    return device.type == "cuda"

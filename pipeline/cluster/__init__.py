"""Past one machine: the engine setting and the Ray engine (see docs/DEPLOY.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.cluster.config import EngineSettings, engine_settings

if TYPE_CHECKING:
    from pipeline.inbox.engines import InspectionEngine

__all__ = ["EngineSettings", "engine_settings", "make_engine"]


def make_engine(settings: EngineSettings, inspector: str | None = None
                ) -> InspectionEngine | None:
    """The engine the settings ask for; ``None`` for ``local`` (the runner's default)."""
    if settings.engine == "local":
        return None
    from pipeline.cluster.ray_engine import RayEngine

    return RayEngine(settings.address, settings.actors, inspector)

"""Process settings from the environment (DESIGN.md contract) and the models settings file.

Environment: ``SHELFAUDIT_HOME`` (data root, default ``./data``), ``DATABASE_URL`` (default
SQLite in the home), ``SHELFAUDIT_DEVICE`` (``auto`` = cuda -> mps -> cpu), ``SHELFAUDIT_RULES``
(rules folder, default ``./rules``), ``SHELFAUDIT_MODELS`` (models settings YAML, default
``$SHELFAUDIT_HOME/models.yaml`` if present, else the starter models under ``models/``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTER_MODELS_DIR = REPO_ROOT / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHELFAUDIT_", extra="ignore")

    home: Path = Path("data")
    rules: Path = Path("rules")
    device: str = "auto"
    models: Path | None = None
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SHELFAUDIT_DATABASE_URL")
    )

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def rules_dir(self) -> Path:
        return self.rules.expanduser().resolve()

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_dir / 'shelfaudit.db'}"

    @property
    def models_file(self) -> Path | None:
        """The models settings YAML in force, or ``None`` for the starter models."""
        if self.models:
            return self.models.expanduser().resolve()
        candidate = self.home_dir / "models.yaml"
        return candidate if candidate.exists() else None

    def subdir(self, name: str) -> Path:
        """A folder under the home (``inbox``, ``archive``, ``quarantine``, ``reports`` ...)."""
        path = self.home_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process (tests call ``get_settings.cache_clear()``)."""
    return Settings()

"""Process settings from the environment (DESIGN.md contract) and the models settings file.

Environment: ``SHELFAUDIT_HOME`` (data root, default ``./data``), ``DATABASE_URL`` (default
SQLite in the home), ``SHELFAUDIT_DEVICE`` (``auto`` = cuda -> mps -> cpu), ``SHELFAUDIT_RULES``
(rules folder, default ``./rules`` when the current folder has one, else the rules shipped
next to the package, so the CLI works from any folder), ``SHELFAUDIT_MODELS`` (models
settings YAML, default ``$SHELFAUDIT_HOME/models.yaml`` if present, else the starter models
under ``models/``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTER_MODELS_DIR = REPO_ROOT / "models"
SHIPPED_RULES_DIR = REPO_ROOT / "rules"


@lru_cache(maxsize=64)
def _resolved(path: Path, cwd: str) -> Path:
    """``path`` made absolute, once per path and working folder (``resolve`` costs a system
    call per part, and the dashboard asks for the home on every query)."""
    return path.expanduser().resolve()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHELFAUDIT_", extra="ignore")

    home: Path = Path("data")
    rules: Path | None = None
    device: str = "auto"
    models: Path | None = None
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SHELFAUDIT_DATABASE_URL")
    )

    @property
    def home_dir(self) -> Path:
        return _resolved(self.home, os.getcwd())

    @property
    def rules_dir(self) -> Path:
        """``$SHELFAUDIT_RULES``, else ``./rules`` if there is one, else the shipped rules.

        Raises:
            ShelfAuditError: none of them exists (one line naming ``SHELFAUDIT_RULES``).
        """
        if self.rules is not None:
            return _resolved(self.rules, os.getcwd())
        for folder in (Path("rules"), SHIPPED_RULES_DIR):
            if folder.is_dir():
                return _resolved(folder, os.getcwd())
        raise ShelfAuditError(_("no rules folder: there is no ./rules here and none shipped "
                                "with ShelfAudit; set SHELFAUDIT_RULES to your rules folder"))

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

"""The YAML files of ``rules/`` as pydantic models: stores.yaml, rule sets, planogram files.

``stores.yaml``::

    stores:
      - id: s001
        name: Riverside
        timezone: Asia/Shanghai
        schedule: "0 2 * * *"          # cron (min hour day month weekday), or {every_hours: 6}
        language: zh                   # messages pushed to the store (alerts): zh or en
        alerts: {...}                  # digest and immediate alerts: pipeline.alerts.config
        cameras:
          - id: c01
            name: Drinks aisle
            planogram: beverages-a     # id of a planogram in rules/planograms/, or inline
            zones: [{id: cola-block, brand: colaco, shelves: [1, 2], x: [0.0, 0.5]}]

A rule set (``rules/<name>.yaml``)::

    applies_to: {stores: ["s00*"], cameras: ["c01", "c02"]}   # globs; default everything
    priority: 0                        # later sets (priority, then file name) win by rule id
    rules:
      - {id: water-upright, type: orientation, category: bottled-water, severity: high}
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from fnmatch import fnmatchcase
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from pipeline.alerts.config import AlertSettings, SmtpServer
from pipeline.i18n import _
from pipeline.planogram import Planogram, Zone
from pipeline.rules.types import rule_types

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


_EVERY = re.compile(r"^every\s+([0-9.]+)\s*(h|hours?|m|min|minutes?)$", re.IGNORECASE)


class Schedule(_Strict):
    """When a store's cameras are inspected: a cron line or every N hours (written out as
    ``{every_hours: 6}`` or as the text ``every 6h`` / ``every 30m``)."""

    cron: str | None = Field(default=None, description="cron line 'min hour day month "
                             "weekday', e.g. '0 2 * * *' = every day at 02:00 store time")
    every_hours: float | None = Field(default=None, gt=0, le=168,
                                      description="run every N hours instead of a cron line")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        every = _EVERY.match(value.strip())
        if every:
            amount = float(every.group(1))
            return {"every_hours": amount if every.group(2).lower().startswith("h")
                    else amount / 60}
        return {"cron": value}

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        if (self.cron is None) == (self.every_hours is None):
            raise ValueError(_("give either a cron line or every_hours"))
        if self.cron is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(self.cron)
            except ValueError as exc:
                raise ValueError(_("bad cron line '{cron}': {error}").format(
                    cron=self.cron, error=exc)) from None
        return self

    @property
    def text(self) -> str:
        """The schedule as one line: the cron line, or ``every 6h``."""
        return self.cron if self.cron is not None else f"every {self.every_hours:g}h"


class Camera(_Strict):
    id: str = Field(pattern=_ID)
    name: str | None = None
    planogram: str | Planogram | None = Field(
        default=None, description="id of a planogram in rules/planograms/, or one written inline")
    zones: list[Zone] = Field(default_factory=list, description="zones besides the planogram's")


class CameraMap(Mapping[str, Camera]):
    """A store's cameras by id, in file order; written in YAML as a list (``- id: c01 ...``),
    so problems are located to the list entry."""

    def __init__(self, cameras: Iterable[Camera] = ()) -> None:
        self._by_id = {c.id: c for c in cameras}

    def __getitem__(self, camera_id: str) -> Camera:
        return self._by_id[camera_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"CameraMap({list(self._by_id.values())!r})"

    @classmethod
    def _validate(cls, cameras: list[Camera]) -> CameraMap:
        ids = [c.id for c in cameras]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(_("camera id '{id}' is used twice in this store").format(
                id=dupes[0]))
        return cls(cameras)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        as_list = handler.generate_schema(list[Camera])
        return core_schema.no_info_before_validator_function(
            lambda v: list(v.values()) if isinstance(v, Mapping) else v,
            core_schema.no_info_after_validator_function(cls._validate, as_list),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda m: list(m.values()), return_schema=as_list))


class Store(_Strict):
    """One store of ``stores.yaml`` — the one model of a store everywhere (runs, schedules,
    uploads, alerts, the rule book). ``cameras`` maps camera id -> :class:`Camera`; after
    :meth:`resolved`, each camera's ``planogram`` is the :class:`Planogram` itself."""

    id: str = Field(pattern=_ID)
    name: str
    timezone: str = "UTC"
    schedule: Schedule | None = None
    language: str | None = Field(default=None, description="language of the messages pushed "
                                 "to this store: zh or en (default: SHELFAUDIT_LANG, else en)")
    alerts: AlertSettings | None = Field(default=None, description="morning digest and "
                                         "immediate alerts by e-mail and webhooks")
    cameras: CameraMap = Field(default_factory=CameraMap)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        from pipeline import i18n

        if value is None:
            return None
        found = i18n.normalize(value)
        if found is None:
            raise ValueError(_("unknown language '{value}' (use {choices})").format(
                value=value, choices=" {} ".format(_("or")).join(i18n.LANGUAGES)))
        return found

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("unknown time zone '{value}' (use e.g. Asia/Shanghai, "
                               "Europe/Berlin, UTC)").format(value=value)) from None
        return value

    def local_day(self, moment_utc: datetime) -> date:
        """The store-local day of a naive-UTC moment."""
        from pipeline.weeks import local_day

        return local_day(moment_utc, self.timezone)

    @property
    def schedule_text(self) -> str | None:
        """The schedule as one line (``0 2 * * *``, ``every 6h``), ``None`` without one."""
        return self.schedule.text if self.schedule else None

    def resolved(self, planograms: Mapping[str, Planogram]) -> Store:
        """This store with each camera's planogram id replaced by the planogram (``None``
        when unknown; validation reports unknown ids)."""
        cameras = [c.model_copy(update={"planogram": planograms.get(c.planogram)})
                   if isinstance(c.planogram, str) else c for c in self.cameras.values()]
        return self.model_copy(update={"cameras": CameraMap(cameras)})


class StoresFile(_Strict):
    version: int = 1
    smtp: SmtpServer | None = Field(default=None, description="mail server of the e-mail "
                                    "alert channels")
    stores: list[Store] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_stores(self) -> StoresFile:
        ids = [s.id for s in self.stores]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(_("store id '{id}' is used twice").format(id=dupes[0]))
        return self

    def camera(self, store: str | None, camera: str | None) -> Camera | None:
        for s in self.stores:
            if s.id == store:
                return s.cameras.get(camera or "")
        return None

    def cameras(self) -> list[tuple[str, Camera]]:
        return [(s.id, c) for s in self.stores for c in s.cameras.values()]


class Selector(_Strict):
    """Which stores and cameras a rule set applies to (ids or globs such as ``s00*``)."""

    stores: list[str] = Field(default_factory=lambda: ["*"])
    cameras: list[str] = Field(default_factory=lambda: ["*"])

    _lists = field_validator("stores", "cameras", mode="before")(_as_list)

    def matches(self, store: str | None, camera: str | None) -> bool:
        return (any(fnmatchcase(store or "", p) for p in self.stores)
                and any(fnmatchcase(camera or "", p) for p in self.cameras))


class RuleSetHeader(_Strict):
    """A rule set file; ``rules`` entries are validated one by one against their type."""

    version: int = 1
    name: str | None = None
    description: str | None = None
    applies_to: Selector = Field(default_factory=Selector)
    priority: int = Field(default=0, description="sets are applied by priority, then file "
                          "name; a later set's rule replaces an earlier one with the same id")
    rules: list[Any] = Field(default_factory=list)


def rule_set_model() -> type[BaseModel]:
    """A model of a whole rule set file (rules as a union over the registry), for JSON Schema."""
    types = tuple(rule_types().values())
    entry = Annotated[Union[types], Field(discriminator="type")]  # noqa: UP007
    return create_model("RuleSetFile", __base__=_Strict, version=(int, 1),
                        name=(str | None, None), description=(str | None, None),
                        applies_to=(Selector, Field(default_factory=Selector)),
                        priority=(int, 0), rules=(list[entry], Field(default_factory=list)))


def json_schema(kind: str = "rule-set") -> dict[str, Any]:
    """JSON Schema of a ``rule-set``, ``stores`` or ``planogram`` file (for editors)."""
    model: type[BaseModel] = {"rule-set": rule_set_model, "stores": lambda: StoresFile,
                              "planogram": lambda: Planogram}[kind]()
    schema = model.model_json_schema()
    schema["title"] = {"rule-set": "ShelfAudit rule set", "stores": "ShelfAudit stores.yaml",
                       "planogram": "ShelfAudit planogram"}[kind]
    return schema

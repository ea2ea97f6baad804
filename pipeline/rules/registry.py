"""The rule-type registry: each type is one pydantic class; the YAML ``type:`` picks it.

Built-in types register exactly the way an extension would (``@register`` on a subclass of
:class:`Rule`). A rule's fields are its parameters, flat in the YAML entry::

    - id: water-upright
      type: orientation
      category: bottled-water
      severity: high
      message: "{sku} is lying down on shelf {shelf} — stand it upright"

``check(scene)`` looks at a :class:`~pipeline.rules.scene.Scene` and returns a
:class:`~pipeline.rules.result.RuleOutcome`; it is pure (no I/O, no randomness).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pipeline.i18n import N_, _
from pipeline.rules.messages import template_error
from pipeline.rules.result import Box, RuleOutcome, Violation
from pipeline.rules.wording import SEVERITY_WORDS, Name, Say, say, wording

if TYPE_CHECKING:
    from pipeline.rules.scene import Item, Scene

Severity = Literal["low", "medium", "high"]
RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
COMMON_PLACEHOLDERS: tuple[str, ...] = ("rule", "severity", "zone", "shelf")


class Rule(BaseModel):
    """Fields every rule has. Subclasses add their parameters and implement :meth:`check`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=RULE_ID, description="unique name; a later rule set with the same "
                    "id replaces this rule")
    type: str = Field(description="the rule type (see the sections of this reference)")
    severity: Severity = Field(default="medium", description="low, medium or high; weighs the "
                               "rule in the compliance score (1, 2, 3)")
    message: str | None = Field(default=None, description="what the supervisor reads; "
                                "{placeholders} are filled in (default: the type's message)")
    message_zh: str | None = Field(
        default=None, description="what a Chinese (zh-CN) reader sees instead; the same "
        "{placeholders}, with the catalog's Chinese names (default: the type's message in "
        "Chinese; a rule's own message without message_zh is shown as written)")
    zone: str | None = Field(default=None, description="only look inside this zone of the "
                             "camera (a zone id from the planogram or stores.yaml)")
    shelf: int | tuple[int, int] | None = Field(
        default=None, description="only look at this shelf (1 = top) or range [first, last]")
    enabled: bool = Field(default=True, description="false switches off a rule of the same id "
                          "from an earlier rule set")
    description: str | None = Field(default=None, description="a note for people; not used")

    summary: ClassVar[str] = ""
    default_message: ClassVar[str] = ""
    placeholders: ClassVar[tuple[str, ...]] = ()
    example: ClassVar[dict[str, Any]] = {}

    @field_validator("shelf")
    @classmethod
    def _shelf_range(cls, value: int | tuple[int, int] | None) -> int | tuple[int, int] | None:
        low, high = (value, value) if isinstance(value, int) else (value or (1, 1))
        if low < 1 or high < low:
            raise ValueError(_("shelf must be a number >= 1 or a range [first, last], 1 = "
                               "top"))
        return value

    @field_validator("message", "message_zh")
    @classmethod
    def _message_placeholders(cls, message: str | None, info: ValidationInfo) -> str | None:
        """Bare ``{name}`` placeholders of this type only (see :mod:`pipeline.rules.messages`)."""
        if message is None:
            return message
        problem = template_error(message, (*COMMON_PLACEHOLDERS, *cls.placeholders),
                                 info.field_name or "message")
        if problem:
            raise ValueError(problem)
        return message

    @property
    def shelves(self) -> tuple[int, int] | None:
        if self.shelf is None:
            return None
        return (self.shelf, self.shelf) if isinstance(self.shelf, int) else tuple(self.shelf)

    # --- helpers for subclasses ---
    def scoped(self, scene: Scene, items: Sequence[Item]) -> list[Item]:
        """The items inside this rule's zone and shelf range."""
        return scene.select(items, self.zone, self.shelves)

    def violation(self, boxes: Sequence[Box] = (), *, shelf: int | None = None,
                  sku: str | None = None, brand: str | None = None, **values: Any) -> Violation:
        """A violation with this rule's message template filled in (in English), and its
        wording: how to say it again in another language (:mod:`pipeline.rules.wording`).

        ``values``: plain text and numbers, :class:`~pipeline.rules.wording.Name` (a catalog
        id said by its name) or :class:`~pipeline.rules.wording.Say` (a translatable
        fragment); a plain ``category`` is a catalog id, as ``sku`` and ``brand`` are."""
        fill = dict(rule=self.id, severity=Say(SEVERITY_WORDS.get(self.severity, self.severity)),
                    zone=self.zone or Say(N_("the shelf")),
                    shelf=shelf if shelf is not None else "?")
        ids = {"sku": sku, "brand": brand, "category": values.pop("category", None)}
        fill.update({k: Name(k, v, v) if isinstance(v, str) else v  # type: ignore[arg-type]
                     for k, v in ids.items() if v is not None})
        fill.update({k: v for k, v in values.items() if v is not None})
        template = self.message or self.default_message
        said = wording(template, fill, self.message_zh)
        text = say(template, said["values"], "en")
        return Violation(self.id, self.type, self.severity, text,
                         tuple(tuple(float(v) for v in b) for b in boxes),  # type: ignore[misc]
                         shelf, sku, brand, said)

    def outcome(self, checks: int, violations: Sequence[Violation],
                passed: int | None = None) -> RuleOutcome:
        passed = checks - len(violations) if passed is None else passed
        return RuleOutcome(self.id, self.type, self.severity, checks, max(0, passed),
                           tuple(violations))

    def check(self, scene: Scene) -> RuleOutcome:  # pragma: no cover - abstract
        raise NotImplementedError


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule type under the name in its ``type: Literal[...]`` field."""
    annotation = cls.model_fields["type"].annotation
    names = get_args(annotation)
    if len(names) != 1 or not isinstance(names[0], str):
        raise TypeError(f"{cls.__name__}.type must be Literal['<name>']")
    name = names[0]
    if name in REGISTRY and REGISTRY[name] is not cls:
        raise ValueError(f"rule type {name!r} registered twice")
    REGISTRY[name] = cls
    return cls


def fmt_pct(value: float) -> Say:
    """0.4 -> '40 %' in messages (``40%`` in Chinese)."""
    return Say(N_("{percent} %"), {"percent": f"{100 * value:.0f}"})

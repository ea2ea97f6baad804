"""The out-of-domain check's verdicts in plain words (light: pages import it without torch).

A verdict is stored with each photo twice: in English as the detections JSON's ``domain_reason``
(contract) and as ``domain_check`` (its code and figures), from which pages and reports say it
in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.i18n import N_, _

# The verdicts in plain words (English ids; ``{distance}`` and ``{floor}`` are numbers)
REASONS = {
    "out": N_("this photo is unlike the photos the configured models were trained on "
              "(distance {distance} > {floor}): their product names would be guesses, so "
              "products are reported as unknown and rules that need product names are not "
              "judged. Configure real model weights (`shelfaudit models pull`) and add "
              "reference photos of your products"),
    "in": N_("like the models' training photos (distance {distance} <= {floor})"),
    "unchecked": N_("not checked: no domain reference for these model weights (make one with "
                    "`shelfaudit train domain --photos DIR --tune DIR`)"),
}


@dataclass(frozen=True)
class DomainVerdict:
    """One photo's verdict: ``out_of_domain`` and, in plain words, why."""

    out_of_domain: bool
    code: str  # a key of REASONS
    distance: float | None = None
    floor: float | None = None

    @property
    def reason(self) -> str:
        """Why, in English (stored as the detections JSON's ``domain_reason``)."""
        return _reason(self.code, self.distance, self.floor, translate=False)

    def record(self) -> dict[str, Any]:
        """What is stored with the photo (``domain_check``), to say it again in any language."""
        return {"code": self.code, "distance": self.distance, "floor": self.floor}


def _reason(code: str, distance: float | None, floor: float | None, translate: bool) -> str:
    text = REASONS[code]
    if translate:
        text = _(text)
    return text.format(distance="-" if distance is None else f"{distance:.3f}",
                       floor="-" if floor is None else f"{floor:.3f}")


def domain_reason_text(extra: Mapping[str, Any]) -> str:
    """A photo's domain verdict in the current language, from its stored detections fields
    (``domain_check``; photos stored before it existed keep their English ``domain_reason``)."""
    check = extra.get("domain_check")
    if isinstance(check, Mapping) and check.get("code") in REASONS:
        try:
            return _reason(str(check["code"]), _number(check.get("distance")),
                           _number(check.get("floor")), translate=True)
        except (TypeError, ValueError):
            pass
    return str(extra.get("domain_reason") or "")


def _number(value: Any) -> float | None:
    return None if value is None else float(value)

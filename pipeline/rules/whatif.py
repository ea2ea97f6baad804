"""What-if checks without models: detections JSON + rules -> results (``shelfaudit check``).

Photos are judged by a rule book (:mod:`pipeline.rules.book`), the same builder scheduled runs,
uploads and the Rules page's preview use: the rules folder's book by each photo's store and
camera, or — with rule files asked for by name — those files for every photo.

Which planogram a photo is judged against, first match wins: the ``planogram`` given by the
caller; a ``planogram`` key carried in the photo's JSON (synthetic ground truth has one); the
planogram of the photo's store/camera in ``stores.yaml``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from pipeline import yamldoc
from pipeline.detections import PhotoDetections, loads
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.planogram import Planogram
from pipeline.rules.book import RuleBook, RuleText, build
from pipeline.rules.registry import Rule
from pipeline.rules.result import ComplianceResult
from pipeline.yamldoc import Problem, YamlFileError

MAX_DETECTIONS_BYTES = 200_000_000


def rule_texts(paths: Sequence[str | Path]) -> list[RuleText]:
    """The texts of rule set files named on the command line (names as given).

    Raises:
        YamlFileError: a file cannot be read.
    """
    texts, problems = [], []
    for path in paths:
        try:
            texts.append(RuleText(str(path), yamldoc.read_text(path)))
        except YamlFileError as exc:
            problems += exc.problems
    if problems:
        raise YamlFileError(problems)
    return texts


def only_these(texts: Sequence[RuleText], book: RuleBook | None = None) -> RuleBook:
    """A book applying ``texts`` to every photo, later files replacing earlier rules by id (a
    later ``enabled: false`` switches an earlier rule off); stores and catalog of ``book``.

    Selectors (``applies_to``) are ignored: the files were asked for explicitly.

    Raises:
        YamlFileError: every error of every file.
    """
    chosen = book.only(texts) if book is not None else build(texts, selectors=False)
    problems = [p for found in chosen.invalid.values() for p in found if p.severity == "error"]
    if problems:
        raise YamlFileError(problems)
    return chosen


def rules_from_files(paths: Sequence[str | Path]) -> list[Rule]:
    """The rules of the given rule set files (see :func:`only_these`).

    Raises:
        YamlFileError: every problem of every file.
    """
    return only_these(rule_texts(paths)).rules_for(None, None)


def rules_from_text(text: str, name: str = "rule set") -> tuple[list[Rule], list[Problem]]:
    """Validate an edited rule set text: its enabled rules, and its problems (never raises)."""
    from pipeline.rules.book import parse_text

    rule_set, problems = parse_text(text, name)
    if rule_set is None:
        return [], list(problems)
    return build([RuleText(name, text)], selectors=False).rules_for(None, None), list(problems)


def photo_planogram(photo: PhotoDetections) -> Planogram | None:
    """The planogram carried in a photo's JSON (``"planogram": {...}``), if any and valid."""
    plan = photo.extra.get("planogram")
    if not isinstance(plan, dict):
        return None
    try:
        return Planogram.model_validate(plan)
    except ValidationError as exc:
        raise ShelfAuditError(_("{photo}: the photo's planogram is not valid: {problem}").format(
            photo=photo.path, problem=exc.errors()[0]["msg"])) from None


def read_detections(path: str | Path) -> list[PhotoDetections]:
    """Photos from a detections JSON file, or from every ``*.json`` in a folder (truth files).

    Raises:
        ShelfAuditError: unreadable, too large, or not the detections JSON format.
    """
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise ShelfAuditError(_("{folder}: no *.json files in this folder").format(folder=path))
    photos: list[PhotoDetections] = []
    for file in files:
        try:
            if file.stat().st_size > MAX_DETECTIONS_BYTES:
                raise ShelfAuditError(_("{file}: larger than {limit} MB").format(
                    file=file, limit=MAX_DETECTIONS_BYTES // 10**6))
            photos += loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ShelfAuditError(_("{file}: cannot read ({reason})").format(
                file=file, reason=exc.strerror)) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            kind = _("{file}: not valid JSON ({reason})") if isinstance(
                exc, json.JSONDecodeError) else _("{file}: not in the detections JSON format "
                                                  "({reason})")
            raise ShelfAuditError(kind.format(file=file, reason=exc)) from None
    return photos


def check_photos(photos: Sequence[PhotoDetections], book: RuleBook,
                 planogram: Planogram | None = None, trust_shelf: bool = False
                 ) -> list[ComplianceResult]:
    """Judge each photo with the rule book, as its store and camera.

    Args:
        photos: detections of the photos.
        book: the rules folder's book (:func:`pipeline.rules.config.load_config`), or one of
            named files (:func:`only_these`).
        planogram: a planogram for every photo (overrides the others).
        trust_shelf: keep ``shelf`` indices given in the input.
    """
    return [book.judge(photo, planogram=planogram or photo_planogram(photo),
                       trust_shelf=trust_shelf) for photo in photos]

"""Labelled product-photo sets on disk: the Grocery Store layout or plain class folders.

Two layouts are read:

* **Grocery Store** (Klasson et al., WACV 2019): ``classes.csv`` (``Class Name, Class ID, Coarse
  Class Name, Coarse Class ID, ...``) and one ``<split>.txt`` per split whose lines are
  ``path, fine id, coarse id`` with paths relative to the folder;
* **plain folders**: ``<dir>/<split>/<class>/*.jpg`` when ``<dir>/<split>`` exists, else
  ``<dir>/<class>/*.jpg`` (then every split is the same photos; the evaluation splits them
  itself). The coarse class of a plain folder is the class.

Bad input gets one clear line: a missing file, a malformed row (file and line number), an
unknown split.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


class PhotoSetError(ShelfAuditError):
    """A photo set cannot be read (the message says which file and line)."""


@dataclass(frozen=True)
class LabelledPhoto:
    path: Path
    label: str  # fine class name
    coarse: str


@dataclass
class PhotoSet:
    """All photos of one split with their fine and coarse class names."""

    root: Path
    split: str
    photos: list[LabelledPhoto]

    @property
    def classes(self) -> list[str]:
        return sorted({p.label for p in self.photos})

    def of(self, classes: Sequence[str]) -> PhotoSet:
        keep = set(classes)
        return PhotoSet(self.root, self.split, [p for p in self.photos if p.label in keep])

    def without(self, classes: Sequence[str]) -> PhotoSet:
        drop = set(classes)
        return PhotoSet(self.root, self.split, [p for p in self.photos if p.label not in drop])


def is_grocery_layout(root: Path) -> bool:
    return (root / "classes.csv").is_file()


def read_split(root: str | Path, split: str) -> PhotoSet:
    """The photos of ``split`` under ``root`` (see the module docstring for the layouts)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise PhotoSetError(_("{folder}: no such folder").format(folder=root))
    if is_grocery_layout(root):
        return _grocery_split(root, split)
    folder = root / split if (root / split).is_dir() else root
    photos = [LabelledPhoto(f, d.name, d.name)
              for d in sorted(p for p in folder.iterdir() if p.is_dir())
              for f in sorted(d.iterdir()) if f.suffix.lower() in PHOTO_SUFFIXES]
    if not photos:
        raise PhotoSetError(_("{folder}: no <class>/*.jpg photos found").format(folder=folder))
    return PhotoSet(root, split, photos)


def _grocery_classes(root: Path) -> dict[int, tuple[str, str]]:
    path = root / "classes.csv"
    out: dict[int, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows, None)
        for line, row in enumerate(rows, start=2):
            try:
                out[int(row[1])] = (row[0].strip(), row[2].strip())
            except (IndexError, ValueError) as exc:
                raise PhotoSetError(_("{where}: expected 'name, id, coarse name, ...'").format(
                    where=f"{path}:{line}")) from exc
    return out


def _grocery_split(root: Path, split: str) -> PhotoSet:
    listing = root / f"{split}.txt"
    if not listing.is_file():
        have = sorted(p.stem for p in root.glob("*.txt"))
        raise PhotoSetError(_("{listing}: no such split (have: {have})").format(
            listing=listing, have=", ".join(have) or _("none")))
    classes = _grocery_classes(root)
    photos = []
    for line, text in enumerate(listing.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        parts = [p.strip() for p in text.split(",")]
        try:
            name, coarse = classes[int(parts[1])]
        except (IndexError, ValueError, KeyError) as exc:
            raise PhotoSetError(_("{where}: expected 'path, fine id, coarse id' with a class "
                                  "id from classes.csv").format(where=f"{listing}:{line}")
                                ) from exc
        photos.append(LabelledPhoto(root / parts[0], name, coarse))
    return PhotoSet(root, split, photos)


def withheld(classes: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """``n`` classes picked at random with a fixed seed (left out of training or a gallery)."""
    if n < 0 or n >= len(classes):
        raise PhotoSetError(_("cannot withhold {n} of {total} classes").format(
            n=n, total=len(classes)))
    return sorted(random.Random(seed).sample(sorted(classes), n))

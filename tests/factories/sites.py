"""Small factories for the store tests: sites, inbox photos, fake rules."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pipeline.planogram import Block, Planogram, Shelf
from pipeline.sites import CameraSpec, StoreSpec

PLANOGRAM = Planogram(id="p1", shelves=[
    Shelf(index=1, blocks=[Block(sku="colaco-cola-330", x=(0.0, 0.5), facings=4),
                           Block(sku="colaco-zero-330", x=(0.5, 1.0), facings=4)]),
    Shelf(index=2, blocks=[Block(sku="colaco-cola-330", x=(0.0, 1.0), facings=8)]),
])


def make_sites(stores: tuple[str, ...] = ("s1", "s2"), cameras: tuple[str, ...] = ("c1", "c2"),
               timezone: str = "UTC") -> list[StoreSpec]:
    return [StoreSpec(id=s, name=f"Store {s}", timezone=timezone, schedule="0 2 * * *",
                      cameras=[CameraSpec(id=c, planogram=PLANOGRAM) for c in cameras])
            for s in stores]


def jpeg_bytes(seed: int, size: tuple[int, int] = (64, 48), exif_time: str | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    out = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if exif_time:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = exif_time
        kwargs["exif"] = exif
    image.save(out, "JPEG", quality=80, **kwargs)
    return out.getvalue()


def drop(home: Path, store: str, camera: str, name: str, data: bytes) -> Path:
    path = home / "inbox" / store / camera / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def drop_photos(home: Path, store: str, camera: str, n: int, seed: int = 0,
                day: int = 16) -> list[Path]:
    return [drop(home, store, camera, f"{camera}_202611{day:02d}T{2 + i:02d}0000.jpg",
                 jpeg_bytes(seed * 1000 + i)) for i in range(n)]


class FakeRules:
    """Judges a photo by its product count: fewer than ``min_products`` is a violation."""

    name = "fake"

    def __init__(self, min_products: int = 3, problems: list[str] | None = None,
                 fail_on: str | None = None) -> None:
        self.min_products = min_products
        self.hash = "f" * 64
        self.versions = {"fake.yaml": 1}
        self.problems = problems or []
        self.fail_on = fail_on
        self.calls = 0

    def evaluate(self, photo, camera: str) -> dict[str, Any]:  # noqa: ANN001
        self.calls += 1
        if self.fail_on and self.fail_on in photo.path:
            raise ValueError("rules exploded")
        n = len(photo.detections)
        ok = n >= self.min_products
        violations = [] if ok else [{"rule": "min-products", "type": "min_facings",
                                     "severity": "high", "message": f"only {n} products",
                                     "boxes": [[1, 2, 3, 4]], "shelf": 1}]
        return {"kpis": {"compliance": 100.0 if ok else 40.0, "osa": 90.0, "price": None,
                         "promo": 50.0, "share_of_shelf": {"colaco": 100.0},
                         "facings": {"colaco-cola-330": n}},
                "rules": [{"rule": "min-products", "type": "min_facings", "severity": "high",
                           "passed": ok, "applicable": True}],
                "violations": violations}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)

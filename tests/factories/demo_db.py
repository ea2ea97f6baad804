"""A small demo-like database built in well under a second (direct inserts, no models).

Two stores (``s001`` good, ``s002`` worse) x two cameras x 14 daily inspections over ISO weeks
2026-W45 and 2026-W46, each with a real little shelf photo on disk, detections JSON and
violations; plus job runs and one rule-set version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from pipeline.weeks import iso_week as week_of

FIRST_DAY = datetime(2026, 11, 2, 2, 0)  # Monday of 2026-W45
WEEKS = ("2026-W45", "2026-W46")
STORES = {"s001": "Riverside", "s002": "Old Town"}
CAMERAS = ("c01", "c02")


def shelf_photo(path: Path, width: int = 320, height: int = 240) -> Path:
    """A tiny drawn shelf: two shelf edges and a few coloured products."""
    image = Image.new("RGB", (width, height), (205, 200, 190))
    draw = ImageDraw.Draw(image)
    for row, y in enumerate((110, 225)):
        draw.rectangle([0, y, width, y + 8], fill=(90, 80, 70))
        for i in range(5):
            x = 10 + i * 60
            draw.rectangle([x, y - 90, x + 45, y - 2], fill=((200, 30, 40), (30, 90, 200))[row])
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=85)
    return path


def _payload(path: str, store: str, camera: str, when: datetime) -> dict:
    dets = [{"box": [10 + i * 60, 20, 55 + i * 60, 108], "kind": "product", "score": 0.9,
             "sku": "colaco-cola-330", "brand": "colaco", "category": "soft-drinks",
             "sku_score": 0.8, "orientation": "upright", "shelf": 1} for i in range(5)]
    dets.append({"box": [10, 112, 50, 122], "kind": "price_tag", "score": 0.8, "text": "¥3.50",
                 "price": 3.5, "shelf": 1})
    dets.append({"box": [250, 135, 310, 223], "kind": "gap", "score": 1.0, "shelf": 2})
    return {"path": path, "width": 320, "height": 240, "store": store, "camera": camera,
            "captured_at": when.isoformat() + "Z", "detections": dets}


def build_small_db(home: Path) -> dict:
    """Create the schema and the small history under ``home``; returns a few facts for tests."""
    from pipeline.db import session_scope, upgrade
    from pipeline.db import tables as t

    upgrade()
    photo = shelf_photo(home / "archive" / "sample.jpg")
    facts = {"inspections": 0, "violations": 0, "photo": photo}
    with session_scope() as s:
        for sid, name in STORES.items():
            s.add(t.Store(id=sid, name=name, schedule="0 2 * * *"))
            for cam in CAMERAS:
                s.add(t.Camera(store_id=sid, id=cam, name=f"{name} {cam}"))
        s.flush()
        n = 0
        for day in range(14):
            for sid in STORES:
                for cam in CAMERAS:
                    n += 1
                    when = FIRST_DAY + timedelta(days=day)
                    _inspection(s, t, n, sid, cam, when, str(photo), facts)
        s.add(t.JobRun(job="inspect", store_id="s001", status="ok", trigger="scheduled",
                       started_at=FIRST_DAY + timedelta(days=13), duration_s=12.0,
                       finished_at=FIRST_DAY + timedelta(days=13, seconds=12),
                       counts={"inspected": 2}))
        s.add(t.JobRun(job="inspect", store_id="s002", status="error", trigger="scheduled",
                       started_at=FIRST_DAY + timedelta(days=13, minutes=5),
                       error="rules/beverages.yaml:3:1: broken"))
    return facts


def _inspection(s, t, n: int, sid: str, cam: str, when: datetime, photo: str, facts: dict):
    bad = sid == "s002"
    week = week_of(when)
    compliance = (62.0 if bad else 90.0) - (when.weekday() * 2) + (3 if cam == "c02" else 0)
    p = t.Photo(sha256=f"{n:064x}", store_id=sid, camera_id=cam, path=photo,
                original_name=f"{cam}-{n}.jpg", captured_at=when, state="inspected",
                width=320, height=240)
    s.add(p)
    s.flush()
    insp = t.Inspection(photo_id=p.id, store_id=sid, camera_id=cam, captured_at=when,
                        captured_on=when.date(), iso_week=week, width=320, height=240, compliance=compliance,
                        osa=compliance + 5, price_compliance=100.0 if not bad else 50.0,
                        promo_compliance=80.0, share_of_shelf={"colaco": 60.0, "fizzup": 40.0},
                        facings={"colaco-cola-330": 5}, models={"detector": "test"})
    violations = [("water-upright", "orientation", "high"), ("cola-facings", "min_facings", "low")]
    if bad:
        violations.append(("price-match", "price_match", "medium"))
    insp.violation_count = len(violations)
    insp.detections = t.InspectionDetections(count=7, payload=_payload(photo, sid, cam, when))
    for rule, rtype, severity in violations:
        insp.violations.append(t.Violation(
            store_id=sid, camera_id=cam, captured_at=when, captured_on=when.date(),
            iso_week=week, rule_id=rule,
            rule_type=rtype, severity=severity, message=f"{rule} broken on {cam}",
            evidence={"boxes": [[250, 135, 310, 223]], "shelf": 2}))
        facts["violations"] += 1
    s.add(insp)
    facts["inspections"] += 1

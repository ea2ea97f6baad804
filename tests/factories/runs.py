"""Inspection runs written straight into the store: photos, inspections, violations, job run."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pipeline.db import session_scope, tables
from pipeline.inbox.jobs import finish_job_run, start_job_run
from pipeline.weeks import iso_week, local_day

# (rule id, severity, sku, shelf, message)
COLA_GAP = ("cola-gap", "high", "colaco-cola-330", 2, "gap where ColaCo Cola is planned")
NO_TAG = ("price-tags", "high", "colaco-zero-330", 1, "no price tag")
LYING = ("upright", "medium", "colaco-cola-330", 1,
         "ColaCo Cola 330ml can is lying down on shelf 1 — stand it upright")
# how the engine says LYING again in another language (pipeline.rules.wording)
WORDING = {"upright": {"template": "{name} is lying down on shelf {shelf} — stand it upright",
                       "values": {"name": {"sku": "colaco-cola-330",
                                           "en": "ColaCo Cola 330ml can"}, "shelf": 1}}}
FACINGS = ("facings", "low", None, 3, "too few facings")


def sites():
    """The stores of the rules folder in force, mirrored into the database."""
    from pipeline.sites import load_sites, sync_sites

    found = load_sites()
    with session_scope() as session:
        sync_sites(session, found.stores)
    return found


def inspection(session, store: str, camera: str, taken: datetime, problems=(),
               captured_from: str = "name", tz: str = "Asia/Shanghai") -> int:
    digest = hashlib.sha256(f"{store}{camera}{taken}{captured_from}".encode()).hexdigest()
    photo = tables.Photo(sha256=digest, store_id=store, camera_id=camera, path=f"/x/{digest}.jpg",
                         original_name=f"{digest}.jpg", captured_at=taken,
                         captured_from=captured_from, state=tables.INSPECTED)
    session.add(photo)
    session.flush()
    day = local_day(taken, tz)
    row = tables.Inspection(photo_id=photo.id, store_id=store, camera_id=camera,
                            captured_at=taken, captured_on=day, iso_week=iso_week(day),
                            compliance=80.0, osa=90.0, violation_count=len(problems))
    session.add(row)
    session.flush()
    for rule, severity, sku, shelf, message in problems:
        evidence = {"boxes": [[1, 2, 3, 4]], "shelf": shelf}
        if sku:
            evidence["sku"] = sku
        if rule in WORDING:
            evidence["wording"] = WORDING[rule]
        session.add(tables.Violation(
            inspection_id=row.id, store_id=store, camera_id=camera, captured_at=taken,
            captured_on=day, iso_week=iso_week(day), rule_id=rule, rule_type="test",
            severity=severity, message=message, evidence=evidence))
    return row.id


def run(store: str, photos, trigger: str = "scheduled", captured_from: str = "name") -> int:
    """One inspection run of ``store``: ``photos`` = [(camera, taken, problems), ...]."""
    run_id = start_job_run("inspect", store, trigger)
    with session_scope() as session:
        for camera, taken, problems in photos:
            inspection(session, store, camera, taken, problems, captured_from)
    finish_job_run(run_id, tables.OK, counts={"inspected": len(photos)})
    return run_id

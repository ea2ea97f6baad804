"""Photos in over HTTP, against a real uvicorn server: a camera push is queued in the inbox,
the scheduled run inspects it and a results pull returns it; the same photo twice is one
inspection; ``?inspect=now`` answers with the verdict."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.api.conftest import inbox_files, push, run_store
from tests.factories.sites import jpeg_bytes

pytestmark = pytest.mark.xdist_group("api")


def _inspections_of(sha256: str) -> int:
    from pipeline.db import session_scope, tables

    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(tables.Inspection).join(tables.Photo)
                        .where(tables.Photo.sha256 == sha256))


def test_a_camera_push_is_queued_inspected_by_the_run_and_pulled_as_json(home, token, client):
    http = client(token())
    sent = push(http, jpeg_bytes(101, (640, 480)), camera="c03",
                captured_at="2026-11-20T02:00:00+08:00")
    assert sent.status_code == 202, sent.text
    receipt = sent.json()
    assert receipt["state"] == "queued" and not receipt["duplicate"]
    assert receipt["captured_at"] == "2026-11-19T18:00:00Z"
    queued = [p for p in inbox_files(home) if receipt["sha256"][:16] in p.name]
    assert [p.relative_to(home).as_posix() for p in queued] == [
        f"inbox/s001/c03/api-20261120T020000-{receipt['sha256'][:16]}.jpg"]  # store-local
    assert http.get(receipt["status_url"]).json()["state"] == "queued"

    assert run_store("s001")["inspected"] >= 1
    status = http.get(receipt["status_url"]).json()
    assert status["state"] == "inspected" and status["inspection"]
    listed = http.get("/v1/inspections", params={"store": "s001", "camera": "c03"}).json()
    assert status["inspection"] in [row["id"] for row in listed["items"]]
    detail = http.get(f"/v1/inspections/{status['inspection']}").json()
    assert (detail["store"], detail["camera"]) == ("s001", "c03")
    assert detail["captured_at"] == "2026-11-19T18:00:00Z" and detail["iso_week"] == "2026-W47"
    assert set(detail["kpis"]) == {"compliance", "osa", "price_compliance", "promo_compliance"}
    assert detail["detections"]["detections"] and "/" not in detail["detections"]["path"]
    assert not queued[0].exists()  # archived by the run


def test_the_same_photo_twice_is_one_inspection(home, token, client):
    http = client(token())
    photo = jpeg_bytes(202, (640, 480))
    first, second = push(http, photo, camera="c02"), push(http, photo, camera="c02")
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] and second.json()["sha256"] == first.json()["sha256"]
    sha = first.json()["sha256"]
    assert len([p for p in inbox_files(home) if sha[:16] in p.name]) == 1
    run_store("s001")
    again = push(http, photo, camera="c02")
    assert again.status_code == 200 and again.json()["state"] == "inspected"
    now = push(http, photo, camera="c02", query="?inspect=now")
    assert now.status_code == 200 and now.json()["id"] == again.json()["inspection"]
    assert _inspections_of(sha) == 1


def test_a_retry_is_known_by_its_bytes_until_its_photo_is_gone(home, token, client):
    http = client(token())
    photo = jpeg_bytes(505, (640, 480))
    first = push(http, photo, camera="c04")
    sha = first.json()["sha256"]
    retry = push(http, photo, camera="c04")  # answered from the hash of the bytes as sent
    assert (first.status_code, retry.status_code) == (202, 200)
    assert retry.json()["duplicate"] and retry.json()["sha256"] == sha
    assert retry.json()["state"] == "queued"
    waiting = [p for p in inbox_files(home) if sha[:16] in p.name]
    assert [p.parent.name for p in waiting] == ["c04"]
    waiting[0].unlink()  # gone before any run saw it: the same bytes are taken in again
    again = push(http, photo, camera="c04")
    assert again.status_code == 202 and not again.json()["duplicate"]
    assert again.json()["sha256"] == sha
    assert len([p for p in inbox_files(home) if sha[:16] in p.name]) == 1


def test_inspect_now_answers_with_the_saved_inspection(home, token, client):
    http = client(token())
    before = inbox_files(home)
    answer = push(http, jpeg_bytes(303, (800, 600)), camera="c01", query="?inspect=now",
                  captured_at="2026-11-18T09:30:00Z")
    assert answer.status_code == 201, answer.text
    found = answer.json()
    assert answer.headers["location"] == f"/v1/inspections/{found['id']}"
    assert found["store"] == "s001" and found["captured_at"] == "2026-11-18T09:30:00Z"
    count = len(found["violations"])
    assert found["verdict"] == ("ok" if not count else
                                f"{count} violation{'s' if count > 1 else ''}")
    assert found == http.get(f"/v1/inspections/{found['id']}").json()  # same as a later pull
    picture = http.get(found["annotated_url"] + "&max_side=400")
    assert picture.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(picture.content)).size) == 400
    assert inbox_files(home) == before  # inspected at once: nothing queued
    from pipeline.access.audit import audit_entries
    from tests.factories.accounts import make_user

    rows = audit_entries(make_user("auditor", "admin"), action="upload")
    assert rows.iloc[0]["actor"].startswith("token:") and rows.iloc[0]["store"] == "s001"


@pytest.mark.parametrize("fields, status, words", [
    ({"camera": "c09"}, 404, "not a camera of store s001"),
    ({"store": "s404"}, 403, "not one of your stores"),
    ({"captured_at": "yesterday"}, 422, "not an ISO 8601 time"),
    ({"captured_at": "2099-01-01T00:00:00Z"}, 422, "not a plausible time"),
])
def test_bad_fields_are_refused_as_problem_details(home, token, client, fields, status, words):
    before = inbox_files(home)
    answer = push(client(token()), jpeg_bytes(404, (320, 240)), **fields)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.json()["detail"] and answer.json()["status"] == status
    assert inbox_files(home) == before


def test_a_push_without_the_photo_field_is_refused(token, client):
    http = client(token())
    answer = http.post("/v1/photos", data={"store": "s001", "camera": "c01"})
    assert answer.status_code == 422 and "'photo'" in answer.json()["detail"]
    answer = http.post("/v1/photos", content=b"not multipart",
                       headers={"content-type": "multipart/form-data; boundary=x"})
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"] == "application/problem+json"

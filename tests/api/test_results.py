"""Results out over HTTP: scoped by the token's stores in the query functions themselves,
the weekly report object of the page and the exports, health, what-if checks, OpenAPI."""

from __future__ import annotations

import pytest
import yaml

from tests.api.conftest import push
from tests.factories.sites import jpeg_bytes

pytestmark = pytest.mark.xdist_group("api")

OWN, OTHER = "s001", "s002"
WEEK = "2026-W46"
ENDPOINTS = {"/v1/photos", "/v1/photos/{sha256}", "/v1/inspections",
             "/v1/inspections/{inspection_id}", "/v1/stores/{store}/weeks/{iso_week}",
             "/v1/health", "/v1/rules/check"}


def _other_inspection() -> int:
    from sqlalchemy import select

    from pipeline.db import session_scope, tables

    with session_scope() as s:
        return s.scalar(select(tables.Inspection.id).where(tables.Inspection.store_id == OTHER))


def _everything(http) -> dict:
    """What a token of s001 can read, page by page."""
    rows, url = [], "/v1/inspections?limit=7"
    while url:
        page = http.get(url).json()
        rows += page["items"]
        url = page["page"]["next"]
    return {"rows": rows, "details": [http.get(r["url"]).json() for r in rows[:5]],
            "week": http.get(f"/v1/stores/{OWN}/weeks/{WEEK}").json(),
            "high": http.get("/v1/inspections", params={"severity": "high"}).json()}


def test_a_token_for_s001_sees_nothing_of_s002(home, token, client):
    http = client(token(stores=[OWN], scopes="photos:write,results:read"))
    seen = _everything(http)
    assert seen["rows"] and {r["store"] for r in seen["rows"]} == {OWN}
    assert OTHER not in repr(seen) and "Old Town" not in repr(seen)
    other = _other_inspection()
    assert http.get(f"/v1/inspections/{other}").status_code == 404
    assert http.get(f"/v1/inspections/{other}?annotated=true").status_code == 404
    assert http.get("/v1/inspections", params={"store": OTHER}).status_code == 403
    assert http.get(f"/v1/stores/{OTHER}/weeks/{WEEK}").status_code == 403
    assert push(http, jpeg_bytes(9, (320, 240)), store=OTHER).status_code == 403


def test_the_week_is_the_report_object_of_the_page_and_the_exports(home, token, client):
    from pipeline.access.scope import Scope
    from pipeline.queries.weekly import weekly_report

    http = client(token(stores=[OWN], scopes="results:read"))
    answer = http.get(f"/v1/stores/{OWN}/weeks/{WEEK}")
    assert answer.status_code == 200
    page = weekly_report(OWN, WEEK, Scope(stores=frozenset({OWN}), role="viewer"))
    assert answer.json() == page.document()
    assert http.get(f"/v1/stores/{OWN}/weeks/2026-W99").status_code == 422
    assert http.get(f"/v1/stores/{OWN}/weeks/last").status_code == 422


def test_paging_and_filters(home, token, client):
    http = client(token(stores=[OWN, OTHER], scopes="results:read"))
    first = http.get("/v1/inspections", params={"limit": 5, "from": "2026-11-09",
                                                "to": "2026-11-15"}).json()
    assert first["page"]["total"] == 28 and len(first["items"]) == 5  # 2 stores x 2 cams x 7
    assert all("2026-11-09" <= r["captured_at"][:10] <= "2026-11-15" for r in first["items"])
    second = http.get(first["page"]["next"]).json()
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}
    medium = http.get("/v1/inspections", params={"severity": "medium"}).json()
    assert {r["store"] for r in medium["items"]} == {OTHER}  # only s002 breaks price-match
    assert http.get("/v1/inspections", params={"severity": "urgent"}).status_code == 422


def test_health_answers_without_a_token_and_says_more_with_one(home, token, client):
    bare = client(None).get("/v1/health")
    assert bare.status_code == 200
    found = bare.json()
    assert found["status"] == "ok" and found["database"]["ok"]
    assert found["database"]["schema_current"] is True
    assert found["models"]["inspector"] == "fake"
    assert "failures_7d" not in found["scheduler"]
    scoped = client(token(scopes="results:read")).get("/v1/health").json()
    assert {"last_status", "failures_7d", "next_run"} <= set(scoped["scheduler"])


def test_rules_check_is_a_what_if_on_detections(home, token, client):
    from pipeline.detections import PhotoDetections, make_detections

    http = client(token(scopes="rules:check"))
    photo = PhotoDetections(path="p.jpg", width=640, height=480, store=OWN, camera="c01",
                            detections=make_detections([[10, 10, 60, 100]], kind="product",
                                                       sku=["unknown"]))
    rules = yaml.safe_dump({"version": 1, "name": "what-if", "rules": [
        {"id": "no-unknowns", "type": "unknown_product", "severity": "high"}]})
    answer = http.post("/v1/rules/check", json={"detections": {"photos": [photo.to_dict()]},
                                                "rules": rules})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["passed"] is False
    assert [v["rule"] for v in found["results"][0]["violations"]] == ["no-unknowns"]
    broken = http.post("/v1/rules/check", json={"detections": [photo.to_dict()],
                                                "rules": "rules: [1, 2"})
    assert broken.status_code == 422 and broken.json()["problems"]
    assert broken.json()["problems"][0]["message"].startswith("YAML syntax error: expected ',' ")
    chinese = http.post("/v1/rules/check", json={"detections": [photo.to_dict()],
                                                 "rules": "rules: [1, 2"},
                        headers={"Accept-Language": "zh-CN"})  # the problem in its words
    assert chinese.json()["problems"][0]["message"].startswith("YAML 语法错误：此处应为 ',' ")
    assert [p["line"] for p in chinese.json()["problems"]] == \
        [p["line"] for p in broken.json()["problems"]]
    theirs = photo.to_dict() | {"store": OTHER}
    assert http.post("/v1/rules/check", json={"detections": [theirs]}).status_code == 403


def test_the_openapi_page_lists_every_endpoint(client):
    http = client(None)
    assert set(http.get("/openapi.json").json()["paths"]) >= ENDPOINTS
    docs = http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    missing = http.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_results_do_not_change_when_s002_is_deleted(home, token, client):
    """Last in this module: it deletes s002's history."""
    from tests.access.test_scope import _delete_other_store

    http = client(token(stores=[OWN], scopes="results:read"))
    before = _everything(http)
    _delete_other_store()
    assert _everything(http) == before

"""``?inspect=now`` with the real starter models (in-process test client): a 1920-px synthetic
shelf is inspected at once and the answer is the saved inspection the pages show."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api")]


def test_inspect_now_with_the_starter_models(home, token):
    from fastapi.testclient import TestClient

    from pipeline.access.scope import ALL_STORES
    from pipeline.api.app import create_app
    from pipeline.api.bench import make_photos
    from pipeline.queries.inspections import inspection_detail

    photo = make_photos(1, 1920, seed=31)[0]
    with TestClient(create_app("models")) as http:
        http.headers["Authorization"] = f"Bearer {token()}"
        answer = http.post("/v1/photos?inspect=now", data={"store": "s001", "camera": "c01"},
                           files={"photo": ("shelf.jpg", photo, "image/jpeg")})
        assert answer.status_code == 201, answer.text
        found = answer.json()
        health = http.get("/v1/health").json()
    assert health["models"]["loaded"] and health["models"]["versions"]
    assert found["width"] == 1920 and found["models"]
    kinds = {d["kind"] for d in found["detections"]["detections"]}
    assert "product" in kinds
    products = [d for d in found["detections"]["detections"] if d["kind"] == "product"]
    assert len(products) >= 10 and any(d.get("sku") not in (None, "unknown") for d in products)
    saved = inspection_detail(found["id"], ALL_STORES)
    assert saved is not None and saved.kpis["compliance"] == found["kpis"]["compliance"]
    assert len(saved.violations) == len(found["violations"])

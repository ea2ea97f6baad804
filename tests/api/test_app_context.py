"""The API's edge context (:class:`pipeline.context.FreshContext` in ``create_app``): its
requests share one read of the catalog and ``stores.yaml`` (issue #17 item 6)."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import push
from tests.factories.reads import count_reads
from tests.factories.sites import jpeg_bytes

pytestmark = pytest.mark.xdist_group("api")


@pytest.fixture
def reads(monkeypatch) -> Counter:
    return count_reads(monkeypatch)


def test_pushes_share_the_apps_one_read_of_the_catalog_and_sites(home, token, reads):
    """Four pushes (one queued, two inspected now, one to an unknown camera): stores.yaml and the catalog are read once (before,
    each inspect-now read stores.yaml four times and the catalog once)."""
    from pipeline.api.app import create_app

    value = token()
    with TestClient(create_app("fake"), headers={"Authorization": f"Bearer {value}"}) as http:
        queued = push(http, jpeg_bytes(411, (800, 600)), camera="c01")
        assert queued.status_code == 202, queued.text
        for seed in (412, 413):
            answer = push(http, jpeg_bytes(seed, (800, 600)), camera="c01",
                          query="?inspect=now")
            assert answer.status_code == 201, answer.text
        unknown = push(http, jpeg_bytes(414, (800, 600)), camera="c99")
        assert unknown.status_code == 404 and "c99" in unknown.text
    assert reads == Counter(load_catalog=1, load_sites=1), "\n".join(reads.callers)


def test_an_edited_stores_yaml_is_read_again(home, token, reads, tmp_path, monkeypatch):
    import shutil

    from pipeline.api.app import create_app
    from pipeline.settings import get_settings
    from tests.api.conftest import REPO

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    monkeypatch.setenv("SHELFAUDIT_RULES", str(rules))
    get_settings.cache_clear()
    value = token()
    with TestClient(create_app("fake"), headers={"Authorization": f"Bearer {value}"}) as http:
        assert push(http, jpeg_bytes(421, (800, 600)), camera="c01").status_code == 202
        stores = rules / "stores.yaml"
        stores.write_text(stores.read_text(encoding="utf-8").replace("id: s001", "id: s011"),
                          encoding="utf-8")
        gone = push(http, jpeg_bytes(422, (800, 600)), camera="c01")
        assert gone.status_code == 404 and "s001" in gone.text
    assert reads["load_sites"] == 2

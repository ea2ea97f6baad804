"""The dashboard's edge context (:func:`pipeline.dashboard.loaders.context`): one cached
resource, so a page's runs read the catalog and ``stores.yaml`` once (issue #17 item 6)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.factories.reads import count_reads


@pytest.fixture
def reads(monkeypatch) -> Counter:
    return count_reads(monkeypatch)


def test_the_dashboard_reads_the_catalog_and_sites_once(small_db, rules_copy, app, reads,
                                                        monkeypatch, tmp_path):
    """The Upload page run six times (store, camera, photo, inspect, save, inspect again):
    its cameras, rules, view checks and saving take the sites and the catalog from the
    dashboard's one cached context (before, each step read stores.yaml again: 8 reads)."""
    from pipeline.dashboard import loaders
    from tests.pages.test_upload import _jpeg

    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")
    loaders._context.clear()
    monkeypatch.setattr(loaders, "TTL", 10**9)  # no TTL period ends during the test
    photo = _jpeg(tmp_path)
    at = app("pages/upload.py")
    at.selectbox(key="upload_store").set_value("s001").run()
    at.selectbox(key="upload_camera").set_value("c01").run()
    at.file_uploader(key="upload_files").set_value(("shelf.jpg", photo, "image/jpeg")).run()
    at.button(key="upload_run").click().run()
    assert not at.exception and len(at.image) == 1
    at.button(key="upload_save_0").click().run()
    assert not at.exception and at.session_state["upload_saved_0"]
    at.button(key="upload_run").click().run()
    assert not at.exception
    assert reads["load_sites"] == 1, "\n".join(reads.callers)
    assert reads["load_catalog"] == 1, "\n".join(reads.callers)

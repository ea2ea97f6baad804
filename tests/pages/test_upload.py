"""Upload page: inspect photos now (fake inspector), show the verdict, save as an inspection."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.factories.demo_db import shelf_photo


@pytest.fixture
def fake_models(monkeypatch):
    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")


def _jpeg(tmp_path) -> bytes:
    """A photo of the small database's shelf view (what its cameras see), taken bigger."""
    from tests.actions.test_uploads_safe import view_of

    return view_of(shelf_photo(tmp_path / "up.jpg"))


def test_upload_renders_on_an_empty_database(empty_db, app):
    at = app("pages/upload.py")
    assert not at.exception
    assert at.button(key="upload_run").disabled


def test_uploaded_photo_is_inspected_and_saved(small_db, rules_copy, fake_models, app,
                                                tmp_path):
    at = app("pages/upload.py")
    at.selectbox(key="upload_store").set_value("s001").run()
    at.selectbox(key="upload_camera").set_value("c01").run()
    at.file_uploader(key="upload_files").set_value(("shelf.jpg", _jpeg(tmp_path),
                                                    "image/jpeg")).run()
    at.button(key="upload_run").click().run()
    assert not at.exception
    assert len(at.image) == 1
    assert any(m.value.startswith("**Violations (") for m in at.markdown)
    assert any(m.label == "Compliance" for m in at.metric)
    at.button(key="upload_save_0").click().run()
    assert not at.exception
    saved = at.session_state["upload_saved_0"]
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import inspections

    detail = inspections.inspection_detail(saved, ALL_STORES)
    assert detail is not None and (detail.store, detail.camera) == ("s001", "c01")
    assert detail.photo_path and detail.photo_path.endswith("shelf.jpg")


def test_a_broken_file_gets_a_clear_message(empty_db, fake_models, app):
    at = app("pages/upload.py")
    at.selectbox(key="upload_store").set_value("ad-hoc").run()
    buf = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buf, "PNG")
    at.file_uploader(key="upload_files").set_value([
        ("notes.jpg", b"this is not an image", "image/jpeg"),
        ("../../evil.png", buf.getvalue()[:30], "image/png"),
    ]).run()
    at.button(key="upload_run").click().run()
    assert not at.exception
    messages = " ".join(e.value for e in at.error)
    assert "notes.jpg" in messages and "evil.png" in messages and "../" not in messages

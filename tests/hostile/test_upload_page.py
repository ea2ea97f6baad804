"""Hostile files through the real Upload page (AppTest): one clear message per bad file, the
good ones still judged, nothing written outside the home, the page still serving."""

from __future__ import annotations

import pytest

from pipeline.settings import get_settings
from tests.factories import samples as s
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused
from tests.hostile.test_text import assert_no_markup

BATCH = [  # file name, bytes, words of the message (None = accepted and judged)
    ("cut.jpg", s.jpeg((200, 150))[:400], "damaged or truncated"),
    ("page.jpg", s.HTML, "HTML"),
    ("dance.jpg", s.gif_animation(), "GIF image"),  # the uploader itself refuses .gif names
    ("bomb.png", s.png_claiming(100_000, 100_000), "too many pixels"),
    ("empty.png", b"", "empty"),
    ("../../etc/shelf.jpg", s.png((320, 240)), None),  # a PNG with a .jpg name and a path
]


@pytest.fixture
def fake_models(monkeypatch):
    """The fake inspector, and no camera-view check: these photos are about hostile bytes, not
    about which shelf they show (the view check: tests/actions/test_uploads_safe.py)."""
    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")
    monkeypatch.setattr("pipeline.actions.camera_views.view_check", lambda: None)


def test_a_batch_of_hostile_uploads(small_db, rules_copy, fake_models, app):  # noqa: F811
    at = app("pages/upload.py", role="supervisor", stores=("s001",))
    assert at.selectbox(key="upload_store").options == ["s001", "ad hoc (no store)"]
    at.selectbox(key="upload_store").set_value("s001").run()
    at.selectbox(key="upload_camera").set_value("c01").run()
    at.file_uploader(key="upload_files").set_value(
        [(name, data, "application/octet-stream") for name, data, _ in BATCH]).run()
    at.button(key="upload_run").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    for _name, _data, words in BATCH:
        if words:
            assert any(words in e for e in errors), (words, errors)
    assert len(errors) == sum(1 for *_, w in BATCH if w)
    # cleaned, by its content; the page escapes markdown in file names (shelf\.png shows as shelf.png)
    files = [h.value for h in at.subheader if h.value != "Saved uploads"]
    assert files[-1].replace("\\", "") == "shelf.png"
    assert any(m.label == "Compliance" for m in at.metric)  # the good photo was judged
    home = get_settings().home_dir
    assert not (home.parent / "etc").exists()
    assert_no_markup(at)
    at.run()  # still serving
    assert not at.exception


def test_refused_files_are_audited_and_a_polyglot_is_kept_clean(small_db, rules_copy,  # noqa: F811
                                                                  fake_models, app):
    from pathlib import Path

    from PIL import Image

    from pipeline.access.audit import audit_entries
    from tests.factories.accounts import make_user
    from tests.hostile.test_images import stored_path

    at = app("pages/upload.py", role="supervisor", stores=("s001",))
    at.selectbox(key="upload_store").set_value("s001").run()
    at.selectbox(key="upload_camera").set_value("c01").run()
    polyglot = s.jpeg_html_polyglot()
    at.file_uploader(key="upload_files").set_value([
        ("page.jpg", s.HTML, "image/jpeg"), ("empty.jpg", b"", "image/jpeg"),
        ("bomb.png", s.png_claiming(100_000, 100_000), "image/png"),
        ("poly.jpg", polyglot, "image/jpeg")]).run()
    at.button(key="upload_run").click().run()
    at.button(key="upload_save_3").click().run()
    assert not at.exception
    admin = make_user("root", "admin")
    refused = audit_entries(admin, action="upload_refused")
    assert sorted(refused["target"]) == ["bomb.png", "empty.jpg", "page.jpg"]
    assert set(refused["actor"]) == {"test-supervisor"} and not refused["ok"].any()
    saved = at.session_state["upload_saved_3"]
    accepted = audit_entries(admin, action="upload")
    assert list(accepted["target"]) == ["poly.jpg"]
    assert f"inspection={saved}" in accepted["detail"][0]
    kept = stored_path(saved).read_bytes()
    assert kept != polyglot and b"<script" not in kept and b"PK\x03\x04" not in kept
    assert Image.open(Path(stored_path(saved))).size == (64, 48)

"""The Upload page keeps uploads safe (issue #19 item 5): the camera is required, a photo of
another shelf is not judged (and says which camera it looks like), the verdict is grouped by
rule and shelf, a saved upload can be excluded, counted again or deleted, and it never moves
the default week — in English and Chinese."""

from __future__ import annotations

import pytest

from tests.actions.test_uploads_safe import cameras_apart, fake, view_of  # noqa: F401

PAGE = "pages/upload.py"


def _upload(at, data: bytes, camera: str | None = "c01", name: str = "shelf.jpg"):
    at.selectbox(key="upload_store").set_value("s001").run()
    if camera:
        at.selectbox(key="upload_camera").set_value(camera).run()
    at.file_uploader(key="upload_files").set_value((name, data, "image/jpeg")).run()
    return at


def test_the_camera_must_be_picked(small_db, fake, app):  # noqa: F811
    at = _upload(app(PAGE), view_of(small_db["photo"]), camera=None)
    assert at.selectbox(key="upload_camera").value is None
    assert at.button(key="upload_run").disabled
    assert any("Pick a camera" in c.value for c in at.caption)
    at.selectbox(key="upload_camera").set_value("c01").run()
    assert not at.button(key="upload_run").disabled


def test_a_photo_of_another_shelf_is_not_judged(cameras_apart, fake, app):  # noqa: F811
    at = _upload(app(PAGE), view_of(cameras_apart["fridge"]), "c01", "fridge.jpg")
    at.button(key="upload_run").click().run()
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "does not look like camera c01 · Drinks aisle's shelf" in warning
    assert "looks more like camera c02 · Snacks bay's" in warning
    assert not at.metric and not any(m.value.startswith("**Violations (") for m in at.markdown)
    assert "upload_save_0" not in [b.key for b in at.button]
    at.button(key="upload_as_0").click().run()  # judge it as the camera it shows
    assert not at.exception, at.exception
    assert at.selectbox(key="upload_camera").value == "c02"
    assert any(m.value.startswith("**Violations (") for m in at.markdown)
    assert any("Looks like camera c02" in c.value for c in at.caption)


def test_the_verdict_is_grouped_by_rule_and_shelf(small_db, rules_copy, fake, app):  # noqa: F811
    at = _upload(app(PAGE), view_of(small_db["photo"]))
    at.button(key="upload_run").click().run()
    assert not at.exception, at.exception
    header = next(m.value for m in at.markdown if m.value.startswith("**Violations ("))
    total = int(header.split("(")[1].split(")")[0])
    counts = [int(e.label.rsplit("·", 1)[1].split()[0]) for e in at.expander]
    assert total > 0 and sum(counts) == total
    assert len(at.expander) < total or total == len(set(e.label for e in at.expander))
    assert any("(from the top)" in m.value or "Whole photo" in m.value for m in at.markdown)


def test_a_saved_upload_is_excluded_counted_again_and_deleted(small_db, rules_copy, fake,  # noqa: F811
                                                              app):
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import saved_uploads

    at = _upload(app(PAGE), view_of(small_db["photo"]))
    at.button(key="upload_run").click().run()
    at.button(key="upload_save_0").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="upload_pick").value is not None
    at.text_input(key="upload_reason").set_value("a test shot").run()
    at.button(key="upload_exclude").click().run()
    assert not at.exception, at.exception
    assert list(saved_uploads.list_uploads(ALL_STORES)["status"]) == ["excluded"]
    at.button(key="upload_include").click().run()
    assert list(saved_uploads.list_uploads(ALL_STORES)["status"]) == ["counted"]
    assert at.button(key="upload_delete").disabled  # not before the box is ticked
    at.checkbox(key="upload_sure").check().run()
    at.button(key="upload_delete").click().run()
    assert not at.exception, at.exception
    assert saved_uploads.list_uploads(ALL_STORES).empty
    assert any("No saved uploads yet." in c.value for c in at.caption)


def test_a_saved_upload_does_not_move_the_default_week(small_db, rules_copy, fake,  # noqa: F811
                                                       app):
    at = _upload(app(PAGE), view_of(small_db["photo"]))
    at.button(key="upload_run").click().run()
    at.button(key="upload_save_0").click().run()  # saved now: this week, 2026-W49
    fresh = app("pages/overview.py")  # another user's first visit
    assert fresh.session_state["week"] == "2026-W46"
    assert "2026-W49" in fresh.sidebar.selectbox(key="week").options
    caption = next(c.value for c in fresh.caption if "Week 2026-W46" in c.value)
    assert "28 inspections" in caption


@pytest.fixture
def chinese(app):
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "admin")
    at.session_state["lang"] = "zh"
    at.run()
    return at.switch_page(PAGE).run()


def test_in_chinese(cameras_apart, fake, chinese):  # noqa: F811
    at = _upload(chinese, view_of(cameras_apart["fridge"]), "c01", "fridge.jpg")
    at.button(key="upload_run").click().run()
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "这张照片看起来不像摄像头 c01" in warning, warning
    assert at.subheader[-1].value == "已保存的上传"

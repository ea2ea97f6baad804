"""Today's fixes page (issue #19 item 3): each camera's latest photo with numbered markers and
crops, done / not-a-problem buttons that record who and when, precision per rule, only the
user's stores, and the link from Overview — in English and Chinese."""

from __future__ import annotations

import pytest

PAGE = "pages/fixes.py"


def _buttons(at, prefix: str):
    return [b for b in at.button if str(b.key or "").startswith(prefix)]


def test_the_worst_camera_first_with_its_photo_crops_and_buttons(small_db, app):
    at = app(PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Today's fixes"
    picker = at.selectbox(key="fixes_camera")
    assert picker.value == "s002/c01" and len(picker.options) == 4
    assert "s002/c01 · Old Town c01" in picker.options
    assert any(m.value == "**3 to fix**" for m in at.markdown)
    assert [m.value for m in at.markdown if m.value.startswith("##### ")] == [
        "##### Shelf 2 (from the top)"]
    titles = [m.value for m in at.markdown if m.value.startswith("**1**")]
    assert titles and ":red-badge[high]" in titles[0]
    assert len(at.image) == 1 + 3  # the photo with its markers, one crop per violation
    assert len(_buttons(at, "fixes_done_")) == 3 and len(_buttons(at, "fixes_wrong_")) == 3
    assert any("No marks yet." in c.value for c in at.caption)


def test_marks_are_recorded_and_feed_the_precision_table(small_db, app):
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import fixes

    at = app(PAGE)
    first = _buttons(at, "fixes_done_")[0]
    violation = int(first.key.rsplit("_", 1)[1])
    first.click().run()
    assert not at.exception, at.exception
    _buttons(at, "fixes_wrong_")[0].click().run()
    assert any(m.value == "**1 to fix**" for m in at.markdown)
    assert at.expander[0].label == "2 marked"
    found = fixes.camera_fixes(ALL_STORES, "s002", "c01")
    marked = {f.violation_id: f for f in found.marked}
    assert marked[violation].verdict == "done" and marked[violation].marked_by == "test-admin"
    table = at.dataframe[-1].value.set_index("rule")
    assert set(table.index) == {f.rule for f in found.marked}
    assert set(table["precision"]) == {0.0, 100.0}
    at.button(key=f"fixes_undo_{violation}").click().run()
    assert any(m.value == "**2 to fix**" for m in at.markdown)


def test_a_viewer_sees_only_her_store_and_cannot_mark(small_db, app):
    at = app(PAGE, role="viewer", stores=("s001",))
    assert not at.exception, at.exception
    assert set(at.selectbox(key="fixes_camera").options) == {"s001/c01 · Riverside c01",
                                                             "s001/c02 · Riverside c02"}
    done = _buttons(at, "fixes_done_")
    assert done and all(b.disabled for b in done)


def test_a_camera_without_photos_says_so(small_db, app):
    from pipeline.db import session_scope, tables

    with session_scope() as s:
        s.add(tables.Camera(store_id="s001", id="c09", name="New fridge"))
    at = app(PAGE)
    at.selectbox(key="fixes_camera").set_value("s001/c09").run()
    assert not at.exception
    assert any("No photo from this camera yet." in i.value for i in at.info)


def test_overview_links_to_todays_fixes(small_db, app):
    at = app("pages/overview.py")
    links = at.get("page_link")
    assert links and "Today's fixes: 10 to fix" in links[0].proto.label
    assert links[0].proto.page.endswith("fixes")


@pytest.mark.parametrize("page", [PAGE, "pages/overview.py"])
def test_in_chinese(small_db, app, page):
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "admin")
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    if page == PAGE:
        assert at.title[0].value == "今日整改"
        assert [b.label for b in _buttons(at, "fixes_done_")][:1] == ["完成"]
        assert [b.label for b in _buttons(at, "fixes_wrong_")][:1] == ["不是问题"]
    else:
        assert at.get("page_link")[0].proto.label.startswith("今日整改")


def test_messages_and_product_names_in_the_readers_language(small_db, app):
    from sqlalchemy import select, update
    from streamlit.testing.v1 import AppTest

    from pipeline.db import session_scope
    from pipeline.db import tables as t
    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    wording = {"template": "{name} is lying on shelf {shelf}",
               "template_zh": "{name} 倒在第 {shelf} 层",
               "values": {"name": {"sku": "colaco-cola-330", "en": "ColaCo Cola 330ml can"},
                          "shelf": 2}}
    with session_scope() as s:
        latest = s.scalar(select(t.Inspection.id).where(
            t.Inspection.store_id == "s002", t.Inspection.camera_id == "c01")
            .order_by(t.Inspection.captured_at.desc()).limit(1))
        s.execute(update(t.Violation).where(t.Violation.inspection_id == latest,
                                            t.Violation.rule_id == "water-upright")
                  .values(evidence={"boxes": [[250, 135, 310, 223]], "shelf": 2,
                                    "sku": "colaco-cola-330", "wording": wording}))
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "admin")
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert any("可乐可 可乐 330毫升 罐装 倒在第 2 层" in c.value for c in at.caption)
    title = next(m.value for m in at.markdown if m.value.startswith("**1**"))
    assert "可乐可 可乐 330毫升 罐装" in title  # the product's name from the catalog
    at.session_state["lang"] = "en"
    at.run()
    assert any("upright broken on c01" in c.value for c in at.caption)  # as stored

"""Inspections page: filters change the list; the detail shows photo, violations, neighbours."""

from __future__ import annotations

from tests.factories.apptest import table_with


def test_inspections_renders_on_an_empty_database(empty_db, app):
    at = app("pages/inspections.py")
    assert not at.exception


def test_list_defaults_to_the_picked_week_and_opens_the_newest(small_db, app):
    at = app("pages/inspections.py")
    assert not at.exception
    listed = table_with(at, "captured_at")
    assert len(listed) == 2 * 2 * 7  # 2 stores x 2 cameras x 7 days of 2026-W46
    assert at.session_state["inspections_current"] == int(listed["id"].iloc[0])
    assert len(at.image) == 1
    assert "Violations (" in " ".join(m.value for m in at.markdown)


def test_filters_change_the_list(small_db, app):
    at = app("pages/inspections.py")
    at.selectbox(key="inspections_camera").set_value("s002/c01").run()
    listed = table_with(at, "captured_at")
    assert set(listed["store"]) == {"s002"} and set(listed["camera"]) == {"c01"}
    at.selectbox(key="inspections_camera").set_value("(all)").run()
    at.selectbox(key="inspections_rule").set_value("price-match").run()
    assert set(table_with(at, "captured_at")["store"]) == {"s002"}  # only s002 breaks it
    at.selectbox(key="inspections_rule").set_value("(all)").run()
    at.selectbox(key="inspections_severity").set_value("high").run()
    assert len(table_with(at, "captured_at")) == 28


def test_previous_and_next_walk_one_camera(small_db, app):
    at = app("pages/inspections.py")
    first = at.session_state["inspections_current"]
    at.button(key="inspections_prev").click().run()
    assert not at.exception
    earlier = at.session_state["inspections_current"]
    assert earlier != first
    at.button(key="inspections_next").click().run()
    assert at.session_state["inspections_current"] == first


def test_leaving_and_coming_back_keeps_the_week_range(small_db, app):
    at = app("pages/inspections.py")
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/inspections.py").run()
    assert not at.exception
    assert len(table_with(at, "captured_at")) == 28


def test_picking_from_the_list_opens_that_inspection(small_db, app):
    at = app("pages/inspections.py")
    listed = [int(i) for i in table_with(at, "captured_at")["id"]]
    at.selectbox(key="inspections_pick").set_value(listed[3]).run()
    assert at.session_state["inspections_current"] == listed[3]
    at.button(key="inspections_prev").click().run()
    assert not at.exception
    assert at.selectbox(key="inspections_pick").value == at.session_state["inspections_current"]


def test_violations_are_said_in_the_reader_s_language(small_db, app):
    """A stored wording is said in Chinese with the catalog's Chinese name; a row stored
    without one shows its stored message."""
    from sqlalchemy import select

    from pipeline import db
    from pipeline.db import tables

    wording = {"template": "{name} is lying down on shelf {shelf} — stand it upright",
               "values": {"name": {"sku": "alpspure-500", "en": "AlpsPure Mineral Water 500ml"},
                          "shelf": 2}}
    with db.session_scope() as s:
        for row in s.scalars(select(tables.Violation)
                             .where(tables.Violation.rule_id == "water-upright")):
            row.evidence = {**row.evidence, "wording": wording}
    at = app("pages/inspections.py")
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    messages = set(table_with(at, "message")["message"])
    assert "山源 矿泉水 500毫升 在第 2 层倒放 — 请扶正" in messages
    assert any(m.startswith("cola-facings broken on ") for m in messages)  # stored before
    at.session_state["lang"] = "en"
    at.run()
    english = set(table_with(at, "message")["message"])  # English: the stored message
    assert any(m.startswith("water-upright broken on ") for m in english)

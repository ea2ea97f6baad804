"""Readable pages (issue #19 item 7): KPI levels by one pair of thresholds, weeks in order with
the missing ones drawn, a heatmap scale fitted to the data, names beside ids, one colour map
and a legend for every annotated photo."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline import kpis
from pipeline.dashboard import charts
from pipeline.weeks import weeks_between
from tests.factories.apptest import table_with


@pytest.mark.parametrize(("value", "level"), [
    (93.0, "good"), (90.0, "good"), (89.9, "watch"), (75.0, "watch"), (74.9, "act"),
    (0.0, "act"), (None, None), (float("nan"), None), ("n/a", None)])
def test_one_pair_of_thresholds_gives_each_kpi_its_level(value, level):
    assert kpis.level(value) == level


def test_table_cells_are_tinted_by_level_and_stay_numbers():
    from pipeline.dashboard.formatting import LEVEL_CELLS, levels

    table = pd.DataFrame({"store": ["a", "b", "c", "d"], "compliance": [93.4, 80.0, 55.5, None],
                          "violations": [1, 2, 3, 4]})
    styled = levels(table)
    styled._compute()
    css = {row: "; ".join(f"{k}: {v}" for k, v in styled.ctx[(row, 1)]) for row in range(3)}
    assert css == {0: LEVEL_CELLS["good"], 1: LEVEL_CELLS["watch"], 2: LEVEL_CELLS["act"]}
    assert not styled.ctx.get((3, 1)) and not styled.ctx.get((0, 2))  # no value, not a KPI
    assert styled.data["compliance"].dtype.kind == "f"


@pytest.mark.parametrize(("first", "last", "weeks"), [
    ("2026-W45", "2026-W47", ["2026-W45", "2026-W46", "2026-W47"]),
    ("2026-W52", "2027-W01", ["2026-W52", "2026-W53", "2027-W01"]),  # 2026 has 53 ISO weeks
    ("2026-W46", "2026-W46", ["2026-W46"]),
])
def test_weeks_between_lists_every_week_in_order(first, last, weeks):
    assert weeks_between(first, last) == weeks


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_weeks_are_drawn_in_order_with_missing_counts_at_zero():
    # W46 appears only in the second rule's rows: plotly alone would put it after W47
    rows = pd.DataFrame({"week": ["2026-W45", "2026-W47", "2026-W48", "2026-W46"],
                         "rule": ["a", "a", "a", "b"], "violations": [3, 2, 1, 5]})
    order = weeks_between("2026-W45", "2026-W48")
    fig = charts.lines(rows, "week", "violations", color="rule", percent=False, order=order,
                       fill=0)
    assert list(_trace(fig, "a").x) == order and list(_trace(fig, "a").y) == [3, 0, 2, 1]
    assert list(_trace(fig, "b").y) == [0, 5, 0, 0]
    assert list(fig.layout.xaxis.categoryarray) == order
    assert list(_trace(fig, "b").customdata) == ["b"] * 4  # a click knows the rule's id


def test_a_kpi_week_without_inspections_is_a_gap_not_zero():
    rows = pd.DataFrame({"week": ["2026-W45", "2026-W47"], "compliance": [91.0, 88.0]})
    fig = charts.lines(rows, "week", ["compliance"], order=weeks_between("2026-W45", "2026-W47"))
    assert list(fig.data[0].y) == [91.0, None, 88.0] and fig.data[0].connectgaps is False


def test_bars_over_weeks_draw_a_missing_week_as_zero():
    rows = pd.DataFrame({"week": ["2026-W47", "2026-W45"], "type": ["gap", "gap"],
                         "violations": [4, 2]})
    fig = charts.bars(rows, "week", "violations", color="type",
                      order=weeks_between("2026-W45", "2026-W47"))
    assert list(fig.data[0].x) == ["2026-W45", "2026-W46", "2026-W47"]
    assert list(fig.data[0].y) == [2, 0, 4]


@pytest.mark.parametrize(("values", "scale"), [
    ([81.0, 98.0, 93.5], (80.0, 100.0)),
    ([93.0, 93.0], (90.0, 100.0)),
    ([3.0, 41.0], (0.0, 45.0)),
    ([None, float("nan")], (0.0, 100.0)),
])
def test_the_heatmap_scale_is_fitted_to_the_figures(values, scale):
    assert charts.fitted_range(values) == scale


def test_the_heatmap_keeps_every_week_and_names_its_stores():
    rows = pd.DataFrame({"store": ["s001", "s002", "s001"],
                         "week": ["2026-W45", "2026-W45", "2026-W47"],
                         "compliance": [81.0, 98.0, 90.0]})
    fig = charts.heatmap(rows, "week", "store", "compliance",
                         order=weeks_between("2026-W45", "2026-W47"),
                         names={"s001": "s001 · Riverside", "s002": "s002 · Old Town"}.get)
    heat = fig.data[0]
    assert list(heat.x) == ["2026-W45", "2026-W46", "2026-W47"]
    assert (heat.zmin, heat.zmax) == (80.0, 100.0)
    assert list(fig.layout.yaxis.ticktext) == ["s001 · Riverside", "s002 · Old Town"]


def test_one_colour_map_draws_every_photo_and_its_legend(small_db, app):
    import numpy as np
    from PIL import Image

    from pipeline.dashboard import pictures
    from pipeline.detections import PhotoDetections
    from pipeline.vision.annotate import COLOURS, VIOLATION

    photo = PhotoDetections.from_dict({"width": 200, "height": 100, "detections": [
        {"box": [10, 10, 60, 90], "kind": "product", "score": 0.9, "sku": "cola-330"},
        {"box": [120, 70, 180, 90], "kind": "price_tag", "score": 0.9}]})
    drawn = np.asarray(pictures.draw(Image.new("RGB", (200, 100), "white"), photo,
                                     [[120, 70, 180, 90]]))
    hexes = {k: tuple(int(v[i:i + 2], 16) for i in (1, 3, 5)) for k, (v, _) in COLOURS.items()}
    assert tuple(drawn[50, 10]) == hexes["product"]  # the product's left edge
    assert tuple(drawn[80, 120]) == hexes[VIOLATION]  # the flagged tag: violation red
    at = app("pages/inspections.py")
    legend = [c.value for c in at.caption if ":material/square:" in c.value]
    assert legend and all(f":{name}[" in legend[0] for _, name in COLOURS.values())


def test_names_stand_beside_ids(small_db, app):
    at = app("pages/overview.py")
    cameras = table_with(at, "camera_name")
    assert set(cameras["camera"]) <= {"c01", "c02"}  # the ids stay
    assert set(cameras["camera_name"]) <= {"Riverside c01", "Riverside c02", "Old Town c01",
                                           "Old Town c02"}
    at = app("pages/inspections.py")
    listed = table_with(at, "camera_name")
    assert listed["store_name"].iloc[0] in ("Riverside", "Old Town")
    options = at.selectbox(key="inspections_camera").options
    assert "s001/c01 · Riverside c01" in options


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/weekly_report.py",
                                  "pages/inspections.py", "pages/trends.py", "pages/fixes.py"])
def test_no_table_shows_a_raw_column_name(small_db, app, page):
    at = app(page)
    assert not at.exception
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        shown = list(table.proto.column_order) or list(table.value.columns)
        for column in shown:
            label = (config.get(f"name:{column}") or config.get(column) or {}).get("label")
            assert label, f"{page}: column {column!r} has no heading of its own"
            assert "_" not in label, (page, column, label)


def test_kpi_cards_carry_their_level(small_db, app):
    at = app("pages/overview.py")
    words = {"on target", "watch", "act now"}
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert len([b for b in badges if any(w in b for w in words)]) >= 4
    at.session_state["lang"] = "zh"
    at.run()
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert any(w in b for b in badges for w in ("达标", "关注", "立即处理"))

"""The detections JSON contract round-trips through sv.Detections."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline import detections as dj
from pipeline import keys


def _photo():
    det = dj.make_detections(
        [[10, 20, 50, 120], [60, 20, 100, 120], [12, 125, 48, 140], [0, 0, 30, 10], [110, 20, 150, 120]],
        kind=[keys.PRODUCT, keys.PRODUCT, keys.PRICE_TAG, keys.PROMO, keys.GAP],
        score=[0.9, 0.8, 0.7, 0.6, 1.0],
        sku=["colaco-cola-330", keys.UNKNOWN, None, None, None],
        orientation=[keys.UPRIGHT, keys.LYING, None, None, None],
        text=[None, None, "¥3.50", "特价 SALE", None],
        price=[None, None, 3.5, None, None],
    )
    return dj.PhotoDetections("shelf.jpg", 200, 150, det, store="s001", camera="c01",
                              captured_at="2026-11-20T02:00:00Z")


def test_to_dict_matches_the_contract():
    doc = _photo().to_dict()
    assert doc["path"] == "shelf.jpg" and doc["store"] == "s001"
    rows = doc["detections"]
    assert [r["kind"] for r in rows] == ["product", "product", "price_tag", "promo", "gap"]
    assert rows[0] == {"box": [10.0, 20.0, 50.0, 120.0], "kind": "product", "score": 0.9,
                       "sku": "colaco-cola-330", "orientation": "upright"}
    assert rows[2]["price"] == 3.5 and rows[2]["text"] == "¥3.50"
    assert "sku" not in rows[4]


def test_json_round_trip_keeps_every_field():
    text = dj.dumps([_photo()])
    assert "特价" in text  # not escaped: Chinese stays readable
    back = dj.loads(text)[0]
    assert back.to_dict() == _photo().to_dict()
    assert list(dj.field_values(back.detections, keys.KIND)) == list(
        dj.field_values(_photo().detections, keys.KIND))


def test_extra_keys_are_kept():
    doc = _photo().to_dict()
    doc["faults"] = [{"type": "gap"}]
    doc["detections"][0]["shelf"] = 2
    doc["detections"][0]["custom"] = "x"
    back = dj.PhotoDetections.from_dict(json.loads(json.dumps(doc)))
    assert back.extra["faults"] == [{"type": "gap"}]
    assert back.to_dict()["detections"][0]["custom"] == "x"
    assert back.to_dict()["detections"][0]["shelf"] == 2


def test_of_kind_filters_without_mutating():
    photo = _photo()
    tags = dj.of_kind(photo.detections, keys.PRICE_TAG)
    assert len(tags) == 1 and len(photo.detections) == 5
    assert np.allclose(tags.xyxy[0], [12, 125, 48, 140])


def test_field_length_mismatch_is_rejected():
    with pytest.raises(ValueError, match="sku"):
        dj.make_detections([[0, 0, 1, 1]], sku=["a", "b"])


def test_empty_photo_round_trips():
    empty = dj.PhotoDetections("e.jpg", 10, 10)
    assert dj.loads(dj.dumps([empty]))[0].to_dict()["detections"] == []

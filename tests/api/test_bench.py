"""``bench api`` end to end on tiny settings (the figures themselves are in the README)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("api")


def test_bench_api_pushes_every_photo_and_prints_its_figures(tmp_path):
    from pipeline.api.bench import format_report, run_api_bench

    report = run_api_bench(photos=10, clients=2, width=320, inspections=0,
                           home=tmp_path / "home", log=lambda line: None)
    intake = report["intake"]
    assert intake["accepted"] == 10 and intake["other_status"] == []
    assert intake["photos_per_s"] > 0 and intake["server_cpu_ms_per_photo"] > 0
    assert intake["client_cpu_ms_per_photo"] >= 0 and intake["idle_bound_per_s"] > 0
    assert len(list((tmp_path / "home" / "inbox" / "s001").rglob("api-*.jpg"))) == 10
    text = format_report(report)
    assert "queued intake:" in text and "target >= 50/s" in text
    assert "server CPU per accepted photo" in text and "the clients'" in text

"""``bench cluster`` end to end on tiny settings (the figures themselves are in the README)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]  # one Ray cluster


def test_bench_cluster_measures_every_engine_and_labels_the_model(ray_cluster, pg_cluster):
    from pipeline.cluster.bench import ClusterBenchOptions, format_report, run_cluster_bench

    pg_url = pg_cluster.url(pg_cluster.create_database())
    options = ClusterBenchOptions(photos=4, width=320, inspector="fake",
                                  address=ray_cluster.address, db_photos=32, pg_url=pg_url)
    report = run_cluster_bench(options, log=lambda line: None)
    for engine in ("local", "ray1", "ray2"):
        assert report["engines"][engine]["photos_per_s"] > 0
    assert report["commits"]["postgresql_per_s"] > 0 and report["commits"]["sqlite_per_s"] > 0
    assert [row["nodes_for_240k"] >= 1 for row in report["scaling_model"]] == [True] * 4
    text = format_report(report)
    assert "a MODEL from the measured costs, not a measurement" in text
    assert "no GPU was measured" in text and "Ray overhead at 1 actor" in text

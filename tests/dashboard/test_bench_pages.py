"""The page-timing benchmark renders every page and reports seconds."""

from __future__ import annotations


def test_bench_pages_times_every_page(small_db, rules_copy):
    from pipeline.dashboard.bench_pages import bench_pages

    result = bench_pages(pages=("pages/overview.py", "pages/trends.py"), repeat=1)
    assert set(result) == {"overview", "trends"}
    for times in result.values():
        assert times["warm"] > 0 and times["cold"] > 0

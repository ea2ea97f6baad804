"""A local Ray cluster for the cluster tests (one per session; skips without Ray)."""

from __future__ import annotations

import os

import pytest

from tests.factories.raycluster import RayCluster, start_ray_cluster


@pytest.fixture(scope="session")
def ray_cluster() -> RayCluster:
    try:
        cluster = start_ray_cluster(num_cpus=2)
    except RuntimeError as exc:
        if os.environ.get("SHELFAUDIT_REQUIRE_RAY") == "1":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        cluster.stop()

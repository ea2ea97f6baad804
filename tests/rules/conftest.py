"""Fixtures for rule tests: build rules by type, judge a hand-made shelf, synthetic scenes."""

from __future__ import annotations

import pytest

from pipeline.rules.engine import evaluate
from pipeline.rules.types import rule_types
from tests.factories.shelves import Layout, without_shelf


@pytest.fixture
def rule():
    """``rule("min_facings", brand="crunchy", min=3)`` -> a validated rule (id from the type)."""

    def make(kind: str, **params):
        return rule_types()[kind].model_validate({"id": f"t-{kind}", "type": kind, **params})

    return make


@pytest.fixture
def judge(catalog):
    """``judge(layout, rule, planogram=True)`` -> the ComplianceResult (shelves inferred)."""

    def run(layout: Layout, *rules, planogram: bool = True, zones=()):
        return evaluate(without_shelf(layout.photo), rules, catalog,
                        layout.planogram if planogram else None, zones)

    return run


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory, catalog):
    """12 small synthetic scenes with twice the default fault rates (ground truth + faults)."""
    from pipeline.synth import FaultRates, write_dataset

    out = tmp_path_factory.mktemp("synth")
    write_dataset(catalog, out, scenes=12, seed=5, width=640,
                  fault_rates=FaultRates().scaled(2.0), progress=False)
    return out

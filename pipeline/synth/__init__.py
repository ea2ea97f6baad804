"""The synthetic shelf world: planograms, rendered shelf photos with exact ground truth.

Public API (used by training, tests, the demo and the benchmark)::

    scene = render_scene(catalog, seed=7, width=1280)
    scene.image, scene.truth, scene.planogram, scene.faults
    write_dataset(catalog, "data/synth", scenes=100, seed=1)
"""

from pipeline.synth.export import write_dataset
from pipeline.synth.faults import FAULT_TYPES, FaultRates, format_price
from pipeline.synth.planograms import make_planogram
from pipeline.synth.scene import Scene, render_scene

__all__ = ["FAULT_TYPES", "FaultRates", "Scene", "format_price", "make_planogram",
           "render_scene", "write_dataset"]

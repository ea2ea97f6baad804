"""Counting the reads of ``catalog.yaml`` and ``stores.yaml`` (tests of the edge context)."""

from __future__ import annotations

import sys
import traceback
from collections import Counter


def count_reads(monkeypatch) -> Counter:
    """How often ``load_catalog`` and ``load_sites`` run from now on, wherever they are called
    from (every module that holds them gets the counting wrapper); ``.callers`` says where
    each read came from."""
    from pipeline import catalog, sites

    counter: Counter = Counter()
    counter.callers = []  # where each read came from (for the failure message)
    originals = {"load_catalog": catalog.load_catalog, "load_sites": sites.load_sites}

    def counting(name):
        def wrapper(*args, **kwargs):
            counter[name] += 1
            here = traceback.extract_stack(limit=4)[-2]
            counter.callers.append(f"{name} from {here.filename}:{here.lineno} {here.name}")
            return originals[name](*args, **kwargs)
        return wrapper

    wrappers = {name: counting(name) for name in originals}
    for module in [m for m in list(sys.modules.values()) if getattr(m, "__name__", "")
                   .startswith("pipeline")]:
        for name, original in originals.items():
            if getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, wrappers[name])
    return counter

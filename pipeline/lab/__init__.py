"""Model work that is not inspection: training, tuning, evaluation and benchmarks.

Nothing under ``pipeline.lab`` is imported when photos are inspected; the CLI's ``train``,
``eval`` and ``bench`` commands load it on demand.
"""

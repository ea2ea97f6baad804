"""The camera inbox and its batch runs: photos in, inspections out.

:mod:`~pipeline.inbox.ingest` reads ``inbox/<store>/<camera>/`` (capture time, dedupe,
quarantine), :mod:`~pipeline.inbox.runner` claims photos and hands batches to an engine
(:mod:`~pipeline.inbox.engines`), which inspects them with :mod:`~pipeline.inbox.inspectors`;
:mod:`~pipeline.inbox.jobs` is one run as the scheduler and ``run-once`` start it.
"""

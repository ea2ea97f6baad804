"""The inspection store: database, camera inbox, batch runner, scheduler, weekly reports, demo.

Import submodules directly (``pipeline.store.db``, ``pipeline.store.tables`` ...); this package
imports nothing heavy.
"""

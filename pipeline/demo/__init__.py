"""The demo world: a synthetic chain inspected over weeks (:mod:`~pipeline.demo.build`), its
progress as the dashboard shows it, and ``bigdb``'s large history for speed tests."""

"""The weekly report: one builder (:mod:`~pipeline.reports.build`) returning one typed object
(:mod:`~pipeline.reports.model`) that the page, CSV / Excel (:mod:`~pipeline.reports.files`) and
PDF (:mod:`~pipeline.reports.pdf`) all render."""

"""The rules in force for one store at one time, from the rule files on disk: every text
recorded as a version (:mod:`~pipeline.rulebook.versions`), a broken file replaced by its last
good version, the book built by :func:`pipeline.rules.book.build`
(:mod:`~pipeline.rulebook.in_force`)."""

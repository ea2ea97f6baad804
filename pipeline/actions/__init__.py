"""What the pages, the API and the command line change: photos received, inspected and saved,
rule files edited, fixes marked, saved uploads excluded or deleted, reference photos added.

Each action takes the asker's :class:`~pipeline.access.scope.Scope`, checks it with
:func:`pipeline.access.roles.require` before it touches anything, and is audited. The read-only
side is :mod:`pipeline.queries`.
"""

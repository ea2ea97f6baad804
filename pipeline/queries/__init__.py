"""Read-only queries and small services behind the dashboard pages (no Streamlit here).

Each function takes a :class:`~pipeline.access.scope.Scope` and filters by it in SQL;
aggregates are computed in the database and returned as pandas DataFrames or small dataclasses.
"""

"""``shelfaudit bench load``: many dashboard sessions and API clients at once (Monday 8:00).

- :mod:`.wire` — a Streamlit client that speaks the browser's protocol (the app's websocket,
  ``BackMsg`` / ``ForwardMsg`` protobufs), so one process drives many sessions cheaply;
- :mod:`.servers` — the demo home and a ``streamlit run`` child process on a free port;
- :mod:`.sessions` — N sessions that sign in and open pages, timed;
- :mod:`.api_clients` — concurrent HTTP API clients pushing photos and pulling results;
- :mod:`.report` — the whole run and its figures.
"""

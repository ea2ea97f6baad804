"""The HTTP API for cameras and other systems (FastAPI, served by ``shelfaudit api``).

Photos in (:mod:`~pipeline.api.photos`), results out (:mod:`~pipeline.api.results`), health
and what-if checks (:mod:`~pipeline.api.system`); tokens, rate limits and audit in
:mod:`~pipeline.api.security`, errors as RFC 9457 problem details in
:mod:`~pipeline.api.problems`. The application is built by :func:`pipeline.api.app.create_app`.
The API renders what :mod:`pipeline.queries` returns, with the token's scope: it computes
nothing of its own.
"""

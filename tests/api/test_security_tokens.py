"""Tokens: made by admins on the command line and shown once, kept as SHA-256, revoked and
expired at once, limited per token with 429 + Retry-After, scoped (tried on a real server)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from pipeline.access.tables import ApiToken
from pipeline.access.tokens import TokenError, add_token, resolve
from pipeline.api.security import RateLimiter
from tests.api.conftest import push
from tests.factories.sites import jpeg_bytes

pytestmark = pytest.mark.xdist_group("api")


def _cli(*args: str):
    from pipeline.cli import app

    return CliRunner().invoke(app, list(args))


def _stored(name: str) -> ApiToken:
    from pipeline.db import session_scope

    with session_scope() as s:
        return s.scalar(select(ApiToken).where(ApiToken.name == name))


def test_tokens_cli_shows_a_token_once_and_keeps_only_its_hash(home):
    made = _cli("tokens", "add", "cam-s001-c01", "--store", "s001", "--scope",
                "photos:write,results:read", "--expires", "30", "--json")
    assert made.exit_code == 0, made.output
    shown = json.loads(made.output)
    token = shown["token"]
    assert token.startswith("sa_") and len(token) >= 40
    row = _stored("cam-s001-c01")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps([row.name, row.prefix, row.stores, row.scopes])
    assert row.stores == ["s001"] and row.scopes == ["photos:write", "results:read"]
    listed = _cli("tokens", "list")
    assert "cam-s001-c01" in listed.output and token not in listed.output
    assert "active" in listed.output and "s001" in listed.output
    revoked = _cli("tokens", "revoke", "cam-s001-c01")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert resolve(token) == (None, "token 'cam-s001-c01' was revoked")


@pytest.mark.parametrize("args, words", [
    (["--store", "s999", "--scope", "results:read"], "not in stores.yaml"),
    (["--store", "s001", "--scope", "everything"], "is not known"),
    (["--scope", "results:read"], "--all-stores"),
    (["--store", "s001", "--all-stores", "--scope", "results:read"], "not both"),
    (["--store", "s001", "--scope", "results:read", "--expires", "-1"], "positive"),
])
def test_tokens_cli_refuses_bad_input_in_one_line(home, args, words):
    result = _cli("tokens", "add", "x1", *args)
    assert result.exit_code != 0
    assert words in str(result.exception) + result.output


def test_a_token_name_is_used_once(home):
    add_token("once", ["s001"], ["results:read"], known_stores=["s001"])
    with pytest.raises(TokenError, match="exists already"):
        add_token("once", ["s001"], ["results:read"], known_stores=["s001"])


def test_a_revoked_token_is_refused_at_once(home, token, client):
    from pipeline.access.tokens import revoke_token

    value = token(scopes="results:read")
    http = client(value)
    assert http.get("/v1/inspections").status_code == 200
    revoke_token(resolve(value)[0].name)
    answer = http.get("/v1/inspections")
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_expired_token_is_refused(home, token, client):
    from pipeline.db import session_scope
    from pipeline.db.tables import utcnow

    value = token(scopes="results:read", expires_days=1)
    http = client(value)
    assert http.get("/v1/inspections").status_code == 200
    name = resolve(value)[0].name
    with session_scope() as s:  # a day later
        s.execute(update(ApiToken).where(ApiToken.name == name)
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = http.get("/v1/inspections")
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_unknown_and_missing_tokens_are_refused_and_audited(home, client):
    from pipeline.access.audit import audit_entries
    from tests.factories.accounts import make_user

    assert client("sa_not-a-token").get("/v1/inspections").status_code == 401
    answer = client(None).get("/v1/inspections")
    assert answer.status_code == 401 and "Authorization: Bearer" in answer.json()["detail"]
    rows = audit_entries(make_user("auditor", "admin"), action="api_auth_failed")
    assert len(rows) >= 2 and not rows["ok"].any()


def test_a_token_over_its_rate_gets_429_with_retry_after(token, client):
    http = client(token(scopes="results:read", rate=3))
    assert [http.get("/v1/inspections").status_code for _ in range(3)] == [200] * 3
    answer = http.get("/v1/inspections")
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["retry-after"]) <= 20
    assert answer.json()["retry_after"] == int(answer.headers["retry-after"])
    assert client(token(scopes="results:read")).get("/v1/inspections").status_code == 200


def test_a_token_may_do_only_what_its_scopes_say(token, client):
    reader = client(token(scopes="results:read"))
    answer = push(reader, jpeg_bytes(7, (320, 240)))
    assert answer.status_code == 403 and "photos:write" in answer.json()["detail"]
    pusher = client(token(scopes="photos:write"))
    assert pusher.get("/v1/inspections").status_code == 403
    assert pusher.post("/v1/rules/check", json={"detections": {"photos": []}}
                       ).status_code == 403


def test_rate_limiter_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.take("t", 2) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("t", 2) == pytest.approx(30.0)
    now[0] = 30.0
    assert limiter.take("t", 2) == 0.0
    assert limiter.take("other", 2) == 0.0


def test_rate_limiter_forgets_refilled_buckets_when_there_are_many():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0], max_keys=3)
    for i in range(5):
        limiter.take(f"ip:{i}", 60)
    now[0] = 60.0
    limiter.take("ip:new", 60)
    assert len(limiter._buckets) <= 2

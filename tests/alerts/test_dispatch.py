"""Alerts and digests arrive at a real SMTP server and a real HTTP receiver on 127.0.0.1, in the
store's language; quiet hours hold them, duplicates and the hourly limit are suppressed, a
failing receiver is retried and recorded as failed without stopping anything."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import datetime

import pytest
from sqlalchemy import select

from pipeline import db
from pipeline.alerts import dispatch, tables
from tests.factories.runs import COLA_GAP, FACINGS, LYING, NO_TAG, run, sites

# store-local (Asia/Shanghai) 10:00 and 02:00 on Tue 2026-11-17, as naive UTC
DAYTIME = datetime(2026, 11, 17, 2, 0)
NIGHT = datetime(2026, 11, 16, 18, 0)
TAKEN = datetime(2026, 11, 16, 18, 0)  # the nightly photo, 02:00 store time
ZH_COLA, EN_COLA = "可乐可 可乐 330毫升 罐装", "ColaCo Cola 330ml can"


@pytest.fixture
def store_db(db_url, alert_rules):
    db.upgrade()
    yield sites()
    db.dispose_engines()


def messages(status: str | None = None) -> list[tables.AlertMessage]:
    with db.session_scope() as s:
        query = select(tables.AlertMessage).order_by(tables.AlertMessage.id)
        rows = list(s.scalars(query))
        for r in rows:
            r.problem_keys = sorted(i.problem_key for i in r.items)
    return [r for r in rows if status is None or r.status == status]


def test_an_alert_arrives_by_mail_and_json_in_the_stores_language(store_db, smtp_server,
                                                                  http_receiver):
    inbox, _port = smtp_server
    receiver, _url = http_receiver
    run_id = run("s001", [("c01", TAKEN, [COLA_GAP, LYING]), ("c02", TAKEN, [])])
    sent = dispatch.after_run(store_db.store("s001"), store_db.smtp, run_id, now=DAYTIME)

    assert [(s.channel, s.status, s.problems) for s in sent] == [("email", "sent", 1),
                                                                ("json", "sent", 1)]
    (mail,) = inbox.messages
    assert mail["To"] == "zhang.wei@example.com"
    assert "Riverside" in mail["Subject"] and "新问题" in mail["Subject"]
    body = mail.get_content()
    assert ZH_COLA in body and EN_COLA not in body
    assert "第 2 层" in body and "（高）" in body  # shelf and severity in Chinese
    assert "倒放" not in body and "lying" not in body  # medium: not pushed at once (high)
    assert inbox.logins == [("alerts@shelfaudit.test", "smtp-secret-1234")]  # from the env
    (payload,) = receiver.bodies("/json")
    assert payload["kind"] == "alert" and payload["language"] == "zh"
    assert [(p["rule"], p["severity"], p["product"], p["shelf"]) for p in payload["problems"]] \
        == [("cola-gap", "high", ZH_COLA, 2)]
    rows = messages()
    assert [(r.channel, r.status, r.attempts, r.problem_keys) for r in rows] == [
        ("email", "sent", 1, ["c01|cola-gap|colaco-cola-330|2"]),
        ("json", "sent", 1, ["c01|cola-gap|colaco-cola-330|2"])]
    assert rows[1].target == "127.0.0.1"  # the host, never the URL with its token


def test_webhook_payload_shapes_wecom_dingtalk_slack(store_db, http_receiver):
    receiver, _url = http_receiver
    run_id = run("s002", [("c01", TAKEN, [NO_TAG, LYING, FACINGS])])
    sent = dispatch.after_run(store_db.store("s002"), store_db.smtp, run_id, now=DAYTIME)

    assert [(s.channel, s.status, s.problems) for s in sent] == [
        ("wecom", "sent", 2), ("dingtalk", "sent", 2), ("slack", "sent", 2)]
    (wecom,) = receiver.bodies("/wecom")
    assert wecom["msgtype"] == "markdown"
    assert wecom["markdown"]["content"].startswith("### ShelfAudit · Harbour Road: 2 new "
                                                   "problems")
    assert "ColaCo Zero 330ml can: no price tag (high)" in wecom["markdown"]["content"]
    assert "too few facings" not in wecom["markdown"]["content"]  # low < immediate: medium
    (ding_request,) = [r for r in receiver.requests if r["path"].startswith("/dingtalk")]
    ding = ding_request["json"]
    assert ding["msgtype"] == "markdown" and ding["markdown"]["title"].startswith("ShelfAudit")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(ding_request["path"]).query)
    stamp, secret = query["timestamp"][0], "SECding-secret"
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["ding-token"]
    (slack,) = receiver.bodies("/slack")
    assert set(slack) == {"text"}
    assert "ColaCo Cola 330ml can is lying down on shelf 1 — stand it upright (medium)" in \
        slack["text"]


def test_quiet_hours_hold_alerts_and_the_digest_carries_them(store_db, smtp_server,
                                                             http_receiver):
    inbox, _port = smtp_server
    receiver, _url = http_receiver
    run_id = run("s001", [("c01", TAKEN, [COLA_GAP, LYING])])
    sent = dispatch.after_run(store_db.store("s001"), store_db.smtp, run_id, now=NIGHT)

    assert [s.status for s in sent] == ["quiet", "quiet"]
    assert inbox.messages == [] and receiver.requests == []
    assert [r.status for r in messages()] == ["quiet", "quiet"]
    # 07:30 store time: the digest lists the problem that waited
    digest = dispatch.send_digest(store_db.store("s001"), store_db.smtp,
                                  now=datetime(2026, 11, 16, 23, 30))
    assert [(s.channel, s.status) for s in digest] == [("email", "sent"), ("json", "sent")]
    (mail,) = inbox.messages
    assert "晨报" in mail["Subject"] and ZH_COLA in mail.get_content()
    # the engine's wording said in Chinese with the catalog's Chinese name
    assert f"{ZH_COLA} 在第 1 层倒放 — 请扶正（中）" in mail.get_content()
    (payload,) = receiver.bodies("/json")
    assert payload["kind"] == "digest" and payload["open"] == {"high": 1, "medium": 1, "low": 0}
    assert [p["text"] for p in payload["problems"]][1] == f"{ZH_COLA} 在第 1 层倒放 — 请扶正"


def test_the_same_problem_is_not_alerted_twice(store_db, smtp_server):
    inbox, _port = smtp_server
    store = store_db.store("s001")
    first = run("s001", [("c01", TAKEN, [COLA_GAP])])
    assert [s.status for s in dispatch.after_run(store, store_db.smtp, first, now=DAYTIME)] \
        == ["sent", "sent"]
    # the same run again, and the next night's photo still showing the gap: nothing new
    assert dispatch.after_run(store, store_db.smtp, first, now=DAYTIME) == []
    second = run("s001", [("c01", datetime(2026, 11, 17, 18, 0), [COLA_GAP, NO_TAG])])
    later = datetime(2026, 11, 18, 2, 0)
    sent = dispatch.after_run(store, store_db.smtp, second, now=later)
    assert [(s.status, s.problems) for s in sent] == [("sent", 1), ("sent", 1)]
    assert len(inbox.messages) == 2
    newer = inbox.messages[1].get_content()
    assert "no price tag" in newer and ZH_COLA not in newer  # only the new missing price tag


def test_the_hourly_limit_holds_further_alerts(store_db, smtp_server):
    inbox, _port = smtp_server
    store = store_db.store("s001")  # max_per_hour: 2
    statuses = []
    for i, problem in enumerate([COLA_GAP, NO_TAG, ("shelf-3", "high", None, 3, "gap")]):
        run_id = run("s001", [("c02", datetime(2026, 11, 16, 18 + i, 0), [problem])])
        sent = dispatch.after_run(store, store_db.smtp, run_id,
                                  now=datetime(2026, 11, 17, 2, 10 * i))
        statuses.append([s.status for s in sent])
    assert statuses == [["sent", "sent"], ["sent", "sent"], ["rate_limited", "rate_limited"]]
    assert len(inbox.messages) == 2


def test_a_failing_receiver_is_retried_then_recorded_as_failed(store_db, smtp_server,
                                                               http_receiver):
    inbox, _port = smtp_server
    receiver, _url = http_receiver
    receiver.replies = [(500, "down")] * 3
    store = store_db.store("s001")  # retries: 3
    run_id = run("s001", [("c01", TAKEN, [COLA_GAP])])
    sent = dispatch.after_run(store, store_db.smtp, run_id, now=DAYTIME)

    assert [(s.channel, s.status, s.attempts) for s in sent] == [("email", "sent", 1),
                                                                ("json", "failed", 3)]
    assert len(receiver.bodies("/json")) == 3 and len(inbox.messages) == 1
    failed = messages("failed")[0]
    assert failed.attempts == 3 and "HTTP 500" in failed.error
    # a passing failure: the second try gets through
    receiver.replies = [(503, "busy")]
    again = run("s001", [("c02", TAKEN, [NO_TAG])])
    sent = dispatch.after_run(store, store_db.smtp, again, now=DAYTIME)
    assert [(s.channel, s.status, s.attempts) for s in sent] == [("email", "sent", 1),
                                                                ("json", "sent", 2)]


def test_a_client_error_is_not_retried_and_a_missing_variable_is_said(store_db, http_receiver,
                                                                      monkeypatch):
    receiver, _url = http_receiver
    receiver.replies = [(400, '{"errcode": 93000, "errmsg": "invalid webhook url"}')]
    monkeypatch.delenv("TEST_DINGTALK_SECRET")
    run_id = run("s002", [("c01", TAKEN, [NO_TAG])])
    sent = {s.channel: s for s in dispatch.after_run(store_db.store("s002"), store_db.smtp,
                                                     run_id, now=DAYTIME)}
    assert (sent["wecom"].status, sent["wecom"].attempts) == ("failed", 1)
    assert "HTTP 400" in sent["wecom"].error
    assert (sent["dingtalk"].status, sent["dingtalk"].attempts) == ("failed", 0)
    assert "TEST_DINGTALK_SECRET" in sent["dingtalk"].error
    assert sent["slack"].status == "sent"


def test_a_robot_error_code_fails_the_message(store_db, http_receiver):
    receiver, _url = http_receiver
    receiver.replies = [(200, '{"errcode": 310000, "errmsg": "keywords not in content"}')]
    run_id = run("s002", [("c01", TAKEN, [NO_TAG])])
    sent = dispatch.after_run(store_db.store("s002"), store_db.smtp, run_id, now=DAYTIME)
    assert (sent[0].channel, sent[0].status) == ("wecom", "failed")
    assert "310000" in sent[0].error


def test_uploads_and_demo_runs_do_not_alert(store_db, smtp_server):
    inbox, _port = smtp_server
    run_id = run("s001", [("c01", TAKEN, [COLA_GAP])], captured_from="upload")
    assert dispatch.after_run(store_db.store("s001"), store_db.smtp, run_id, now=DAYTIME) == []
    assert dispatch.after_run(store_db.store("s003"), store_db.smtp, run_id, now=DAYTIME) == []
    assert inbox.messages == []


def test_the_digest_goes_once_a_day_in_english_for_an_english_store(store_db, http_receiver):
    receiver, _url = http_receiver
    run("s002", [("c01", TAKEN, [NO_TAG, FACINGS])])
    store = store_db.store("s002")
    morning = datetime(2026, 11, 16, 23, 30)
    first = dispatch.send_digest(store, store_db.smtp, now=morning)
    again = dispatch.send_digest(store, store_db.smtp, now=morning.replace(minute=45))
    assert [(s.channel, s.status) for s in first] == [("wecom", "sent"), ("dingtalk", "sent")]
    assert [s.status for s in again] == ["already_sent", "already_sent"]  # slack: digest off
    (wecom,) = receiver.bodies("/wecom")
    text = wecom["markdown"]["content"]
    assert "morning digest, Tue, Nov 17, 2026" in text
    assert "open problems: 1 high, 0 medium, 1 low" in text
    assert "ColaCo Zero 330ml can: no price tag (high)" in text


def test_a_scheduled_run_pushes_its_alerts_and_a_dead_receiver_does_not_stop_it(
        store_db, alert_rules, smtp_server, http_receiver, monkeypatch):
    """The scheduler's own job: photos in the inbox, the fake inspector, the real rules."""
    from pipeline.db import tables as store_tables
    from pipeline.schedule import scheduler as sched
    from pipeline.settings import get_settings
    from tests.factories.sites import drop_photos

    inbox, _port = smtp_server
    stores = alert_rules / "stores.yaml"  # no quiet hours: the test runs at any time of day
    stores.write_text(stores.read_text().replace('      quiet_hours: "22:00-07:00"\n', ""))
    monkeypatch.setenv("TEST_JSON_URL", f"http://127.0.0.1:{_closed_port()}/json")
    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")
    drop_photos(get_settings().home_dir, "s001", "c01", 2)
    sched.scheduled_inspection("s001")

    with db.session_scope() as s:
        job = s.scalars(select(store_tables.JobRun)).one()
        highs = s.scalars(select(store_tables.Violation.id).where(
            store_tables.Violation.severity == "high")).all()
    assert job.status == store_tables.OK and job.counts["inspected"] == 2
    assert highs, "the fake inspector's photos break a high-severity rule"
    rows = messages()
    assert [(r.channel, r.status, r.job_run_id) for r in rows] == [
        ("email", "sent", job.id), ("json", "failed", job.id)]
    assert rows[1].attempts == 3 and "ConnectError" in rows[1].error
    (mail,) = inbox.messages
    assert "Riverside" in mail["Subject"]


def _closed_port() -> int:
    from tests.alerts.conftest import free_port

    return free_port()  # bound and released: nobody listens there


def test_the_scheduler_sends_the_digest_at_the_stores_morning_time(store_db, smtp_server):
    from datetime import UTC, time
    from zoneinfo import ZoneInfo

    from pipeline.db import tables as store_tables
    from pipeline.schedule import scheduler as sched

    inbox, _port = smtp_server
    scheduler = sched.build_scheduler()
    scheduler.start(paused=True)
    try:
        ids = sched.configure(scheduler, store_db.stores)
        fire = scheduler.get_job("digest:s001").trigger.get_next_fire_time(
            None, datetime(2026, 11, 16, 12, 0, tzinfo=UTC))
    finally:
        scheduler.shutdown(wait=False)
    assert fire.astimezone(ZoneInfo("Asia/Shanghai")).time() == time(7, 30)
    assert "digest:s002" in ids and "digest:s003" not in ids  # s003 has no alerts
    sched.scheduled_digest("s001")
    with db.session_scope() as s:
        job = s.scalars(select(store_tables.JobRun)).one()
    assert (job.job, job.status, job.counts) == ("digest", "ok", {"sent": 2, "failed": 0})
    assert len(inbox.messages) == 1 and "晨报" in inbox.messages[0]["Subject"]

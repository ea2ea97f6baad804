"""``shelfaudit alerts test`` and ``alerts log`` as a user runs them: a real process, a real SMTP
server and HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO


def shelfaudit(*args: str, lang: str = "en") -> subprocess.CompletedProcess:
    env = {**os.environ, "SHELFAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_alerts_test_sends_to_every_channel_and_says_what_happened(alert_rules, smtp_server,
                                                                   http_receiver):
    inbox, _port = smtp_server
    receiver, _url = http_receiver
    done = shelfaudit("alerts", "test", "--store", "s001")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "email → zhang.wei@example.com: sent (1 try)", "json → 127.0.0.1: sent (1 try)"]
    (mail,) = inbox.messages
    assert mail["Subject"] == "ShelfAudit · Riverside：测试消息"  # the store's language: zh
    (payload,) = receiver.bodies("/json")
    assert payload["kind"] == "test" and "Riverside" in payload["text"]
    log = shelfaudit("alerts", "log", "--store", "s001", "--json")
    assert [(r["kind"], r["channel"], r["status"]) for r in json.loads(log.stdout)] == [
        ("test", "json", "sent"), ("test", "email", "sent")]


def test_alerts_test_reports_a_failing_channel_with_exit_code_1(alert_rules, http_receiver):
    receiver, _url = http_receiver
    receiver.replies = [(502, "bad gateway")] * 3
    done = shelfaudit("alerts", "test", "--store", "s002", lang="zh")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "wecom → 127.0.0.1：失败（尝试 3 次） — HTTP 502: bad gateway"
    assert lines[1:] == ["dingtalk → 127.0.0.1：已发送（尝试 1 次）",
                         "slack → 127.0.0.1：已发送（尝试 1 次）"]


def test_alerts_test_needs_a_store_with_alerts(alert_rules):
    done = shelfaudit("alerts", "test", "--store", "s003")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == ("error: store s003 has no alerts: block in stores.yaml "
                                   "(see the README, Alerts)")
    unknown = shelfaudit("alerts", "test", "--store", "s009")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "error: unknown store s009; stores.yaml has s001, s002, s003"

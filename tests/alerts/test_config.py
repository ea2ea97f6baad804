"""The alerts: and smtp: blocks of stores.yaml: valid files load, a broken entry is named with
file and line, secrets written into the file are refused."""

from __future__ import annotations

import shutil
from datetime import time

import pytest

from pipeline.alerts.config import AlertSettings
from pipeline.rules.config import errors_only, validate
from tests.conftest import REPO

HEAD = """\
version: 1
smtp: {host: mail.example.com, sender: shelfaudit@example.com}
stores:
  - id: s001
    name: Riverside
    timezone: Asia/Shanghai
    alerts:
"""
TAIL = """\
    cameras:
      - {id: c01, name: Drinks aisle, planogram: beverages-a}
"""
GOOD = """\
      digest: "07:30"
      channels:
        - {type: email, to: [a@example.com]}
"""


def folder_with(tmp_path, alerts: str, head: str = HEAD):
    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    (folder / "stores.yaml").write_text(head + alerts + TAIL, encoding="utf-8")
    return folder


def stores_errors(folder) -> list:
    """Errors in stores.yaml (the shipped rule sets also name zones of other cameras)."""
    return [p for p in errors_only(validate(folder=folder)) if p.file.endswith("stores.yaml")]


def test_a_store_with_alerts_and_the_shipped_file_are_valid(tmp_path):
    assert stores_errors(folder_with(tmp_path, GOOD)) == []
    assert errors_only(validate(folder=REPO / "rules")) == []


@pytest.mark.parametrize(("alerts", "line", "expected"), [
    ('      digest: "7.30"\n      channels: [{type: email, to: [a@example.com]}]\n', 8,
     "'7.30' is not a time of day like 07:30"),
    ("      channels:\n        - {type: wecom, url: 'https://qyapi.weixin.qq.com/x?key=abc'}\n",
     9, "webhook URL (it carries the access token) must not be written in stores.yaml"),
    ("      channels:\n        - {type: telegram, url_env: TG}\n", 9, "'email', 'wecom'"),
    ("      channels:\n        - {type: wecom}\n", 9, "needs 'url_env'"),
    ("      channels:\n        - {type: email, to: [not-an-address]}\n", 9,
     "'not-an-address' is not an e-mail address"),
    ("      immediate: critical\n      channels: [{type: email, to: [a@example.com]}]\n", 8,
     "'high', 'medium', 'low' or 'off'"),
    ('      quiet_hours: "22:00"\n      channels: [{type: email, to: [a@example.com]}]\n', 8,
     "should be 'HH:MM-HH:MM'"),
    ("      channels: []\n", 8, "at least 1 item"),
    ("      channels:\n        - {type: email, to: [a@example.com], name: x}\n"
     "        - {type: slack, url_env: S, name: x}\n", 7, "channel name 'x' is used twice"),
])
def test_a_broken_alerts_entry_is_named_with_file_and_line(tmp_path, alerts, line, expected):
    problems = stores_errors(folder_with(tmp_path, alerts))
    assert problems, alerts
    text = str(problems[0])
    assert text.startswith(f"{tmp_path / 'rules' / 'stores.yaml'}:{line}:"), text
    assert expected in text, text


def test_an_email_channel_without_a_mail_server_is_named(tmp_path):
    head = HEAD.replace("smtp: {host: mail.example.com, sender: shelfaudit@example.com}\n", "")
    (problem,) = stores_errors(folder_with(tmp_path, GOOD, head))
    assert problem.line == 9 and "add an 'smtp:' block" in problem.message


def test_the_smtp_password_must_come_from_the_environment(tmp_path):
    head = HEAD.replace("sender: shelfaudit@example.com}",
                        "sender: shelfaudit@example.com, password: hunter2}")
    (problem,) = stores_errors(folder_with(tmp_path, GOOD, head))
    assert problem.line == 2 and "password_env" in problem.message


def test_a_language_other_than_zh_or_en_is_refused(tmp_path):
    head = HEAD.replace("    alerts:\n", "    language: fr\n    alerts:\n")
    (problem,) = stores_errors(folder_with(tmp_path, GOOD, head))
    assert problem.line == 7 and "unknown language 'fr'" in problem.message


def test_scheduled_runs_refuse_a_broken_stores_file_with_its_line(tmp_path, monkeypatch):
    from pipeline import db
    from pipeline.settings import get_settings
    from pipeline.sites import load_sites
    from pipeline.yamldoc import YamlFileError

    folder = folder_with(tmp_path, "      channels:\n        - {type: json}\n")
    monkeypatch.setenv("SHELFAUDIT_RULES", str(folder))
    get_settings.cache_clear()
    db.upgrade()
    try:
        with pytest.raises(YamlFileError) as caught:
            load_sites()
    finally:
        db.dispose_engines()
    assert "stores.yaml:9:" in str(caught.value.problems[0])


@pytest.mark.parametrize(("quiet", "now", "held"), [
    ("22:00-07:00", time(23, 0), True), ("22:00-07:00", time(6, 59), True),
    ("22:00-07:00", time(7, 0), False), ("22:00-07:00", time(12, 0), False),
    ("12:00-14:00", time(13, 0), True), ("12:00-14:00", time(14, 0), False),
    (None, time(3, 0), False),
])
def test_quiet_hours_on_the_store_clock_wrap_past_midnight(quiet, now, held):
    settings = AlertSettings(quiet_hours=quiet, channels=[{"type": "slack", "url_env": "S"}])
    assert settings.is_quiet(now) is held


def test_channel_labels_and_pushed_severities():
    settings = AlertSettings(immediate="medium", channels=[
        {"type": "slack", "url_env": "A"}, {"type": "slack", "url_env": "B"},
        {"type": "email", "to": "x@example.com", "name": "ops"}])
    assert settings.labels() == ["slack-1", "slack-2", "ops"]
    assert settings.severities() == ("medium", "high")
    assert AlertSettings(immediate="off", channels=[{"type": "json", "url_env": "J"}]) \
        .severities() == ()


def test_the_readme_example_is_a_valid_stores_file():
    import re

    from pipeline import yamldoc
    from pipeline.rules.schema import StoresFile

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- alerts-example:[^>]*-->\n```yaml\n(.*?)```", readme, re.S).group(1)
    stores = StoresFile.model_validate(yamldoc.to_plain(yamldoc.loads(block, "README.md")))
    alerts = stores.stores[0].alerts
    assert [c.type for c in alerts.channels] == ["email", "wecom", "dingtalk", "slack", "json"]
    assert (alerts.digest_time, stores.smtp.port_in_use) == (time(7, 30), 587)

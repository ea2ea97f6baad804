"""Real receivers on 127.0.0.1 for the alert tests: an SMTP server (aiosmtpd) and an HTTP
receiver (http.server in a thread), and a rules folder whose stores.yaml points at them."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import REPO

SMTP_USER, SMTP_PASSWORD = "alerts@shelfaudit.test", "smtp-secret-1234"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailInbox:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.envelopes.append(envelope)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN201
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append((login, password))
            return AuthResult(success=(login, password) == (SMTP_USER, SMTP_PASSWORD))
        return AuthResult(success=False)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.original_content, policy=email.policy.default)
                for e in self.envelopes]


@pytest.fixture
def smtp_server() -> Iterator[tuple[MailInbox, int]]:
    """A real SMTP server on 127.0.0.1 (plain, AUTH LOGIN/PLAIN allowed without TLS)."""
    from aiosmtpd.controller import Controller

    inbox = MailInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port,
                            authenticator=inbox.authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Receiver:
    """What the HTTP receiver was sent, and what it answers next."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.replies: list[tuple[int, str]] = []  # answered first, in order
        self.default = (200, json.dumps({"errcode": 0, "errmsg": "ok"}))
        self.lock = threading.Lock()

    def bodies(self, path_start: str = "/") -> list[dict]:
        return [r["json"] for r in self.requests if r["path"].startswith(path_start)]


@pytest.fixture
def http_receiver() -> Iterator[tuple[Receiver, str]]:
    """An HTTP server on 127.0.0.1 that records JSON POSTs; yields (receiver, base URL)."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size)
            with receiver.lock:
                receiver.requests.append({"path": self.path, "json": json.loads(raw or b"null"),
                                          "headers": dict(self.headers)})
                status, body = receiver.replies.pop(0) if receiver.replies else receiver.default
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


STORES_YAML = """\
version: 1
smtp:
  host: 127.0.0.1
  port: {smtp_port}
  security: none
  username: {user}
  password_env: TEST_SMTP_PASSWORD
  sender: ShelfAudit <{user}>
stores:
  - id: s001
    name: Riverside
    timezone: Asia/Shanghai
    schedule: "0 2 * * *"
    language: zh
    alerts:
      immediate: high
      digest: "07:30"
      quiet_hours: "22:00-07:00"
      max_per_hour: 2
      retries: 3
      retry_wait_s: 0.05
      channels:
        - {{type: email, to: [zhang.wei@example.com]}}
        - {{type: json, url_env: TEST_JSON_URL}}
    cameras:
      - {{id: c01, name: Drinks aisle, planogram: beverages-a}}
      - {{id: c02, name: Snacks bay, planogram: snacks-a}}
  - id: s002
    name: Harbour Road
    timezone: Asia/Shanghai
    schedule: {{every_hours: 6}}
    language: en
    alerts:
      immediate: medium
      retry_wait_s: 0.05
      channels:
        - {{type: wecom, url_env: TEST_WECOM_URL}}
        - {{type: dingtalk, url_env: TEST_DINGTALK_URL, secret_env: TEST_DINGTALK_SECRET}}
        - {{type: slack, url_env: TEST_SLACK_URL, digest: false}}
    cameras:
      - {{id: c01, name: Drinks aisle, planogram: beverages-a}}
  - id: s003
    name: Old Town
    timezone: Asia/Hong_Kong
    cameras:
      - {{id: c01, name: Drinks wall, planogram: beverages-b}}
"""


@pytest.fixture
def alert_rules(tmp_path, monkeypatch, smtp_server, http_receiver) -> Path:
    """A rules folder whose stores.yaml sends s001's alerts (Chinese) to the SMTP server and
    the JSON receiver, s002's (English) to WeCom / DingTalk / Slack shaped receivers."""
    from pipeline.settings import get_settings

    _, smtp_port = smtp_server
    _, base = http_receiver
    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    (folder / "stores.yaml").write_text(STORES_YAML.format(smtp_port=smtp_port, user=SMTP_USER),
                                        encoding="utf-8")
    monkeypatch.setenv("SHELFAUDIT_RULES", str(folder))
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    for name, path in [("TEST_JSON_URL", "/json"), ("TEST_WECOM_URL", "/wecom?key=wecom-key"),
                       ("TEST_DINGTALK_URL", "/dingtalk?access_token=ding-token"),
                       ("TEST_SLACK_URL", "/slack/T000/B000/xyz")]:
        monkeypatch.setenv(name, base + path)
    monkeypatch.setenv("TEST_DINGTALK_SECRET", "SECding-secret")
    get_settings.cache_clear()
    return folder

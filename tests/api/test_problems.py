"""Problem details in the request's language (``Accept-Language``: Chinese for ``zh``, else
English, whatever the server's own locale), and ``shelfaudit tokens`` in the language of
``SHELFAUDIT_LANG`` / ``LANG`` like every other command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.api.conftest import inbox_files, push
from tests.factories import samples as s

pytestmark = pytest.mark.xdist_group("api")
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def _problem(answer) -> dict:
    assert answer.headers["content-type"] == "application/problem+json"
    return answer.json()


@pytest.mark.parametrize("header, title, words", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "未登录", "未知的令牌"),
    ("zh", "未登录", "未知的令牌"),
    ("fr-FR, en;q=0.5", "Not signed in", "unknown token"),
    ("de", "Not signed in", "unknown token"),  # no Chinese asked for: English
])
def test_a_refused_token_is_explained_in_the_requests_language(client, header, title, words):
    answer = client("sa_not-a-token").get("/v1/inspections",
                                          headers={"Accept-Language": header})
    problem = _problem(answer)
    assert answer.status_code == 401 and problem["status"] == 401
    assert (problem["title"], problem["detail"]) == (title, words)
    assert problem["type"] == "tag:shelfaudit,2026:problem:unauthorized"  # same in any language


def test_a_hostile_upload_is_refused_in_chinese_and_nothing_is_written(home, token, client):
    before = inbox_files(home)
    http = client(token())
    answer = http.post("/v1/photos", headers=CHINESE, data={"store": "s001", "camera": "c01"},
                       files={"photo": ("shelf.jpg", s.HTML, "image/jpeg")})
    problem = _problem(answer)
    assert answer.status_code == 415 and problem["title"] == "不支持的媒体类型"
    assert problem["detail"] == "shelf.jpg：HTML/文本文档——请上传 JPEG、PNG 或 WebP 照片"
    assert inbox_files(home) == before
    english = push(http, s.HTML)
    assert english.json()["detail"] == ("shelf.jpg: an HTML/text document — upload a JPEG, "
                                        "PNG or WebP photo")


def test_scope_fields_and_routes_are_refused_in_chinese(token, client):
    reader = client(token(scopes="results:read"))
    missing = reader.post("/v1/photos", headers=CHINESE, data={"store": "s001"})
    assert _problem(missing)["detail"].startswith("令牌 ") and "没有权限" in missing.json()[
        "detail"] and "photos:write" in missing.json()["detail"]
    other = reader.get("/v1/stores/s002/weeks/2026-W46", headers=CHINESE)
    assert other.status_code == 403 and _problem(other)["detail"] == "门店 's002' 不是您的门店"
    bad = reader.get("/v1/inspections", params={"limit": "many"}, headers=CHINESE)
    assert bad.status_code == 422 and _problem(bad)["detail"] == "query.limit：此值必须是整数"
    assert bad.json()["errors"][0]["message"] == "此值必须是整数"
    garbled = client(token()).post("/v1/photos", content=b"not multipart", headers={
        **CHINESE, "content-type": "multipart/form-data; boundary=x"})
    assert garbled.status_code == 400
    assert _problem(garbled)["detail"] == "无法读取请求（Invalid multipart data.）"  # the parser's
    nowhere = reader.get("/v1/nowhere", headers=CHINESE)
    assert nowhere.status_code == 404 and _problem(nowhere)["title"] == "未找到"
    assert "/v1/nowhere 不是此 API 的端点" in nowhere.json()["detail"]


def _cli(*args: str, lang: str):
    from pipeline.cli import app

    return CliRunner().invoke(app, list(args), env={"SHELFAUDIT_LANG": lang, "LANG": ""})


def test_tokens_cli_speaks_the_language_of_the_environment(home):
    made = _cli("tokens", "add", "zh-cam-1", "--store", "s001", "--scope", "results:read",
                lang="zh")
    assert made.exit_code == 0, made.output
    assert "只显示这一次" in made.output and "门店：s001；权限：results:read" in made.output
    listed = _cli("tokens", "list", lang="zh")
    assert "zh-cam-1" in listed.output and "有效" in listed.output and "到期 从不" in listed.output
    bad = _cli("tokens", "add", "zh-cam-2", "--store", "s001", "--scope", "everything",
               lang="zh")
    assert bad.exit_code != 0 and "未知的权限范围 'everything'" in str(bad.exception)
    revoked = _cli("tokens", "revoke", "zh-cam-1", lang="zh")
    assert "令牌 'zh-cam-1' 已于" in revoked.output and "撤销" in revoked.output
    english = _cli("tokens", "list", "--json", lang="en")
    assert [t["status"] for t in json.loads(english.output)["tokens"]
            if t["name"] == "zh-cam-1"] == ["revoked"]  # JSON keeps its machine words
    assert "revoked" in _cli("tokens", "list", lang="en").output

"""Hostile uploads over HTTP get the Upload page's refusals (tests/hostile's samples), as RFC
9457 problem details with the right status code; each is audited and nothing is written."""

from __future__ import annotations

import pytest

from pipeline import uploads as intake
from tests.api.conftest import inbox_files, push
from tests.factories import samples as s
from tests.hostile.test_images import REFUSED

pytestmark = pytest.mark.xdist_group("api")

STATUS = {  # the Upload page's refusal -> the HTTP status it becomes
    "zero-byte": 422, "truncated-jpeg": 422, "truncated-png": 422, "huge-dimensions": 422,
    "big-dimensions": 422, "tiff-bomb": 415, "html-as-jpg": 415, "svg-with-script": 415,
    "zip-as-jpg": 415, "gif-animation": 415, "webp-animation": 422, "png-animation": 422,
    "one-pixel": 422, "over-size-limit": 413,
}


def _audited_refusals(actor: str) -> list[str]:
    from pipeline.access.audit import audit_entries
    from tests.factories.accounts import make_user

    rows = audit_entries(make_user("auditor", "admin"), action="upload_refused", actor=actor)
    return list(rows["target"])


def _actor(value: str) -> str:
    from pipeline.access.tokens import resolve

    return resolve(value)[0].actor


def test_every_refusal_has_a_status():
    assert {case[0] for case in REFUSED} == set(STATUS)


@pytest.mark.parametrize("case, make, name, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_hostile_upload_is_refused_audited_and_nothing_is_written(home, token, client, case,
                                                                  make, name, words):
    value = token()
    before = inbox_files(home)
    answer = push(client(value), make(), name=name)
    assert answer.status_code == STATUS[case], answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert words in problem["detail"] and problem["status"] == STATUS[case]
    assert problem["type"].startswith("tag:shelfaudit,") and problem["title"]
    assert "Traceback" not in answer.text
    assert inbox_files(home) == before  # no photo, no temporary file
    assert len(_audited_refusals(_actor(value))) == 1


@pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "a\x00b.jpg", "\u202egpj.exe",
                                  "x" * 5000 + ".jpg", "C:\\Windows\\evil.jpg"])
def test_awkward_file_names_cannot_choose_where_the_photo_goes(home, token, client, name):
    before = inbox_files(home)
    answer = push(client(token()), s.jpeg((64, 48)) + name.encode()[:1], name=name,
                  camera="c04")
    if answer.status_code == 400:  # a part header too long for the multipart parser
        assert answer.headers["content-type"] == "application/problem+json"
        assert inbox_files(home) == before
        return
    assert answer.status_code in (200, 202), answer.text
    sha = answer.json()["sha256"]
    written = [p for p in inbox_files(home) if sha[:16] in p.name]
    assert len(written) <= 1
    for path in written:
        assert path.parent == home / "inbox" / "s001" / "c04"
        assert path.name.startswith("api-") and path.name.endswith(".jpg")


def test_metadata_is_stripped_from_the_queued_copy(home, token, client):
    from PIL import Image

    answer = push(client(token()), s.jpeg_with_gps(), camera="c04")
    sha = answer.json()["sha256"]
    [path] = [p for p in inbox_files(home) if sha[:16] in p.name]
    with Image.open(path) as image:
        assert not image.getexif() and "exif" not in image.info


def test_a_body_over_the_limit_is_refused_before_it_is_read(token, client):
    http = client(token())
    big = b"\xff\xd8\xff" + bytes(intake.MAX_UPLOAD_BYTES + 2**21)
    answer = push(http, big)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert http.get("/v1/health").status_code == 200  # still serving

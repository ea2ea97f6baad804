"""A camera's plain JPEG pushed to a real server is queued as its lossless clean copy: no
marker or tail of its own, exactly the pixels it was sent with; a rotated one comes upright."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.api.conftest import inbox_files, push
from tests.factories import samples as s
from tests.hostile.test_lossless_jpeg import _markers, _pixels, _with_everything

pytestmark = pytest.mark.xdist_group("api")


def _queued(home, answer) -> bytes:
    assert answer.status_code == 202, answer.text
    sha = answer.json()["sha256"]
    [path] = [p for p in inbox_files(home) if sha[:16] in p.name]
    return path.read_bytes()


def test_a_pushed_polyglot_jpeg_is_queued_losslessly_and_clean(home, token, client):
    sent = _with_everything()
    kept = _queued(home, push(client(token()), sent, camera="c02"))
    assert [m for m, _ in _markers(kept) if m in range(0xE1, 0xF0) and m != 0xEE] == []
    assert 0xFE not in [m for m, _ in _markers(kept)]  # no comment
    for secret in (b"SnoopCam", b"<script", b"PK\x03\x04", b"mallory"):
        assert secret not in kept
    assert np.array_equal(_pixels(kept), _pixels(sent))


def test_a_pushed_rotated_jpeg_is_queued_upright(home, token, client):
    kept = _queued(home, push(client(token()), s.with_orientation(6), camera="c03"))
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (40, 60) and not image.getexif()
        red = np.asarray(image)[5, 20]
    assert all(abs(int(a) - b) <= 40 for a, b in zip(red, s.RED, strict=True))

"""Hostile uploads: each case states the outcome — refused with a clear reason and nothing
written, or accepted as a clean upright RGB copy under ``$SHELFAUDIT_HOME/uploads/`` only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline import uploads
from pipeline.access.audit import audit_entries
from pipeline.access.roles import AccessDenied
from pipeline.settings import get_settings
from tests.access.helpers import make_user
from tests.hostile import samples as s

REFUSED = [  # id, bytes, file name, words the message must contain
    ("zero-byte", lambda: b"", "empty.jpg", "empty (0 bytes)"),
    ("truncated-jpeg", lambda: s.jpeg((200, 150))[:400], "cut.jpg", "damaged or truncated"),
    ("truncated-png", lambda: s.png((200, 150))[:120], "cut.png", "damaged or truncated"),
    ("huge-dimensions", lambda: s.png_claiming(100_000, 100_000), "bomb.png", "too many pixels"),
    ("big-dimensions", lambda: s.png_claiming(10_000, 8_000), "big.png", "over the 50 MP limit"),
    ("tiff-bomb", lambda: s.tiff_claiming(100_000, 100_000), "bomb.tif", "a TIFF image"),
    ("html-as-jpg", lambda: s.HTML, "cat.jpg", "HTML"),
    ("svg-with-script", lambda: s.SVG, "logo.svg", "SVG"),
    ("zip-as-jpg", s.zip_archive, "photos.jpg", "ZIP archive"),
    ("gif-animation", s.gif_animation, "dance.gif", "GIF image"),
    ("webp-animation", s.webp_animation, "dance.webp", "animated"),
    ("png-animation", s.apng, "dance.png", "animated"),
    ("one-pixel", lambda: s.png((1, 1)), "dot.png", "at least 32x32"),
    ("over-size-limit", lambda: b"\xff\xd8\xff" + bytes(uploads.MAX_UPLOAD_BYTES), "big.jpg",
     "uploads may be at most"),
]


@pytest.fixture
def supervisor(db):
    make_user("root", "admin")
    return make_user("sam", "supervisor", ["s001"])


def _files_under_home() -> set[Path]:
    home = get_settings().home_dir
    return {p for p in home.rglob("*") if p.is_file() and not p.name.startswith("shelfaudit.db")
            and "archive" not in p.parts}


def _uploads_root() -> Path:
    return get_settings().home_dir / "uploads"


@pytest.mark.parametrize("data, name, words", [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refused_with_a_clear_reason_and_nothing_written(supervisor, data, name, words):
    before = _files_under_home()
    with pytest.raises(uploads.UploadError) as refused:
        uploads.save_upload(data(), name, supervisor, "s001")
    message = str(refused.value)
    assert words in message and "Traceback" not in message and len(message) < 300
    assert _files_under_home() == before
    log = audit_entries(make_user("root", "admin"), action="upload_refused")
    assert list(log["target"]) == [name] and not log["ok"].any()


def _stored(upload: uploads.Upload) -> Image.Image:
    assert upload.path.is_relative_to(_uploads_root().resolve())
    return Image.open(upload.path)


def _colour(image: Image.Image, xy) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(image.convert("RGB"))[xy[1], xy[0]])


def _near(found, wanted, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(found, wanted, strict=True))


ACCEPTED = [  # id, bytes, file name, stored name, note words (or None), pixel check
    ("png-named-jpg", s.png, "shelf.jpg", "shelf.png", None,
     lambda im: _near(_colour(im, (5, 5)), s.RED)),
    ("jpeg-named-png", s.jpeg, "shelf.png", "shelf.jpg", None,
     lambda im: _near(_colour(im, (60, 5)), s.BLUE)),
    ("exif-orientation-6", lambda: s.with_orientation(6), "o6.jpg", "o6.jpg", "orientation 6",
     lambda im: im.size == (40, 60) and _near(_colour(im, (20, 5)), s.RED)
     and _near(_colour(im, (20, 55)), s.BLUE)),
    ("exif-orientation-8", lambda: s.with_orientation(8), "o8.jpg", "o8.jpg", "orientation 8",
     lambda im: im.size == (40, 60) and _near(_colour(im, (20, 55)), s.RED)),
    ("corrupt-exif", s.corrupt_exif, "exif.jpg", "exif.jpg", None,
     lambda im: im.size == (64, 48)),
    ("cmyk-jpeg", s.cmyk_jpeg, "cmyk.jpg", "cmyk.jpg", "CMYK",
     lambda im: im.mode == "RGB" and _near(_colour(im, (5, 5)), s.RED)),
    ("16-bit-png", s.png16_grey, "deep.png", "deep.png", "16-bit",
     lambda im: _near(_colour(im, (5, 5)), (155, 155, 155), 2)),
    ("palette-transparency", s.palette_with_transparency, "pal.png", "pal.png", "flattened",
     lambda im: _colour(im, (5, 5)) == (255, 255, 255) and _near(_colour(im, (55, 5)), s.BLUE)),
    ("rgba", s.rgba, "alpha.png", "alpha.png", "flattened",
     lambda im: im.mode == "RGB" and _colour(im, (5, 5)) == (255, 255, 255)),
    ("jpeg-zip-polyglot", s.jpeg_zip_polyglot, "poly.jpg", "poly.jpg", None,
     lambda im: b"PK\x03\x04" not in Path(im.filename).read_bytes()),
    ("path-traversal", s.jpeg, "../../etc/passwd.jpg", "passwd.jpg", None, None),
    ("windows-path", s.jpeg, "C:\\x\\y.jpg", "y.jpg", None, None),
    ("nul-byte", s.jpeg, "evil\x00.php.jpg", "evil_php.jpg", None, None),
    ("rtl-override", s.jpeg, "photo\u202egpj.exe", "photogpj.jpg", None, None),
    ("very-long-name", s.jpeg, "n" * 5000 + ".jpg", "n" * 96 + ".jpg", None, None),
    ("emoji-name", s.jpeg, "🛒 shelf 1.jpeg", "shelf_1.jpg", None, None),
]


@pytest.mark.parametrize("data, name, stored, note, check", [c[1:] for c in ACCEPTED],
                         ids=[c[0] for c in ACCEPTED])
def test_accepted_as_a_clean_upright_copy_inside_uploads(supervisor, data, name, stored, note,
                                                         check):
    upload = uploads.save_upload(data(), name, supervisor, "s001")
    assert upload.name == stored and upload.path.name.endswith(stored)
    assert upload.path.parent.parent.name == "s001"
    if note:
        assert any(note in n for n in upload.notes), upload.notes
    image = _stored(upload)
    assert not image.getexif() and image.mode == "RGB"
    assert check is None or check(image)
    assert _files_under_home() == {upload.path}
    log = audit_entries(make_user("root", "admin"), action="upload")
    assert list(log["target"]) == [stored] and f"original={name[:2000]}" in log["detail"][0]


def test_another_stores_supervisor_cannot_upload(supervisor):
    with pytest.raises(AccessDenied, match="not one of your stores"):
        uploads.save_upload(s.jpeg(), "x.jpg", supervisor, "s002")
    with pytest.raises(AccessDenied, match="admins only"):
        uploads.save_upload(s.jpeg(), "x.jpg", supervisor, None)
    assert not _uploads_root().exists()


def test_viewers_cannot_upload(db):
    viewer = make_user("vera", "viewer", ["s001"])
    with pytest.raises(AccessDenied, match="supervisor role"):
        uploads.save_upload(s.jpeg(), "x.jpg", viewer, "s001")


def test_bad_store_or_camera_ids_never_become_folders(tmp_path):
    for store, camera in (("../../etc", None), ("s001", "../c01"), ("s001/..", None)):
        with pytest.raises(uploads.UploadError, match="is not valid"):
            uploads.store_upload(s.jpeg(), "x.jpg", store, camera, home=tmp_path)
    assert not any(tmp_path.rglob("*.jpg"))


def test_the_same_photo_twice_is_one_file(supervisor):
    first = uploads.save_upload(s.jpeg(), "a.jpg", supervisor, "s001")
    again = uploads.save_upload(s.jpeg(), "a.jpg", supervisor, "s001")
    assert first.path == again.path and _files_under_home() == {first.path}


def test_imaging_itself_refuses_the_tiff_bomb_by_its_pixel_count():
    from pipeline.errors import PhotoError
    from pipeline.imaging import decode_photo

    with pytest.raises(PhotoError, match="too many pixels|MP limit"):
        decode_photo(s.tiff_claiming(100_000, 100_000), "bomb.tif")

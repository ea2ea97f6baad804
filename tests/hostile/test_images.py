"""Hostile uploads through the Upload page's own intake path (pipeline.actions.uploads:
receive -> inspect -> save). Each case states the outcome: refused with a clear one-line reason,
audited, and nothing written — or accepted and kept as a clean upright RGB copy without
metadata in the camera's archive folder, audited with the inspection it became."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from pipeline import uploads as intake
from pipeline.access.audit import audit_entries
from pipeline.access.scope import Scope, ScopeError
from pipeline.actions import uploads
from pipeline.context import edge_context
from pipeline.settings import get_settings
from tests.factories import samples as s
from tests.factories.accounts import make_user
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused

SAM = Scope(stores=frozenset({"s001"}), role="supervisor", user="sam")

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
    ("over-size-limit", lambda: b"\xff\xd8\xff" + bytes(intake.MAX_UPLOAD_BYTES), "big.jpg",
     "uploads may be at most 20 MB"),
]


@pytest.fixture
def supervisor(db, rules_copy):  # noqa: F811 - the imported fixture
    make_user("root", "admin")
    return SAM


def _files_under_home() -> set[Path]:
    home = get_settings().home_dir
    return {p for p in home.rglob("*") if p.is_file() and not p.name.startswith("shelfaudit.db")}


def _archive_root() -> Path:
    return (get_settings().home_dir / "archive").resolve()


def save_through_the_page_path(data: bytes, name: str, scope: Scope = SAM,
                               store: str = "s001", camera: str = "c01"):
    """What the Upload page does: receive, inspect (fake models), save. ``(item, id)``."""
    from pipeline.inbox.inspectors import make_inspector

    item = uploads.receive(name, data, scope, store)
    if item.error:
        return item, None
    context = edge_context()  # the page's: the dashboard's context
    inspector, rules = make_inspector("fake"), uploads.rules_for(store, context)
    uploads.inspect_uploads([item], store, camera, inspector, rules, context=context)
    return item, uploads.save_upload(item, store, camera, scope, inspector, rules,
                                     context=context)


def stored_path(inspection: int) -> Path:
    from pipeline.db import session_scope, tables

    with session_scope() as session:
        return Path(session.scalar(select(tables.Photo.path).join(tables.Inspection).where(
            tables.Inspection.id == inspection)))


def _log(action: str):
    return audit_entries(make_user("root", "admin"), action=action)


@pytest.mark.parametrize("data, name, words", [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refused_with_a_clear_reason_audited_and_nothing_written(supervisor, data, name,
                                                                  words):
    before = _files_under_home()
    item, saved = save_through_the_page_path(data(), name)
    message = item.error or ""
    assert saved is None and words in message, message
    assert "Traceback" not in message and "\n" not in message and len(message) < 300
    assert _files_under_home() == before
    log = _log("upload_refused")
    assert list(log["target"]) == [name] and not log["ok"].any()
    assert list(log["actor"]) == ["sam"] and list(log["store"]) == ["s001"]
    assert f"reason={message}" in log["detail"][0]


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
    ("jpeg-html-zip-polyglot", s.jpeg_html_polyglot, "poly2.jpg", "poly2.jpg", None,
     lambda im: not {b"<script", b"PK\x03\x04"} & _parts(Path(im.filename).read_bytes())),
    ("jpeg-exif-gps", s.jpeg_with_gps, "gps.jpg", "gps.jpg", None,
     lambda im: b"SnoopCam" not in Path(im.filename).read_bytes()),
    ("png-text-and-icc", s.png_with_text, "text.png", "text.png", None,
     lambda im: not im.info and b"tEXt" not in Path(im.filename).read_bytes()),
    ("webp-exif", s.webp_with_exif, "exif.webp", "exif.webp", None,
     lambda im: b"SnoopCam" not in Path(im.filename).read_bytes()),
    ("path-traversal", s.jpeg, "../../etc/passwd.jpg", "passwd.jpg", None, None),
    ("windows-path", s.jpeg, "C:\\x\\y.jpg", "y.jpg", None, None),
    ("nul-byte", s.jpeg, "evil\x00.php.jpg", "evil_php.jpg", None, None),
    ("rtl-override", s.jpeg, "photo\u202egpj.exe", "photogpj.jpg", None, None),
    ("very-long-name", s.jpeg, "n" * 5000 + ".jpg", "n" * 96 + ".jpg", None, None),
    ("emoji-name", s.jpeg, "🛒 shelf 1.jpeg", "shelf_1.jpg", None, None),
]


def _parts(data: bytes) -> set[bytes]:
    return {m for m in (b"<script", b"PK\x03\x04") if m in data}


@pytest.mark.parametrize("data, name, stored, note, check", [c[1:] for c in ACCEPTED],
                         ids=[c[0] for c in ACCEPTED])
def test_accepted_and_kept_as_the_clean_copy_with_an_audited_inspection(supervisor, data,
                                                                         name, stored, note,
                                                                         check):
    item, saved = save_through_the_page_path(data(), name)
    assert item.error is None and item.name == stored
    path = stored_path(saved)
    assert path.resolve().is_relative_to(_archive_root()) and path.name.endswith(stored)
    assert path.parent.parent.name == "c01" and path.parent.parent.parent.name == "s001"
    if note:
        assert any(note in n for n in item.notes), item.notes
    assert path.read_bytes() == item.data  # exactly the bytes that were inspected
    image = Image.open(path)
    assert not image.getexif() and image.mode == "RGB" and "icc_profile" not in image.info
    assert check is None or check(image)
    assert _files_under_home() == {path}
    log = _log("upload")
    assert list(log["target"]) == [stored] and f"inspection={saved}" in log["detail"][0]
    assert f"original={name[:2000]}" in log["detail"][0]


def test_another_stores_supervisor_cannot_upload(supervisor):
    with pytest.raises(ScopeError, match="not one of your stores"):
        uploads.receive("x.jpg", s.jpeg(), SAM, "s002")
    item = uploads.receive("x.jpg", s.jpeg(), SAM, None)  # ad-hoc: inspected, never saved
    with pytest.raises(ScopeError, match="not one of your stores"):
        uploads.save_upload(item, "s002", "c01", SAM, None, None, context=edge_context())
    assert not _archive_root().exists()


def test_viewers_cannot_upload(supervisor):
    viewer = Scope(stores=frozenset({"s001"}), role="viewer", user="vera")
    with pytest.raises(ScopeError, match="may not upload"):
        uploads.receive("x.jpg", s.jpeg(), viewer, "s001")


def test_bad_store_or_camera_ids_never_become_folders(supervisor):
    admin = Scope(stores=None, role="admin", user="root")
    for store, camera in (("../../etc", "c01"), ("s001", "../c01"), ("s001/..", "c01")):
        with pytest.raises(Exception, match="not in stores.yaml|not a camera of store"):
            save_through_the_page_path(s.jpeg(), "x.jpg", admin, store, camera)
    assert not list(get_settings().home_dir.parent.rglob("x.jpg"))


def test_the_same_photo_twice_is_one_inspection_and_one_file(supervisor):
    _, first = save_through_the_page_path(s.jpeg(), "a.jpg")
    _, again = save_through_the_page_path(s.jpeg(), "a.jpg")
    assert first == again and _files_under_home() == {stored_path(first)}
    assert [f"inspection={first}" in d for d in _log("upload")["detail"]] == [True, True]


def test_only_one_intake_exists():
    """One check, one size limit, one file-name cleaner: the page's path is the only one."""
    import pipeline.actions.uploads as page_path

    assert not hasattr(intake, "save_upload") and not hasattr(intake, "store_upload")
    assert not hasattr(page_path, "safe_name") and not hasattr(page_path, "decode")
    assert page_path.MAX_MB * 1024 * 1024 == intake.MAX_UPLOAD_BYTES


def test_imaging_itself_refuses_the_tiff_bomb_by_its_pixel_count():
    from pipeline.errors import PhotoError
    from pipeline.imaging import decode_photo

    with pytest.raises(PhotoError, match="too many pixels|MP limit"):
        decode_photo(s.tiff_claiming(100_000, 100_000), "bomb.tif")

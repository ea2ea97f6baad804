"""The lossless clean copy of a plain upright JPEG (pipeline.uploads._lossless_jpeg, on
libjpeg-turbo's transform in pipeline.jpegtran): hostile JPEGs lose every marker of their own
and everything after their image, and the copy decodes to exactly the original's pixels;
rotated, CMYK, damaged and pixel-bomb JPEGs still take the decode path and its refusals."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms

from pipeline import jpegtran
from pipeline import uploads as intake
from tests.factories import samples as s

# markers the encoder itself writes; anything else (APP1-13, APP15, COM) came from the source
OWN_MARKERS = {0xD8, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA, 0xD9}
OWN_APPS = {(0xE0, b"JFIF\x00"), (0xEE, b"Adobe")}


def _markers(data: bytes) -> list[tuple[int, bytes]]:
    """``(marker, first bytes of its segment)`` in file order, up to and including EOI;
    raises when anything follows EOI."""
    assert data[:2] == b"\xff\xd8"
    found, i = [(0xD8, b"")], 2
    while True:
        assert data[i] == 0xFF, f"no marker at {i}"
        marker = data[i + 1]
        if marker == 0xD9:
            found.append((0xD9, b""))
            assert i + 2 == len(data), f"{len(data) - i - 2} bytes after the end of the image"
            return found
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        found.append((marker, data[i + 4:i + 4 + min(length - 2, 5)]))
        i += 2 + length
        if marker == 0xDA:  # entropy-coded data up to the next real marker
            while not (data[i] == 0xFF and data[i + 1] not in (0x00, *range(0xD0, 0xD8))):
                i += 1


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def _noise(size=(643, 481), **save) -> bytes:
    """A busy photo whose sides are not multiples of the 16-px blocks (partial blocks kept)."""
    rng = np.random.default_rng(7)
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    return s.encode(image, "JPEG", quality=90, **save)


def _with_everything() -> bytes:
    """EXIF with GPS, an ICC profile, a comment and an XMP packet, a ZIP and HTML after EOI."""
    exif = Image.Exif()
    exif[0x010F] = "SnoopCam"
    exif.get_ifd(0x8825)[2] = (31.0, 13.0, 42.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _noise(exif=exif.tobytes(), icc_profile=icc, comment=b"<script>alert(1)</script>")
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>mallory</x:xmpmeta>"
    data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp + data[2:]
    return data + b"<html><script>alert(document.cookie)</script></html>" + s.zip_archive()


HOSTILE = [
    ("everything", _with_everything),
    ("jpeg-zip-polyglot", s.jpeg_zip_polyglot),
    ("jpeg-html-zip-polyglot", s.jpeg_html_polyglot),
    ("jpeg-exif-gps", s.jpeg_with_gps),
    ("progressive", lambda: _noise(progressive=True) + b"PK\x03\x04"),
    ("orientation-1", lambda: s.encode(s.halves(), "JPEG", exif=_orientation(1))),
    ("corrupt-exif", s.corrupt_exif),  # no orientation readable: kept as stored, as decoded
]


def _orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    exif[0x010F] = "SnoopCam"
    return exif.tobytes()


def test_libturbojpeg_is_installed():
    assert jpegtran.available(), "install libjpeg-turbo's TurboJPEG library (Debian: " \
                                 "apt-get install libturbojpeg0)"


@pytest.mark.parametrize("make", [c[1] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_a_plain_jpeg_is_copied_losslessly_without_anything_of_its_own(make, monkeypatch):
    data = make()
    taken = []
    copy = jpegtran.copy_without_markers
    monkeypatch.setattr(jpegtran, "copy_without_markers", lambda d: taken.append(1) or copy(d))
    clean = intake.clean_copy(data, "shelf.jpg")
    assert taken == [1] and clean.format == "jpg" and clean.name == "shelf.jpg"
    markers = _markers(clean.data)  # also: nothing after the end of the image
    odd = [(hex(m), head) for m, head in markers
           if m not in OWN_MARKERS and (m, head) not in OWN_APPS]
    assert odd == []
    for secret in (b"SnoopCam", b"<script", b"PK\x03\x04", b"mallory", b"<html"):
        assert secret not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif() and "icc_profile" not in image.info
        assert "comment" not in image.info and image.mode == "RGB"
    assert np.array_equal(_pixels(clean.data), _pixels(data))  # lossless
    assert (clean.photo.width, clean.photo.height) == Image.open(io.BytesIO(data)).size
    assert np.array_equal(clean.photo.array(), _pixels(data))  # what ?inspect=now inspects
    assert clean.notes == () and clean.original_sha256 == intake.content_hash(data)


@pytest.mark.parametrize("value", [3, 6, 8])
def test_a_rotated_photo_is_still_turned_upright(value, monkeypatch):
    monkeypatch.setattr(jpegtran, "copy_without_markers", _never)
    clean = intake.clean_copy(s.with_orientation(value), "o.jpg")
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif()
        upright = np.asarray(image)
    assert upright.shape[:2] == ((40, 60) if value == 3 else (60, 40))
    red_at = {3: (20, 55), 6: (5, 20), 8: (55, 20)}[value]  # (row, column) of the red half
    assert _near(upright[red_at], s.RED)
    assert any(f"orientation {value}" in n for n in clean.notes)


def _never(data: bytes) -> bytes:
    raise AssertionError("the lossless copy was taken")


def _near(found, wanted, tolerance=40) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(found, wanted, strict=True))


@pytest.mark.parametrize("make, words", [
    (lambda: s.cmyk_jpeg(), "CMYK"),
    (lambda: s.encode(s.halves().convert("L"), "JPEG"), "greyscale"),
], ids=["cmyk", "grey"])
def test_jpegs_that_need_converting_take_the_decode_path(make, words, monkeypatch):
    monkeypatch.setattr(jpegtran, "copy_without_markers", _never)
    clean = intake.clean_copy(make(), "x.jpg")
    assert any(words in n for n in clean.notes), clean.notes
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.mode == "RGB" and not image.getexif()


def test_a_jpeg_cut_in_its_image_data_is_refused():
    data = _noise()
    with pytest.raises(intake.UploadError, match="damaged or truncated"):
        intake.clean_copy(data[: len(data) * 2 // 3], "cut.jpg")
    with pytest.raises(jpegtran.JpegError, match="Premature end"):
        jpegtran.copy_without_markers(data[: len(data) * 2 // 3])


def _claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims ``width`` x ``height``."""
    data = bytearray(s.jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("width, height, words", [
    (10_000, 8_000, "over the 50 MP limit"), (65_000, 65_000, "too many pixels"),
], ids=["big", "huge"])
def test_a_jpeg_pixel_bomb_is_refused_before_any_decoding(width, height, words, monkeypatch):
    monkeypatch.setattr(jpegtran, "copy_without_markers", _never)
    with pytest.raises(intake.UploadError, match=words):
        intake.clean_copy(_claiming(width, height), "bomb.jpg")


def test_without_libturbojpeg_the_copy_is_re_encoded_and_still_clean(monkeypatch):
    monkeypatch.setattr(jpegtran, "available", lambda: False)
    data = _with_everything()
    clean = intake.clean_copy(data, "shelf.jpg")
    for secret in (b"SnoopCam", b"<script", b"PK\x03\x04", b"mallory"):
        assert secret not in clean.data
    _markers(clean.data)
    assert clean.photo.width == 643 and not np.array_equal(_pixels(clean.data), _pixels(data))

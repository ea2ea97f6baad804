"""Safe photo decoding: EXIF orientation, modes, and clear refusals."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pipeline.errors import PhotoError
from pipeline.imaging import decode_photo, load_photo


def _encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 on display
    photo = decode_photo(_encode(image, "JPEG", exif=exif.tobytes()))
    assert (photo.width, photo.height) == (20, 40)


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "CMYK", "I;16"])
def test_modes_become_rgb(mode):
    image = Image.new(mode, (8, 8))
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    photo = decode_photo(_encode(image, fmt))
    assert photo.image.mode == "RGB" and photo.array().shape == (8, 8, 3)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"GIF89a-not-really", "not an image"),
        (b"<html><script>alert(1)</script></html>", "not an image"),
    ],
)
def test_refusals_are_plain(payload, reason):
    with pytest.raises(PhotoError, match=reason):
        decode_photo(payload, "x.jpg")


def test_truncated_jpeg_is_refused():
    data = _encode(Image.new("RGB", (64, 64), (1, 2, 3)), "JPEG")
    with pytest.raises(PhotoError, match="damaged or truncated"):
        decode_photo(data[: len(data) // 2], "half.jpg")


def test_pixel_limit_guards_decompression_bombs():
    data = _encode(Image.new("L", (4000, 4000)), "PNG")
    with pytest.raises(PhotoError, match="limit|too many pixels"):
        decode_photo(data, "bomb.png", max_pixels=1_000_000)


def test_animated_gif_is_refused():
    frames = [Image.new("P", (8, 8), i) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(PhotoError, match="GIF images are not accepted"):
        decode_photo(buf.getvalue())


def test_hash_is_of_the_file_bytes(tmp_path):
    data = _encode(Image.new("RGB", (8, 8)), "PNG")
    path = tmp_path / "a.png"
    path.write_bytes(data)
    assert load_photo(path).sha256 == decode_photo(data).sha256


def test_missing_file_is_a_photo_error(tmp_path):
    with pytest.raises(PhotoError, match="cannot read"):
        load_photo(tmp_path / "nope.jpg")

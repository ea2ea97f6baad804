"""Hostile and awkward files, built in memory (nothing is downloaded or shipped)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

RED, BLUE = (220, 20, 30), (20, 40, 220)


def halves(size=(60, 40)) -> Image.Image:
    """Left half red, right half blue: orientation is visible in the pixels."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def jpeg(size=(64, 48), **kwargs) -> bytes:
    return encode(halves(size), "JPEG", quality=90, **kwargs)


def png(size=(64, 48)) -> bytes:
    return encode(halves(size), "PNG")


def with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return encode(halves(), "JPEG", quality=95, exif=exif.tobytes())


def corrupt_exif() -> bytes:
    """A JPEG whose APP1 Exif segment is garbage (a TIFF header pointing nowhere)."""
    data = jpeg()
    junk = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\xde\xad" * 20
    segment = b"\xff\xe1" + struct.pack(">H", len(junk) + 2) + junk
    return data[:2] + segment + data[2:]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


def tiff_claiming(width: int, height: int) -> bytes:
    """A TIFF whose header claims a huge image."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 8), (277, 3, 1, 1), (279, 4, 1, min(width * height, 2**32 - 1))]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, kind, count, value) for tag, kind, count, value in entries)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00"


def png16_grey(value: int = 40000, size=(48, 48)) -> bytes:
    return encode(Image.fromarray(np.full(size[::-1], value, dtype=np.uint16)), "PNG")


def cmyk_jpeg() -> bytes:
    return encode(halves().convert("CMYK"), "JPEG", quality=95)


def palette_with_transparency() -> bytes:
    image = halves().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    red_index = image.getpixel((0, 0))
    return encode(image, "PNG", transparency=red_index)


def rgba() -> bytes:
    image = halves().convert("RGBA")
    image.putalpha(Image.new("L", image.size, 255))
    image.paste((0, 0, 0, 0), (0, 0, 30, 40))  # left half fully transparent
    return encode(image, "PNG")


def gif_animation() -> bytes:
    frames = [halves(), halves().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0)


def webp_animation() -> bytes:
    frames = [halves(), halves().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    return encode(frames[0], "WEBP", save_all=True, append_images=frames[1:])


def apng() -> bytes:
    frames = [halves(), halves().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:])


def zip_archive() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()


def jpeg_zip_polyglot() -> bytes:
    """A valid JPEG with a ZIP archive glued to its end (opens as both)."""
    return jpeg() + zip_archive()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
       b'<script>alert(1)</script><rect width="64" height="64"/></svg>')


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF names the camera and a GPS position (what must not be kept)."""
    exif = Image.Exif()
    exif[0x010F] = "SnoopCam"  # Make
    exif[0x0131] = "<script>alert(1)</script>"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (31.0, 13.0, 42.0)
    return encode(halves(), "JPEG", quality=95, exif=exif.tobytes())


def jpeg_html_polyglot() -> bytes:
    """A valid JPEG with an HTML page and a ZIP glued after its end marker."""
    return jpeg() + b"<html><script>alert(document.cookie)</script></html>" + zip_archive()


def png_with_text() -> bytes:
    """A PNG carrying tEXt chunks (a script and a comment) and an ICC profile."""
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    info.add_text("Author", "mallory")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(halves(), "PNG", pnginfo=info, icc_profile=icc)


def webp_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SnoopCam"
    return encode(halves(), "WEBP", quality=95, exif=exif.tobytes())

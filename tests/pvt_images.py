"""Test images for the parallel vote tabulation: a ballot photo with GPS EXIF, and a bomb."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825


def photo_with_gps(size: tuple[int, int] = (640, 480), noise: bool = False) -> bytes:
    """A JPEG carrying the EXIF fields that expose a voter: GPS position, device, time."""
    image = (
        Image.effect_noise(size, 64).convert("RGB") if noise else Image.new("RGB", size, "white")
    )
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0132] = "2020:08:09 14:03:00"  # DateTime
    exif[GPS_IFD] = {1: "N", 2: (53.0, 54.0, 1.0), 3: "E", 4: (27.0, 33.0, 2.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A small PNG whose header claims billions of pixels (its data is a short zero stream)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1_000_000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(GPS_IFD)) or bool(exif) or "exif" in image.info

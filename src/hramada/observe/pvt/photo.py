"""Ballot photos: refuse what is not a small, sane image and re-encode it without metadata."""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024  # a phone's photo is 2-6 MB
MAX_PIXELS = 40_000_000  # a 2 MB photo from a phone is about 12 Mpx; a bomb claims far more
FORMATS = ("JPEG", "PNG", "WEBP")
LONG_SIDE = 1600  # pixels kept on the long side at least: a ballot's marks stay legible
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class PhotoError(ValueError):
    """The upload is not an acceptable photo; nothing was stored."""


def clean_photo(data: bytes) -> bytes:
    """The photo re-encoded as a JPEG carrying pixels only: no EXIF (GPS, device, time), no
    ICC profile, no comments; a large photo is scaled down to between LONG_SIDE and twice
    that on its long side. The size, the format and the dimensions are checked before any
    pixel is decoded, so a decompression bomb is refused at the cost of reading its header."""
    if len(data) > MAX_BYTES:
        raise PhotoError(f"the photo is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS or width > 20_000 or height > 20_000:
                raise PhotoError(f"the photo is too large: {width}x{height} pixels")
            if image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale: 3-4x less work
                scale = LONG_SIDE / max(width, height)
                image.draft("RGB", (int(width * scale), int(height * scale)))
            image.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("the photo is too large: it claims too many pixels") from None
    except UnidentifiedImageError:
        raise PhotoError("not an acceptable image (JPEG, PNG or WebP)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise PhotoError(f"the image is damaged: {e}") from None
    pixels = image.convert("RGB")
    pixels.thumbnail((2 * LONG_SIDE, 2 * LONG_SIDE))  # only shrinks: a smaller copy to store
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)  # a new image: no info dictionary travels with the pixels
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=False)
    return out.getvalue()


def photo_hash(data: bytes) -> str:
    """The SHA-256 of the stored (clean) photo, kept after the photo itself is deleted."""
    return hashlib.sha256(data).hexdigest()

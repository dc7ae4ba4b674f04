"""A patient's photo as it is kept: recognised from its bytes (never from a declared type),
turned upright, EXIF (GPS, device) left behind, HEIC/HEIF made JPEG, with a thumbnail for lists.

Anything that is not an accepted image is refused with a reason staff can read.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

# HEIC/HEIF (iPhones' default) through pillow-heif, as a Pillow format like any other.
pillow_heif.register_heif_opener()

# Pillow's format name -> how the photo is stored: (format written, content type).
KEPT_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("JPEG", "image/jpeg"),
    "MPO": ("JPEG", "image/jpeg"),  # some phones' JPEG with a second (depth) frame
    "PNG": ("PNG", "image/png"),
    "WEBP": ("WEBP", "image/webp"),
    "HEIF": ("JPEG", "image/jpeg"),  # browsers other than Safari cannot show HEIC
}
ACCEPTED = "JPEG, PNG, WebP or HEIC"
# Above a phone's 48/50 MP mode; a small file claiming more (a "decompression bomb") would
# take hundreds of MB to decode, and is refused before it is.
MAX_PIXELS = 64_000_000
THUMBNAIL_BOX = (320, 320)
JPEG_QUALITY = 88


@dataclass(frozen=True)
class Photo:
    """An accepted image, re-encoded without its metadata."""

    content_type: str
    data: bytes
    thumbnail: bytes  # always JPEG
    width: int
    height: int


@dataclass(frozen=True)
class Refusal:
    """Not kept; `reason` is shown to staff as "attachment refused: <reason>"."""

    reason: str


Outcome = Photo | Refusal


def too_large(max_bytes: int) -> Refusal:
    return Refusal(f"larger than {max_bytes // (1024 * 1024) or 1} MB")


def process_photo(raw: bytes, *, max_bytes: int) -> Outcome:
    """The photo as kept, or why it is refused (pure: bytes in, bytes out)."""
    if len(raw) > max_bytes:
        return too_large(max_bytes)
    kind = _format_of(raw)
    if isinstance(kind, Refusal):
        return kind
    written, content_type = KEPT_FORMATS[kind]
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            opened.load()
            upright = ImageOps.exif_transpose(opened) or opened
            data = _encode(upright, written)
            thumbnail = _thumbnail(upright)
            width, height = upright.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return Refusal(f"a damaged {kind} image")
    return Photo(content_type, data, thumbnail, width, height)


def _format_of(raw: bytes) -> str | Refusal:
    """Pillow's name for the image format, once Pillow verified the file; else the refusal."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                kind = probe.format or "?"
                if probe.width * probe.height > MAX_PIXELS:
                    return Refusal("too many pixels")
                probe.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return Refusal("too many pixels")
    except UnidentifiedImageError:
        return Refusal(f"not an image ({ACCEPTED} only)")
    except (OSError, ValueError, SyntaxError):
        return Refusal("a damaged image")
    if kind not in KEPT_FORMATS:
        return Refusal(f"{kind} images are not accepted ({ACCEPTED} only)")
    return kind


def _encode(image: Image.Image, written: str) -> bytes:
    # Saved from pixels only: Pillow writes EXIF, XMP and text chunks only when passed them,
    # so GPS and device details stay behind. The colour profile stays (it is no one's data).
    out = io.BytesIO()
    extra: dict[str, object] = {}
    if icc := image.info.get("icc_profile"):
        extra["icc_profile"] = icc
    if written == "JPEG":
        _flattened(image).save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, **extra)
    elif written == "WEBP":
        image.save(out, "WEBP", quality=JPEG_QUALITY, **extra)
    else:
        image.save(out, written, optimize=True, **extra)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = _flattened(image)
    small.thumbnail(THUMBNAIL_BOX)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency over white (black is what a bare convert would show)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image.copy()

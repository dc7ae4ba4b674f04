"""What is kept of a patient's photo: the type from its bytes, EXIF gone, upright, HEIC as JPEG."""

from __future__ import annotations

import io

from PIL import Image

from scheduler.inbound.photo_images import THUMBNAIL_BOX, Photo, Refusal, process_photo
from tests.support import photos

LIMIT = 10 * 1024 * 1024


def kept(raw: bytes) -> Photo:
    outcome = process_photo(raw, max_bytes=LIMIT)
    assert isinstance(outcome, Photo), outcome
    return outcome


def pixel(image: Image.Image, at: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(at)
    assert isinstance(value, tuple)
    return value


def test_a_phone_jpeg_loses_gps_and_device_and_is_turned_upright() -> None:
    raw = photos.jpeg_with_gps(640, 480, orientation=6)
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(photos.GPS_IFD)  # the sample has GPS
    photo = kept(raw)
    assert photo.content_type == "image/jpeg"
    assert (photo.width, photo.height) == (480, 640)  # orientation 6: rotated a quarter turn
    stored = Image.open(io.BytesIO(photo.data))
    exif = stored.getexif()
    assert not exif.get_ifd(photos.GPS_IFD) and photos.MAKE not in exif and not exif
    assert b"iPhone" not in photo.data and b"Apple" not in photo.data
    assert "exif" not in stored.info
    # The red half was on the left; a quarter turn clockwise puts it on top.
    assert pixel(stored, (240, 40))[0] > 150
    assert pixel(stored, (240, 600))[2] > 150


def test_a_png_stays_png_with_a_jpeg_thumbnail() -> None:
    photo = kept(photos.png(300, 200))
    assert photo.content_type == "image/png"
    assert Image.open(io.BytesIO(photo.data)).format == "PNG"
    thumb = Image.open(io.BytesIO(photo.thumbnail))
    assert thumb.format == "JPEG" and max(thumb.size) <= max(THUMBNAIL_BOX)


def test_heic_becomes_jpeg() -> None:
    photo = kept(photos.heic(400, 300))
    assert photo.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"
    assert (photo.width, photo.height) == (400, 300)


def test_webp_is_kept() -> None:
    assert kept(photos.webp()).content_type == "image/webp"


def test_a_pdf_is_refused_whatever_it_claims_to_be() -> None:
    outcome = process_photo(photos.PDF, max_bytes=LIMIT)
    assert outcome == Refusal("not an image (JPEG, PNG, WebP or HEIC only)")


def test_a_gif_is_an_image_but_not_one_we_keep() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    outcome = process_photo(out.getvalue(), max_bytes=LIMIT)
    assert isinstance(outcome, Refusal) and outcome.reason.startswith("GIF images are not")


def test_too_large_is_refused_before_it_is_opened() -> None:
    raw = photos.jpeg_with_gps()
    assert process_photo(raw, max_bytes=len(raw) - 1) == Refusal("larger than 1 MB")


def test_a_cut_off_jpeg_is_refused_as_damaged() -> None:
    raw = photos.jpeg_with_gps()
    outcome = process_photo(raw[: len(raw) // 2], max_bytes=LIMIT)
    assert isinstance(outcome, Refusal) and "damaged" in outcome.reason


def test_a_small_file_with_too_many_pixels_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 8000)).save(out, "PNG")  # 72 MP of nothing: a few kB
    assert len(out.getvalue()) < 100_000
    assert process_photo(out.getvalue(), max_bytes=LIMIT) == Refusal("too many pixels")
    out = io.BytesIO()
    Image.new("1", (20000, 10000)).save(out, "PNG")  # past what Pillow itself refuses to open
    assert process_photo(out.getvalue(), max_bytes=LIMIT) == Refusal("too many pixels")

"""Club avatars: limits checked from the header, EXIF gone after re-encoding, upright."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bikenode.social.logic.avatar import (
    AVATAR_SIDE_PX,
    MAX_AVATAR_BYTES,
    AvatarRejected,
    clean_avatar,
)


def _jpeg_with_exif(width: int, height: int, *, orientation: int = 1) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    image.paste((255, 0, 0), (0, 0, width // 2, height))  # left half red, right half white
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (59.0, 20.0, 0.0)}  # GPS IFD: a position
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def test_an_avatar_is_a_square_png_without_exif() -> None:
    source = _jpeg_with_exif(600, 400)
    assert b"PhoneMaker" in source
    cleaned = clean_avatar(source)
    assert b"PhoneMaker" not in cleaned and b"Exif" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert (image.format, image.size) == ("PNG", (AVATAR_SIDE_PX, AVATAR_SIDE_PX))
        assert not image.getexif() and "exif" not in image.info


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    # Orientation 6: shown turned 90 degrees clockwise, so the red left half ends up on top.
    cleaned = clean_avatar(_jpeg_with_exif(400, 400, orientation=6))
    with Image.open(io.BytesIO(cleaned)) as image:
        top, bottom = image.getpixel((128, 20)), image.getpixel((128, 236))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[1] < 60  # red
    assert bottom[1] > 200  # white


def test_a_small_image_is_not_enlarged() -> None:
    with Image.open(io.BytesIO(clean_avatar(_png(100, 80)))) as image:
        assert image.size == (80, 80)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "JPEG, PNG or WebP"),
        (b"GIF89a" + b"\x00" * 100, "JPEG, PNG or WebP"),
        (b"x" * (MAX_AVATAR_BYTES + 1), "at most 524288 bytes"),
        (_png(5000, 100), "at most 4096 px a side, got 5000x100"),
        (_png(16, 400), "at least 32 px a side, got 16x400"),
        (_png(400, 400)[:200], "damaged"),
    ],
)
def test_files_out_of_the_limits_are_refused_saying_why(data: bytes, says: str) -> None:
    with pytest.raises(AvatarRejected, match=says):
        clean_avatar(data)

"""Club avatars: an uploaded image checked against explicit limits and re-encoded.

Re-encoding is what strips metadata: the PNG written here carries pixels only, never the
source's EXIF (camera, GPS position, owner), XMP or text chunks. The EXIF orientation is
applied to the pixels first, so a phone photo stays upright once its EXIF is gone.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_AVATAR_BYTES = 512 * 1024  # a club logo or photo, well under the API's 1 MiB bodies
MAX_SOURCE_SIDE_PX = 4096  # read from the header, before any pixel is decoded
MIN_SOURCE_SIDE_PX = 32
AVATAR_SIDE_PX = 256  # what the club page shows (twice its CSS size for sharp screens)
FORMATS = ("JPEG", "PNG", "WEBP")


class AvatarRejected(ValueError):
    """The upload is not an image this node takes as an avatar; the message says why."""


def clean_avatar(data: bytes) -> bytes:
    """The image as a square PNG of at most AVATAR_SIDE_PX a side (centre-cropped), upright,
    without metadata. AvatarRejected for a file over MAX_AVATAR_BYTES, one that is not a
    JPEG, PNG or WebP image, or one with a side under MIN_ or over MAX_SOURCE_SIDE_PX."""
    if len(data) > MAX_AVATAR_BYTES:
        raise AvatarRejected(
            f"expected an image of at most {MAX_AVATAR_BYTES} bytes, got {len(data)}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as source:
                _check_size(*source.size)
                upright = ImageOps.exif_transpose(source)
                pixels = upright.convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AvatarRejected(
            "expected a JPEG, PNG or WebP image, got another kind of file"
        ) from None
    except OSError as error:  # truncated or corrupt data past the header
        raise AvatarRejected(f"expected a whole image, got a damaged one ({error})") from None
    side = min(AVATAR_SIDE_PX, *pixels.size)
    square = ImageOps.fit(pixels, (side, side), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, "PNG")  # no exif=, pnginfo= or icc_profile=: nothing of the source's
    return out.getvalue()


def _check_size(width: int, height: int) -> None:
    if max(width, height) > MAX_SOURCE_SIDE_PX:
        raise AvatarRejected(
            f"expected an image of at most {MAX_SOURCE_SIDE_PX} px a side, got {width}x{height}"
        )
    if min(width, height) < MIN_SOURCE_SIDE_PX:
        raise AvatarRejected(
            f"expected an image of at least {MIN_SOURCE_SIDE_PX} px a side, got {width}x{height}"
        )

"""Reading untrusted images with Pillow, shared by avatars (users) and file
thumbnails (messaging).

Pillow decodes whatever the bytes claim to be, so a small file can declare a
gigantic canvas (a decompression bomb). :func:`open_image` checks the declared
size before decoding any pixels and turns Pillow's own bomb warning into an error.
"""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from services.common.errors import InvalidInput

MAX_PIXELS = 40_000_000  # refuse decompression bombs long before memory runs out


def open_image(data: bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The decoded image, upright (EXIF orientation applied), in RGB or RGBA.
    InvalidInput if ``data`` is not an image Pillow can read or declares more
    than ``max_pixels`` pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > max_pixels:
                raise InvalidInput("the image is too large")
            image.load()
            image = ImageOps.exif_transpose(image)
            return image.convert("RGBA" if _has_alpha(image) else "RGB")
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("the body is not an image (PNG, JPEG, GIF or WebP)") from None


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)

"""Avatars: an uploaded image becomes square PNG renditions stored in S3.

The S3 key is derived from the image's bytes, so uploading the same image again
writes the same objects and stores the same key (idempotent)."""
from __future__ import annotations

import base64
import binascii
import hashlib

from botocore.exceptions import ClientError
from PIL import Image, ImageOps

from services.common.errors import InvalidInput
from services.common.images import MAX_PIXELS, open_image, png_bytes

SIZES = (256, 64)
MAX_BYTES = 5 * 1024 * 1024


def decode(image_b64: str) -> bytes:
    """The uploaded bytes (they travel over RPC as base64)."""
    if not isinstance(image_b64, str) or not image_b64:
        raise InvalidInput("send the image's bytes as the body")
    try:
        data = base64.b64decode(image_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("the image is not valid base64") from None
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"an avatar is at most {MAX_BYTES // (1024 * 1024)} MiB")
    return data


def renditions(data: bytes) -> dict[int, bytes]:
    """PNG bytes per size, cropped to a centred square. InvalidInput if ``data``
    is not an image Pillow can read (or is a decompression bomb)."""
    image = open_image(data, MAX_PIXELS)
    return {size: png_bytes(ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS))
            for size in SIZES}


def key_prefix(user_id: str, data: bytes) -> str:
    return f"avatars/{user_id}/{hashlib.sha256(data).hexdigest()[:20]}"


def object_key(prefix: str, size: int) -> str:
    return f"{prefix}-{size}.png"


def store(s3, prefix: str, images: dict[int, bytes]) -> None:
    for size, body in images.items():
        s3.client.put_object(Bucket=s3.bucket, Key=object_key(prefix, size), Body=body,
                             ContentType="image/png", CacheControl="private, max-age=86400")


def remove(s3, prefix: str) -> None:
    """Best effort: a left-over object costs a little space, never correctness."""
    for size in SIZES:
        try:
            s3.client.delete_object(Bucket=s3.bucket, Key=object_key(prefix, size))
        except ClientError:
            pass


def urls(s3, prefix: str | None, ttl: int) -> dict | None:
    """Presigned GET URLs of each rendition (signed locally: no request to S3)."""
    if not prefix:
        return None
    links = {str(size): s3.presigner.generate_presigned_url(
        "get_object", ExpiresIn=ttl, Params={"Bucket": s3.bucket, "Key": object_key(prefix, size)})
        for size in SIZES}
    return {**links, "expires_in": ttl}

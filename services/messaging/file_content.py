"""What messaging does with a file's bytes once they are in S3: find out what
they are (never trusting the uploader's claim), make a thumbnail of an image,
and remove the objects when the file goes.

The type is sniffed from the first bytes (magic numbers, PyPI ``filetype``);
bytes it does not recognise are ``text/plain`` when they decode as UTF-8 and
``application/octet-stream`` otherwise. Downloads are served with the sniffed
type and as an attachment, so a file claiming to be an image but holding HTML is
never rendered as a page.
"""
from __future__ import annotations

import filetype
from botocore.exceptions import ClientError
from PIL import Image

from services.common.errors import InvalidInput
from services.common.images import open_image, png_bytes

SNIFF_BYTES = 8192  # filetype needs 261; the rest helps tell text from binary
THUMBNAILED = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}


def sniff(head: bytes) -> str:
    """The content type the bytes show (``head`` = the file's first bytes)."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if not head or b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the sample's end
            return "application/octet-stream"
    return "text/plain"


def thumbnail(data: bytes, box: int, max_pixels: int) -> tuple[int, int, bytes] | None:
    """``(width, height, png)`` of an image, the PNG fitting in ``box`` pixels
    square; None when Pillow cannot read it or it is a decompression bomb (the
    file is kept, just without a thumbnail)."""
    try:
        image = open_image(data, max_pixels)
    except InvalidInput:
        return None
    width, height = image.size
    image.thumbnail((box, box), Image.Resampling.LANCZOS)
    return width, height, png_bytes(image)


def head_bytes(s3, key: str) -> bytes:
    response = s3.client.get_object(Bucket=s3.bucket, Key=key,
                                    Range=f"bytes=0-{SNIFF_BYTES - 1}")
    return response["Body"].read()


def whole(s3, key: str) -> bytes:
    return s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


def remove_objects(s3, doc) -> None:
    """Delete the original and the thumbnail. Deleting what is not there
    succeeds in S3, so a retry after a crash finishes the job."""
    for key in (doc["key"], doc.get("thumbnail_key")):
        if key:
            try:
                s3.client.delete_object(Bucket=s3.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                    raise

"""Draws web/icons/icon-192.png and icon-512.png (a speech bubble on Parley's purple).
Run once by hand (`.venv/bin/python web/icons/make_icons.py`); the PNGs are committed."""
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent


def icon(size: int) -> Image.Image:
    img = Image.new("RGB", (size, size), (59, 42, 85))
    d = ImageDraw.Draw(img)
    s = size / 16  # a 16-unit grid; the bubble stays inside the maskable safe zone
    d.rounded_rectangle([4 * s, 4.5 * s, 12 * s, 10.5 * s], radius=1.6 * s, fill=(255, 255, 255))
    d.polygon([(5.6 * s, 10.2 * s), (5.6 * s, 12.4 * s), (8 * s, 10.2 * s)], fill=(255, 255, 255))
    for x in (6, 8, 10):
        d.ellipse([(x - .55) * s, 6.95 * s, (x + .55) * s, 8.05 * s], fill=(17, 100, 163))
    return img


if __name__ == "__main__":
    for size in (192, 512):
        icon(size).save(HERE / f"icon-{size}.png", optimize=True)

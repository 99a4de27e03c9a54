"""Pictures for the demo's tests and screenshots: landscapes drawn with Pillow, saved as a
camera would (EXIF with a maker, a date and a GPS position), so that what the demo removes
can be checked."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

# Sky top, sky bottom, sun, three mountain layers (far to near), water.
PALETTES = {
    "dawn": ("#f6b48f", "#fde2c4", "#fff3d6", "#c98b8b", "#8f5e73", "#4b3550", "#a97a88"),
    "noon": ("#4f95e0", "#bfe0fb", "#fffbe8", "#7fa6c2", "#4f7a5a", "#2f4f3a", "#5d8fb8"),
    "dusk": ("#2b2d5c", "#f08a5d", "#ffd27f", "#6b4a74", "#3f2f55", "#221a33", "#8a5a6e"),
    "night": ("#0b1026", "#28335e", "#f4f1de", "#2c3558", "#1c2342", "#0f1429", "#1f2a4f"),
    "mist": ("#9fb3c0", "#e4ebee", "#ffffff", "#b7c6cc", "#8ea3ab", "#5f747c", "#a9bcc3"),
}
#: EXIF tags a camera writes: Make, Model, DateTime, and the GPS block.
MAKE, MODEL, DATETIME, GPS = 0x010F, 0x0110, 0x0132, 0x8825


def landscape(palette: str = "noon", size: tuple[int, int] = (1200, 800), seed: int = 1) -> Image.Image:
    """A mountain landscape by a lake, in one of :data:`PALETTES`."""
    sky_top, sky_bottom, sun, *layers, water = (
        Image.new("RGB", (1, 1), c).getpixel((0, 0)) for c in PALETTES[palette]
    )
    width, height = size
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.68)
    for y in range(horizon):
        t = y / horizon
        colour = tuple(int(a + (b - a) * t) for a, b in zip(sky_top, sky_bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    r = height // 11
    cx, cy = rng.randint(width // 5, 4 * width // 5), rng.randint(height // 8, height // 3)
    glow = Image.new("L", size, 0)
    ImageDraw.Draw(glow).ellipse([cx - 3 * r, cy - 3 * r, cx + 3 * r, cy + 3 * r], fill=90)
    image.paste(sun, mask=glow.filter(ImageFilter.GaussianBlur(r)))
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=sun)
    for depth, colour in enumerate(layers):
        base = horizon - int(height * (0.32 - 0.09 * depth))
        points, x = [(0, horizon)], 0
        y = base + rng.randint(-20, 20)
        while x < width:
            points.append((x, y))
            x += rng.randint(width // 25, width // 9)
            y = max(height // 6, min(horizon - 10, y + rng.randint(-height // 7, height // 7)))
        points += [(width, y), (width, horizon)]
        draw.polygon(points, fill=colour)
    reflection = image.crop((0, horizon - (height - horizon), width, horizon)).transpose(
        Image.Transpose.FLIP_TOP_BOTTOM
    )
    reflection = Image.blend(reflection, Image.new("RGB", reflection.size, water), 0.45)
    image.paste(reflection.filter(ImageFilter.GaussianBlur(2)), (0, horizon))
    for _ in range(40):
        y = rng.randint(horizon + 4, height - 2)
        x = rng.randint(0, width)
        draw.line([(x, y), (x + rng.randint(20, 120), y)], fill=sky_bottom, width=1)
    return image


def camera_jpeg(image: Image.Image, quality: int = 88) -> bytes:
    """``image`` as a JPEG with the EXIF a phone writes, GPS position included."""
    exif = Image.Exif()
    exif[MAKE] = "Examplecam"
    exif[MODEL] = "EC-1"
    exif[DATETIME] = "2024:07:14 18:03:22"
    gps = exif.get_ifd(GPS)
    gps.update({1: "N", 2: (48.0, 51.0, 29.6), 3: "E", 4: (2.0, 17.0, 40.2)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def write_photos(folder: Path, names: dict[str, str], size: tuple[int, int] = (1200, 800)) -> list[Path]:
    """``{file name: palette}`` written into ``folder`` as camera JPEGs; their paths."""
    paths = []
    for seed, (name, palette) in enumerate(names.items(), start=1):
        path = folder / name
        path.write_bytes(camera_jpeg(landscape(palette, size, seed)))
        paths.append(path)
    return paths

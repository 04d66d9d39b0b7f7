"""Real images for tests and benchmarks, made with Pillow (no fixtures on disk)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def make_image(width: int = 360, height: int = 640, fmt: str = "PNG", seed: int = 0,
               text: str | None = None) -> bytes:
    """A phone-screenshot-like image, different for every ``seed``."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randrange(200, 256),) * 3)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle([x0, y0, x0 + rng.randrange(10, 120), y0 + rng.randrange(5, 40)],
                       fill=colour)
    draw.text((10, 10), text or f"advert {seed}", fill=(0, 0, 0))
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85)
    elif fmt == "GIF":
        frames = [image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    else:
        image.save(out, fmt)
    return out.getvalue()


def make_screenshot(width: int = 1080, height: int = 2340, seed: int = 0,
                    text: str = "") -> bytes:
    """A realistic phone screenshot PNG: status bar, a photo (noisy, poorly compressible)
    and lines of text; about 1–2 MB at 1080×2340, like real ones."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (250, 250, 250))
    photo_h = height // 3
    noise = Image.effect_noise((width // 2, photo_h // 2), 40 + seed % 20).convert("RGB")
    tint = Image.new("RGB", noise.size, tuple(rng.randrange(60, 200) for _ in range(3)))
    photo = Image.blend(noise, tint, 0.5).resize((width, photo_h), Image.Resampling.BILINEAR)
    image.paste(photo, (0, 180))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 90], fill=(30, 30, 30))
    y = 180 + photo_h + 40
    words = ["boat", "UK", "safe", "trip", "WhatsApp", "price", "Calais", "call", "now", "+44"]
    while y < height - 60:
        line = " ".join(rng.choice(words) for _ in range(rng.randrange(4, 12)))
        draw.text((40, y), f"{text} {line}" if text else line, fill=(20, 20, 20))
        y += rng.randrange(28, 48)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()

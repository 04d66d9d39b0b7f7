"""Images for the redaction tests: a text advert with a phone number and an e-mail
address, a drawn face, and an image with an EXIF orientation (all made with Pillow)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from workstation.workspace import Workspace

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PHONE = "+44 7700 900123"
EMAIL = "bob.smith@example.com"


def png(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **params)
    return out.getvalue()


def add(ws: Workspace, data: bytes) -> int:
    result = ws.intake.import_bytes(data)
    assert result.status == "imported", result.error
    assert result.id is not None
    return result.id


def text_advert() -> Image.Image:
    """A white advert: a line of text, a phone number and an e-mail address."""
    image = Image.new("RGB", (900, 360), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 40)
    draw.text((30, 30), "Safe crossing to the UK", font=font, fill="black")
    draw.text((30, 130), f"Call {PHONE}", font=font, fill="black")
    draw.text((30, 230), f"Mail {EMAIL}", font=font, fill="black")
    return image


def drawn_face(size: int = 608) -> Image.Image:
    """A drawn face (hair, skin, eyes, nose, mouth) that CenterFace finds at a low score."""
    im = Image.new("RGB", (size, size), (90, 120, 160))
    d = ImageDraw.Draw(im)
    c, r = size // 2, size * 0.28
    hair, skin = (60, 40, 25), (224, 172, 140)
    d.ellipse((c - r * 0.85, c - r * 1.2, c + r * 0.85, c + r * 1.1), fill=hair)
    d.ellipse((c - r * 0.75, c - r * 0.95, c + r * 0.75, c + r * 1.05), fill=skin)
    d.rectangle((c - r * 0.8, c - r * 1.2, c + r * 0.8, c - r * 0.55), fill=hair)
    for dx in (-0.33, 0.33):
        ex, ey = c + dx * r, c - r * 0.15
        d.ellipse((ex - r * 0.16, ey - r * 0.08, ex + r * 0.16, ey + r * 0.08),
                  fill=(250, 250, 250))
        d.ellipse((ex - r * 0.07, ey - r * 0.07, ex + r * 0.07, ey + r * 0.07),
                  fill=(50, 30, 20))
        d.line((ex - r * 0.2, ey - r * 0.2, ex + r * 0.2, ey - r * 0.22), fill=(50, 30, 20),
               width=max(2, int(r * 0.05)))
    d.polygon([(c, c - r * 0.05), (c - r * 0.1, c + r * 0.3), (c + r * 0.1, c + r * 0.3)],
              fill=(200, 140, 110))
    d.chord((c - r * 0.3, c + r * 0.35, c + r * 0.3, c + r * 0.65), 0, 180, fill=(170, 60, 60))
    d.rectangle((c - r * 0.3, c + r * 1.0, c + r * 0.3, size), fill=skin)
    return im.filter(ImageFilter.GaussianBlur(size / 150))

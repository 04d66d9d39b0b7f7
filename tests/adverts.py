"""A multilingual set of phone-sized smuggling adverts with ground truth, for the
reading tests and ``bench/reading_bench.py``.

Every image is a 1080x1920 phone screenshot drawn with Pillow and the Noto fonts
(Arabic-script text shaped right to left by raqm): a status bar, the app's header
(Facebook, Instagram or a Telegram channel), the author, the post's text in one of
twelve languages, sometimes a coloured banner band with white text, a photo, the
app's buttons and the navigation bar.  What analysts meet is covered on purpose:
light and dark mode, banners, headline numbers wrapped over two lines, Latin
contacts inside Arabic-script posts, small text, and *reposts* of several adverts
(status bar cut off, 5-15 % crops, rescaled, recompressed as JPEG) next to
*distinct* adverts drawn in the same template, which must stay apart.

The ground truth is kept per image: every line drawn with its box in the final
image's pixels (``chrome=True`` for the phone's and app's own text, which recall
does not count; ``banner=True`` for banner text), the phones (E.164), handles and
URLs a reader should find, and an ``advert_id`` shared by an advert and its
reposts.  Nothing here is random: the same call gives the same bytes.

Use: ``advert(name)`` (cached :class:`Advert`: ``.image``, ``.data``, ``.lines``,
``.text_lines``, ``.phones``, ``.handles``, ``.given_lang``, ``.advert_id``),
``originals()``, ``reposts()``, ``all_adverts()``, ``names()``, ``TWINS``,
``write_all(folder)``; score a reading with ``line_cer(text, line)`` and
``line_recall(text, advert.text_lines)``.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.ocr_images import (
    ARABIC_FONT,
    DARK,
    ETHIOPIC_FONT,
    LATIN_BOLD,
    LATIN_FONT,
    LIGHT,
    NOTO,
)

WIDTH, HEIGHT = 1080, 1920
STATUS_H = 70  # the phone's status bar: what a repost most often loses
NAV_H = 120
MARGIN = 44
ETHIOPIC_BOLD = "NotoSansEthiopic-Bold.ttf"
ARABIC_BOLD = "NotoNaskhArabic-Bold.ttf"

Box = tuple[int, int, int, int]  # x, y, w, h


# ------------------------------------------------------------------ declarations
@dataclass(frozen=True)
class Contact:
    """An indicator the advert carries: ``kind`` is phone, whatsapp, handle or url;
    ``value`` the normalised form (E.164 for phones, ``@name`` for handles);
    ``on`` the drawn lines it needs (a wrapped number needs both)."""

    kind: str
    value: str
    on: tuple[str, ...]
    platform: str = ""  # for handles: the platform the text names


@dataclass(frozen=True)
class AdvertSpec:
    """One original advert: its language, template and text."""

    name: str
    language: str  # Tesseract traineddata code of the advert's language
    script: str  # Latin, Arabic or Ethiopic
    template: str  # facebook, instagram or telegram
    author: str
    body: tuple[str, ...]  # the post's lines, in reading order, as drawn
    contacts: tuple[Contact, ...] = ()
    banner: str = ""  # white text on a coloured band
    banner_colour: tuple[int, int, int] = (214, 40, 40)
    banner_at: int = 0  # body line index the banner is drawn before
    dark: bool = False
    photo: int | None = None  # seed of the photo; None: a text-only post
    size: int = 0  # body font size; 0: the script's default
    out_width: int = WIDTH  # a smaller phone: the whole screenshot scaled down

    @property
    def rtl(self) -> bool:
        return self.script == "Arabic"


@dataclass(frozen=True)
class TruthLine:
    """A line drawn in the image: its text and its box in the final image."""

    text: str
    box: Box
    banner: bool = False
    chrome: bool = False
    script: str = "Latin"  # the script of this line's letters (digits-only: Latin)


@dataclass
class Advert:
    """A rendered image and its ground truth."""

    name: str
    language: str
    script: str
    template: str
    advert_id: str
    variant: str
    image: Image.Image
    lines: list[TruthLine]
    contacts: list[Contact]
    fmt: str = "PNG"  # PNG, or JPEG for recompressed reposts
    data: bytes = field(default=b"", repr=False)  # the encoded file

    @property
    def is_repost(self) -> bool:
        return self.name != self.advert_id

    @property
    def text_lines(self) -> list[TruthLine]:
        """The lines recall is measured on: advert text and banners, no chrome."""
        return [ln for ln in self.lines if not ln.chrome]

    @property
    def truth_text(self) -> str:
        return "\n".join(ln.text for ln in self.text_lines)

    @property
    def phones(self) -> list[str]:
        """Every phone number (E.164) a reader should find, WhatsApp ones included."""
        return sorted({c.value for c in self.contacts if c.kind in ("phone", "whatsapp")})

    @property
    def handles(self) -> list[Contact]:
        return [c for c in self.contacts if c.kind == "handle"]

    @property
    def urls(self) -> list[str]:
        return [c.value for c in self.contacts if c.kind == "url"]

    @property
    def given_lang(self) -> str:
        """The language to give Tesseract for this advert: its own, plus English when
        Latin contacts are embedded in another script."""
        if self.script != "Latin" and any(
                ln.script == "Latin" and not ln.chrome for ln in self.lines):
            return f"{self.language}+eng"
        return self.language

    @property
    def suffix(self) -> str:
        return ".jpg" if self.fmt == "JPEG" else ".png"


# ------------------------------------------------------------------ drawing
@lru_cache(maxsize=64)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(NOTO / name), size)


def script_of(text: str) -> str:
    """The script of ``text``'s letters: Arabic, Ethiopic or Latin (digits, signs)."""
    for ch in text:
        if "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff":
            return "Arabic"
        if "\u1200" <= ch <= "\u139f":
            return "Ethiopic"
    return "Latin"


def _native(ch: str, script: str) -> bool:
    """Whether the script's own font draws ``ch``."""
    if script == "Ethiopic":
        return "\u1200" <= ch <= "\u139f"
    return not (ch.isascii() and (ch.isalpha() or ch in "+@_/"))


def _needs_fallback(text: str, script: str) -> bool:
    return any(not _native(ch, script) for ch in text if not ch.isspace())


def _split_runs(text: str, script: str) -> list[tuple[str, bool]]:
    """``text`` in runs of the script's own letters and of fallback (Latin) text,
    in logical order, the spaces between runs dropped (the gap is drawn instead).
    For Arabic, the digits and signs next to Latin text go with it (+44 7700 ...)."""
    runs: list[tuple[str, bool]] = []
    for word in text.split(" "):
        if script == "Arabic":
            native = not _needs_fallback(word, script) and not (
                runs and not runs[-1][1] and all(ch.isascii() for ch in word))
        else:
            native = all(_native(ch, script) for ch in word)
        if runs and runs[-1][1] == native:
            runs[-1] = (runs[-1][0] + " " + word, native)
        else:
            runs.append((word, native))
    return runs


def _font_for(text: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    script = script_of(text)
    if script == "Arabic":
        return _font(ARABIC_BOLD if bold else ARABIC_FONT, size)
    if script == "Ethiopic":
        return _font(ETHIOPIC_BOLD if bold else ETHIOPIC_FONT, size)
    return _font(LATIN_BOLD if bold else LATIN_FONT, size)


class _Canvas:
    """A phone screenshot being drawn, recording every line's box."""

    def __init__(self, spec: AdvertSpec) -> None:
        self.spec = spec
        self.theme = DARK if spec.dark else LIGHT
        self.image = Image.new("RGB", (WIDTH, HEIGHT), self.theme["bg"])
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[TruthLine] = []

    def text(self, x: int, y: int, text: str, font: ImageFont.FreeTypeFont,
             fill: tuple[int, ...], *, right: bool = False, centre: bool = False,
             banner: bool = False, chrome: bool = False) -> Box:
        """Draw ``text`` with its ink's top-left at (x, y) (or its right edge at x,
        or centred on x); returns and records the ink box."""
        script = script_of(text)
        if script != "Latin" and _needs_fallback(text, script):
            return self._runs(x, y, text, font, fill, right=right, centre=centre,
                              banner=banner, chrome=chrome)
        kwargs: dict[str, str] = {"direction": "rtl", "language": "ar"} \
            if script == "Arabic" else {}
        left, top, rgt, bottom = (round(v) for v in self.draw.textbbox(
            (0, 0), text, font=font, **kwargs))  # type: ignore[arg-type]
        w, h = rgt - left, bottom - top
        x = self._place(x, w, text, right, centre)
        self.draw.text((x - left, y - top), text, font=font, fill=fill,
                       **kwargs)  # type: ignore[arg-type]
        box = (x, y, w, h)
        self.lines.append(TruthLine(text, box, banner, chrome, script_of(text)))
        return box

    def _place(self, x: int, w: int, text: str, right: bool, centre: bool) -> int:
        if right:
            x -= w
        elif centre:
            x -= w // 2
        if x < 8 or x + w > WIDTH - 8:
            raise ValueError(f"{self.spec.name}: line too wide ({w}px): {text!r}")
        return x

    def _runs(self, x: int, y: int, text: str, font: ImageFont.FreeTypeFont,
              fill: tuple[int, ...], *, right: bool, centre: bool, banner: bool,
              chrome: bool) -> Box:
        """A line mixing scripts, drawn run by run as a phone's font fallback does:
        the Ethiopic and Arabic fonts have no Latin letters (nor digits, for
        Ethiopic), and a Latin run inside right-to-left text reads left to right."""
        script = script_of(text)
        bold = "Bold" in str(font.path)
        latin = _font(LATIN_BOLD if bold else LATIN_FONT, round(font.size))
        runs = _split_runs(text, script)
        pieces = []  # (run, font, kwargs, bbox) in visual order, left to right
        for run, native in (reversed(runs) if script == "Arabic" else runs):
            kwargs: dict[str, str] = {"direction": "rtl", "language": "ar"} \
                if native and script == "Arabic" else {}
            f = font if native else latin
            bbox = self.draw.textbbox((0, 0), run, font=f, **kwargs)  # type: ignore[arg-type]
            pieces.append((run, f, kwargs, bbox))
        gap = round(font.size * 0.28)
        widths = [round(bb[2] - bb[0]) for _, _, _, bb in pieces]
        w = sum(widths) + gap * (len(pieces) - 1)
        top = min(round(bb[1]) for *_, bb in pieces)
        bottom = max(round(bb[3]) for *_, bb in pieces)
        x = self._place(x, w, text, right, centre)
        pen = x
        for (run, f, kwargs, bb), width in zip(pieces, widths, strict=True):
            self.draw.text((pen - round(bb[0]), y - top), run, font=f, fill=fill,
                           **kwargs)  # type: ignore[arg-type]
            pen += width + gap
        box = (x, y, w, bottom - top)
        self.lines.append(TruthLine(text, box, banner, chrome, script))
        return box

    def status_bar(self) -> None:
        fg = (255, 255, 255) if self.spec.dark or self.spec.template == "telegram" else (0, 0, 0)
        bg = (0, 0, 0) if self.spec.dark else (
            (82, 136, 193) if self.spec.template == "telegram" else (246, 246, 246))
        self.draw.rectangle((0, 0, WIDTH, STATUS_H), fill=bg)
        self.text(40, 22, "21:47", _font(LATIN_BOLD, 28), fg, chrome=True)
        # Signal bars and a battery, drawn as shapes like the real icons.
        for i in range(4):
            self.draw.rectangle((860 + i * 14, 48 - i * 7, 869 + i * 14, 50), fill=fg)
        self.draw.rounded_rectangle((940, 24, 1000, 48), radius=5, outline=fg, width=3)
        self.draw.rectangle((946, 30, 984, 42), fill=fg)
        self.draw.rectangle((1002, 31, 1007, 41), fill=fg)

    def nav_bar(self) -> None:
        top = HEIGHT - NAV_H
        self.draw.rectangle((0, top, WIDTH, HEIGHT), fill=(0, 0, 0) if self.spec.dark
                            else (240, 240, 240))
        fg = (200, 200, 200) if self.spec.dark else (90, 90, 90)
        cy = top + NAV_H // 2
        self.draw.polygon([(250, cy), (285, cy - 22), (285, cy + 22)], outline=fg, width=4)
        self.draw.ellipse((515, cy - 24, 563, cy + 24), outline=fg, width=4)
        self.draw.rectangle((790, cy - 20, 830, cy + 20), outline=fg, width=4)

    def photo(self, y: int, height: int, seed: int, x: int = 0, width: int = WIDTH) -> None:
        """A seeded picture of the sea with a boat: every seed looks different."""
        self.image.paste(_photo(width, height, seed), (x, y))


@lru_cache(maxsize=32)
def _photo(width: int, height: int, seed: int) -> Image.Image:
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    sky = ((seed * 53) % 120 + 100, (seed * 31) % 100 + 140, 230 - (seed * 17) % 60)
    sea = (20 + (seed * 13) % 40, 60 + (seed * 29) % 80, 120 + (seed * 7) % 100)
    horizon = height * (35 + seed * 11 % 30) // 100
    draw.rectangle((0, 0, width, horizon), fill=sky)
    draw.rectangle((0, horizon, width, height), fill=sea)
    for k in range(6):  # waves
        wy = horizon + 20 + k * (height - horizon) // 6
        off = (seed * 37 + k * 90) % 160
        for x0 in range(-off, width, 160):
            draw.arc((x0, wy, x0 + 120, wy + 30), 200, 340, fill=(230, 240, 250), width=3)
    sun_x = 120 + (seed * 97) % (width - 240)
    draw.ellipse((sun_x, 30, sun_x + 90, 120), fill=(250, 220, 90))
    bx = 60 + (seed * 61) % (width - 420)
    by = horizon + (height - horizon) // 3
    hull = ((seed * 41) % 200 + 40, (seed * 23) % 120 + 20, (seed * 19) % 100 + 30)
    draw.polygon([(bx, by), (bx + 320, by), (bx + 270, by + 70), (bx + 40, by + 70)], fill=hull)
    for p in range(7):  # people on board
        px = bx + 30 + p * 40
        draw.ellipse((px, by - 40, px + 26, by - 14), fill=(250, 120, 40))
        draw.rectangle((px + 2, by - 14, px + 24, by), fill=(250, 120, 40))
    return image


def _body_size(spec: AdvertSpec) -> int:
    return spec.size or {"Arabic": 40, "Ethiopic": 36}.get(spec.script, 36)


def _header(c: _Canvas) -> int:
    """Draw the app's header and the author row; returns the y where the post starts."""
    spec, th = c.spec, c.theme
    y = STATUS_H
    if spec.template == "facebook":
        c.draw.rectangle((0, y, WIDTH, y + 110), fill=th["bg"])
        blue = (24, 119, 242) if not spec.dark else (228, 230, 235)
        c.text(MARGIN, y + 30, "facebook", _font(LATIN_BOLD, 46), blue, chrome=True)
        for i in range(3):
            cx = WIDTH - 80 - i * 100
            c.draw.ellipse((cx - 34, y + 21, cx + 34, y + 89), fill=th["button"])
        c.draw.line((0, y + 110, WIDTH, y + 110), fill=th["button"], width=3)
        y += 140
    elif spec.template == "instagram":
        c.text(MARGIN, y + 26, "Instagram", _font(LATIN_BOLD, 48), th["fg"], chrome=True)
        c.draw.line((0, y + 110, WIDTH, y + 110), fill=th["button"], width=2)
        y += 136
    else:  # telegram channel
        bar = (82, 136, 193) if not spec.dark else (33, 48, 64)
        c.draw.rectangle((0, y, WIDTH, y + 130), fill=bar)
        c.draw.ellipse((MARGIN + 50, y + 20, MARGIN + 140, y + 110), fill=(240, 170, 60))
        c.text(MARGIN + 170, y + 22, spec.author, _font_for(spec.author, 36, bold=True),
               (255, 255, 255))
        c.text(MARGIN + 170, y + 78, "12,408 subscribers", _font(LATIN_FONT, 26),
               (220, 230, 240), chrome=True)
        bg = (214, 228, 200) if not spec.dark else (14, 22, 33)
        c.draw.rectangle((0, y + 130, WIDTH, HEIGHT), fill=bg)
        return y + 170
    c.draw.ellipse((MARGIN, y, MARGIN + 84, y + 84), fill=(120, 160, 200))
    c.text(MARGIN + 108, y + 8, spec.author, _font_for(spec.author, 32, bold=True), th["fg"])
    c.text(MARGIN + 108, y + 54, "2 h", _font(LATIN_FONT, 24), th["muted"], chrome=True)
    return y + 120


def _banner(c: _Canvas, y: int) -> int:
    spec = c.spec
    inset = MARGIN if spec.template == "telegram" else 0  # inside the message bubble
    c.draw.rectangle((inset, y, WIDTH - inset, y + 120), fill=spec.banner_colour)
    c.text(WIDTH // 2, y + 32, spec.banner, _font_for(spec.banner, 54, bold=True),
           (255, 255, 255), centre=True, banner=True)
    return y + 150


def _body(c: _Canvas, y: int, x_left: int, x_right: int, fg: tuple[int, ...]) -> int:
    """Draw the post's lines (and the banner among them); returns the y below them."""
    spec = c.spec
    size = _body_size(spec)
    step = round(size * 1.55)
    for i, text in enumerate(spec.body):
        if spec.banner and i == spec.banner_at:
            y = _banner(c, y)
        font = _font_for(text, size)
        if spec.rtl:  # right-aligned paragraph, Latin-only lines too (dir="rtl" post)
            c.text(x_right, y, text, font, fg, right=True)
        else:
            c.text(x_left, y, text, font, fg)
        y += step
    if spec.banner and spec.banner_at >= len(spec.body):
        y = _banner(c, y + 10)
    return y


def _buttons(c: _Canvas, y: int, labels: Sequence[str]) -> int:
    th = c.theme
    bw = (WIDTH - 2 * MARGIN - 40) // len(labels)
    for i, label in enumerate(labels):
        x0 = MARGIN + i * (bw + 20)
        c.draw.rounded_rectangle((x0, y, x0 + bw, y + 66), radius=14, fill=th["button"])
        c.text(x0 + bw // 2, y + 20, label, _font(LATIN_FONT, 26), th["fg"], centre=True,
               chrome=True)
    return y + 90


def render(spec: AdvertSpec) -> Advert:
    """Draw ``spec`` as a phone screenshot, with its ground truth."""
    c = _Canvas(spec)
    c.status_bar()
    y = _header(c)
    th = c.theme
    if spec.template == "telegram":
        # The message bubble, sized from the body before anything is drawn on it.
        step = round(_body_size(spec) * 1.55)
        inner = len(spec.body) * step + (150 if spec.banner else 0) + (
            380 if spec.photo is not None else 0)
        bubble = (255, 255, 255) if not spec.dark else (24, 37, 51)
        c.draw.rounded_rectangle((MARGIN, y, WIDTH - MARGIN, y + inner + 100), radius=28,
                                 fill=bubble)
        y = _body(c, y + 30, MARGIN + 36, WIDTH - MARGIN - 36, th["fg"])
        if spec.photo is not None:
            c.photo(y + 10, 360, spec.photo, MARGIN + 20, WIDTH - 2 * MARGIN - 40)
            y += 380
        c.text(WIDTH - MARGIN - 36, y + 8, "21:03", _font(LATIN_FONT, 24), th["muted"],
               right=True, chrome=True)
        y += 70
    else:
        if spec.template == "instagram" and spec.photo is not None:
            c.photo(y, 620, spec.photo)
            y += 640
            c.text(MARGIN, y, "1,204 likes", _font(LATIN_BOLD, 28), th["fg"], chrome=True)
            y += 60
        y = _body(c, y + 10, MARGIN, WIDTH - MARGIN, th["fg"])
        if spec.template == "facebook" and spec.photo is not None:
            c.photo(y + 10, 420, spec.photo)
            y += 450
        if spec.template == "facebook":
            y = _buttons(c, y + 20, ("Like", "Comment", "Share"))
    if y > HEIGHT - NAV_H - 10:
        raise ValueError(f"{spec.name}: content runs to y={y}, past the navigation bar")
    c.nav_bar()
    advert = Advert(spec.name, spec.language, spec.script, spec.template, spec.name,
                    "original" + (" dark" if spec.dark else " light"), c.image, c.lines,
                    list(spec.contacts))
    if spec.out_width != WIDTH:
        advert = _scaled(advert, spec.out_width / WIDTH, f"{advert.variant}, small phone")
    return _encoded(advert)


# ------------------------------------------------------------------ reposts
def _encoded(advert: Advert, quality: int = 0) -> Advert:
    out = io.BytesIO()
    if quality:
        advert.image.save(out, "JPEG", quality=quality)
        data = out.getvalue()
        image = Image.open(io.BytesIO(data))
        image.load()
        return replace(advert, image=image.convert("RGB"), fmt="JPEG", data=data)
    advert.image.save(out, "PNG")
    return replace(advert, fmt="PNG", data=out.getvalue())


def _keep_contacts(contacts: Iterable[Contact], lines: Sequence[TruthLine]) -> list[Contact]:
    present = {ln.text for ln in lines}
    return [c for c in contacts if all(t in present for t in c.on)]


def _cropped(advert: Advert, left: int, top: int, right: int, bottom: int,
             variant: str) -> Advert:
    """``advert`` cut to the box (left, top, right, bottom); lines not wholly inside go."""
    image = advert.image.crop((left, top, right, bottom))
    lines = [replace(ln, box=(ln.box[0] - left, ln.box[1] - top, ln.box[2], ln.box[3]))
             for ln in advert.lines
             if ln.box[0] >= left and ln.box[1] >= top and ln.box[0] + ln.box[2] <= right
             and ln.box[1] + ln.box[3] <= bottom]
    return replace(advert, image=image, lines=lines,
                   contacts=_keep_contacts(advert.contacts, lines), variant=variant)


def _scaled(advert: Advert, factor: float, variant: str) -> Advert:
    w, h = advert.image.size
    size = (round(w * factor), round(h * factor))
    image = advert.image.resize(size, Image.Resampling.LANCZOS)
    lines = [replace(ln, box=(round(ln.box[0] * factor), round(ln.box[1] * factor),
                              round(ln.box[2] * factor), round(ln.box[3] * factor)))
             for ln in advert.lines]
    return replace(advert, image=image, lines=lines, variant=variant)


@dataclass(frozen=True)
class RepostSpec:
    """A repost of ``original``: ``ops`` applied in order.

    Ops: ``("nostatus",)`` cuts the status bar; ``("crop", top, bottom, left, right)``
    cuts those fractions of the height/width from each side; ``("scale", f)``
    resizes; ``("jpeg", quality)`` recompresses (last)."""

    name: str
    original: str
    ops: tuple[tuple[str | float, ...], ...]


def _repost(spec: RepostSpec) -> Advert:
    advert = replace(advert_named(spec.original), name=spec.name)
    words: list[str] = []
    quality = 0
    for op in spec.ops:
        kind = op[0]
        w, h = advert.image.size
        if kind == "nostatus":
            cut = round(STATUS_H * h / HEIGHT)
            advert = _cropped(advert, 0, cut, w, h, advert.variant)
            words.append("status bar cut")
        elif kind == "crop":
            t, b, lft, r = (float(v) for v in op[1:])
            advert = _cropped(advert, round(w * lft), round(h * t), w - round(w * r),
                              h - round(h * b), advert.variant)
            words.append("crop " + ",".join(f"{s}{round(v * 100)}%" for s, v in
                                            zip("tblr", (t, b, lft, r), strict=True) if v))
        elif kind == "scale":
            advert = _scaled(advert, float(op[1]), advert.variant)
            words.append(f"scaled {op[1]}x")
        elif kind == "jpeg":
            quality = int(op[1])
            words.append(f"JPEG q{quality}")
        else:
            raise ValueError(f"unknown repost op {kind!r}")
    advert = replace(advert, variant="repost: " + ", ".join(words))
    return _encoded(advert, quality)


# ------------------------------------------------------------------ the set
def _wa(value: str, *on: str) -> Contact:
    return Contact("whatsapp", value, on)


def _ph(value: str, *on: str) -> Contact:
    return Contact("phone", value, on)


def _handle(value: str, platform: str, *on: str) -> Contact:
    return Contact("handle", value, on, platform)


def _url(value: str, *on: str) -> Contact:
    return Contact("url", value, on)


RED, BLUE, GREEN, ORANGE, PURPLE = (214, 40, 40), (22, 94, 200), (24, 140, 70), (230, 110, 0), \
    (120, 50, 170)

ADVERTS: tuple[AdvertSpec, ...] = (
    AdvertSpec(
        "eng_fb", "eng", "Latin", "facebook", "Safe Travel UK",
        ("Boat to UK every week from Dunkirk",
         "Price £2500 per person, children half price",
         "Call or WhatsApp now:",
         "+44 7700",
         "900123",
         "Instagram: @mohajer.travel"),
        (_wa("+447700900123", "+44 7700", "900123"),
         _handle("@mohajer.travel", "instagram", "Instagram: @mohajer.travel")),
        banner="UK 100% SAFE", banner_at=0, photo=1),
    AdvertSpec(
        "eng_fb_twin", "eng", "Latin", "facebook", "London Express",
        ("Lorry to London, no waiting in the camp",
         "£3000 door to door, pay when you arrive",
         "Places every Friday, ask for Karwan",
         "WhatsApp +44 7700 900456"),
        (_wa("+447700900456", "WhatsApp +44 7700 900456"),),
        banner="FAST TRIP UK", banner_at=0, photo=2),
    AdvertSpec(
        "eng_ig", "eng", "Latin", "instagram", "mohajer.travel",
        ("New dates for crossing to UK this month",
         "Safe boat with life jackets, £2200 only",
         "Message us: wa.me/447700900123",
         "Telegram: t.me/uk_safe_trip"),
        (_wa("+447700900123", "Message us: wa.me/447700900123"),
         _url("wa.me/447700900123", "Message us: wa.me/447700900123"),
         _handle("@uk_safe_trip", "telegram", "Telegram: t.me/uk_safe_trip")),
        dark=True, photo=3),
    AdvertSpec(
        "ara_fb", "ara", "Arabic", "facebook", "Safar Group",
        ("رحلات إلى بريطانيا كل أسبوع، آمنة ومضمونة",
         "السعر ٢٥٠٠ جنيه إسترليني للشخص الواحد",
         "الأطفال نصف السعر والدفع عند الوصول",
         "للحجز راسلونا على واتساب",
         "+964 750 123 4567"),
        (_wa("+9647501234567", "+964 750 123 4567"),)),
    AdvertSpec(
        "ara_fb_twin", "ara", "Arabic", "facebook", "Karwan Travel",
        ("سفر إلى ألمانيا بالشاحنة كل يوم جمعة",
         "السعر ٣٠٠٠ يورو مع السكن في الطريق",
         "مكان محدود، احجز مكانك الآن",
         "للتواصل اتصل على الرقم",
         "+964 770 123 4567"),
        (_ph("+9647701234567", "+964 770 123 4567"),)),
    AdvertSpec(
        "ara_tg", "ara", "Arabic", "telegram", "رحلات الأمان",
        ("انطلاق من كاليه إلى دوفر بالقارب",
         "قارب جديد وسترات نجاة للجميع",
         "واتساب:",
         "+44 7700",
         "900789",
         "t.me/rihlat_aman"),
        (_wa("+447700900789", "+44 7700", "900789"),
         _handle("@rihlat_aman", "telegram", "t.me/rihlat_aman")),
        banner="CALAIS -> DOVER", banner_colour=BLUE, banner_at=0, dark=True),
    AdvertSpec(
        "fas_fb", "fas", "Arabic", "facebook", "Mohajer Travel",
        ("سفر به انگلیس با قایق، هر هفته",
         "قیمت ۳۰۰۰ پوند برای هر نفر",
         "پرداخت پس از رسیدن، کودکان نیم بها",
         "تماس در واتساپ:",
         "+98 912 123 4567",
         "Instagram: @mohajer.travel"),
        (_wa("+989121234567", "+98 912 123 4567"),
         _handle("@mohajer.travel", "instagram", "Instagram: @mohajer.travel")),
        banner="انگلیس ۱۰۰٪ تضمینی", banner_colour=GREEN, banner_at=0, photo=4),
    AdvertSpec(
        "fas_ig", "fas", "Arabic", "instagram", "safar.omid",
        ("ژاکت نجات و قایق بزرگ برای همه",
         "حرکت از فرانسه به انگلیس",
         "قیمت ویژه ۲۸۰۰ پوند",
         "واتساپ +98 935 123 4567"),
        (_wa("+989351234567", "واتساپ +98 935 123 4567"),),
        dark=True, photo=5),
    AdvertSpec(
        "pus_fb", "pus", "Arabic", "facebook", "Afghan Safar",
        ("انګلستان ته خوندي سفر په کښتۍ",
         "بیه ۲۸۰۰ پونډه د هر نفر لپاره",
         "ماشومان نیمه بیه، پیسې د رسیدو وروسته",
         "واټساپ ته پیغام راکړئ",
         "+93 70 123 4567"),
        (_wa("+93701234567", "+93 70 123 4567"),), photo=6),
    AdvertSpec(
        "kmr_fb", "kmr", "Latin", "facebook", "Rewiti Kurd",
        ("Rêwîtiya ewle ber bi Îngilîstanê ve",
         "Her hefte bi botê ji Dunkirkê",
         "Biha 2500 £ ji bo her kesî",
         "Zarok nîv biha ne, pere piştî gihîştinê",
         "WhatsApp: +964 750 765 4321"),
        (_wa("+9647507654321", "WhatsApp: +964 750 765 4321"),), photo=7),
    AdvertSpec(
        "sqi_fb", "sqi", "Latin", "facebook", "Udhetime Shqip",
        ("Udhëtim i sigurt për në Angli me gomone",
         "Çmimi 3000 euro, pagesa në mbërritje",
         "Na shkruani në WhatsApp:",
         "+355 69",
         "123 4567"),
        (_wa("+355691234567", "+355 69", "123 4567"),),
        banner="ANGLI 100% SIGURT", banner_colour=PURPLE, banner_at=0, photo=8),
    AdvertSpec(
        "vie_fb", "vie", "Latin", "facebook", "Du lịch Châu Âu",
        ("Đi Anh an toàn bằng xuồng",
         "Giá 20.000 bảng, trả tiền khi đến nơi",
         "Đảm bảo đến nơi, không phải chờ lâu",
         "Liên hệ Zalo hoặc WhatsApp:",
         "+84 912 345 678"),
        (_wa("+84912345678", "+84 912 345 678"),), photo=9),
    AdvertSpec(
        "tir_fb", "tir", "Ethiopic", "facebook", "Habesha Travel",
        ("ናብ ዓዲ እንግሊዝ ውሑስ ጉዕዞ ብጃልባ",
         "ዋጋ 2500 ፓውንድ ንሓደ ሰብ",
         "ንዝያዳ ሓበሬታ ደውሉልና",
         "+291 7 123 456"),
        (_ph("+2917123456", "+291 7 123 456"),), photo=10),
    AdvertSpec(
        "amh_fb", "amh", "Ethiopic", "facebook", "Addis Travel",
        ("ወደ እንግሊዝ በጀልባ ደህንነቱ የተጠበቀ ጉዞ",
         "ዋጋው 2500 ፓውንድ ለአንድ ሰው",
         "ለበለጠ መረጃ ይደውሉልን",
         "+251 91 123 4567"),
        (_ph("+251911234567", "+251 91 123 4567"),), dark=True, photo=11),
    AdvertSpec(
        "fra_fb", "fra", "Latin", "facebook", "Voyages Express",
        ("Traversée vers l'Angleterre chaque semaine",
         "Départ de Calais, places limitées",
         "Prix : 2000 euro par personne",
         "Appelez le +33 6 55 01 23 45"),
        (_ph("+33655012345", "Appelez le +33 6 55 01 23 45"),),
        banner="CALAIS -> DOVER", banner_colour=BLUE, banner_at=4, photo=12),
    AdvertSpec(
        "fra_tg", "fra", "Latin", "telegram", "Passage Rapide",
        ("Passage garanti pour Londres en camion",
         "Départ chaque nuit, réponse rapide",
         "Paiement à l'arrivée, 2500 euro",
         "WhatsApp : +33 6 55 01 67 89"),
        (_wa("+33655016789", "WhatsApp : +33 6 55 01 67 89"),), photo=13),
    AdvertSpec(
        "tur_fb", "tur", "Latin", "facebook", "Ege Seyahat",
        ("İngiltere'ye güvenli geçiş, her hafta",
         "Fiyat 2500 sterlin, ödeme varışta",
         "Çocuklar yarı fiyatına gidiyor",
         "WhatsApp:",
         "+90 532",
         "000 12 34"),
        (_wa("+905320001234", "+90 532", "000 12 34"),), dark=True, photo=14, out_width=720),
    AdvertSpec(
        "urd_fb", "urd", "Arabic", "facebook", "Safar Pakistan",
        ("برطانیہ کے لیے محفوظ سفر، ہر ہفتے",
         "قیمت ۲۵۰۰ پاؤنڈ فی کس",
         "بچوں کا آدھا کرایہ، ادائیگی پہنچنے پر",
         "واٹس ایپ پر رابطہ کریں",
         "+92 300 1234567"),
        (_wa("+923001234567", "+92 300 1234567"),), photo=15),
    # A number in Arabic-Indic digits with the 00 prefix, as Iraqi posts write it.
    AdvertSpec(
        "ara_ig", "ara", "Arabic", "instagram", "rihla.uk",
        ("توصيل إلى لندن بالشاحنة، بدون انتظار",
         "السعر ٤٠٠٠ يورو، نصف المبلغ عند الوصول",
         "اتصل: ٠٠٩٦٤ ٧٥١ ٢٣٤ ٥٦٧٨"),
        (_ph("+9647512345678", "اتصل: ٠٠٩٦٤ ٧٥١ ٢٣٤ ٥٦٧٨"),), photo=16),
    # UK numbers in national format and in odd pairs of digits.
    AdvertSpec(
        "eng_tg", "eng", "Latin", "telegram", "UK Road Team",
        ("No more lorries, we take you by van",
         "From Brussels to London, £4500",
         "Call 07700 900654 (UK number)",
         "or +44 77 00 90 06 87 on Signal"),
        (_ph("+447700900654", "Call 07700 900654 (UK number)"),
         _ph("+447700900687", "or +44 77 00 90 06 87 on Signal")),
        dark=True, photo=17),
)

REPOSTS: tuple[RepostSpec, ...] = (
    RepostSpec("eng_fb~nostatus", "eng_fb", (("nostatus",),)),
    RepostSpec("eng_fb~crop10", "eng_fb", (("crop", 0.10, 0.05, 0.0, 0.0),)),
    RepostSpec("eng_fb~small_jpeg", "eng_fb", (("scale", 0.6), ("jpeg", 60))),
    RepostSpec("ara_fb~nostatus", "ara_fb", (("nostatus",),)),
    RepostSpec("ara_fb~sides_jpeg", "ara_fb", (("crop", 0.0, 0.0, 0.04, 0.04), ("jpeg", 60))),
    RepostSpec("fas_fb~crop_bottom", "fas_fb", (("nostatus",), ("crop", 0.0, 0.12, 0.0, 0.0))),
    RepostSpec("fas_fb~small", "fas_fb", (("scale", 0.6),)),
    RepostSpec("vie_fb~crop_top", "vie_fb", (("crop", 0.15, 0.0, 0.0, 0.0),)),
    RepostSpec("vie_fb~jpeg", "vie_fb", (("scale", 0.75), ("jpeg", 60))),
    RepostSpec("fra_fb~nostatus_jpeg", "fra_fb", (("nostatus",), ("jpeg", 60))),
    RepostSpec("tir_fb~crop5", "tir_fb", (("crop", 0.06, 0.06, 0.03, 0.03),)),
    RepostSpec("tur_fb~nostatus", "tur_fb", (("nostatus",),)),
    RepostSpec("eng_ig~crop_small", "eng_ig",
               (("nostatus",), ("crop", 0.0, 0.08, 0.0, 0.0), ("scale", 0.6))),
    RepostSpec("ara_tg~nostatus_jpeg", "ara_tg", (("nostatus",), ("jpeg", 60))),
    RepostSpec("urd_fb~crop", "urd_fb", (("crop", 0.06, 0.10, 0.0, 0.0),)),
    RepostSpec("kmr_fb~jpeg", "kmr_fb", (("jpeg", 60),)),
)

#: Pairs of *distinct* adverts drawn in the same template (same app chrome and
#: layout, different text and numbers, no shared indicator): never to be linked.
TWINS: tuple[tuple[str, str], ...] = (("eng_fb", "eng_fb_twin"), ("ara_fb", "ara_fb_twin"))

LANGUAGES = ("eng", "ara", "fas", "kmr", "pus", "sqi", "vie", "tir", "fra", "tur", "urd", "amh")

_SPECS = {s.name: s for s in ADVERTS}
_REPOSTS = {r.name: r for r in REPOSTS}


@cache
def advert_named(name: str) -> Advert:
    """The advert or repost called ``name`` (cached: do not modify its image)."""
    if name in _SPECS:
        return render(_SPECS[name])
    if name in _REPOSTS:
        return _repost(_REPOSTS[name])
    raise KeyError(name)


advert = advert_named


def names(*, reposts: bool = True) -> list[str]:
    return [s.name for s in ADVERTS] + ([r.name for r in REPOSTS] if reposts else [])


def originals() -> list[Advert]:
    return [advert_named(s.name) for s in ADVERTS]


def reposts() -> list[Advert]:
    return [advert_named(r.name) for r in REPOSTS]


def all_adverts() -> list[Advert]:
    return originals() + reposts()


def write_all(folder: Path, selection: Iterable[str] | None = None) -> dict[str, Path]:
    """Write the images (PNG, JPEG for recompressed reposts) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in selection or names():
        a = advert_named(name)
        path = folder / (name.replace("~", "--") + a.suffix)
        path.write_bytes(a.data)
        out[name] = path
    return out


# ------------------------------------------------------------------ scoring
def normalise(text: str) -> str:
    """NFC, bidi controls and tatweel removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch not in "\u200e\u200f\u202a\u202b\u202c\u202d"
                   "\u202e\u2066\u2067\u2068\u2069\u0640")
    return " ".join(text.split())


def _substring_distance(needle: str, hay: str) -> int:
    """The least edit distance between ``needle`` and any substring of ``hay``."""
    if not needle:
        return 0
    previous = [0] * (len(hay) + 1)  # free start anywhere in hay
    for i, cn in enumerate(needle, 1):
        current = [i]
        for j, ch in enumerate(hay, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (cn != ch)))
        previous = current
    return min(previous)  # free end anywhere


def line_cer(read_text: str, truth_line: str) -> float:
    """The character error rate of ``truth_line`` as the analyst would find it in
    ``read_text``: the best-matching stretch of one read line (or two adjacent
    lines joined, when the reader split it), edit distance over the line's length."""
    truth = normalise(truth_line)
    if not truth:
        return 0.0
    lines = [normalise(ln) for ln in read_text.splitlines()]
    lines = [ln for ln in lines if ln]
    candidates = lines + [f"{a} {b}" for a, b in pairwise(lines)]
    if any(truth in cand for cand in lines):
        return 0.0
    best = len(truth)
    for cand in candidates:
        best = min(best, _substring_distance(truth, cand))
        if not best:
            break
    return min(1.0, best / len(truth))


def line_recall(read_text: str, lines: Iterable[TruthLine | str],
                threshold: float = 0.2) -> tuple[float, list[str]]:
    """Share of ``lines`` found in ``read_text`` with a line-CER at most
    ``threshold``, and the lines missed."""
    texts = [ln.text if isinstance(ln, TruthLine) else ln for ln in lines]
    missed = [t for t in texts if line_cer(read_text, t) > threshold]
    return (1.0 - len(missed) / len(texts) if texts else 1.0), missed

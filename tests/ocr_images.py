"""Synthetic social-media screenshots with known text, for the OCR tests and bench.

Every image is rendered with Pillow and the Noto fonts (Arabic shaped by raqm,
right to left), laid out like a post in a phone app: a coloured header bar
with the app's name, an author line, the post's text and a row of buttons.
The ground truth is every string drawn, and the box of every line is kept so
tests can check that word boxes land where the text was drawn.

Variants cover what analysts meet: light and dark mode, and screenshots that
were shrunk (thumbnails, forwarded copies) so the text is only a few pixels
high.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

NOTO = Path("/usr/share/fonts/truetype/noto")
LATIN_FONT = "NotoSans-Regular.ttf"
LATIN_BOLD = "NotoSans-Bold.ttf"
ARABIC_FONT = "NotoNaskhArabic-Regular.ttf"
ARABIC_SANS = "NotoSansArabic-Regular.ttf"
ETHIOPIC_FONT = "NotoSansEthiopic-Regular.ttf"

LIGHT = {"bg": (255, 255, 255), "fg": (5, 5, 5), "muted": (101, 103, 107), "bar": (24, 119, 242),
         "bar_fg": (255, 255, 255), "button": (228, 230, 235)}
DARK = {"bg": (24, 25, 26), "fg": (228, 230, 235), "muted": (176, 179, 184), "bar": (36, 37, 38),
        "bar_fg": (228, 230, 235), "button": (58, 59, 60)}


@dataclass(frozen=True)
class Line:
    """One line of text to draw."""

    text: str
    font: str = LATIN_FONT
    size: int = 34
    rtl: bool = False


@dataclass(frozen=True)
class SampleSpec:
    """What a sample screenshot shows."""

    name: str
    script: str  # the script of the body text, as Tesseract OSD names it
    lines: tuple[Line, ...]
    author: str = "Travel Services"
    dark: bool = False
    shrink: float = 1.0  # final downscale factor (0.35 = small text)
    width: int = 1080


@dataclass
class Sample:
    """A rendered sample: the image, its ground truth and where each line was drawn."""

    spec: SampleSpec
    image: Image.Image
    truth: list[str]  # every string drawn, top to bottom
    body: list[str]  # the post's text lines only
    boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # line -> x,y,w,h

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def truth_text(self) -> str:
        return "\n".join(self.truth)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(NOTO / name), size)


def render(spec: SampleSpec) -> Sample:
    """Draw ``spec`` as a phone-app screenshot."""
    theme = DARK if spec.dark else LIGHT
    width = spec.width
    margin = 40
    line_gap = 22
    header_h = 110
    # Measure the body first to size the canvas.
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    body_heights = []
    for line in spec.lines:
        f = _font(line.font, line.size)
        box = scratch.textbbox((0, 0), line.text, font=f, direction="rtl" if line.rtl else None,
                               language="ar" if line.rtl else None)
        body_heights.append(round(box[3] - box[1]))
    height = header_h + 120 + sum(h + line_gap for h in body_heights) + 150
    image = Image.new("RGB", (width, height), theme["bg"])
    draw = ImageDraw.Draw(image)
    truth: list[str] = []
    boxes: dict[str, tuple[int, int, int, int]] = {}

    def text_at(x: int, y: int, text: str, font: ImageFont.FreeTypeFont, fill: tuple[int, ...],
                rtl: bool = False, anchor_right: bool = False, record: bool = True) -> int:
        kwargs = {"direction": "rtl", "language": "ar"} if rtl else {}
        left, t, r, b = (round(v) for v in draw.textbbox((0, 0), text, font=font,
                                                         **kwargs))  # type: ignore[arg-type]
        if anchor_right:
            x = x - (r - left)
        draw.text((x - left, y - t), text, font=font, fill=fill, **kwargs)  # type: ignore[arg-type]
        boxes[text] = (x, y, r - left, b - t)
        if record:
            truth.append(text)
        return b - t

    # Header bar with the app name.
    draw.rectangle((0, 0, width, header_h), fill=theme["bar"])
    text_at(margin, 32, "Groups", _font(LATIN_BOLD, 40), theme["bar_fg"])
    # Author line with an avatar.
    y = header_h + 30
    draw.ellipse((margin, y, margin + 70, y + 70), fill=(120, 160, 200))
    text_at(margin + 95, y + 4, spec.author, _font(LATIN_BOLD, 30), theme["fg"])
    text_at(margin + 95, y + 44, "2h", _font(LATIN_FONT, 24), theme["muted"])
    y += 120
    body: list[str] = []
    for line, h in zip(spec.lines, body_heights, strict=True):
        f = _font(line.font, line.size)
        if line.rtl:
            text_at(width - margin, y, line.text, f, theme["fg"], rtl=True, anchor_right=True)
        else:
            text_at(margin, y, line.text, f, theme["fg"])
        body.append(line.text)
        y += h + line_gap
    # Buttons row.
    y += 30
    bw = (width - 2 * margin - 40) // 3
    for i, label in enumerate(("Like", "Comment", "Share")):
        x0 = margin + i * (bw + 20)
        draw.rounded_rectangle((x0, y, x0 + bw, y + 64), radius=14, fill=theme["button"])
        f = _font(LATIN_FONT, 26)
        left, t, r, b = (round(v) for v in draw.textbbox((0, 0), label, font=f))
        text_at(x0 + (bw - (r - left)) // 2, y + (64 - (b - t)) // 2, label, f, theme["fg"],
                record=False)
    truth.append("Like Comment Share")

    if spec.shrink != 1.0:
        size = (round(width * spec.shrink), round(height * spec.shrink))
        image = image.resize(size, Image.Resampling.LANCZOS)
        boxes = {k: tuple(round(v * spec.shrink) for v in b) for k, b in boxes.items()}  # type: ignore[misc]
    return Sample(spec, image, truth, body, boxes)


ENGLISH = (
    Line("Safe crossing to the UK by boat every week."),
    Line("Call or WhatsApp us for the price and dates."),
    Line("Children travel free, payment on arrival only."),
)
FRENCH = (
    Line("Traversée sécurisée vers l'Angleterre chaque semaine."),
    Line("Départ de Calais, réservez dès maintenant à prix réduit."),
    Line("Les enfants voyagent gratuitement, paiement à l'arrivée."),
)
TURKISH = (
    Line("Yunanistan'a güvenli geçiş, her hafta hareket."),
    Line("Fiyat için hemen arayın, çocuklar ücretsiz."),
    Line("Ödeme varışta yapılır, şoförümüz bekliyor."),
)
ARABIC = (
    Line("رحلات آمنة إلى أوروبا كل أسبوع", ARABIC_FONT, 40, rtl=True),
    Line("للتواصل والاستفسار عن الأسعار راسلونا", ARABIC_FONT, 40, rtl=True),
    Line("الأطفال مجانا والدفع عند الوصول", ARABIC_FONT, 40, rtl=True),
)
PERSIAN = (
    Line("سفر امن به اروپا هر هفته با قایق", ARABIC_FONT, 40, rtl=True),
    Line("برای اطلاعات بیشتر پیام بدهید", ARABIC_FONT, 40, rtl=True),
    Line("پرداخت پس از رسیدن، کودکان رایگان", ARABIC_FONT, 40, rtl=True),
)
MIXED = (
    Line("رحلات آمنة إلى بريطانيا كل أسبوع", ARABIC_FONT, 40, rtl=True),
    Line("للحجز اتصلوا على الرقم", ARABIC_FONT, 40, rtl=True),
    Line("+44 7700 900123", LATIN_FONT, 36),
    Line("www.safe-travel-example.com", LATIN_FONT, 36),
)
VIETNAMESE = (
    Line("Chuyến đi an toàn sang Anh mỗi tuần bằng thuyền."),
    Line("Liên hệ với chúng tôi để biết giá và ngày khởi hành."),
    Line("Trẻ em miễn phí, thanh toán khi đến nơi."),
)
ALBANIAN = (
    Line("Udhëtim i sigurt drejt Anglisë çdo javë me varkë."),
    Line("Na telefononi për çmimin dhe datat e nisjes."),
    Line("Fëmijët udhëtojnë falas, pagesa në mbërritje."),
)
KURMANJI = (
    Line("Rêwîtiya ewle ber bi Ewrûpayê ve her hefte."),
    Line("Ji bo bihayê û dîrokan bi me re têkilî daynin."),
    Line("Zarok belaş in, pere piştî gihîştinê tê dayîn."),
)
TIGRINYA = (
    Line("ናብ ኣውሮጳ ውሑስ ጉዕዞ ኣብ ነፍሲ ወከፍ ሰሙን", ETHIOPIC_FONT, 38),
    Line("ንዝያዳ ሓበሬታ ደውሉልና", ETHIOPIC_FONT, 38),
)

SPECS: dict[str, SampleSpec] = {
    s.name: s
    for s in (
        SampleSpec("english", "Latin", ENGLISH),
        SampleSpec("french", "Latin", FRENCH, author="Voyages Express"),
        SampleSpec("turkish", "Latin", TURKISH, author="Ege Seyahat"),
        SampleSpec("vietnamese", "Latin", VIETNAMESE, author="Du lich Viet"),
        SampleSpec("albanian", "Latin", ALBANIAN, author="Udhetime Shqip"),
        SampleSpec("kurmanji", "Latin", KURMANJI, author="Rewiti"),
        SampleSpec("arabic", "Arabic", ARABIC, author="Safar Group"),
        SampleSpec("persian", "Arabic", PERSIAN, author="Safar Group"),
        SampleSpec("mixed", "Arabic", MIXED, author="Safar Group"),
        SampleSpec("tigrinya", "Ethiopic", TIGRINYA, author="Habesha Travel"),
        SampleSpec("latin_long", "Latin", (ENGLISH + FRENCH + TURKISH + ALBANIAN) * 2,
                   author="Europe Travel"),
        SampleSpec("english_dark", "Latin", ENGLISH, dark=True),
        SampleSpec("arabic_dark", "Arabic", ARABIC, author="Safar Group", dark=True),
        SampleSpec("english_small", "Latin", ENGLISH, shrink=0.36),
        SampleSpec("french_small", "Latin", FRENCH, author="Voyages Express", shrink=0.36),
        SampleSpec("arabic_small", "Arabic", ARABIC, author="Safar Group", shrink=0.45),
        SampleSpec("english_dark_small", "Latin", ENGLISH, dark=True, shrink=0.36),
    )
}


def plain_image(rows: Sequence[Sequence[Line]], width: int = 900, shrink: float = 1.0
                ) -> tuple[Image.Image, dict[str, tuple[int, int, int, int]]]:
    """Lines on a plain white image, like a cropped chat message, and each piece's box.

    Each row is one or more pieces side by side: a right-to-left piece is drawn
    against the right margin, a left-to-right piece against the left margin or, when
    the row also has right-to-left text, just left of it (an Arabic word followed by
    a phone number in a Latin font).  ``shrink`` scales the finished image down.
    """
    gap = 36
    heights = [max(p.size for p in row) for row in rows]
    height = 40 + sum(round(h * 1.3) + gap for h in heights) + 40
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    boxes: dict[str, tuple[int, int, int, int]] = {}
    y = 40
    for row, h in zip(rows, heights, strict=True):
        right = width - 30
        left = 30
        has_rtl_piece = any(p.rtl for p in row)
        for piece in sorted(row, key=lambda p: not p.rtl):
            f = _font(piece.font, piece.size)
            kwargs = {"direction": "rtl", "language": "ar"} if piece.rtl else {}
            x0, t, x1, b = (round(v) for v in draw.textbbox((0, 0), piece.text, font=f,
                                                           **kwargs))  # type: ignore[arg-type]
            if piece.rtl or has_rtl_piece:
                x = right - (x1 - x0)
                right = x - piece.size // 2
            else:
                x = left
                left = x + (x1 - x0) + piece.size // 2
            draw.text((x - x0, y - t), piece.text, font=f, fill="black",
                      **kwargs)  # type: ignore[arg-type]
            boxes[piece.text] = (x, y, x1 - x0, b - t)
        y += round(h * 1.3) + gap
    if shrink != 1.0:
        image = image.resize((round(width * shrink), round(height * shrink)),
                             Image.Resampling.LANCZOS)
        boxes = {k: tuple(round(v * shrink) for v in b)  # type: ignore[misc]
                 for k, b in boxes.items()}
    return image, boxes


@cache
def sample(name: str) -> Sample:
    """The rendered sample called ``name`` (cached; do not modify the image)."""
    return render(SPECS[name])


def save_all(directory: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Write samples as PNG files into ``directory``; returns name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in names or list(SPECS):
        path = directory / f"{name}.png"
        sample(name).image.save(path)
        out[name] = path
    return out


def levenshtein(a: str, b: str) -> int:
    """Edit distance between two strings."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _norm(text: str) -> str:
    return " ".join(text.split())


def char_accuracy(ocr_text: str, truth: str) -> float:
    """1 - (edit distance / length of the truth), whitespace collapsed, floored at 0."""
    t = _norm(truth)
    if not t:
        return 1.0
    return max(0.0, 1.0 - levenshtein(_norm(ocr_text), t) / len(t))


def line_accuracy(ocr_text: str, line: str) -> float:
    """Best character accuracy of ``line`` against any line of ``ocr_text``."""
    candidates = [ln for ln in ocr_text.splitlines() if ln.strip()] or [""]
    return max(char_accuracy(c, line) for c in candidates)

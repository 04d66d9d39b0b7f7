"""Re-reading the regions :mod:`~workstation.reading.ocr.coverage` found unread, and putting
what they say where it is on the page.

A region is cut from the original image (not the prepared one: the colour channel
with the most contrast is taken, so white on a yellow band is as clear as black on
white), stretched to dark ink on white, enlarged and read alone; several regions
are read together on one sheet first (one Tesseract call instead of one per
region) and only those the sheet reads poorly are read alone.  Recovered lines go
into the word list before the nearest line below them (or into the line beside
them), renumbered so ``build_text`` lays the text out in page order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageOps

from workstation.reading.ocr.backends import PSM_SINGLE_LINE, Backend, RawWord
from workstation.reading.ocr.errors import OcrFailed
from workstation.reading.ocr.languages import has_rtl, strip_bidi_controls
from workstation.reading.ocr.preprocess import to_tesseract_mode

Box = tuple[int, int, int, int]  # x, y, w, h

#: A crop whose ink differs from its background by less than this (grey levels, in
#: its best channel) is not read.
MIN_CONTRAST = 40

#: A re-read region's reading is kept when its mean word confidence is at least this
#: and it holds :data:`MIN_REREAD_ALNUM` letters or digits: junk read from an icon
#: or scribble stays under it (30-55 on the tests' strokes).
MIN_REREAD_CONFIDENCE = 60.0
MIN_REREAD_ALNUM = 2

#: Re-read crops are enlarged so the region is at least this many pixels high, the
#: first size, then the second if the first reads poorly.
REREAD_HEIGHTS = (36, 48)

#: Tesseract's page segmentation mode for one line without layout analysis.
PSM_RAW_LINE = 13

#: Regions read together (:func:`read_sheet`) are stacked this many pixels apart, read
#: as one block (``--psm 6``), and a region's reading there is kept at this mean
#: confidence (stricter than alone: no second language or size is tried on the sheet).
SHEET_GAP = 24
PSM_BLOCK = 6
SHEET_MIN_CONFIDENCE = 75.0

#: Pixels of white added around a re-read crop (Tesseract reads a line touching the
#: image's edge badly).
REREAD_BORDER = 12

# -- re-reading ---------------------------------------------------------------------------


def _clean_crop(original: Image.Image, box: Box) -> tuple[Image.Image, int, int] | None:
    """The region with a margin, as dark ink on white: the channel (grey, red, green or
    blue) where ink and background differ most, stretched so the background (the
    median) is white and the ink (the far tail) black.  ``None`` without contrast."""
    x, y, w, h = box
    ow, oh = original.size
    pad = max(3, h // 4)
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(ow, x + w + pad), min(oh, y + h + pad)
    crop = to_tesseract_mode(original.crop((x0, y0, x1, y1)))  # L or RGB, alpha on white
    arr = np.asarray(crop, dtype=np.float32)
    channels = [arr] if arr.ndim == 2 else [arr @ np.array([0.299, 0.587, 0.114],
                                                           dtype=np.float32),
                                            *(arr[:, :, c] for c in range(3))]
    best: tuple[float, np.ndarray, float, float] | None = None
    for ch in channels:
        bg = float(np.median(ch))
        lo, hi = (float(v) for v in np.percentile(ch, (2, 98)))
        ink = lo if bg - lo >= hi - bg else hi
        if best is None or abs(bg - ink) > best[0]:
            best = (abs(bg - ink), ch, bg, ink)
    assert best is not None
    contrast, ch, bg, ink = best
    if contrast < MIN_CONTRAST:
        return None
    out = np.clip((ch - ink) * (255.0 / (bg - ink)), 0, 255).astype(np.uint8)
    return Image.fromarray(out), x0, y0


def reread(backend: Backend, original: Image.Image, box: Box, langs: Sequence[str],
           timeout_s: float, line_height: float, thorough: bool = True
           ) -> tuple[str, list[RawWord]] | None:
    """Read an uncovered region alone; its words in original-image pixels, or ``None``.

    Tesseract's reading of a lone line swings with its size (a Persian banner reads
    at 81 enlarged 1.06 times and as junk at 1.18), so a region read poorly at the
    first size (:data:`REREAD_HEIGHTS`) is tried at the second, and with each of
    ``langs``; not ``thorough``: the first size and language only (a row read again
    whose words were mostly read already)."""
    cleaned = _clean_crop(original, box)
    if cleaned is None:
        return None
    crop, x0, y0 = cleaned
    psm = PSM_SINGLE_LINE if box[3] <= 1.8 * line_height else PSM_BLOCK
    best: tuple[float, str, list[RawWord], float] | None = None
    heights = REREAD_HEIGHTS if thorough else REREAD_HEIGHTS[:1]
    langs = langs if thorough else langs[:1]
    for factor in dict.fromkeys(max(1.0, min(4.0, t / box[3])) for t in heights):
        image = crop if factor == 1.0 else crop.resize(
            (round(crop.width * factor), round(crop.height * factor)), Image.Resampling.LANCZOS)
        image = ImageOps.expand(image, REREAD_BORDER, fill=255)
        for lang in dict.fromkeys(langs):
            words = _read_crop(backend, image, lang, psm, timeout_s,
                               raw_line=factor == max(1.0, min(4.0, heights[0] / box[3])))
            if not _meaningful(words):
                continue
            conf = sum(w.confidence for w in words) / len(words)
            if best is None or conf > best[0]:
                best = (conf, lang, words, factor)
            if conf >= 85:
                break
        if best is not None and best[0] >= MIN_REREAD_CONFIDENCE:
            break
    if best is None or best[0] < MIN_REREAD_CONFIDENCE:
        return None
    conf, lang, words, factor = best
    mapped = []
    for w in words:
        left = (w.left - REREAD_BORDER) / factor + x0
        top = (w.top - REREAD_BORDER) / factor + y0
        mapped.append(RawWord(w.block, w.paragraph, w.line, w.word, round(left), round(top),
                              max(1, round(w.width / factor)), max(1, round(w.height / factor)),
                              w.confidence, strip_bidi_controls(w.text)))
    return lang, mapped


def read_sheet(backend: Backend, original: Image.Image, boxes: Sequence[Box], lang: str,
               timeout_s: float) -> list[list[RawWord] | None]:
    """Read ``boxes`` of ``original`` together: each cleaned crop at the first size of
    :data:`REREAD_HEIGHTS`, stacked on one white sheet :data:`SHEET_GAP` apart and read
    as a block with ``lang``.  Per box, its words (original pixels) when they read as
    text with a mean confidence of :data:`SHEET_MIN_CONFIDENCE`, else ``None`` (to be
    read alone)."""
    strips: list[tuple[Image.Image, float, int, int] | None] = []
    for box in boxes:
        cleaned = _clean_crop(original, box)
        if cleaned is None:
            strips.append(None)
            continue
        crop, x0, y0 = cleaned
        factor = max(1.0, min(4.0, REREAD_HEIGHTS[0] / box[3]))
        if factor != 1.0:
            crop = crop.resize((round(crop.width * factor), round(crop.height * factor)),
                               Image.Resampling.LANCZOS)
        strips.append((crop, factor, x0, y0))
    present = [st for st in strips if st is not None]
    if not present:
        return [None] * len(boxes)
    sheet = Image.new("L", (max(st[0].width for st in present) + 2 * REREAD_BORDER,
                            sum(st[0].height + SHEET_GAP for st in present) + REREAD_BORDER),
                      255)
    tops: list[int] = []
    y = REREAD_BORDER
    for st in strips:
        tops.append(y)
        if st is not None:
            sheet.paste(st[0], (REREAD_BORDER, y))
            y += st[0].height + SHEET_GAP
    try:
        raw = backend.read(sheet, lang, PSM_BLOCK, timeout_s)
    except OcrFailed:
        return [None] * len(boxes)
    found: list[list[RawWord]] = [[] for _ in boxes]
    for w in raw:
        text = strip_bidi_controls(w.text)
        middle = w.top + w.height / 2
        for i, (st, top) in enumerate(zip(strips, tops, strict=True)):
            if st is not None and text.strip() and top <= middle < top + st[0].height:
                _, factor, x0, y0 = st
                found[i].append(RawWord(
                    w.block, w.paragraph, w.line, w.word,
                    round((w.left - REREAD_BORDER) / factor + x0),
                    round((w.top - top) / factor + y0), max(1, round(w.width / factor)),
                    max(1, round(w.height / factor)), w.confidence, text))
                break
    return [words if words and _meaningful(words) and sum(w.confidence for w in words)
            >= SHEET_MIN_CONFIDENCE * len(words) else None for words in found]


def _read_crop(backend: Backend, image: Image.Image, lang: str, psm: int,
               timeout_s: float, raw_line: bool = True) -> list[RawWord]:
    """The words of a re-read crop.  When Tesseract's layout analysis finds no text in it
    at all (it rejects some whole lines: the issue's Arabic headline, even cut out
    alone), the crop is read as a raw line (``--psm 13``, with ``raw_line``: at the
    first size only, so an unreadable region costs fewer reads), which skips that
    analysis."""
    for mode in (psm, PSM_RAW_LINE) if raw_line else (psm,):
        try:
            raw = backend.read(image, lang, mode, timeout_s)
        except OcrFailed:
            return []
        words = [w for w in raw if strip_bidi_controls(w.text).strip()]
        if words:
            return words
    return []


def _meaningful(words: Sequence[RawWord]) -> bool:
    """Whether a reading holds text rather than junk: :data:`MIN_REREAD_ALNUM` letters or
    digits, and at least half of its characters (waves read as ``——S — — Th —``)."""
    chars = [c for w in words for c in w.text if not c.isspace()]
    alnum = sum(1 for c in chars if c.isalnum())
    return alnum >= MIN_REREAD_ALNUM and alnum * 2 >= len(chars)


# -- putting re-read lines in reading order --------------------------------------------

_Tag = tuple[object, object, object]


def _span(line: Sequence[RawWord]) -> tuple[int, int, int, int]:
    return (min(w.left for w in line), min(w.top for w in line),
            max(w.left + w.width for w in line), max(w.top + w.height for w in line))


def same_row(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether boxes (x0, y0, x1, y1) sit on one text row: they overlap vertically by half
    the taller one's height (a junk word spanning two lines is on neither)."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= 0.5 * max(a[3] - a[1], b[3] - b[1])


def insert_lines(words: list[RawWord], recovered: Sequence[list[RawWord]]) -> list[RawWord]:
    """``words`` with each recovered line put where it is on the page: into the line
    beside it (same row), ordered by x (right to left in a right-to-left line), or as
    a line of its own before the first line below it that shares its columns (the
    first line below at all when none does); then renumbered so block, paragraph,
    line and word numbers follow the list order."""
    if not any(recovered):
        return words
    tagged: list[tuple[_Tag, RawWord]] = [((w.block, w.paragraph, w.line), w) for w in words]
    for n, new in enumerate(recovered):
        if not new:
            continue
        span = _span(new)
        lines: dict[_Tag, list[int]] = {}
        for i, (tag, _) in enumerate(tagged):
            lines.setdefault(tag, []).append(i)
        beside = [t for t, idx in lines.items()
                  if same_row(_span([tagged[i][1] for i in idx]), span)]
        if beside:
            # Into the line, before the first of its words that comes after the piece in
            # the line's direction; each keeps its own word order.
            tag = beside[0]
            idx = lines[tag]
            old = [tagged[i][1] for i in idx]
            rtl = sum(has_rtl(w.text) for w in old + list(new)) * 2 > len(old) + len(new)
            middle = (span[0] + span[2]) / 2
            after = [i for i, w in zip(idx, old, strict=True)
                     if (w.left + w.width / 2 < middle if rtl else w.left + w.width / 2 > middle)]
            at = after[0] if after else idx[-1] + 1
            tagged = tagged[:at] + [(tag, w) for w in new] + tagged[at:]
            continue
        tagged = _insert_own_line(tagged, lines, new, span, n)
    return _renumber(tagged)


def _insert_own_line(tagged: list[tuple[_Tag, RawWord]], lines: dict[_Tag, list[int]],
                     new: list[RawWord], span: tuple[int, int, int, int],
                     n: int) -> list[tuple[_Tag, RawWord]]:
    """Insert ``new`` as a line of its own; inside a paragraph when the lines around it
    belong to the same one, else as its own block."""
    centre = (span[1] + span[3]) / 2
    middles = {t: (s[1] + s[3]) / 2 for t, s in
               ((t, _span([tagged[i][1] for i in idx])) for t, idx in lines.items())}
    below = [t for t, m in middles.items() if m > centre]
    above = [t for t, m in middles.items() if m <= centre]
    if below:  # before the nearest line below it
        at = lines[min(below, key=lambda t: middles[t])][0]
    elif above:  # after the nearest line above it
        at = lines[max(above, key=lambda t: middles[t])][-1] + 1
    else:
        at = len(tagged)
    before = tagged[at - 1][0] if at > 0 else None
    after = tagged[at][0] if at < len(tagged) else None
    if before is not None and after is not None and before[:2] == after[:2]:
        tag: _Tag = (before[0], before[1], ("recovered", n))
    else:
        tag = (("recovered", n), 1, 1)
    # The words stay in the order Tesseract read the line in (right to left in Arabic).
    return tagged[:at] + [(tag, w) for w in new] + tagged[at:]


def _renumber(tagged: Sequence[tuple[_Tag, RawWord]]) -> list[RawWord]:
    """Number blocks, paragraphs, lines and words 1.. by runs of equal tags in list order."""
    out: list[RawWord] = []
    prev: _Tag | None = None
    b = p = ln = wd = 0
    for tag, w in tagged:
        if prev is None or tag[0] != prev[0]:
            b, p, ln, wd = b + 1, 1, 1, 0
        elif tag[1] != prev[1]:
            p, ln, wd = p + 1, 1, 0
        elif tag[2] != prev[2]:
            ln, wd = ln + 1, 0
        wd += 1
        out.append(RawWord(b, p, ln, wd, w.left, w.top, w.width, w.height, w.confidence,
                           w.text))
        prev = tag
    return out


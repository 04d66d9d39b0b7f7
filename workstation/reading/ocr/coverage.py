"""Coverage: where the page has text that the recognition pass did not read.

Tesseract's layout analysis sometimes drops a whole line at high confidence (an
Arabic headline, a price line in dark mode) and takes light text on a coloured
band (``UK 100% SAFE`` on yellow) for a picture.  Its word list cannot show what
it skipped, so this module looks at the page independently of it:

1. **Ink regions** (:func:`find_text_regions`): strong left-right contrast steps
   (the sides of glyph strokes; uniform bands, rules and gradients have none) in
   the original image, the largest step of the three colour channels so white on
   yellow counts as much as black on white.  A recursive horizontal/vertical
   projection cut (XY-cut) groups them into line-like boxes; boxes too tall,
   too thin, square like an icon, made of one stroke, or with the many grey levels
   of a photo are not text.
2. **Comparison** (:func:`check_coverage`): the ink under the read words' boxes
   (with a margin; junk words under :data:`JUNK_CONFIDENCE` do not count, and a
   box Tesseract stretched over the next line is cut to its own line's band) is
   removed and the regions are found again in what is left.
3. **Re-reading** (:mod:`~workstation.reading.ocr.rereads`): where read words share a
   region's row (Tesseract read part of the line, or read it as junk), the whole
   row is read again and replaces them when it reads more text, confidently;
   a region alone on its row (a dropped line, a banner, a button) is read from the
   original image's best colour channel, as dark ink on white, first together with
   the other lone regions on one sheet, then alone at two sizes and with the
   page's language set and the other candidates.  Recovered lines go where they are
   on the page.
4. What still cannot be read becomes an **unread** box (original pixels), and
   ``coverage`` is the share of the text regions' ink that was read; the engine
   multiplies the run's stated confidence by it, so a run never claims high
   confidence over text it skipped.  Regions well under the page's line height
   that read as nothing (the status bar's signal and battery icons) are icons,
   not unread text.

On the advert set (``tests/adverts.py``, 36 images, auto mode) this takes line
recall from 94 % to 98 % and banners from 6 of 13 to 13 of 13.  Finding the regions
costs about 20 ms on a 1080x1920 screenshot (numpy, one pass over the pixels); the
re-reads cost what Tesseract takes on the few small crops that need them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from workstation.reading.ocr.backends import Backend, RawWord
from workstation.reading.ocr.preprocess import to_grey, to_tesseract_mode
from workstation.reading.ocr.rereads import insert_lines, read_sheet, reread, same_row

Box = tuple[int, int, int, int]  # x, y, w, h

#: A left-right step between neighbouring pixels (in any colour channel) of at least
#: this many grey levels is a stroke side.  Muted grey text on white steps by 60+
#: per pixel, white on a yellow band by 65 in grey and 250 in blue; JPEG ringing
#: and photo gradients mostly stay under it.
EDGE_STEP = 40

#: Stroke sides per pixel of a text line's box: 0.08-0.2 on the advert set (the least:
#: a bold banner headline); a row of waves and figures in a photo has 0.01-0.065 (the
#: most: a shrunk JPEG repost).
MIN_INK_DENSITY = 0.07

#: Words read under this confidence are junk (a line read as ``“oy``): they do not
#: count as covering the page, and a re-read of their row replaces them.
JUNK_CONFIDENCE = 50.0

#: At most this many uncovered regions are re-read per image (each costs a line read
#: per language); the rest are reported unread straight away.
MAX_REREADS = 8


@dataclass
class Coverage:
    """What :func:`check_coverage` found.

    ``words``: the word list with re-read words inserted (prepared-image
    coordinates, renumbered).  ``coverage``: share (0..1) of the text regions' ink
    that lies under read words.  ``unread``: boxes of text regions still unread,
    in original-image pixels.  ``regions``/``reread``: counts of text regions found
    and of uncovered regions read again successfully.  ``languages``: language sets
    whose re-readings were kept.
    """

    words: list[RawWord]
    coverage: float
    unread: list[Box] = field(default_factory=list)
    regions: int = 0
    reread: int = 0
    languages: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The run's ``parameters["coverage"]`` entry."""
        return {"regions": self.regions, "reread": self.reread, "unread": len(self.unread)}


# -- ink regions ------------------------------------------------------------------------


def edge_map(image: Image.Image) -> np.ndarray:
    """Boolean map (height x width) of stroke sides: pixels whose right neighbour differs
    by :data:`EDGE_STEP` or more in grey or any colour channel."""
    arr = np.asarray(to_tesseract_mode(image), dtype=np.uint8)  # L or RGB, alpha on white
    a, b = arr[:, 1:], arr[:, :-1]
    step = np.maximum(a, b)
    step -= np.minimum(a, b)  # |a - b| without leaving uint8
    if step.ndim == 3:  # the largest step of the channels (5x faster than any(axis=2))
        step = np.maximum(np.maximum(step[..., 0], step[..., 1]), step[..., 2])
    out = np.zeros(arr.shape[:2], dtype=bool)
    out[:, 1:] = step >= EDGE_STEP
    return out


def _runs(flags: Any, max_gap: int) -> list[tuple[int, int]]:
    """``(start, end)`` runs of true entries, joining runs separated by up to ``max_gap``
    false ones."""
    idx = np.flatnonzero(flags)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _xy_cut(edges: np.ndarray, box: Box, depth: int, out: list[Box]) -> None:
    """Split ``box`` of ``edges`` at blank rows, then each band at wide blank column gaps
    (wider than the band is high), recursively, collecting the leaves in ``out``."""
    x, y, w, h = box
    sub = edges[y:y + h, x:x + w]
    for r0, r1 in _runs(sub.any(axis=1), 1):
        band = sub[r0:r1]
        bh = r1 - r0
        # Wider than the band is high (capped: a tall band held together by a message
        # bubble's sides must still split from them).
        for c0, c1 in _runs(band.any(axis=0), max(3, int(1.2 * min(bh, 60)))):
            piece = (x + c0, y + r0, c1 - c0, bh)
            if piece == box or depth >= 8:
                out.append(piece)
            else:
                _xy_cut(edges, piece, depth + 1, out)


def _looks_like_text(edges: np.ndarray, grey: np.ndarray, box: Box,
                     heights: tuple[float, float]) -> bool:
    """Whether a leaf region is plausibly text: line-like size and shape, not cut by the
    image's top or bottom edge, several strokes (column runs of ink, and a row
    crossing three strokes or more: a wave or an arc in a photo crosses fewer), dense
    enough, and mostly two grey levels (background and ink), unlike a photo."""
    x, y, w, h = box
    if h < heights[0] or h > heights[1] or w < max(8, 1.3 * h):
        return False
    if y == 0 or y + h >= edges.shape[0]:
        return False  # a line cut by the screenshot's edge (a cropped repost)
    sub = edges[y:y + h, x:x + w]
    ink = int(sub.sum())
    strokes = len(_runs(sub.any(axis=0), 0))
    if strokes < 3 or ink < 2 * h or int(sub.sum(axis=1).max()) < 6:
        return False
    if ink < MIN_INK_DENSITY * w * h:
        return False  # sparse strokes: waves or figures in a photo, an outline
    if _typical_gap(sub) > 0.6 * h:
        return False  # solid shapes (icons, buttons): text strokes are thin and close
    hist = np.bincount((grey[y:y + h, x:x + w] >> 4).ravel(), minlength=16)
    top_two = np.sort(hist)[-2:].sum()
    return bool(top_two >= 0.6 * hist.sum())


def _typical_gap(sub: np.ndarray) -> float:
    """Median distance along a row between one stroke side and the next (adjacent
    pixels of one blurred side not counted): a fraction of the line's height in text
    (0.3 at most on the advert set, a word space included), about the height for a row
    of solid icons."""
    ys, xs = np.nonzero(sub)
    gaps = np.diff(xs)[np.diff(ys) == 0]
    gaps = gaps[gaps > 1]
    return float(np.median(gaps)) if gaps.size else 0.0


def find_text_regions(image: Image.Image, line_height: float | None = None) -> list[Box]:
    """Boxes ``(x, y, w, h)`` of ``image`` that hold text-like ink, top to bottom; with
    ``line_height`` (the page's word height, when known) regions far smaller (icons,
    waves) or taller (pictures) than a line of text are left out."""
    grey = np.asarray(to_grey(image), dtype=np.uint8)
    return _text_leaves(edge_map(image), grey, line_height)


def _text_leaves(edges: np.ndarray, grey: np.ndarray, line_height: float | None) -> list[Box]:
    height, width = edges.shape
    leaves: list[Box] = []
    _xy_cut(edges, (0, 0, width, height), 0, leaves)
    limits = (5.0, float(max(24, min(160, height // 4))))
    if line_height:
        limits = (max(5.0, 0.45 * line_height), min(limits[1], 2.5 * line_height))
    found = []
    for box in leaves:
        if box[3] > limits[1]:  # too tall: maybe lines held together by a frame's sides
            found += _unframed(edges, grey, box, limits)
        elif _looks_like_text(edges, grey, box, limits):
            found.append(box)
    return sorted(found, key=lambda b: (b[1], b[0]))


def _unframed(edges: np.ndarray, grey: np.ndarray, box: Box,
              limits: tuple[float, float]) -> list[Box]:
    """The text regions inside a box too tall for a line, once the long vertical runs
    in it are taken out: the sides of a message bubble or a card (Telegram) hold every
    row of it together; no glyph stroke runs longer than a line is high."""
    x, y, w, h = box
    sub = edges[y:y + h, x:x + w]
    run = int(limits[1])
    if h <= run:
        return []
    total = np.cumsum(sub, axis=0, dtype=np.int32)
    long = np.zeros_like(sub)
    long[run:] = (total[run:] - total[:-run]) == run  # the last row of a long run
    if not long.any():
        return []
    # Spread each run's last row back over the run (cheap: shift-or doubling).
    span = 1
    while span < run:
        long[:-span] |= long[span:]
        span *= 2
    cleaned = edges.copy()
    cleaned[y:y + h, x:x + w] = sub & ~long
    leaves: list[Box] = []
    _xy_cut(cleaned, box, 0, leaves)
    return [b for b in leaves if b[3] <= limits[1]
            and _looks_like_text(cleaned, grey, b, limits)]


# -- comparison with what was read ---------------------------------------------------


def _word_mask(shape: tuple[int, int], words: Sequence[RawWord], sx: float,
               sy: float) -> np.ndarray:
    """Pixels (original image) under the read words' boxes, with a margin: a third of the
    line's height sideways (letters Tesseract's box clips) and a quarter above and
    below (Arabic dots and marks).  A word's box is first cut to its line's band
    (median top and bottom): Tesseract sometimes stretches one word's box over the
    next line down, which would hide a line it dropped."""
    height, width = shape
    mask = np.zeros(shape, dtype=bool)
    lines: dict[tuple[int, int, int], list[RawWord]] = {}
    for w in words:
        lines.setdefault((w.block, w.paragraph, w.line), []).append(w)
    for line in lines.values():
        top = float(np.median([w.top for w in line]))
        bottom = float(np.median([w.top + w.height for w in line]))
        band = bottom - top
        for w in line:
            y0 = max(w.top, top - 0.3 * band) / sy
            y1 = min(w.top + w.height, bottom + 0.3 * band) / sy
            x0, x1 = w.left / sx, (w.left + w.width) / sx
            mx, my = band / sy / 3, band / sy / 4
            mask[max(0, int(y0 - my)):min(height, int(y1 + my) + 1),
                 max(0, int(x0 - mx)):min(width, int(x1 + mx) + 1)] = True
    return mask


def check_coverage(backend: Backend, original: Image.Image, prepared_size: tuple[int, int],
                   words: list[RawWord], langs: Sequence[str], timeout_s: float,
                   reread: bool = True) -> Coverage:
    """Compare the read ``words`` (prepared-image coordinates, ``prepared_size``) with the
    text regions of ``original``; re-read the regions no word covers with ``langs`` in
    order (the page's set first) and report what stays unread (see the module
    docstring).  ``reread=False`` only measures."""
    ow, oh = original.size
    pw, ph = prepared_size
    scale = (pw / ow, ph / oh)
    edges = edge_map(original)
    grey = np.asarray(to_grey(original), dtype=np.uint8)
    line_height = _median_height(words, scale[1])
    regions = _text_leaves(edges, grey, line_height)
    total = sum(int(edges[y:y + h, x:x + w].sum()) for x, y, w, h in regions)
    trusted = [w for w in words if w.confidence >= JUNK_CONFIDENCE]
    left = edges & ~_word_mask(edges.shape, trusted, *scale)
    uncovered = _text_leaves(left, grey, line_height)
    reader = _Rereader(backend, original, langs, timeout_s, line_height or 20.0, scale)
    kept, recovered, unread = list(words), [], []
    if reread:
        reader.read_lone_regions(uncovered[:MAX_REREADS], kept)
    done: list[Box] = []  # the boxes read again, original pixels
    for i, box in enumerate(uncovered):
        if any(_inside(box, d) for d in done):
            continue  # part of a row already read again
        got = reader.recover(box, kept) if reread and i < MAX_REREADS else None
        if got is None:
            if not reader.small(box, kept):
                unread.append(box)
            continue
        dropped, new, target = got
        done.append(target)
        kept = [w for w in kept if not any(w is d for d in dropped)]
        recovered.extend(_split_lines(new))
    missed = sum(int(left[y:y + h, x:x + w].sum()) for x, y, w, h in unread)
    coverage = 1.0 if total == 0 else max(0.0, 1.0 - missed / total)
    merged = insert_lines(kept, recovered) if recovered else words
    return Coverage(merged, coverage, unread, len(regions), reader.reads,
                    list(dict.fromkeys(reader.used)))


class _Rereader:
    """Reads uncovered regions again (see :func:`check_coverage`)."""

    def __init__(self, backend: Backend, original: Image.Image, langs: Sequence[str],
                 timeout_s: float, line_height: float, scale: tuple[float, float]) -> None:
        self.backend, self.original, self.langs = backend, original, list(langs)
        self.timeout_s, self.line_height, self.scale = timeout_s, line_height, scale
        self.used: list[str] = []
        self.reads = 0
        self.sheet: dict[Box, list[RawWord]] = {}
        self.failed: set[Box] = set()

    def _box_of(self, w: RawWord) -> Box:
        """A word's box in original pixels."""
        sx, sy = self.scale
        return (round(w.left / sx), round(w.top / sy), max(1, round(w.width / sx)),
                max(1, round(w.height / sy)))

    def _to_prepared(self, words: list[RawWord]) -> list[RawWord]:
        sx, sy = self.scale
        return [RawWord(w.block, w.paragraph, w.line, w.word, round(w.left * sx),
                        round(w.top * sy), max(1, round(w.width * sx)),
                        max(1, round(w.height * sy)), w.confidence, w.text) for w in words]

    def recover(self, box: Box, words: list[RawWord]
                ) -> tuple[list[RawWord], list[RawWord], Box] | None:
        """The words to drop, the words read and the box read, for an uncovered ``box``,
        or ``None``.

        When read words share the box's row (Tesseract read part of the line, or
        read it as low-confidence junk), the whole row is read again and replaces
        them if it reads more text, confidently; otherwise the box alone is read
        and joins the row."""
        tallest = 1.6 * max(box[3], self.line_height)
        mine = _corners(box)
        if box in self.failed:
            return None
        row = [] if self.small(box) else self._row(box, words)
        if box in self.sheet:  # read on the shared sheet
            self.used.append(self.langs[0])
            self.reads += 1
            junk = self._centred_in(words, box, JUNK_CONFIDENCE)
            return junk, self._to_prepared(self.sheet[box]), box
        if row:
            # The whole row across, but only as high as its ordinary words: one word's box
            # stretched over the next line must not pull that line in.
            spans = [c for _, c in row] + [mine]
            flat = [c for c in spans if c[3] - c[1] <= tallest]
            x0, x1 = min(c[0] for c in spans), max(c[2] for c in spans)
            y0, y1 = min(c[1] for c in flat), max(c[3] for c in flat)
            target = (x0, y0, x1 - x0, y1 - y0)
            got = self._read(target, thorough=False)
            if got is not None and len(_split_lines(got)) == 1:
                old = sum(w.confidence for w, _ in row) / len(row)
                old_chars = sum(len(w.text) for w, _ in row if w.confidence >= JUNK_CONFIDENCE)
                conf = sum(w.confidence for w in got) / len(got)
                if sum(len(w.text) for w in got) > old_chars and conf >= old - 15:
                    inside = self._centred_in(words, target, JUNK_CONFIDENCE + 100)
                    return [w for w, _ in row] + inside, self._to_prepared(got), target
        got = self._read(box, thorough=not self.small(box))
        if got is None:
            return None
        return self._centred_in(words, box, JUNK_CONFIDENCE), self._to_prepared(got), box

    def small(self, box: Box, words: list[RawWord] | None = None) -> bool:
        """Whether ``box`` is an icon or a small label: well under the page's line height,
        or in the phone's status bar (signal bars and a battery beside the clock).  It
        is read alone, never with its row (that adds junk to the clock), and not
        reported when unreadable.  Given the page's ``words``, a box alone on its row
        under 0.8 line heights counts too (bits of a photo in a recompressed repost)."""
        if box[3] < 0.6 * self.line_height or _status_bar(box, self.original.height,
                                                          self.line_height):
            return True
        return words is not None and box[3] < 0.8 * self.line_height and not self._row(
            box, words)

    def _row(self, box: Box, words: list[RawWord]
             ) -> list[tuple[RawWord, tuple[int, int, int, int]]]:
        """The words on ``box``'s row (centred in its height, or overlapping it by half),
        with their corners in original pixels."""
        mine = _corners(box)
        row = []
        for w in words:
            c = _corners(self._box_of(w))
            if mine[1] <= (c[1] + c[3]) / 2 <= mine[3] or same_row(c, mine):
                row.append((w, c))
        return row

    def read_lone_regions(self, boxes: Sequence[Box], words: list[RawWord]) -> None:
        """Read the regions with no word on their row together on one sheet, with the
        page's set (one Tesseract call instead of one or more each: buttons, banners,
        whole dropped lines); :meth:`recover` uses what it read well and reads the rest
        alone."""
        lone = [b for b in boxes if self.small(b) or not self._row(b, words)]
        if len(lone) < 2 or not self.langs:
            return
        for box, got in zip(lone, read_sheet(self.backend, self.original, lone,
                                            self.langs[0], self.timeout_s), strict=True):
            if got is not None:
                self.sheet[box] = got
            elif self.small(box, words):
                self.failed.add(box)  # a small thing the sheet could not read: an icon

    def _centred_in(self, words: list[RawWord], box: Box, below: float) -> list[RawWord]:
        """Words read under ``below`` confidence whose centre lies in ``box``: the
        re-reading of ``box`` replaces them (junk words for a region read alone, every
        word for a row read again)."""
        x, y, w, h = box
        out = []
        for word in words:
            bx, by, bw, bh = self._box_of(word)
            cx, cy = bx + bw / 2, by + bh / 2
            if word.confidence < below and x <= cx <= x + w and y <= cy <= y + h:
                out.append(word)
        return out

    def _read(self, box: Box, thorough: bool = True) -> list[RawWord] | None:
        got = reread(self.backend, self.original, box, self.langs, self.timeout_s,
                     self.line_height, thorough)
        if got is None:
            return None
        self.used.append(got[0])
        self.reads += 1
        return got[1]


def _status_bar(box: Box, height: int, line_height: float) -> bool:
    """Whether an unreadable ``box`` is one of the phone's status bar icons (signal bars
    and a battery beside the clock, drawn about as high as a line of text): no taller
    than a line, in the top 4 % of the screenshot."""
    return box[3] <= 1.2 * line_height and box[1] + box[3] <= 0.04 * height


def _split_lines(words: list[RawWord]) -> list[list[RawWord]]:
    """Words grouped by the line Tesseract put them in, in its order."""
    lines: dict[tuple[int, int, int], list[RawWord]] = {}
    for w in words:
        lines.setdefault((w.block, w.paragraph, w.line), []).append(w)
    return list(lines.values())


def _inside(box: Box, outer: Box) -> bool:
    """Whether ``box``'s centre lies in ``outer``."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]


def _corners(box: Box) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return (x, y, x + w, y + h)


def _median_height(words: Sequence[RawWord], sy: float) -> float | None:
    if not words:
        return None
    return float(np.median([w.height for w in words])) / sy

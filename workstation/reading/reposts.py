"""Reposts found whatever the crop: perceptual hashes of parts of a screenshot that
survive cutting bars off and cropping, and a MinHash sketch of its OCR text.

A whole-image PDQ hash (``images.derive``) matches a resized or recompressed copy but
not a crop: cutting the 70 px status bar off a phone screenshot moves every pixel and
gives a distance of 60 or more.  Here the *content region* is found first (bands of
another colour than the page at the top and bottom, such as the status, app and
navigation bars, then blank rows and margins, removed) and scaled to a fixed width,
so a copy whose bars were cut, or that was rescaled, has the same content region.
It is hashed whole, with 3 % and 6 % of its width trimmed off each side (a copy
cropped into a full-width photo), and in windows anchored on the content itself:
after the widest gaps between blocks of ink (paragraphs, a photo's edge) and at its
end, so a copy cropped into the top or bottom still shares the windows wholly inside
it.  Windows are half as tall as wide, never reach past the content, and are left out
when nearly blank, so the platform's chrome alone (buttons, bars) is never a window.
Measured on ``tests/adverts.py`` and crops of it: the reposts' nearest region hashes
are at distance ≤ 12, distinct adverts' (same-template twins included) at ≥ 40, hence
the threshold of 24.

Text says more than pixels: the same words are the same advert.  The folded OCR text's
character 5-grams are sketched (b-bit MinHash, 133 bytes) and compared by how much of
the shorter text the longer one contains; words clearly different overrule an image
match (two adverts of one template, or with one stock photo, are not one advert).

Pure functions (numpy, Pillow, pdqhash); storage is ``storage/reposts_repo.py``.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from workstation.textnorm import fold

#: A region hash at Hamming distance ≤ this from another capture's links them
#: (tighter than the whole image's 31: a window holds less, so chance matches are likelier).
REGION_MAX_DISTANCE = 24
#: Regions of lower PDQ quality (blank or nearly blank) are not hashed.
REGION_MIN_QUALITY = 50
#: The content region and at most this many less one windows after gaps (more did not
#: find more reposts of the advert set; each costs 45 bytes a capture).
MAX_REGIONS = 4
#: A window is this tall, as a share of the content's width (phone screenshots are tall).
WINDOW_ASPECT = 0.5
#: The content region is also hashed with these shares of its width cut off each side:
#: a copy cropped a little on both sides (into a full-width photo or banner) has the
#: content region the original has once trimmed so.
SIDE_TRIMS = (0.03, 0.06)
#: Region numbers: 0 is the whole content region, 1.. the windows after gaps, 99 the
#: window at the content's end, 100.. the side-trimmed content regions.
CONTENT_REGION = 0
BOTTOM_REGION = 99
TRIMMED_REGION = 100

#: Text sketch: character shingles of the folded text, MinHash with this many hashes,
#: 8 bits of each kept (b-bit MinHash: 128 bytes; a chance collision is 1 in 256 and is
#: corrected for in the estimate).
SHINGLE = 5
SKETCH_HASHES = 128
SKETCH_BITS = 8
SKETCH_VERSION = 1
#: Fewer shingles than this (about 60 characters) is too little text to judge by.
MIN_SHINGLES = 60
#: Two texts are the same advert when this share of the smaller one is in the other,
#: their Jaccard similarity is at least TEXT_MIN_JACCARD and they share at least
#: TEXT_MIN_SHARED shingles: a platform's chrome ("Like Comment Share", the page's name)
#: is shared by every advert of the same app, so sharing little more than that is not
#: enough.
TEXT_MIN_CONTAINMENT = 0.6
TEXT_MIN_JACCARD = 0.3
TEXT_MIN_SHARED = 50
#: Below these, two texts are clearly different adverts: a region hash match between
#: them is a shared template (chrome, a stock photo), not a repost.
TEXT_DIFFERENT_CONTAINMENT = 0.3

_HEADER = struct.Struct("<BI")  # version, shingle count
SKETCH_SIZE = _HEADER.size + SKETCH_HASHES  # bytes
_TOL = 24  # grey levels: a pixel this far from its row's dominant value is not background
_INK = 40  # grey levels: a pixel this far from the page is ink (light-grey buttons are not)


@dataclass(frozen=True, slots=True)
class RegionHash:
    region: int
    pdq: bytes  # 32 bytes
    quality: int


# ----------------------------------------------------------------- image regions
#: The content region is hashed scaled to this width: widths, not heights, are what a
#: phone screenshot's crops and rescales keep in proportion.
CONTENT_WIDTH = 256


def _grey(small: Image.Image) -> np.ndarray:
    return np.asarray(small.convert("L"), dtype=np.int16)


def _row_modes(grey: np.ndarray) -> np.ndarray:
    """Each row's dominant grey value (the median: a bar's background, a page's paper)."""
    return np.median(grey, axis=1).astype(np.int16)


def _bar_rows(grey: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """Rows that look like part of a bar: at least 80 % of the row's own background."""
    near = np.abs(grey - modes[:, None]) <= _TOL
    return np.asarray(near.mean(axis=1) >= 0.8)


def _ink_rows(grey: np.ndarray, background: int) -> np.ndarray:
    """Rows with ink on them: more than 0.5 % of pixels away from the page's background."""
    far = np.abs(grey - background) > _INK
    return np.asarray(far.mean(axis=1) > 0.005)


def _strip(modes: np.ndarray, bar: np.ndarray, ink: np.ndarray, body: int,
           limit: int) -> int:
    """How many rows to strip from the start: bands of a colour other than the page's
    (status and app bars, at most ``limit`` rows in all; a row or two blended between
    two bands by scaling goes with them), then blank page rows."""
    n, at = len(modes), 0
    min_band = max(2, n // 100)

    def band_end(start: int) -> int:
        end = start
        while end < n and abs(int(modes[end]) - int(modes[start])) <= 4 and bar[end]:
            end += 1
        while end < min(n, start + 2 + (end - start)) and end - start >= min_band \
                and bar[end] and abs(int(modes[end]) - body) > 6:
            end += 1  # a row blended between this band and the next by scaling
        return end

    while at < min(n, limit):
        for start in range(at, min(at + 3, n)):
            end = band_end(start)
            if end - start >= min_band and abs(int(modes[start]) - body) > 6 and end <= limit:
                at = end
                break
        else:
            break
    while at < n and not ink[at]:
        at += 1
    return at


def page_colour(grey: np.ndarray) -> int:
    """The page's background: the commonest row median."""
    values, counts = np.unique(_row_modes(grey) // 4, return_counts=True)
    return int(values[np.argmax(counts)]) * 4 + 2


def content_box(small: Image.Image) -> tuple[int, int, int, int] | None:
    """The content region ``(left, top, right, bottom)`` of an RGB copy: the image
    without bands of another colour than the page at the top and bottom (status, app
    and navigation bars; at most a quarter of the height each side), blank page rows
    and blank side margins; None when nothing but bars and blank page is left."""
    grey = _grey(small)
    height, width = grey.shape
    modes = _row_modes(grey)
    body = page_colour(grey)
    bar, ink = _bar_rows(grey, modes), _ink_rows(grey, body)
    top = _strip(modes, bar, ink, body, height // 4)
    bottom = height - _strip(modes[::-1], bar[::-1], ink[::-1], body, height // 4)
    if bottom - top < 8:
        return None  # no ink on the page beyond its bars: nothing to hash
    cols = (np.abs(grey[top:bottom] - body) > _INK).mean(axis=0) > 0.01
    inked = np.flatnonzero(cols)
    left, right = (int(inked[0]), int(inked[-1]) + 1) if len(inked) else (0, width)
    if right - left < width // 2:
        left, right = 0, width
    return left, top, right, bottom


def _block_starts(ink: np.ndarray, min_gap: int) -> list[tuple[int, int]]:
    """``(row, gap)`` for each row where ink starts after ``gap`` ≥ ``min_gap`` blank rows,
    and row 0 (the content's top, as if after an endless gap)."""
    starts, gap = [(0, len(ink))], 0
    for y, inked in enumerate(ink):
        if inked:
            if gap >= min_gap and y > 0:
                starts.append((y, gap))
            gap = 0
        else:
            gap += 1
    return starts


def _window_starts(ink: np.ndarray, window: int, count: int) -> list[int]:
    """Where to put ``count`` windows: the block starts after the widest gaps (paragraphs,
    a photo's edge), which a crop elsewhere leaves where they were, whole windows only."""
    fitting = [(row, gap) for row, gap in _block_starts(ink, 3) if row + window <= len(ink)]
    widest = sorted(fitting, key=lambda start: (-start[1], start[0]))[:count]
    return sorted(row for row, _gap in widest)


def _pdq(array: np.ndarray) -> tuple[bytes, int]:
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(array))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes(), int(quality)


def content(small: Image.Image, box: tuple[int, int, int, int], trim: float = 0.0
            ) -> Image.Image:
    """The ``box`` of a working copy (its content region), ``trim`` of its width cut off each
    side, scaled to ``CONTENT_WIDTH`` pixels wide."""
    left, top, right, bottom = box
    cut = round((right - left) * trim)
    region = small.crop((left + cut, top, right - cut, bottom))
    height = max(1, round(region.height * CONTENT_WIDTH / region.width))
    return region.resize((CONTENT_WIDTH, height), Image.Resampling.BILINEAR)


def region_hashes(small: Image.Image) -> list[RegionHash]:
    """PDQ hashes of the content region of an RGB working copy (``images.working_copy``,
    ≤ 512 px: finding the bars needs no more, and a copy 320 px wide measured no better)
    and of windows anchored on its blocks of ink; regions of PDQ quality below
    ``REGION_MIN_QUALITY`` (blank) are left out."""
    box = content_box(small)
    found: list[RegionHash] = []
    if box is None:
        return found
    region = content(small, box)
    rgb = np.asarray(region)
    pdq, quality = _pdq(rgb)
    if quality >= REGION_MIN_QUALITY:
        found.append(RegionHash(CONTENT_REGION, pdq, quality))
    grey = _grey(region)
    ink = _ink_rows(grey, page_colour(grey))
    window = round(CONTENT_WIDTH * WINDOW_ASPECT)
    for number, start in enumerate(_window_starts(ink, window, MAX_REGIONS - 1), start=1):
        pdq, quality = _pdq(rgb[start:start + window])
        if quality >= REGION_MIN_QUALITY:
            found.append(RegionHash(number, pdq, quality))
    if len(ink) >= window:  # the window ending where the content ends: a top crop keeps it
        pdq, quality = _pdq(rgb[len(ink) - window:])
        if quality >= REGION_MIN_QUALITY:
            found.append(RegionHash(BOTTOM_REGION, pdq, quality))
    for number, trim in enumerate(SIDE_TRIMS, start=TRIMMED_REGION):
        pdq, quality = _pdq(np.asarray(content(small, box, trim)))
        if quality >= REGION_MIN_QUALITY:
            found.append(RegionHash(number, pdq, quality))
    return found


def hamming(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def best_region_distance(mine: list[tuple[bytes, int]], theirs: list[tuple[bytes, int]]
                         ) -> int | None:
    """The smallest distance between any of two captures' region hashes (None if none)."""
    best = None
    for a, _qa in mine:
        for b, _qb in theirs:
            d = hamming(a, b)
            best = d if best is None else min(best, d)
    return best


# ------------------------------------------------------------------- text sketches
def shingles(text: str) -> set[str]:
    """Character 5-grams of the folded text, words joined by single spaces: tolerant of
    OCR's word splits and single misread letters, which spoil only a few shingles."""
    joined = " ".join(re.findall(r"\w+", fold(text)))
    return {joined[i:i + SHINGLE] for i in range(max(0, len(joined) - SHINGLE + 1))}


@cache
def _seeds() -> tuple[np.ndarray, np.ndarray]:
    """Fixed odd multipliers and xor masks (a sketch must mean the same in every version)."""
    rng = np.random.default_rng(20261204)
    mask = rng.integers(0, 2**63, SKETCH_HASHES, dtype=np.uint64)
    mult = rng.integers(0, 2**63, SKETCH_HASHES, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return mask, mult


def _shingle_ids(found: set[str]) -> np.ndarray:
    import hashlib

    return np.array([int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(),
                                    "little") for s in sorted(found)], dtype=np.uint64)


def text_sketch(text: str) -> bytes | None:
    """The MinHash sketch of ``text`` as bytes (header: version, shingle count; then
    8 bits of each of the 128 minimum hashes), or None when there is no text at all."""
    found = shingles(text)
    if not found:
        return None
    ids = _shingle_ids(found)
    mask, mult = _seeds()
    with np.errstate(over="ignore"):
        hashed = (ids[:, None] ^ mask[None, :]) * mult[None, :]
        mins = hashed.min(axis=0)
        kept = ((mins * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - SKETCH_BITS))
    kept = kept.astype(np.uint8)
    return _HEADER.pack(SKETCH_VERSION, len(found)) + kept.tobytes()


def _unpack(sketch: bytes) -> tuple[int, np.ndarray] | None:
    if len(sketch) != SKETCH_SIZE or sketch[0] != SKETCH_VERSION:
        return None
    _version, count = _HEADER.unpack_from(sketch)
    return count, np.frombuffer(sketch, dtype=np.uint8, offset=_HEADER.size)


@dataclass(frozen=True, slots=True)
class TextMatch:
    jaccard: float
    containment: float  # of the smaller text in the larger
    shared: float  # shingles in common (estimated)

    @property
    def same(self) -> bool:
        """The same advert's words (see TEXT_MIN_*)."""
        return (self.containment >= TEXT_MIN_CONTAINMENT and self.jaccard >= TEXT_MIN_JACCARD
                and self.shared >= TEXT_MIN_SHARED)

    @property
    def different(self) -> bool:
        """Clearly different adverts' words."""
        return self.containment < TEXT_DIFFERENT_CONTAINMENT


def text_similarity(a: bytes, b: bytes) -> TextMatch | None:
    """How alike two sketches' texts are, or None when either holds too little text."""
    ua, ub = _unpack(a), _unpack(b)
    if ua is None or ub is None or min(ua[0], ub[0]) < MIN_SHINGLES:
        return None
    chance = 2.0**-SKETCH_BITS
    equal = float(np.mean(ua[1] == ub[1]))
    jaccard = min(1.0, max(0.0, (equal - chance) / (1 - chance)))
    na, nb = ua[0], ub[0]
    shared = jaccard * (na + nb) / (1 + jaccard)
    return TextMatch(jaccard, min(1.0, shared / min(na, nb)), shared)


def text_matches(mine: bytes, ids: np.ndarray, sketches: np.ndarray,
                 ask: Iterable[int] = ()) -> dict[int, TextMatch]:
    """capture id → how alike its text is to ``mine``, for every other sketch (``ids``,
    ``sketches``: N x SKETCH_SIZE bytes) that is the same text, and for those in ``ask``
    (image candidates to check) that hold enough text to judge.  All are compared at
    once: 100,000 sketches in about 20 ms."""
    me = _unpack(mine)
    if me is None or me[0] < MIN_SHINGLES or not len(ids):
        return {}
    current = sketches[:, 0] == SKETCH_VERSION
    ids, sketches = ids[current], sketches[current]
    counts = sketches[:, 1:5].copy().view("<u4").ravel().astype(np.float64)
    chance = 2.0**-SKETCH_BITS
    equal = (sketches[:, _HEADER.size:] == me[1][None, :]).mean(axis=1)
    jaccard = np.clip((equal - chance) / (1 - chance), 0.0, 1.0)
    shared = jaccard * (counts + me[0]) / (1 + jaccard)
    containment = np.minimum(1.0, shared / np.maximum(1.0, np.minimum(counts, me[0])))
    same = (containment >= TEXT_MIN_CONTAINMENT) & (jaccard >= TEXT_MIN_JACCARD) \
        & (shared >= TEXT_MIN_SHARED)
    wanted = (same | np.isin(ids, np.fromiter(ask, dtype=np.int64))) & (counts >= MIN_SHINGLES)
    return {int(ids[i]): TextMatch(float(jaccard[i]), float(containment[i]), float(shared[i]))
            for i in np.flatnonzero(wanted)}


def sketch_rows(sketches: Iterable[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """``(capture id, sketch)`` pairs as :func:`text_matches` takes them."""
    pairs = [(cid, blob) for cid, blob in sketches if len(blob) == SKETCH_SIZE]
    ids = np.array([cid for cid, _ in pairs], dtype=np.int64)
    return ids, np.frombuffer(b"".join(b for _, b in pairs), dtype=np.uint8).reshape(
        -1, SKETCH_SIZE)


# ------------------------------------------------------------------- the decision
@dataclass(frozen=True, slots=True)
class Near:
    """Another capture judged the same advert, and why: ``image`` (whole-image PDQ),
    ``region`` (a part of the image: a crop) or ``text`` (the same words)."""

    capture_id: int
    reason: str
    distance: int | None  # the whole-image PDQ distance (reason "image")
    quality: int  # PDQ quality of the other capture's matching hash (0 for text)
    score: float  # image/region: Hamming distance; text: share of the text contained


REASONS = ("image", "region", "text")


def decide(me: int, whole: dict[int, tuple[int, int]], regions: dict[int, tuple[int, int]],
           texts: dict[int, TextMatch], contacts: Mapping[int, Set[str]] | None = None
           ) -> list[Near]:
    """The near-duplicates of capture ``me`` from its candidates: ``whole`` and
    ``regions`` map capture id → (distance, quality) of hashes already within their
    thresholds, ``texts`` capture id → how alike the texts are, ``contacts`` capture
    id → the normalised link indicators (phones, handles, links) read in it.

    Clearly different texts overrule an image match: two adverts of the same app with
    the same layout (or the same stock photo) but other words are not one advert.
    Alike texts alone do not link two captures that both give contacts and share none:
    short adverts of one template are mostly its chrome ("Like Comment Share", the
    page's name), and the contacts are what tells them apart.
    The strongest reason is given: image, then region, then text.
    """
    contacts = contacts or {}
    mine = contacts.get(me)
    found: list[Near] = []
    for other in sorted(set(whole) | set(regions) | set(texts)):
        text = texts.get(other)
        if other == me:
            continue
        if text is not None and text.different:
            continue
        if other in whole:
            distance, quality = whole[other]
            found.append(Near(other, "image", distance, quality, float(distance)))
        elif other in regions:
            distance, quality = regions[other]
            found.append(Near(other, "region", None, quality, float(distance)))
        elif text is not None and text.same and not _other_contacts(mine, contacts.get(other)):
            found.append(Near(other, "text", None, 0, round(text.containment, 3)))
    return sorted(found, key=lambda n: (REASONS.index(n.reason),
                                        -n.score if n.reason == "text" else n.score,
                                        n.capture_id))


def _other_contacts(mine: Set[str] | None, theirs: Set[str] | None) -> bool:
    """Whether two captures both give contacts and none of them is the same."""
    if not mine or not theirs:
        return False
    return mine.isdisjoint(theirs)

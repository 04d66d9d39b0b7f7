"""The OCR engine: one image in, an :class:`~workstation.reading.ocr.result.OcrResult` out.

:class:`OcrEngine` owns a backend (tesserocr, or pytesseract as fallback)
whose loaded language sets it reuses from image to image; :func:`ocr_image`
is the in-process entry point and keeps one engine per thread and config.

Automatic languages (``lang="auto"``)
    1. Tesseract OSD guesses the page's script on the preprocessed image.  OSD
       needs a fair amount of text and fails (or guesses wildly) on short or
       small text, so a guess under ``osd_min_confidence`` is not trusted.
    2. Candidate language sets are tried in order: those of the guessed script
       (:func:`~workstation.reading.ocr.languages.candidate_sets`), then the first set of
       every other configured script.  Without a trusted guess, the first set
       of every script is probed (the guessed script first), then the best
       script's other sets.
    3. Passes stop once one reaches ``good_confidence`` or after ``max_passes``;
       the result with the best mean word confidence is kept.
    4. If that result came from a combined set (the six Latin languages), the
       language its letters point to (``ş``/``ğ``/``ı`` -> Turkish ...) is tried
       first with English, e.g. ``tur+eng``, and kept if read more confidently.

Mixed right-to-left pages (``fix_ltr_lines``)
    Arabic-script posts carry Latin phone numbers and web addresses.  Tesseract
    orders the words of such a line right to left inside an Arabic paragraph
    (``+44 7700 900123`` comes out as ``900123 7700 44+``), and a combined set
    such as ``ara+eng`` drops or garbles Latin characters.  So on a page read
    with a right-to-left set, each left-to-right line, and each left-to-right
    run inside an Arabic line, is cut out and read again alone as one line,
    with the Latin set (``eng``) and the page's set, keeping the better reading
    (:meth:`OcrEngine._fix_ltr_lines`).  The other way round, when a Latin set
    wins the page, its low-confidence lines are read again with the Arabic
    candidate and replaced if that reads them as right-to-left text, more
    confidently (:meth:`OcrEngine._fix_rtl_lines`).  Re-read words keep their
    boxes in the original image's pixels and their place in the line order.
    ``languages`` also names the set whose line readings were kept.

Line reads crop the image rather than use Tesseract's ``SetRectangle`` (see
:func:`~workstation.reading.ocr.backends.crop_box`): libtesseract 5.3 reads a
rectangle of a grey image wrongly and differently from call to call.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from workstation.errors import MissingDependency, RejectedInput
from workstation.reading.ocr.backends import PSM_SINGLE_LINE, Backend, RawWord, make_backend
from workstation.reading.ocr.config import OcrConfig
from workstation.reading.ocr.errors import OcrFailed
from workstation.reading.ocr.languages import (
    candidate_sets,
    has_rtl,
    installed_languages,
    is_installed,
    marker_language,
    require_installed,
    resolve_name,
    split_languages,
    strip_bidi_controls,
)
from workstation.reading.ocr.preprocess import Prepared, prepare
from workstation.reading.ocr.result import OcrResult, OcrWord

ImageSource = str | os.PathLike[str] | Image.Image

#: Images larger than this many pixels are refused rather than OCRed.
MAX_IMAGE_PIXELS = 120_000_000


def load_image(source: ImageSource) -> Image.Image:
    """Open ``source`` (a path or a PIL image) fully decoded; :class:`RejectedInput` if not
    a readable image."""
    if isinstance(source, Image.Image):
        image = source
    else:
        path = Path(source)
        try:
            with Image.open(path) as opened:
                opened.load()
                image = opened.copy()
        except FileNotFoundError as exc:
            raise RejectedInput(f"The image {path.name} does not exist.") from exc
        except Image.DecompressionBombError as exc:
            raise RejectedInput(f"The image {path.name} is too large to OCR.") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise RejectedInput(
                f"The file {path.name} could not be read as an image ({exc})."
            ) from exc
    w, h = image.size
    if w < 1 or h < 1:
        raise RejectedInput("The image is empty (zero pixels).")
    if w * h > MAX_IMAGE_PIXELS:
        raise RejectedInput(f"The image is too large to OCR ({w}x{h} pixels).")
    return image


def mean_confidence(words: Sequence[RawWord] | Sequence[OcrWord]) -> float:
    """Mean of the word confidences, 0 without words."""
    return sum(w.confidence for w in words) / len(words) if words else 0.0


@dataclass
class _Pass:
    lang: str
    words: list[RawWord]
    confidence: float


#: When a page was read with a combined set such as ``ara+eng``, its left-to-right
#: lines are read again with the Latin set alone (``eng``), and that reading is kept
#: when its mean word confidence is at least this: Tesseract picks each word's
#: language in a combined set and drops Latin characters with high confidence
#: (``+90 532 123 45 67`` read as ``+90 532 123 45 7``, ``+44 7700 900123`` as
#: ``+44 7700 3``), where ``eng`` reads them right at a lower one (70-80).
LATIN_LINE_MIN_CONFIDENCE = 50.0

#: Scripts written right to left (Tesseract OSD names).
RTL_SCRIPTS = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana"})

#: A line read by a left-to-right set with a mean word confidence under
#: ``SUSPECT_LINE_MEAN`` or a word under ``SUSPECT_WORD`` may be right-to-left text
#: read as junk; at most ``MAX_RTL_PROBES`` such lines per image are re-read (on the
#: bench's Latin screenshots every line is over both, so none is).
SUSPECT_LINE_MEAN = 88.0
SUSPECT_WORD = 75.0
MAX_RTL_PROBES = 6

_CONTACT_RE = re.compile(r"\d.*\d.*\d|[A-Za-z0-9][./@:][A-Za-z0-9]|^\+\d")


def _looks_like_contact(words: Sequence[RawWord]) -> bool:
    """Whether words hold digits (3+), a web/e-mail address or a ``+`` number."""
    return any(_CONTACT_RE.search(w.text) for w in words) or bool(
        _CONTACT_RE.search("".join(w.text for w in words)))


def _is_rtl_word(w: RawWord) -> bool:
    """Whether ``w`` is right-to-left text: two or more right-to-left letters, or one read
    confidently (a Latin line read with an Arabic set can give a stray ``1ه``)."""
    letters = sum(1 for c in w.text if has_rtl(c))
    return letters >= 2 or (letters == 1 and w.confidence >= 70)


def _ltr_runs(line: list[RawWord], width: int) -> list[tuple[list[RawWord], int, int]]:
    """Runs of side-by-side words without right-to-left letters in a line that has some
    (left to right on the page), each with the x range it may be cut from: between
    the right-to-left words beside it."""
    ordered = sorted(line, key=lambda w: w.left)
    runs: list[tuple[list[RawWord], int, int]] = []
    current: list[RawWord] = []
    lo = 0
    for w in ordered:
        if _is_rtl_word(w):
            if current:
                runs.append((current, lo, w.left))
                current = []
            lo = w.left + w.width
        else:
            current.append(w)
    if current:
        runs.append((current, lo, width))
    return [(run, lo, hi) for run, lo, hi in runs
            if any(c.isascii() and c.isalnum() for w in run for c in w.text)]


def _line_key(w: RawWord) -> tuple[int, int, int]:
    return (w.block, w.paragraph, w.line)


def _renumber(words: list[RawWord]) -> list[RawWord]:
    """Number words 1.. within each line, keeping their order."""
    out: list[RawWord] = []
    counters: dict[tuple[int, int, int], int] = {}
    for w in words:
        key = _line_key(w)
        counters[key] = counters.get(key, 0) + 1
        out.append(RawWord(w.block, w.paragraph, w.line, counters[key], w.left, w.top,
                           w.width, w.height, w.confidence, w.text))
    return out


def build_text(words: Sequence[OcrWord]) -> str:
    """Full text from words: spaces within a line, a newline between lines, a blank line
    between paragraphs and blocks (as Tesseract lays out its own text output)."""
    parts: list[str] = []
    previous: tuple[int, int, int] | None = None
    for w in words:
        key = (w.block, w.paragraph, w.line)
        if previous is None:
            pass
        elif key == previous:
            parts.append(" ")
        elif key[:2] == previous[:2]:
            parts.append("\n")
        else:
            parts.append("\n\n")
        parts.append(w.text)
        previous = key
    return "".join(parts)


class OcrEngine:
    """Reads images with Tesseract.  Not thread-safe: use one per thread or process."""

    def __init__(self, config: OcrConfig | None = None) -> None:
        self.config = config or OcrConfig()
        self._backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = make_backend(self.config.engine, self.config.max_cached_models)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    # -- public -------------------------------------------------------------------

    def ocr(self, source: ImageSource, lang: str = "auto") -> OcrResult:
        """OCR one image; ``lang`` is ``"auto"`` or a Tesseract set such as ``"ara+eng"``."""
        started = time.perf_counter()
        cfg = self.config
        explicit: str | None = None
        if lang.strip().lower() != "auto":
            names = split_languages(lang)
            require_installed(names)
            have = installed_languages()
            explicit = "+".join(resolve_name(n, have) for n in names)
        image = load_image(source)
        backend = self.backend
        prep = prepare(image, cfg.preprocess, cfg.target_line_height, cfg.max_scale,
                       cfg.max_pixels)
        params: dict[str, Any] = {
            "psm": cfg.psm,
            "preprocessing": list(prep.steps),
            "scale": round(prep.scale, 4),
            "median_luminance": prep.median_luminance,
            "line_height": prep.line_height,
        }
        if explicit is not None:
            params["lang_mode"] = "explicit"
            best = self._pass(prep, explicit)
        else:
            params["lang_mode"] = "auto"
            best = self._auto(prep, params)
        words = best.words
        languages = best.lang.split("+")
        rtl_lang = self._rtl_candidate(params.get("script")) if explicit is None else None
        if cfg.fix_ltr_lines and rtl_lang is not None:
            # A left-to-right set won: lines it read poorly may be Arabic-script text.
            words, fixed = self._fix_rtl_lines(prep, rtl_lang, words)
            if fixed:
                params["rtl_lines_reread"] = fixed
                params["rtl_lines_lang"] = rtl_lang
                languages += [c for c in rtl_lang.split("+") if c not in languages]
        elif cfg.fix_ltr_lines:
            companion = self._latin_companion(best.lang, explicit is None)
            words, fixed, used = self._fix_ltr_lines(prep, best.lang, words, companion)
            if fixed:
                params["ltr_lines_reread"] = fixed
                if companion in used:
                    params["ltr_lines_lang"] = companion
                    languages += [c for c in companion.split("+") if c not in languages]
        result_words = self._to_original(words, prep, image.size)
        text = build_text(result_words)
        return OcrResult(
            engine=backend.name,
            engine_version=backend.version,
            languages=languages,
            parameters=params,
            text=text,
            words=result_words,
            mean_confidence=mean_confidence(result_words),
            duration_s=time.perf_counter() - started,
            image_size=image.size,
        )

    # -- passes -------------------------------------------------------------------

    def _pass(self, prep: Prepared, lang: str) -> _Pass:
        words = self.backend.read(prep.image, lang, self.config.psm, self.config.timeout_s)
        words = [RawWord(w.block, w.paragraph, w.line, w.word, w.left, w.top, w.width,
                         w.height, w.confidence, strip_bidi_controls(w.text)) for w in words]
        words = [w for w in words if w.text.strip()]
        return _Pass(lang, words, mean_confidence(words))

    def _auto(self, prep: Prepared, params: dict[str, Any]) -> _Pass:
        cfg = self.config
        have = installed_languages()
        groups = {g.script: candidate_sets(g, have) for g in cfg.scripts}
        groups = {s: c for s, c in groups.items() if c}
        if not groups:
            wanted = [g.languages[0] for g in cfg.scripts if g.languages] or ["eng"]
            require_installed(wanted)  # raises naming the packages
            raise MissingDependency("No Tesseract language configured for OCR is installed.")
        guess = self.backend.detect_script(prep.image)
        trusted = (guess is not None and guess.script in groups
                   and guess.script_confidence >= cfg.osd_min_confidence)
        if guess is not None:
            params["osd"] = {"script": guess.script,
                             "confidence": round(guess.script_confidence, 2)}
        order = list(groups)
        if guess is not None and guess.script in groups:
            # Even an untrusted guess is the best first probe.
            order.remove(guess.script)
            order.insert(0, guess.script)
        if trusted:
            plan = groups[order[0]] + [groups[s][0] for s in order[1:]]
            params["script_source"] = "osd"
        else:
            plan = [groups[s][0] for s in order]
            params["script_source"] = "probe"
        tried: list[_Pass] = []
        script_of = {c: s for s, cands in groups.items() for c in cands}
        best: _Pass | None = None
        queue = list(dict.fromkeys(plan))
        while queue and len(tried) < max(1, cfg.max_passes):
            lang = queue.pop(0)
            result = self._pass(prep, lang)
            tried.append(result)
            if best is None or result.confidence > best.confidence:
                best = result
            if best.confidence >= cfg.good_confidence:
                break
            if not trusted and len(tried) == len(order):
                # Probing done: refine within the best script.
                extra = [c for c in groups[script_of[best.lang]] if c not in plan]
                queue = extra + queue
        assert best is not None
        refined = self._refine(prep, best)
        if refined is not None:
            tried.append(refined)
            params["refined"] = refined.lang
            if refined.confidence > best.confidence:
                script_of[refined.lang] = script_of.get(best.lang, "")
                best = refined
        params["candidates"] = [{"lang": p.lang, "confidence": round(p.confidence, 2)}
                                for p in tried]
        params["script"] = script_of.get(best.lang)
        return best

    def _refine(self, prep: Prepared, best: _Pass) -> _Pass | None:
        """After a pass with a combined set (3+ languages), try the language its marker
        letters point to, first, with the set's first language."""
        langs = best.lang.split("+")
        if len(langs) < 3:
            return None
        text = " ".join(w.text for w in best.words)
        lang = marker_language(text, langs)
        if lang is None:
            return None
        companion = langs[0] if langs[0] != lang else langs[1]
        return self._pass(prep, f"{lang}+{companion}")

    # -- lines of the other direction ---------------------------------------------

    def _latin_companion(self, lang: str, auto: bool) -> str | None:
        """The Latin-script set that reads the Latin lines of a right-to-left page.

        The Latin members of ``lang`` (``eng`` of ``ara+eng``); in automatic mode,
        when ``lang`` has none (the ``Arabic`` script model, ``ara``), the Latin
        ``extra`` languages of the configured groups (``eng``).  ``None`` when an
        explicit ``lang`` has no Latin language: the caller's choice is kept.
        """
        latin: list[str] = ["eng"]
        for g in self.config.scripts:
            if g.script == "Latin":
                latin += [*g.languages, *([g.script_model] if g.script_model else [])]
        latin_set = set(latin) | {f"script/{n}" for n in latin}
        parts = [p for p in lang.split("+") if p in latin_set]
        if parts:
            return "+".join(parts)
        if not auto:
            return None
        have = installed_languages()
        extra = [e for g in self.config.scripts for e in g.extra
                 if e in latin_set and is_installed(e, have)]
        if extra:
            return "+".join(resolve_name(e, have) for e in dict.fromkeys(extra))
        return None

    def _rtl_candidate(self, script: str | None) -> str | None:
        """In automatic mode, when a set of a left-to-right script won: the first installed
        candidate of the first configured right-to-left script (``Arabic``), else ``None``."""
        if script is None or script in RTL_SCRIPTS:
            return None
        have = installed_languages()
        for g in self.config.scripts:
            if g.script in RTL_SCRIPTS:
                cands = candidate_sets(g, have)
                if cands:
                    return cands[0]
        return None

    def _fix_rtl_lines(self, prep: Prepared, lang: str,
                       words: list[RawWord]) -> tuple[list[RawWord], int]:
        """Re-read with ``lang`` (right-to-left) the lines a left-to-right set read with low
        confidence; a reading that is mostly right-to-left letters and more confident
        replaces the line.  A Latin set reads an Arabic line as confident-looking junk
        (``325 b Lol & Gol paw``) and may still win the page on its Latin lines."""
        lines: dict[tuple[int, int, int], list[RawWord]] = {}
        for w in words:
            lines.setdefault(_line_key(w), []).append(w)
        suspects = []
        for key, line in lines.items():
            conf = mean_confidence(line)
            letters = sum(1 for w in line for c in w.text if c.isalpha())
            if letters >= 3 and (conf < SUSPECT_LINE_MEAN
                                 or min(w.confidence for w in line) < SUSPECT_WORD):
                suspects.append((conf, key, line))
        suspects.sort(key=lambda item: item[0])
        width, height = prep.image.size
        replaced: dict[tuple[int, int, int], list[RawWord]] = {}
        for conf, key, line in suspects[:MAX_RTL_PROBES]:
            x0 = min(w.left for w in line)
            y0 = min(w.top for w in line)
            x1 = max(w.left + w.width for w in line)
            y1 = max(w.top + w.height for w in line)
            pad = max(4, (y1 - y0) // 3)
            left, top = max(0, x0 - pad), max(0, y0 - pad)
            box = (left, top, min(width, x1 + pad) - left, min(height, y1 + pad) - top)
            try:
                raw = self.backend.read(prep.image, lang, PSM_SINGLE_LINE, self.config.timeout_s,
                                        box=box)
            except OcrFailed:
                continue
            again = [RawWord(key[0], key[1], key[2], i, w.left, w.top, w.width, w.height,
                             w.confidence, strip_bidi_controls(w.text))
                     for i, w in enumerate(raw, 1) if strip_bidi_controls(w.text).strip()]
            alpha = [c for w in again for c in w.text if c.isalpha()]
            rtl = sum(1 for c in alpha if has_rtl(c))
            if rtl < 3 or rtl < 0.75 * len(alpha) or mean_confidence(again) <= conf:
                continue
            replaced[key] = again
        if not replaced:
            return words, 0
        out: list[RawWord] = []
        for key, line in lines.items():
            out.extend(replaced.get(key, line))
        return _renumber(out), len(replaced)

    def _read_line(self, prep: Prepared, box: tuple[int, int, int, int],
                   first: str | None, others: Sequence[str]) -> tuple[str, list[RawWord]] | None:
        """Read ``box`` as one left-to-right line: with ``first``, kept if confident enough
        (:data:`LATIN_LINE_MIN_CONFIDENCE`), else the most confident reading with
        ``first`` and ``others``; ``None`` if none reads (without right-to-left letters).

        Readings that differ only in their spaces count as one, read with the fewest
        breaks: ``eng`` splits ``wa.me/447700900123`` into ``wa.me/4477009001 23`` where
        ``Arabic`` does not, while a merged ``+33 612`` still names the same number.
        """
        readings: list[tuple[float, str, list[RawWord]]] = []
        for lang in dict.fromkeys([*([first] if first else []), *others]):
            try:
                raw = self.backend.read(prep.image, lang, PSM_SINGLE_LINE, self.config.timeout_s,
                                        box=box)
            except OcrFailed:
                continue
            words = [w for w in raw if strip_bidi_controls(w.text).strip()]
            if not words or any(has_rtl(w.text) for w in words):
                continue
            confidence = mean_confidence(words)
            if lang == first and confidence >= LATIN_LINE_MIN_CONFIDENCE:
                return lang, words
            readings.append((confidence, lang, words))
        if not readings:
            return None
        readings.sort(key=lambda r: r[0], reverse=True)

        def squeezed(words: list[RawWord]) -> str:
            return "".join("".join(w.text.split()) for w in words)

        same = [r for r in readings if squeezed(r[2]) == squeezed(readings[0][2])]
        _, lang, words = min(same, key=lambda r: len(r[2]))  # stable: best score on ties
        return lang, words

    def _fix_ltr_lines(self, prep: Prepared, lang: str, words: list[RawWord],
                       companion: str | None) -> tuple[list[RawWord], int, set[str]]:
        """Re-read the left-to-right text (phone numbers, web addresses, Latin words) of a
        page with right-to-left text; returns the words, the number of lines or runs
        re-read and the language sets whose readings were kept.

        A line without right-to-left words in a right-to-left paragraph (or holding
        digits or a web address anywhere on the page) is read again alone as one line
        (Tesseract orders its words right to left inside an Arabic paragraph), with
        ``companion`` (the Latin set, e.g. ``eng``) and ``lang``, keeping the more
        confident reading, or the Latin set's if fair when ``lang`` is a combined set
        (see :data:`LATIN_LINE_MIN_CONFIDENCE`).  In a line mixing both, each run of
        left-to-right words is cut out between its right-to-left neighbours and read
        the same way.
        """
        if not any(_is_rtl_word(w) for w in words):
            return words, 0, set()
        paragraphs_rtl = {(w.block, w.paragraph) for w in words if _is_rtl_word(w)}
        lines: dict[tuple[int, int, int], list[RawWord]] = {}
        for w in words:
            lines.setdefault(_line_key(w), []).append(w)
        combined = "+" in lang and companion is not None and companion != lang
        others = [c for c in (companion, lang) if c]
        width, height = prep.image.size
        replaced: dict[int, list[RawWord]] = {}  # id of a run's first word -> new words
        dropped: set[int] = set()  # ids of the other words of replaced runs
        used: set[str] = set()
        count = 0
        for key, line in lines.items():
            rtl = [w for w in line if _is_rtl_word(w)]
            if len(rtl) == len(line):
                continue
            y0 = min(w.top for w in line)
            y1 = max(w.top + w.height for w in line)
            pad = max(4, (y1 - y0) // 3)
            top, bottom = max(0, y0 - pad), min(height, y1 + pad)
            if not rtl:
                if not (key[:2] in paragraphs_rtl or _looks_like_contact(line)):
                    continue
                if len(line) < 2 and not _looks_like_contact(line):
                    continue
                runs = [(line, 0, width)]
            else:
                runs = [(run, lo, hi) for run, lo, hi in _ltr_runs(line, width)
                        if _looks_like_contact(run) or len(run) >= 2]
            for run, lo, hi in runs:
                x0 = min(w.left for w in run)
                x1 = max(w.left + w.width for w in run)
                left, right = max(lo, x0 - pad), min(hi, x1 + pad)
                if right - left < 2 or bottom - top < 2:
                    continue
                got = self._read_line(prep, (left, top, right - left, bottom - top),
                                      companion if combined else None, others)
                if got is None:
                    continue
                used.add(got[0])
                again = sorted(got[1], key=lambda w: w.left)
                replaced[id(run[0])] = [
                    RawWord(key[0], key[1], key[2], i, w.left, w.top, w.width, w.height,
                            w.confidence, strip_bidi_controls(w.text))
                    for i, w in enumerate(again, 1)]
                dropped |= {id(w) for w in run[1:]}
                count += 1
        if not count:
            return words, 0, set()
        out: list[RawWord] = []
        for w in words:
            if id(w) in replaced:
                out.extend(replaced[id(w)])
            elif id(w) not in dropped:
                out.append(w)
        return _renumber(out), count, used

    @staticmethod
    def _to_original(words: list[RawWord], prep: Prepared,
                     size: tuple[int, int]) -> list[OcrWord]:
        ow, oh = size
        pw, ph = prep.image.size
        sx, sy = pw / ow, ph / oh
        out = []
        for w in words:
            x0 = max(0, min(ow, math.floor(w.left / sx)))
            y0 = max(0, min(oh, math.floor(w.top / sy)))
            x1 = max(x0, min(ow, math.ceil((w.left + w.width) / sx)))
            y1 = max(y0, min(oh, math.ceil((w.top + w.height) / sy)))
            out.append(OcrWord(w.text, round(w.confidence, 2), (x0, y0, x1 - x0, y1 - y0),
                               w.block, w.paragraph, w.line, w.word))
        return out


_local = threading.local()


def _engine_for(config: OcrConfig) -> OcrEngine:
    engines: dict[OcrConfig, OcrEngine] | None = getattr(_local, "engines", None)
    if engines is None:
        engines = {}
        _local.engines = engines
    engine = engines.get(config)
    if engine is None:
        if len(engines) >= 4:
            for old in engines.values():
                old.close()
            engines.clear()
        engine = OcrEngine(config)
        engines[config] = engine
    return engine


def ocr_image(source: ImageSource, lang: str = "auto",
              config: OcrConfig | None = None) -> OcrResult:
    """OCR one image in this process (loaded languages are kept per thread and reused).

    ``source`` is a path or a PIL image.  Raises :class:`RejectedInput` for an
    unreadable image, :class:`MissingDependency` for a language or Tesseract
    that is not installed, :class:`~workstation.reading.ocr.errors.InvalidLanguage` for a
    malformed ``lang`` and :class:`~workstation.reading.ocr.errors.OcrFailed` when
    Tesseract fails or times out.
    """
    return _engine_for(config or OcrConfig()).ocr(source, lang)

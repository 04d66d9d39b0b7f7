"""The OCR engine: one image in, an :class:`~workstation.ocr.result.OcrResult` out.

:class:`OcrEngine` owns a backend (tesserocr, or pytesseract as fallback)
whose loaded language sets it reuses from image to image; :func:`ocr_image`
is the in-process entry point and keeps one engine per thread and config.

Automatic languages (``lang="auto"``)
    1. Tesseract OSD guesses the page's script on the preprocessed image.  OSD
       needs a fair amount of text and fails (or guesses wildly) on short or
       small text, so a guess under ``osd_min_confidence`` is not trusted.
    2. Candidate language sets are tried in order: those of the guessed script
       (:func:`~workstation.ocr.languages.candidate_sets`), then the first set of
       every other configured script.  Without a trusted guess, the first set
       of every script is probed (the guessed script first), then the best
       script's other sets.
    3. Passes stop once one reaches ``good_confidence`` or after ``max_passes``;
       the result with the best mean word confidence is kept.
    4. If that result came from a combined set (the six Latin languages), the
       language its letters point to (``ş``/``ğ``/``ı`` -> Turkish ...) is tried
       first with English, e.g. ``tur+eng``, and kept if read more confidently.

Mixed right-to-left pages
    Tesseract orders the words of a Latin line (a phone number, a web address)
    inside an Arabic paragraph right to left, so ``+44 7700 900123`` comes out as
    ``900123 7700 44+``.  With ``fix_ltr_lines`` such lines are re-read alone
    as single lines, which reads them in their own direction.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from workstation.errors import MissingDependency, RejectedInput
from workstation.ocr.backends import PSM_SINGLE_LINE, Backend, RawWord, make_backend
from workstation.ocr.config import OcrConfig
from workstation.ocr.errors import OcrFailed
from workstation.ocr.languages import (
    candidate_sets,
    has_rtl,
    installed_languages,
    marker_language,
    require_installed,
    resolve_name,
    split_languages,
    strip_bidi_controls,
)
from workstation.ocr.preprocess import Prepared, prepare
from workstation.ocr.result import OcrResult, OcrWord

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
        if cfg.fix_ltr_lines:
            words, fixed = self._fix_ltr_lines(prep, best.lang, words)
            if fixed:
                params["ltr_lines_reread"] = fixed
        result_words = self._to_original(words, prep, image.size)
        text = build_text(result_words)
        return OcrResult(
            engine=backend.name,
            engine_version=backend.version,
            languages=best.lang.split("+"),
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

    def _fix_ltr_lines(self, prep: Prepared, lang: str,
                       words: list[RawWord]) -> tuple[list[RawWord], int]:
        """Re-read left-to-right lines that sit in right-to-left paragraphs."""
        if not any(has_rtl(w.text) for w in words):
            return words, 0
        paragraphs_rtl = {(w.block, w.paragraph) for w in words if has_rtl(w.text)}
        lines: dict[tuple[int, int, int], list[RawWord]] = {}
        for w in words:
            lines.setdefault(_line_key(w), []).append(w)
        replaced: dict[tuple[int, int, int], list[RawWord]] = {}
        width, height = prep.image.size
        for key, line in lines.items():
            if key[:2] not in paragraphs_rtl or any(has_rtl(w.text) for w in line):
                continue
            if len(line) < 2 and not any(c in line[0].text for c in "+-./:@"):
                continue
            x0 = min(w.left for w in line)
            y0 = min(w.top for w in line)
            x1 = max(w.left + w.width for w in line)
            y1 = max(w.top + w.height for w in line)
            pad = max(4, (y1 - y0) // 3)
            box = (max(0, x0 - pad), max(0, y0 - pad),
                   min(width, x1 + pad) - max(0, x0 - pad),
                   min(height, y1 + pad) - max(0, y0 - pad))
            try:
                again = self.backend.read(prep.image, lang, PSM_SINGLE_LINE,
                                          self.config.timeout_s, box=box)
            except OcrFailed:
                continue
            again = [w for w in again if strip_bidi_controls(w.text).strip()]
            if not again or any(has_rtl(w.text) for w in again):
                continue
            replaced[key] = [RawWord(key[0], key[1], key[2], i, w.left, w.top, w.width,
                                     w.height, w.confidence, strip_bidi_controls(w.text))
                             for i, w in enumerate(again, 1)]
        if not replaced:
            return words, 0
        out: list[RawWord] = []
        done: set[tuple[int, int, int]] = set()
        for w in words:
            key = _line_key(w)
            if key in replaced:
                if key not in done:
                    out.extend(replaced[key])
                    done.add(key)
            else:
                out.append(w)
        return _renumber(out), len(replaced)

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
    that is not installed, :class:`~workstation.ocr.errors.InvalidLanguage` for a
    malformed ``lang`` and :class:`~workstation.ocr.errors.OcrFailed` when
    Tesseract fails or times out.
    """
    return _engine_for(config or OcrConfig()).ocr(source, lang)

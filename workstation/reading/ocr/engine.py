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
    (:meth:`~workstation.reading.ocr.lines.LineRereader.fix_ltr_lines`).  The other
    way round, when a Latin set wins the page, its low-confidence lines are read
    again with the Arabic candidate and replaced if that reads them as
    right-to-left text, more confidently
    (:meth:`~workstation.reading.ocr.lines.LineRereader.fix_rtl_lines`).  Re-read
    words keep their boxes in the original image's pixels and their place in the
    line order.
    ``languages`` also names the set whose line readings were kept.

Line reads crop the image rather than use Tesseract's ``SetRectangle`` (see
:func:`~workstation.reading.ocr.backends.crop_box`): libtesseract 5.3 reads a
rectangle of a grey image wrongly and differently from call to call.
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
from workstation.reading.ocr.backends import Backend, RawWord, make_backend
from workstation.reading.ocr.config import OcrConfig
from workstation.reading.ocr.languages import (
    candidate_sets,
    installed_languages,
    is_installed,
    marker_language,
    require_installed,
    resolve_name,
    split_languages,
    strip_bidi_controls,
)
from workstation.reading.ocr.lines import LineRereader, mean_confidence
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


@dataclass
class _Pass:
    lang: str
    words: list[RawWord]
    confidence: float


#: Scripts written right to left (Tesseract OSD names).
RTL_SCRIPTS = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana"})

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
            words, fixed = self._lines().fix_rtl_lines(prep, rtl_lang, words)
            if fixed:
                params["rtl_lines_reread"] = fixed
                params["rtl_lines_lang"] = rtl_lang
                languages += [c for c in rtl_lang.split("+") if c not in languages]
        elif cfg.fix_ltr_lines:
            companion = self._latin_companion(best.lang, explicit is None)
            words, fixed, used = self._lines().fix_ltr_lines(prep, best.lang, words,
                                                             companion)
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

    def _lines(self) -> LineRereader:
        """Re-reads single lines with this engine's backend."""
        return LineRereader(self.backend, self.config.timeout_s)

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

"""The OCR engine: one image in, an :class:`~workstation.reading.ocr.result.OcrResult` out.

:class:`OcrEngine` owns a backend (tesserocr, or pytesseract as fallback)
whose loaded language sets it reuses from image to image; :func:`ocr_image`
is the in-process entry point and keeps one engine per thread and config.

Automatic languages (``lang="auto"``)
    1. The *probe*: up to three text lines, those with the most ink edges, each cut
       to about sixteen line heights (ten after confident Latin text,
       :data:`PROBE_CHECK_HEIGHTS`)
       (:func:`~workstation.reading.ocr.preprocess.probe_boxes`), are read one by one
       with the ``Arabic`` script model, which reads Latin text too, until they
       settle the choice: one confident Arabic-script line settles it, Latin lines
       only all three.  If the model reads them without confidence (Ge'ez), each
       other script's first set reads them.  The probe costs a quarter of a page's
       pass on the bench's adverts.  Tesseract's OSD is not used: on the bench it took
       as long as a whole pass and named Latin for Tigrinya and mixed Arabic posts.
    2. The script is the one the probe's letters are written in (a non-Latin
       script from a quarter of them), the language what
       :func:`~workstation.reading.ocr.langid.identify` makes of them.
    3. The page is read once, with the set
       :func:`~workstation.reading.ocr.languages.reading_set` gives: a Latin advert with
       its own language (``vie`` keeps the tone marks the six Latin languages
       together lose), an Arabic-script one with the ``Arabic`` script model, a
       Ge'ez one with ``tir+eng`` or ``amh+eng``.  Only when that pass reads with a
       mean word confidence under ``retry_confidence`` are the other scripts' sets
       tried (``max_passes`` in all) and the most confident kept.
    4. ``advert_languages`` is identified from the text read (the probe's and the
       page's), in both modes: an analyst's explicit ``lang`` says which model
       reads, not what the advert is written in.  Lines in another script (the
       Latin phone and web lines of a Persian post) add their language, recorded
       per line in ``parameters["line_languages"]`` (``{"eng": "4-5,9"}``).

Mixed right-to-left pages (``fix_ltr_lines``)
    Arabic-script posts carry Latin phone numbers and web addresses.  Tesseract
    orders the words of such a line right to left inside an Arabic paragraph
    (``+44 7700 900123`` comes out as ``900123 7700 44+``), and a combined set
    such as ``ara+eng`` drops or garbles Latin characters.  So on a page read
    with a right-to-left set, each left-to-right line, and each left-to-right
    run inside an Arabic line, is cut out and read again alone as one line,
    with the Latin set (``eng``) and the page's set, keeping the better reading
    (:meth:`~workstation.reading.ocr.lines.LineRereader.fix_ltr_lines`).  The other
    way round, when a Latin set wins the page whose probe lines had Arabic letters,
    its low-confidence lines are read
    again with the Arabic candidate and replaced if that reads them as
    right-to-left text, more confidently
    (:meth:`~workstation.reading.ocr.lines.LineRereader.fix_rtl_lines`).  Re-read
    words keep their boxes in the original image's pixels and their place in the
    line order.
    ``languages`` also names the set whose line readings were kept.
    A number typed inside an Arabic sentence is drawn by the bidirectional
    algorithm with its groups right to left; such a run of digit groups is given
    back as typed (:func:`~workstation.reading.ocr.lines.bidi_number_order`).

Numbers in Arabic-Indic or Persian digits
    After coverage, numbers that Tesseract read doubtfully in right-to-left lines
    (letters, Latin junk, mixed digit sets, low confidence) are read again one digit
    at a time with the ``Arabic`` script model and put in the line's reading order
    (:func:`~workstation.reading.ocr.digits.fix_indic_numbers`);
    ``parameters["numbers_reread"]`` counts them.

Line reads crop the image rather than use Tesseract's ``SetRectangle`` (see
:func:`~workstation.reading.ocr.backends.crop_box`): libtesseract 5.3 reads a
rectangle of a grey image wrongly and differently from call to call.
"""

from __future__ import annotations

import io
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
from workstation.reading.ocr.backends import PSM_SINGLE_LINE, Backend, RawWord, make_backend
from workstation.reading.ocr.config import OcrConfig
from workstation.reading.ocr.coverage import check_coverage
from workstation.reading.ocr.digits import DIGIT_MODEL, fix_indic_numbers
from workstation.reading.ocr.langid import (
    LanguageGuess,
    compact_lines,
    dominant_script,
    identify,
    line_languages,
    page_script,
    script_counts,
)
from workstation.reading.ocr.languages import (
    ScriptLanguages,
    candidate_sets,
    installed_languages,
    is_installed,
    probe_order,
    reading_set,
    require_installed,
    resolve_name,
    split_languages,
    strip_bidi_controls,
)
from workstation.reading.ocr.lines import LineRereader, mean_confidence
from workstation.reading.ocr.preprocess import Prepared, prepare, probe_boxes
from workstation.reading.ocr.result import OcrResult, OcrWord

ImageSource = str | os.PathLike[str] | Image.Image | bytes

#: Images larger than this many pixels are refused rather than OCRed.
MAX_IMAGE_PIXELS = 120_000_000


def load_image(source: ImageSource) -> Image.Image:
    """Open ``source`` (a path, an image file's bytes or a PIL image) fully decoded;
    :class:`RejectedInput` if not a readable image."""
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, bytes):  # an original decrypted by the workspace (at rest)
        try:
            image = Image.open(io.BytesIO(source))
            image.load()
        except Image.DecompressionBombError as exc:
            raise RejectedInput("The image is too large to OCR.") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise RejectedInput(f"The image could not be read ({exc}).") from exc
    else:
        path = Path(source)
        try:
            # Decoded from the file's bytes in memory: no file stays open and no copy is
            # needed to close it (a copy cost 9 ms a phone screenshot).
            image = Image.open(io.BytesIO(path.read_bytes()))
            image.load()
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

#: A probe read with at least this mean word confidence is trusted; below it the
#: next script's set reads the probe too and the more confident reading is kept.
PROBE_CONFIDENT = 70.0
#: Lead of the most likely Ge'ez-script language over the other that ends the probe
#: after two lines.
PROBE_MARGIN = 3.0
#: A language of lines in another script counts as an advert language from this many
#: letters (a ``2h`` or ``Like`` label does not make a Persian post English).
MIN_SECOND_LANGUAGE_LETTERS = 8
#: Tesseract's segmentation mode for a probe line: one line (7).  A raw line (13) skips
#: the layout analysis inside the box and reads a line a quarter faster, but on the
#: advert set it read Vietnamese probe lines too poorly to name the language, and
#: unconfident probes cost the other scripts' reads: 114 ms a page against 60.
PSM_PROBE = PSM_SINGLE_LINE
#: Once the probe has read confident Latin text, its later lines are there to catch an
#: Arabic-script line (fewer ink edges, so read last) and to add words for the
#: language: they are cut to this many line heights instead of sixteen (a line read
#: costs in proportion to its width).  On the advert set 10 and 8 identify every
#: advert as 16 does (10: 4-8 ms of CPU an image saved); 6 took an English post for Turkish.
PROBE_CHECK_HEIGHTS = 10.0

class _Stopwatch:
    """Wall and CPU seconds per stage of one :meth:`OcrEngine.ocr`: each :meth:`lap`
    charges the time since the previous lap (or the start) to its stage."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, stage: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[stage] = self.wall.get(stage, 0.0) + wall - self._wall
        self.cpu[stage] = self.cpu.get(stage, 0.0) + cpu - self._cpu
        self._wall, self._cpu = wall, cpu


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


def _probe_settled(words: Sequence[RawWord], lines: int,
                   groups: dict[str, ScriptLanguages]) -> bool:
    """Whether the probe lines read so far settle the page's reading set, so the
    others need not be read: confidently read Arabic script (the page is read with
    the ``Arabic`` model whatever its language, identified afterwards from the page's
    text), or two Ge'ez lines whose language is clear (:data:`PROBE_MARGIN`).  Latin
    lines settle nothing early: an Arabic line, with fewer ink edges, comes last and
    must still be seen.  A reading that is not confident settles nothing."""
    if not words or mean_confidence(words) < PROBE_CONFIDENT:
        return False
    text = " ".join(w.text for w in words)
    script = page_script(text)
    if script not in groups or script == "Latin":
        return False
    if script == "Arabic" and groups[script].read_with_script_model:
        return True
    guess = identify(text, script, groups[script].languages)
    return lines >= 2 and guess is not None and guess.margin >= PROBE_MARGIN


def _reads_latin(words: Sequence[RawWord]) -> bool:
    """Whether the probe lines read so far are confidently read Latin text (the later
    lines can then be shorter, :data:`PROBE_CHECK_HEIGHTS`)."""
    if not words or mean_confidence(words) < PROBE_CONFIDENT:
        return False
    return page_script(" ".join(strip_bidi_controls(w.text) for w in words)) == "Latin"


class OcrEngine:
    """Reads images with Tesseract.  Not thread-safe: use one per thread or process."""

    def __init__(self, config: OcrConfig | None = None) -> None:
        self.config = config or OcrConfig()
        self._backend: Backend | None = None
        #: Seconds spent in each stage of the last :meth:`ocr` (for the bench).
        self.last_timings: dict[str, float] = {}
        #: CPU seconds of this process in each stage of the last :meth:`ocr`: what the
        #: machine's other load does not move (Tesseract runs in this thread).
        self.last_cpu: dict[str, float] = {}
        self._watch = _Stopwatch()
        self._probe_text = ""

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
        watch = self._watch = _Stopwatch()
        cfg = self.config
        explicit: str | None = None
        if lang.strip().lower() != "auto":
            names = split_languages(lang)
            require_installed(names)
            have = installed_languages()
            explicit = "+".join(resolve_name(n, have) for n in names)
        image = load_image(source)
        backend = self.backend
        self.last_timings, self.last_cpu = watch.wall, watch.cpu
        self._probe_text = ""
        prep = prepare(image, cfg.preprocess, cfg.target_line_height, cfg.max_scale,
                       cfg.max_pixels)
        watch.lap("preprocess")
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
        watch.lap("passes")
        languages = best.lang.split("+")
        rtl_lang = self._rtl_candidate(params.get("script")) if explicit is None else None
        words = self._fix_lines(prep, best, rtl_lang, explicit is None, params, languages)
        watch.lap("lines")
        # Text the passes skipped (a dropped line, a banner) is read again or reported.
        others = [c for c in (rtl_lang, self._latin_companion(best.lang, explicit is None)) if c]
        checked = check_coverage(backend, image, prep.image.size, words, [best.lang, *others],
                                 cfg.timeout_s)
        words = checked.words
        params["coverage"] = checked.counts()
        languages += [c for used in checked.languages for c in used.split("+")
                      if c not in languages]
        watch.lap("coverage")
        # Numbers in Arabic-Indic or Persian digits, read again digit by digit.
        words, numbers = fix_indic_numbers(backend, prep.image, words, cfg.timeout_s,
                                           installed_languages())
        if numbers:
            params["numbers_reread"] = numbers
            languages += [DIGIT_MODEL] if DIGIT_MODEL not in languages else []
        watch.lap("numbers")
        result_words = self._to_original(words, prep, image.size)
        text = build_text(result_words)
        advert = self._advert_languages(text, params.get("script"), self._probe_text, params)
        watch.lap("finish")
        return OcrResult(
            engine=backend.name,
            engine_version=backend.version,
            languages=languages,
            parameters=params,
            text=text,
            words=result_words,
            mean_confidence=mean_confidence(result_words) * checked.coverage,
            duration_s=time.perf_counter() - started,
            image_size=image.size,
            coverage=checked.coverage,
            unread=checked.unread,
            advert_languages=advert,
        )

    def _fix_lines(self, prep: Prepared, best: _Pass, rtl_lang: str | None, auto: bool,
                   params: dict[str, Any], languages: list[str]) -> list[RawWord]:
        """Re-read the lines of the other direction (see the module docstring); adds the
        sets whose readings were kept to ``languages``."""
        words = best.words
        if not self.config.fix_ltr_lines:
            return words
        if rtl_lang is not None:
            # A left-to-right set won: lines it read poorly may be Arabic-script text, but
            # only if the probe lines (read with a model that reads Arabic script too)
            # had Arabic letters; re-reading every doubtful line of every Latin page
            # with the Arabic model cost more than the page's pass on the bench.
            if not script_counts(self._probe_text)["Arabic"]:
                return words
            words, fixed = self._lines().fix_rtl_lines(prep, rtl_lang, words)
            if fixed:
                params["rtl_lines_reread"] = fixed
                params["rtl_lines_lang"] = rtl_lang
                languages += [c for c in rtl_lang.split("+") if c not in languages]
            return words
        companion = self._latin_companion(best.lang, auto)
        words, fixed, used = self._lines().fix_ltr_lines(prep, best.lang, words, companion)
        if fixed:
            params["ltr_lines_reread"] = fixed
            if companion in used:
                params["ltr_lines_lang"] = companion
                languages += [c for c in companion.split("+") if c not in languages]
        return words

    # -- passes -------------------------------------------------------------------

    def _pass(self, prep: Prepared, lang: str) -> _Pass:
        words = self.backend.read(prep.image, lang, self.config.psm, self.config.timeout_s)
        words = [RawWord(w.block, w.paragraph, w.line, w.word, w.left, w.top, w.width,
                         w.height, w.confidence, strip_bidi_controls(w.text)) for w in words]
        words = [w for w in words if w.text.strip()]
        return _Pass(lang, words, mean_confidence(words))

    def _auto(self, prep: Prepared, params: dict[str, Any]) -> _Pass:
        """Probe a few lines for the script and language, then read the page once with
        the set they point to; another script's set only if that reads badly."""
        cfg = self.config
        have = installed_languages()
        groups = {g.script: g for g in cfg.scripts if candidate_sets(g, have)}
        if not groups:
            wanted = [g.languages[0] for g in cfg.scripts if g.languages] or ["eng"]
            require_installed(wanted)  # raises naming the packages
            raise MissingDependency("No Tesseract language configured for OCR is installed.")
        script, guess, probe = self._probe(prep, groups, have)
        self._watch.lap("probe")
        params["probe"] = probe
        params["script_source"] = "probe"
        lang = guess.lang if guess is not None else None
        first = reading_set(groups[script], lang, have)
        tried = [self._pass(prep, first)]
        script_of = {first: script}
        if tried[0].confidence < cfg.retry_confidence:
            # The probe may have misjudged the script: try the others' sets.
            for other, group in groups.items():
                if other == script or len(tried) >= max(1, cfg.max_passes):
                    continue
                lang_set = reading_set(group, None, have)
                script_of[lang_set] = other
                tried.append(self._pass(prep, lang_set))
        best = max(tried, key=lambda p: p.confidence)
        params["candidates"] = [{"lang": p.lang, "confidence": round(p.confidence, 2)}
                                for p in tried]
        params["script"] = script_of[best.lang]
        return best

    def _probe(self, prep: Prepared, groups: dict[str, ScriptLanguages],
               have: list[str]) -> tuple[str, LanguageGuess | None, dict[str, Any]]:
        """The script and language of the page from a few of its lines
        (:func:`~workstation.reading.ocr.preprocess.probe_boxes`), each read alone
        with a script model (the ``Arabic`` model reads Latin text too), or with each
        script's first set until one reads them confidently.  Reading stops as soon
        as the lines read settle the choice (:func:`_probe_settled`)."""
        boxes = probe_boxes(prep)
        short = probe_boxes(prep, width_in_heights=PROBE_CHECK_HEIGHTS)
        order = probe_order(groups, have)
        default = next(iter(groups))
        best: tuple[float, str, str, str, int] | None = None  # conf, script, text, set, n
        for lang_set in order:
            words: list[RawWord] = []
            read = 0
            for index, box in enumerate(boxes):
                if index and _reads_latin(words):
                    box = short[index]
                raw = self.backend.read(prep.image, lang_set, PSM_PROBE,
                                        self.config.timeout_s, box=box)
                words += [w for w in raw if strip_bidi_controls(w.text).strip()]
                read += 1
                if _probe_settled(words, read, groups):
                    break
            text = " ".join(strip_bidi_controls(w.text) for w in words)
            script = page_script(text)
            confidence = mean_confidence(words)
            if script in groups and (best is None or confidence > best[0]):
                best = (confidence, script, text, lang_set, read)
            if best is not None and best[0] >= PROBE_CONFIDENT:
                break
        if best is None:
            return default, None, {"lang": order[0] if order else None}
        confidence, script, text, lang_set, read = best
        self._probe_text = text
        guess = identify(text, script, groups[script].languages)
        return script, guess, {"lang": lang_set, "lines": read,
                               "confidence": round(confidence, 1),
                               "guess": guess.lang if guess else None}

    def _advert_languages(self, text: str, script: str | None, probe_text: str,
                          params: dict[str, Any]) -> list[str]:
        """The languages the advert is written in, identified from the text read: the
        main one (of the page's main script) first, then those of lines in another
        script (the Latin phone and web lines of a Persian post: ``eng``), which are
        also kept per line in ``parameters["line_languages"]``."""
        choices = [lang for g in self.config.scripts for lang in g.languages]
        script = script or dominant_script(text)
        if script is None:
            return []
        main = identify(f"{probe_text} {text}", script, choices)
        if main is None:
            return []
        lines = text.split("\n")
        by_line = line_languages(lines, script, choices)
        out = [main.lang]
        letters: dict[str, int] = {}
        for index, lang in by_line.items():
            letters[lang] = letters.get(lang, 0) + sum(ch.isalpha() for ch in lines[index])
        out += [lang for lang, n in letters.items() if n >= MIN_SECOND_LANGUAGE_LETTERS
                and lang != main.lang]
        if len(out) > 1:
            params["line_languages"] = compact_lines(by_line)
        return out

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

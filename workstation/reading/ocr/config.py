"""OCR settings (:class:`OcrConfig`), immutable and picklable so workers get a copy.

The defaults are the ones ``bench/ocr_bench.py`` measured as best on
screenshots; change them only with figures from the bench.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workstation.reading.ocr.languages import DEFAULT_SCRIPTS, ScriptLanguages

#: Preprocessing steps known to :mod:`workstation.reading.ocr.preprocess`, in the order applied.
ALL_STEPS = ("greyscale", "invert", "invert_bands", "upscale")


@dataclass(frozen=True)
class OcrConfig:
    """How to OCR.

    ``engine``: ``"auto"`` (tesserocr in-process, else pytesseract), ``"tesserocr"``
    or ``"pytesseract"``.  ``psm``: Tesseract page segmentation mode (3 = automatic).
    ``preprocess``: steps to consider (each applies only when the image needs it).
    ``target_line_height``: text lines lower than this (pixels, ascender to
    descender) are upscaled to it, at most ``max_scale`` times and up to
    ``max_pixels``.  ``scripts``: the writing systems and languages automatic
    mode chooses from: it reads a few lines first (the *probe*), identifies the
    script and language from them and reads the page once with the set they point
    to (:mod:`workstation.reading.ocr.engine`).  ``retry_confidence``: when that pass's
    mean word confidence is below this, the other scripts' sets are tried too, up to
    ``max_passes`` passes in all.  ``fix_ltr_lines``:
    on mixed Arabic/Latin pages, re-read the lines (or runs) of the other
    direction alone, each with the set that reads it best (Tesseract otherwise
    reverses a phone number's groups and a combined set drops Latin characters;
    see :mod:`workstation.reading.ocr.engine`).
    ``timeout_s``: limit for one recognition pass.  ``max_cached_models``: loaded
    language sets kept per worker (12: automatic mode over the twelve advert languages
    uses ten sets, and with 8 kept a worker reloaded one every sixth image, 30-100 ms
    each).
    """

    engine: str = "auto"
    psm: int = 3
    preprocess: tuple[str, ...] = ALL_STEPS
    target_line_height: int = 24
    max_scale: float = 4.0
    max_pixels: int = 40_000_000
    scripts: tuple[ScriptLanguages, ...] = field(default=DEFAULT_SCRIPTS)
    max_passes: int = 3
    retry_confidence: float = 50.0
    fix_ltr_lines: bool = True
    timeout_s: float = 120.0
    max_cached_models: int = 12

    def __post_init__(self) -> None:
        unknown = [s for s in self.preprocess if s not in ALL_STEPS]
        if unknown:
            raise ValueError(f"unknown preprocessing steps {unknown}; known: {ALL_STEPS}")
        if self.engine not in ("auto", "tesserocr", "pytesseract"):
            raise ValueError(f"unknown OCR engine {self.engine!r}")

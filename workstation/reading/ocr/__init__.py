"""OCR of screenshots with Tesseract.

In-process::

    from workstation.reading.ocr import ocr_image
    result = ocr_image("capture.png")            # lang="auto": script detected
    result = ocr_image(image, lang="ara+eng")    # caller's choice

In parallel worker processes::

    with OcrPool(jobs=4) as pool:
        for key, outcome in pool.map([(key, path, "auto"), ...], cancel=token):
            ...  # outcome is an OcrResult, or a WorkstationError for that image

``installed_languages()`` and ``tessdata_dir()`` say what Tesseract can read.
See :mod:`workstation.reading.ocr.engine` for how automatic languages work and
:mod:`workstation.reading.ocr.preprocess` for the image preparation.
"""

import os

# Tesseract's OpenMP threads oversubscribe the cores and run 5–10× slower: one thread
# per process (workers set it too).  Must be set before libtesseract is loaded.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from workstation.reading.ocr.config import OcrConfig
from workstation.reading.ocr.engine import OcrEngine, load_image, ocr_image
from workstation.reading.ocr.errors import InvalidLanguage, OcrError, OcrFailed
from workstation.reading.ocr.languages import (
    DEFAULT_SCRIPTS,
    ScriptLanguages,
    debian_package,
    installed_languages,
    tessdata_dir,
)
from workstation.reading.ocr.pool import OcrPool
from workstation.reading.ocr.result import OcrResult, OcrWord

__all__ = [
    "DEFAULT_SCRIPTS",
    "InvalidLanguage",
    "OcrConfig",
    "OcrEngine",
    "OcrError",
    "OcrFailed",
    "OcrPool",
    "OcrResult",
    "OcrWord",
    "ScriptLanguages",
    "debian_package",
    "installed_languages",
    "load_image",
    "ocr_image",
    "tessdata_dir",
]

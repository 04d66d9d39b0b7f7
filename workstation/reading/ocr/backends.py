"""The two ways of running Tesseract, behind one small interface.

:class:`TesserocrBackend` (fast path) calls libtesseract in-process through
``tesserocr`` and keeps one ``PyTessBaseAPI`` per language set, loaded once and
reused (a small LRU).  :class:`PytesseractBackend` (fallback) runs the
``tesseract`` command through ``pytesseract``.  Both return Tesseract's TSV word
rows, parsed into :class:`RawWord`, so results look the same whichever ran.

Neither module is imported until a backend is created, so that pool workers
can set ``OMP_THREAD_LIMIT`` first.  A backend object is not thread-safe.
"""

from __future__ import annotations

import importlib.util
import shlex
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image

from workstation.errors import MissingDependency
from workstation.reading.ocr.errors import OcrFailed
from workstation.reading.ocr.languages import tessdata_path_arg

PSM_SINGLE_LINE = 7

#: Tesseract variables set on every loaded language set.  ``tessedit_do_invert=0``:
#: Tesseract otherwise reads each line it doubts a second time inverted, in case it
#: is light text on dark; :mod:`~workstation.reading.ocr.preprocess` already inverts
#: dark pages and dark bands, and coverage re-reads light-on-colour banners from their
#: best channel, so that second reading only cost time (7 % of a page's pass on the
#: advert set, ``bench/ocr_bench.py``).
TESSERACT_VARIABLES = {"tessedit_do_invert": "0"}


@dataclass(frozen=True, slots=True)
class RawWord:
    """One TSV word row, in the coordinates of the image Tesseract saw."""

    block: int
    paragraph: int
    line: int
    word: int
    left: int
    top: int
    width: int
    height: int
    confidence: float
    text: str


def parse_tsv(tsv: str) -> list[RawWord]:
    """Word rows (level 5, non-blank text) of Tesseract's TSV output."""
    words = []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = "\t".join(cols[11:]).strip()
        if not text:
            continue
        try:
            words.append(RawWord(int(cols[2]), int(cols[3]), int(cols[4]), int(cols[5]),
                                 int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9]),
                                 max(0.0, min(100.0, float(cols[10]))), text))
        except ValueError:
            continue
    return words


def crop_box(image: Image.Image, box: tuple[int, int, int, int] | None
             ) -> tuple[Image.Image, int, int]:
    """``image`` cropped to ``box`` (x, y, w, h) and the crop's offset.

    Both backends crop rather than use Tesseract's ``SetRectangle``: in
    libtesseract 5.3 (Debian 12) a rectangle on an 8-bit grey image makes Otsu
    thresholding read the wrong pixels (tesseract-ocr/tesseract#4127), so the
    same line reads differently, garbled or empty, from call to call.
    """
    if box is None:
        return image, 0, 0
    x, y, w, h = box
    return image.crop((x, y, x + w, y + h)), x, y


def shift_words(words: list[RawWord], dx: int, dy: int) -> list[RawWord]:
    """``words`` moved by ``(dx, dy)`` (back from a crop to the whole image)."""
    if not dx and not dy:
        return words
    return [RawWord(w.block, w.paragraph, w.line, w.word, w.left + dx, w.top + dy,
                    w.width, w.height, w.confidence, w.text) for w in words]


def image_dpi(image: Image.Image) -> int:
    """The resolution Tesseract is told for ``image``: its own ``dpi``, else 96 (what
    tesserocr's ``SetImage`` passes on through the BMP it writes)."""
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 96
    except (TypeError, ValueError, IndexError):
        value = 96
    return value if value > 0 else 96


def set_image(api: Any, image: Image.Image) -> None:
    """Hand ``image`` to a tesserocr API.  An 8-bit grey image (every page, probe line
    and re-read crop the engine reads) goes over as raw rows: tesserocr's ``SetImage``
    writes a BMP that Leptonica decodes again and strips of its grey palette, 1-3 ms a
    call and about 7 calls an image.  Same pixels, same resolution, same readings."""
    if image.mode == "L" and image.width > 0 and image.height > 0:
        api.SetImageBytes(image.tobytes(), image.width, image.height, 1, image.width)
        api.SetSourceResolution(image_dpi(image))
    else:
        api.SetImage(image)


class Backend(Protocol):
    """What the engine needs from a Tesseract binding."""

    name: str
    version: str

    def read(self, image: Image.Image, lang: str, psm: int, timeout_s: float,
             box: tuple[int, int, int, int] | None = None) -> list[RawWord]: ...

    def close(self) -> None: ...


def tesserocr_available() -> bool:
    return importlib.util.find_spec("tesserocr") is not None


class TesserocrBackend:
    """In-process Tesseract through tesserocr, one loaded API per language set."""

    name = "tesserocr"

    def __init__(self, max_cached: int = 8) -> None:
        import tesserocr  # deferred: OMP_THREAD_LIMIT must be set before this import

        self._tesserocr = tesserocr
        self._path = tessdata_path_arg()
        self._apis: OrderedDict[str, Any] = OrderedDict()
        self._max_cached = max(1, max_cached)
        first = tesserocr.tesseract_version().splitlines()[0]
        self.version = first.split()[-1] if first else "unknown"

    def _api(self, lang: str) -> Any:
        api = self._apis.get(lang)
        if api is not None:
            self._apis.move_to_end(lang)
            return api
        try:
            api = self._tesserocr.PyTessBaseAPI(path=self._path, lang=lang,
                                                variables=TESSERACT_VARIABLES)
        except RuntimeError as exc:
            raise MissingDependency(
                f"Tesseract could not load the language data {lang!r} from {self._path}: {exc}"
            ) from exc
        self._apis[lang] = api
        while len(self._apis) > self._max_cached:
            _, old = self._apis.popitem(last=False)
            old.End()
        return api

    def read(self, image: Image.Image, lang: str, psm: int, timeout_s: float,
             box: tuple[int, int, int, int] | None = None) -> list[RawWord]:
        api = self._api(lang)
        api.SetPageSegMode(psm)
        image, dx, dy = crop_box(image, box)
        set_image(api, image)
        ok = api.Recognize(timeout=int(timeout_s * 1000))
        if not ok:
            raise OcrFailed(f"Tesseract did not finish within {timeout_s:g} s or failed.")
        return shift_words(parse_tsv(api.GetTSVText(0)), dx, dy)

    def close(self) -> None:
        for api in self._apis.values():
            api.End()
        self._apis.clear()


class PytesseractBackend:
    """The ``tesseract`` command through pytesseract (one process per pass)."""

    name = "pytesseract"

    def __init__(self) -> None:
        import pytesseract

        self._pt = pytesseract
        try:
            self.version = str(pytesseract.get_tesseract_version())
        except pytesseract.TesseractNotFoundError as exc:
            raise MissingDependency(
                "The tesseract program is not installed. Install it with: "
                "sudo apt-get install tesseract-ocr tesseract-ocr-eng"
            ) from exc
        self._tessdata = shlex.quote(tessdata_path_arg().rstrip("/\\"))

    def read(self, image: Image.Image, lang: str, psm: int, timeout_s: float,
             box: tuple[int, int, int, int] | None = None) -> list[RawWord]:
        image, dx, dy = crop_box(image, box)
        try:
            tsv = self._pt.image_to_data(
                image, lang=lang, config=f"--psm {psm} --tessdata-dir {self._tessdata}"
                + "".join(f" -c {k}={v}" for k, v in TESSERACT_VARIABLES.items()),
                timeout=timeout_s,
            )
        except RuntimeError as exc:
            raise OcrFailed(f"Tesseract did not finish within {timeout_s:g} s.") from exc
        except self._pt.TesseractError as exc:
            raise OcrFailed(f"Tesseract failed: {exc}") from exc
        return shift_words(parse_tsv(tsv), dx, dy)

    def close(self) -> None:
        pass


def make_backend(engine: str = "auto", max_cached: int = 8) -> Backend:
    """The backend ``engine`` names; ``auto`` prefers tesserocr."""
    if engine == "tesserocr" or (engine == "auto" and tesserocr_available()):
        try:
            return TesserocrBackend(max_cached)
        except ImportError as exc:
            if engine == "tesserocr":
                raise MissingDependency(
                    "The Python package tesserocr is not installed (pip install tesserocr)."
                ) from exc
    try:
        return PytesseractBackend()
    except ImportError as exc:
        raise MissingDependency(
            "Neither tesserocr nor pytesseract is installed (pip install tesserocr)."
        ) from exc

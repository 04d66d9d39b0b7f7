"""OCR engine tests: real Tesseract on screenshots rendered with Pillow and Noto fonts.

Nothing is mocked: each test renders an image (``tests/ocr_images.py``), reads
it with Tesseract and checks that the words drawn come back, where they were
drawn.  Assertions are fuzzy where OCR legitimately varies (edit distance),
exact where analysts depend on it (phone numbers, web addresses).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ocr_images import (
    ARABIC_FONT,
    ARABIC_SANS,
    Line,
    char_accuracy,
    line_accuracy,
    plain_image,
    sample,
)
from workstation.errors import Cancelled, MissingDependency, RejectedInput
from workstation.progress import CancelToken, Progress
from workstation.reading.ocr import (
    InvalidLanguage,
    OcrConfig,
    OcrFailed,
    OcrPool,
    OcrResult,
    ScriptLanguages,
    debian_package,
    installed_languages,
    ocr_image,
    tessdata_dir,
)
from workstation.reading.ocr.languages import DEFAULT_SCRIPTS, candidate_sets

ARABIC_SCRIPT = {"Arabic", "script/Arabic", "ara", "fas", "pus", "urd", "ckb"}
LATIN = {"eng", "fra", "tur", "sqi", "vie", "kmr", "Latin", "script/Latin"}


def body_ok(name: str, result: OcrResult, minimum: float = 0.9) -> None:
    """Every line of the post's text is read with at least ``minimum`` accuracy."""
    for line in sample(name).body:
        score = line_accuracy(result.text, line)
        assert score >= minimum, f"{line!r} read as {result.text!r} ({score:.2f})"


def has_words(text: str, *words: str) -> None:
    for w in words:
        assert w in text, f"{w!r} not in {text!r}"


@pytest.fixture(scope="module")
def pool() -> Iterator[OcrPool]:
    with OcrPool(jobs=2) as p:
        yield p


@pytest.fixture(scope="module")
def image_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.ocr_images import save_all

    return save_all(tmp_path_factory.mktemp("ocr"),
                    ["english", "french", "arabic", "mixed", "english_small", "english_dark"])


# --- languages --------------------------------------------------------------------


def test_tessdata_and_installed_languages() -> None:
    directory = tessdata_dir()
    assert (directory / "eng.traineddata").is_file()
    langs = installed_languages()
    assert {"eng", "ara", "fas", "osd"} <= set(langs)


def test_tessdata_dir_honours_env(monkeypatch: pytest.MonkeyPatch) -> None:
    real = tessdata_dir()
    monkeypatch.setenv("TESSDATA_PREFIX", str(real))
    assert tessdata_dir(refresh=True) == real
    # A prefix without language data is skipped in favour of the other places.
    monkeypatch.setenv("TESSDATA_PREFIX", "/nonexistent")
    assert tessdata_dir(refresh=True) == real


def test_debian_package_names() -> None:
    assert debian_package("ara") == "tesseract-ocr-ara"
    assert debian_package("chi_sim") == "tesseract-ocr-chi-sim"
    assert debian_package("Arabic") == "tesseract-ocr-script-arab"
    assert debian_package("script/Ethiopic") == "tesseract-ocr-script-ethi"


def test_missing_language_names_the_package() -> None:
    image = sample("english").image
    with pytest.raises(MissingDependency, match=r"tesseract-ocr-ckb"):
        ocr_image(image, lang="ckb")
    with pytest.raises(MissingDependency, match=r"sudo apt-get install tesseract-ocr-zul"):
        ocr_image(image, lang="eng+zul")
    with pytest.raises(InvalidLanguage):
        ocr_image(image, lang="../../etc/passwd")


def test_candidate_sets_are_small_and_installed_only() -> None:
    have = installed_languages()
    groups = {g.script: candidate_sets(g, have) for g in DEFAULT_SCRIPTS}
    assert groups["Arabic"][0] == "Arabic"  # the script model, installed here
    assert "ara+eng" in groups["Arabic"]
    assert not any("ckb" in c for c in groups["Arabic"])  # not installed: skipped
    assert groups["Ethiopic"] == ["tir+eng", "amh+eng"]
    assert all(len(c.split("+")) <= 6 for cands in groups.values() for c in cands)


# --- reading ----------------------------------------------------------------------


def test_english_auto_picks_latin() -> None:
    result = ocr_image(sample("english").image)
    body_ok("english", result)
    assert result.engine == "tesserocr" and result.engine_version.startswith("5")
    assert set(result.languages) <= LATIN and "eng" in result.languages
    assert result.parameters["lang_mode"] == "auto"
    assert result.parameters["script"] == "Latin"
    assert result.mean_confidence > 80
    assert result.duration_s > 0
    # The app's white-on-blue header bar is read thanks to the band inversion.
    assert "invert_bands" in result.parameters["preprocessing"]
    assert "Groups" in result.text


def test_french_accents() -> None:
    result = ocr_image(sample("french").image)
    body_ok("french", result)
    has_words(result.text, "Traversée", "sécurisée", "Départ", "réservez", "l'arrivée")


def test_turkish() -> None:
    result = ocr_image(sample("turkish").image)
    body_ok("turkish", result)
    has_words(result.text, "güvenli", "geçiş", "Ödeme", "şoförümüz", "ücretsiz")
    assert "tur" in result.languages  # ş/ğ/ı point the combined Latin pass to Turkish


def test_arabic_auto_picks_arabic_script() -> None:
    result = ocr_image(sample("arabic").image)
    assert set(result.languages) & (ARABIC_SCRIPT - {"eng"}), result.languages
    assert result.parameters["script"] == "Arabic"
    body_ok("arabic", result)
    has_words(result.text, "أوروبا", "أسبوع", "الوصول")


def test_arabic_explicit_language() -> None:
    result = ocr_image(sample("arabic").image, lang="ara")
    assert result.languages == ["ara"]
    assert result.parameters["lang_mode"] == "explicit"
    has_words(result.text, "أوروبا", "الوصول")


def test_persian() -> None:
    result = ocr_image(sample("persian").image)
    body_ok("persian", result, 0.85)
    has_words(result.text, "اروپا", "پرداخت", "رایگان")


def test_tigrinya_auto_picks_ethiopic() -> None:
    result = ocr_image(sample("tigrinya").image)
    assert "tir" in result.languages or "amh" in result.languages
    assert "ደውሉልና" in result.text


PHONE = re.compile(r"\+44 ?7700 ?900123")


def test_mixed_arabic_and_latin_auto() -> None:
    result = ocr_image(sample("mixed").image)
    assert PHONE.search(result.text), result.text
    has_words(result.text, "www.safe-travel-example.com", "بريطانيا", "أسبوع", "الرقم")
    assert "\u200e" not in result.text and "\u200f" not in result.text


def test_mixed_with_ara_eng() -> None:
    result = ocr_image(sample("mixed").image, lang="ara+eng")
    assert result.languages == ["ara", "eng"]
    # Tesseract alone gives "900123 7700 44+" here; the line is re-read left to right.
    assert PHONE.search(result.text), result.text
    assert result.parameters.get("ltr_lines_reread", 0) >= 1
    has_words(result.text, "safe-travel-example.com", "بريطانيا", "الرقم")


def test_auto_without_script_models_combines_with_eng() -> None:
    scripts = tuple(
        ScriptLanguages(g.script, g.languages, g.per_pass, None, g.extra) for g in DEFAULT_SCRIPTS
    )
    result = ocr_image(sample("mixed").image, config=OcrConfig(scripts=scripts))
    assert "eng" in result.languages
    assert set(result.languages) & {"ara", "fas", "pus", "urd"}
    assert PHONE.search(result.text), result.text
    has_words(result.text, "بريطانيا")


AR_TRIP = "رحلة آمنة إلى بريطانيا"
CONTACT = "+44 7700 900123  wa.me/447700900123"


@pytest.mark.parametrize("shrink", [1.0, 0.5])
@pytest.mark.parametrize("lang", ["auto", "ara+eng"])
def test_arabic_line_then_phone_and_link(lang: str, shrink: float) -> None:
    # A chat message: an Arabic line, then a number and a WhatsApp link in a Latin font.
    image, boxes = plain_image([[Line(AR_TRIP, ARABIC_FONT, rtl=True)], [Line(CONTACT)]],
                               shrink=shrink)
    result = ocr_image(image, lang=lang)
    text = result.text
    assert PHONE.search(text) and "wa.me/447700900123" in text, text
    assert "بريطانيا" in text
    assert text.index("بريطانيا") < text.index("+44"), text  # line order kept
    assert result.parameters["ltr_lines_reread"] >= 1
    if shrink != 1.0:
        assert "upscale" in result.parameters["preprocessing"]
    for part in ("+44", "7700", "900123", "wa.me/447700900123"):  # boxes in original pixels
        word = next(w for w in result.words if w.text == part)
        _assert_inside(word.bbox, boxes[CONTACT], slack=4)


@pytest.mark.parametrize("lang", ["auto", "ara+eng"])
def test_arabic_word_and_phone_on_one_line(lang: str) -> None:
    image, boxes = plain_image([[Line(AR_TRIP, ARABIC_FONT, rtl=True)],
                                [Line("واتساب", ARABIC_FONT, rtl=True), Line("+44 7700 900123")]],
                               shrink=0.5)
    result = ocr_image(image, lang=lang)
    # Tesseract reads the number's groups right to left inside the Arabic line
    # ("900123 7700 44+"); the run is cut out and read again.
    assert "واتساب +44 7700 900123" in result.text, result.text
    word = next(w for w in result.words if w.text == "900123")
    _assert_inside(word.bbox, boxes["+44 7700 900123"], slack=4)


def test_persian_line_among_english_lines_reads_both() -> None:
    # A Latin set reads the Persian line as confident-looking junk.  The probe lines
    # hold Arabic letters, so the page is read with the Arabic script model, which
    # reads the English lines as well, in one pass.
    image, _ = plain_image([[Line("سفر امن به اروپا با قایق", ARABIC_SANS, rtl=True)],
                            [Line("WhatsApp +90 532 123 45 67")],
                            [Line("Call or WhatsApp for the price")]])
    result = ocr_image(image)
    assert result.parameters["script"] == "Arabic"
    assert set(result.languages) & (ARABIC_SCRIPT - {"eng"}), result.languages
    assert len(result.parameters["candidates"]) == 1  # one whole-page pass
    has_words(result.text, "اروپا", "قایق", "+90 532 123 45 67", "WhatsApp")
    assert result.text.index("اروپا") < result.text.index("+90")
    assert result.advert_languages[0] in {"fas", "ara"}
    assert "eng" in result.advert_languages


def test_line_reads_of_grey_images_are_stable() -> None:
    # libtesseract 5.3's SetRectangle on an 8-bit image thresholds the wrong pixels
    # (tesseract-ocr/tesseract#4127): the same box read differently from call to call.
    from workstation.reading.ocr.backends import PSM_SINGLE_LINE, make_backend

    s = sample("mixed")
    grey = s.image.convert("L")
    x, y, w, h = s.boxes["+44 7700 900123"]
    backend = make_backend("tesserocr")
    try:
        for _ in range(4):
            words = backend.read(grey, "eng", PSM_SINGLE_LINE, 60,
                                 box=(x - 10, y - 10, w + 20, h + 20))
            assert [word.text for word in words] == ["+44", "7700", "900123"]
            for word in words:  # in the whole image's coordinates
                _assert_inside((word.left, word.top, word.width, word.height), (x, y, w, h), 4)
    finally:
        backend.close()


def test_dark_mode_is_inverted() -> None:
    result = ocr_image(sample("english_dark").image)
    assert "invert" in result.parameters["preprocessing"]
    assert result.parameters["median_luminance"] < 128
    body_ok("english_dark", result)
    light = ocr_image(sample("english").image)
    assert "invert" not in light.parameters["preprocessing"]


def test_small_text_is_upscaled_and_boxes_are_in_original_pixels() -> None:
    s = sample("english_small")
    result = ocr_image(s.image)
    assert "upscale" in result.parameters["preprocessing"]
    assert result.parameters["scale"] > 1.25
    body_ok("english_small", result)
    width, height = s.image.size
    assert result.image_size == (width, height)
    for w in result.words:
        x, y, bw, bh = w.bbox
        assert x >= 0 and y >= 0 and x + bw <= width and y + bh <= height, w
    word = next(w for w in result.words if w.text == "WhatsApp")
    _assert_inside(word.bbox, s.boxes[s.body[1]], slack=4)


def _assert_inside(box: tuple[int, int, int, int], line: tuple[int, int, int, int],
                   slack: int) -> None:
    x, y, w, h = box
    lx, ly, lw, lh = line
    cx, cy = x + w / 2, y + h / 2
    assert lx - slack <= cx <= lx + lw + slack and ly - slack <= cy <= ly + lh + slack, (box, line)
    assert abs(h - lh) <= lh * 0.6 + slack, (box, line)


def test_word_boxes_near_drawn_text() -> None:
    for name in ("english", "arabic"):
        s = sample(name)
        result = ocr_image(s.image)
        for line in s.body:
            words_in_line = [w for w in result.words if w.text in line.split() and len(w.text) > 3]
            assert words_in_line, (name, line)
            for w in words_in_line:
                matches = [t for t in s.body if w.text in t.split()]
                assert any(_inside(w.bbox, s.boxes[t], 6) for t in matches), (w, s.boxes[line])
        blocks = {(w.block, w.paragraph, w.line) for w in result.words}
        assert len(blocks) >= len(s.body)
        assert all(w.word >= 1 for w in result.words)


def _inside(box: tuple[int, int, int, int], line: tuple[int, int, int, int], slack: int) -> bool:
    try:
        _assert_inside(box, line, slack)
    except AssertionError:
        return False
    return True


def test_result_round_trips_through_json() -> None:
    result = ocr_image(sample("french_small").image)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    again = OcrResult.from_dict(data)
    assert again.to_dict() == data
    assert again.text == result.text and again.words[0].bbox == result.words[0].bbox
    assert isinstance(again.words[0].bbox, tuple)
    assert data["parameters"]["psm"] == 3


def test_pytesseract_fallback_same_format() -> None:
    image = sample("english").image
    fast = ocr_image(image, lang="eng")
    slow = ocr_image(image, lang="eng", config=OcrConfig(engine="pytesseract"))
    assert slow.engine == "pytesseract" and slow.engine_version.startswith("5")
    body_ok("english", slow)
    assert char_accuracy(slow.text, fast.text) > 0.95
    assert [w.text for w in slow.words][:6] == [w.text for w in fast.words][:6]


def test_bad_image_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(RejectedInput):
        ocr_image(bad)
    with pytest.raises(RejectedInput):
        ocr_image(tmp_path / "missing.png")


# --- pool -------------------------------------------------------------------------


def test_pool_matches_in_process(pool: OcrPool, image_files: dict[str, Path],
                                 tmp_path: Path) -> None:
    names = ["english", "arabic", "mixed", "english_small"]
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(image_files["english"].read_bytes()[:300])
    items = [(n, image_files[n], "auto") for n in names]
    items.insert(1, ("truncated", truncated, "auto"))
    items.append(("missing-lang", image_files["english"], "eng+zul"))
    seen: list[Progress] = []
    out = dict(pool.map(items, progress=seen.append))
    assert set(out) == {*names, "truncated", "missing-lang"}
    assert isinstance(out["truncated"], RejectedInput)
    assert isinstance(out["missing-lang"], MissingDependency)
    for n in names:
        got = out[n]
        assert isinstance(got, OcrResult), got
        here = ocr_image(image_files[n])
        assert got.text == here.text
        assert got.languages == here.languages
    assert seen[-1].done == len(items) == seen[-1].total
    # The workers survived the bad image and still work.
    again = dict(pool.map([("again", image_files["english"], "eng")]))
    assert isinstance(again["again"], OcrResult)


def test_pool_reads_a_batch_largest_image_first(image_files: dict[str, Path]) -> None:
    """A long screenshot left for last would keep one worker busy while the others idle."""
    names = sorted(["english", "english_small", "arabic", "mixed"],
                   key=lambda n: image_files[n].stat().st_size)  # smallest first
    with OcrPool(jobs=1) as p:
        order = [key for key, outcome in p.map([(n, image_files[n], "eng") for n in names])
                 if isinstance(outcome, OcrResult)]
        assert order == names[::-1]
        # A stream (not a sequence) is read in its own order.
        streamed = [key for key, _ in p.map((n, image_files[n], "eng") for n in names)]
        assert streamed == names


def test_pool_cancel_keeps_finished_results(image_files: dict[str, Path]) -> None:
    token = CancelToken()
    items = [(i, image_files["french"], "auto") for i in range(40)]
    got: list[int] = []
    pids: list[int] = []
    with OcrPool(jobs=2) as p:
        with pytest.raises(Cancelled):
            for key, outcome in p.map(items, cancel=token):
                assert isinstance(outcome, OcrResult)
                got.append(key)
                pids = [w.process.pid for w in p._workers if w.process.pid]
                token.cancel()
                cancelled_at = time.monotonic()
        assert time.monotonic() - cancelled_at < 5  # workers terminated, not waited for
        assert 1 <= len(got) < len(items)
        assert len(set(got)) == len(got)
        assert len(pids) == 2
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        # The pool is usable again after a cancel.
        after = list(p.map([("x", image_files["english_dark"], "eng")]))
        assert isinstance(after[0][1], OcrResult)


def test_pool_recovers_from_a_stuck_worker(image_files: dict[str, Path]) -> None:
    with OcrPool(jobs=1, item_timeout_s=0.01) as p:
        out = list(p.map([("slow", image_files["arabic"], "auto")]))
        assert isinstance(out[0][1], OcrFailed) and "longer than" in str(out[0][1])
        p.item_timeout_s = 120
        out = list(p.map([("next", image_files["english"], "eng")]))
        assert isinstance(out[0][1], OcrResult)


# --- what the speed work relies on -------------------------------------------------------


def test_stages_are_timed_in_cpu_seconds_and_add_up() -> None:
    """The bench reads ``last_cpu`` per stage (CPU, not wall: the machine's other load
    does not move it); every stage of an automatic run is there, the probe included,
    and together they are the run's CPU time, nothing charged twice."""
    from workstation.reading.ocr import OcrEngine

    engine = OcrEngine(OcrConfig())
    try:
        engine.ocr(sample("english").image)  # models loaded
        before = time.process_time()
        result = engine.ocr(sample("english").image)
        spent = time.process_time() - before
    finally:
        engine.close()
    stages = engine.last_cpu
    assert set(stages) == {"preprocess", "probe", "passes", "lines", "coverage", "numbers",
                           "finish"}
    assert set(engine.last_timings) == set(stages)
    assert stages["probe"] > 0 and stages["passes"] > 0
    assert sum(stages.values()) <= spent + 1e-6
    assert sum(engine.last_timings.values()) <= result.duration_s + 1e-6


def test_loaded_models_skip_tesseracts_inverted_second_reading() -> None:
    """Preprocessing inverts dark pages and bands and coverage re-reads banners from their
    best channel, so Tesseract's own inverted re-reading of doubtful lines is switched
    off on every loaded set (it cost 7-20 % of a page's pass on the advert set)."""
    from workstation.reading.ocr.backends import TesserocrBackend

    backend = TesserocrBackend()
    try:
        assert backend._api("eng").GetVariableAsString("tessedit_do_invert") in ("0", "false")
        result = ocr_image(sample("english").image, "eng")
        body_ok("english", result)
    finally:
        backend.close()


def test_prepare_shares_one_histogram_with_the_text_bands() -> None:
    """The median and the bands' threshold come from one histogram (reversed when the
    page is inverted); the bands are those a fresh histogram gives."""
    from PIL import ImageOps

    from workstation.reading.ocr.preprocess import median_luminance, prepare, text_bands

    for name, dark in (("english", False), ("english_dark", True)):
        image = sample(name).image
        prep = prepare(image, ("greyscale", "invert"))
        assert ("invert" in prep.steps) == dark
        assert prep.bands and prep.bands == text_bands(prep.image)
        grey = image.convert("L")
        assert prep.median_luminance == median_luminance(grey)
        if dark:
            assert median_luminance(ImageOps.invert(grey)) == 255 - prep.median_luminance


@pytest.mark.parametrize("dpi", [None, (72, 72), (300, 300)])
def test_grey_images_go_to_tesseract_as_raw_rows_with_the_same_reading(
        dpi: tuple[int, int] | None) -> None:
    """Grey images reach libtesseract as raw rows (no BMP written and decoded again per
    call) with the resolution tesserocr's own ``SetImage`` would pass: the same words,
    boxes and confidences, whatever the image's dpi."""
    import tesserocr

    from workstation.reading.ocr.backends import TesserocrBackend, parse_tsv
    from workstation.reading.ocr.languages import tessdata_path_arg

    grey = sample("english").image.convert("L")
    if dpi is not None:
        grey.info["dpi"] = dpi
    backend = TesserocrBackend()
    reference = tesserocr.PyTessBaseAPI(path=tessdata_path_arg(), lang="eng",
                                        variables={"tessedit_do_invert": "0"})
    try:
        for psm, box in ((3, None), (7, (0, 0, grey.width, 140))):
            crop = grey if box is None else grey.crop((0, 0, box[2], box[3]))
            reference.SetPageSegMode(psm)
            reference.SetImage(crop)
            assert reference.Recognize()
            expected = parse_tsv(reference.GetTSVText(0))
            assert expected
            assert backend.read(grey, "eng", psm, 60.0, box=box) == expected
    finally:
        reference.End()
        backend.close()


def test_image_files_are_decoded_without_keeping_them_open(tmp_path: Path) -> None:
    """A path is read into memory and decoded there: the result is the file's pixels, and
    the file can be removed (Windows refuses while it is open) before the OCR ends."""
    from workstation.reading.ocr.engine import load_image

    path = tmp_path / "page.png"
    sample("english").image.save(path)
    image = load_image(path)
    path.unlink()
    assert image.size == sample("english").image.size
    assert image.tobytes() == sample("english").image.convert(image.mode).tobytes()

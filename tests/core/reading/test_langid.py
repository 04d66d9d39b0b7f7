"""Language identification and automatic OCR language choice, on real Tesseract.

The adverts are the multilingual phone screenshots of ``tests/adverts.py`` (known
language and text); nothing is mocked.  Accuracy is compared between automatic mode
and the advert's own language given, on the same image in the same run, rather than
against fixed numbers.
"""

from __future__ import annotations

import pytest

from tests import adverts
from tests import ocr_images as samples
from workstation.reading.ocr import OcrResult, ocr_image
from workstation.reading.ocr.langid import (
    compact_lines,
    dominant_script,
    identify,
    line_languages,
    page_script,
)


def body_cer(result: OcrResult, advert: adverts.Advert) -> float:
    """Mean line-CER over the advert's own lines (banners included, app chrome not)."""
    lines = [ln for ln in advert.lines if not ln.chrome]
    return sum(adverts.line_cer(result.text, ln.text) for ln in lines) / len(lines)


@pytest.fixture(scope="module")
def auto_results() -> dict[str, OcrResult]:
    """Every original advert read once in automatic mode."""
    return {name: ocr_image(adverts.advert_named(name).image)
            for name in adverts.names(reposts=False)}


# --- text only ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "lang"), [
    ("Đi Anh an toàn bằng xuồng, liên hệ với chúng tôi", "vie"),
    ("Di Anh an toan bang xuong, lien he voi chung toi", "vie"),  # tone marks lost
    ("İngiltere'ye güvenli geçiş, her hafta", "tur"),
    ("Udhëtim i sigurt për në Angli me gomone", "sqi"),
    ("Rêwîtiya ewle ber bi Îngilîstanê ve, her hefte bi botê", "kmr"),
    ("Traversée vers l'Angleterre chaque semaine, départ de Calais", "fra"),
    ("Boat to UK every week from Dunkirk, call us now", "eng"),
    ("انګلستان ته خوندي سفر په کښتۍ، پیسې د رسیدو وروسته", "pus"),
    ("برطانیہ کے لیے محفوظ سفر، ہر ہفتے", "urd"),
    ("سفر به انگلیس با قایق، پرداخت پس از رسیدن", "fas"),
    ("رحلات إلى بريطانيا كل أسبوع، آمنة ومضمونة", "ara"),
    ("ڕێگای سەلامەت بۆ بەریتانیا، پارە دوای گەیشتن", "ckb"),
    ("ናብ ዓዲ እንግሊዝ ውሑስ ጉዕዞ ብጃልባ ኣብ ነፍሲ ወከፍ ሰሙን", "tir"),
    ("ወደ እንግሊዝ በጀልባ ደህንነቱ የተጠበቀ ጉዞ ለአንድ ሰው", "amh"),
])
def test_identify_text(text: str, lang: str) -> None:
    guess = identify(text)
    assert guess is not None and guess.lang == lang, guess


def test_identify_needs_letters_and_respects_choices() -> None:
    assert identify("+44 7700 900123") is None
    assert dominant_script("12 34 56") is None
    # Without Turkish among the choices, Turkish text is not called Turkish.
    guess = identify("Fiyat için hemen arayın, çocuklar ücretsiz", choices=["eng", "fra"])
    assert guess is not None and guess.lang in {"eng", "fra"}


def test_page_script_prefers_the_non_latin_script_of_a_mixed_page() -> None:
    text = "Mohajer Travel Instagram: @mohajer.travel سفر به انگلیس با قایق"
    assert dominant_script(text) == "Latin"
    assert page_script(text) == "Arabic"
    assert page_script("Call or WhatsApp now for the price") == "Latin"


def test_line_languages_and_compact_form() -> None:
    lines = ["سفر به انگلیس با قایق", "", "Instagram: @mohajer.travel", "2h",
             "قیمت ۳۰۰۰ پوند", "WhatsApp now"]
    by_line = line_languages(lines, "Arabic")
    assert by_line == {2: "eng", 5: "eng"}
    assert compact_lines({4: "eng", 5: "eng", 6: "eng", 9: "eng", 1: "fra"}) == {
        "fra": "1", "eng": "4-6,9"}


# --- OCR in automatic mode -------------------------------------------------------------


@pytest.mark.parametrize("name", adverts.names(reposts=False))
def test_advert_language_identified(name: str, auto_results: dict[str, OcrResult]) -> None:
    advert = adverts.advert_named(name)
    result = auto_results[name]
    assert result.advert_languages, result.parameters
    assert result.advert_languages[0] == advert.language, (result.advert_languages,
                                                           result.parameters.get("probe"))
    # One whole-page pass: the probe picked the set.
    assert len(result.parameters["candidates"]) == 1, result.parameters["candidates"]


@pytest.mark.parametrize(("name", "lang"), [
    ("english", "eng"), ("french", "fra"), ("turkish", "tur"), ("vietnamese", "vie"),
    ("albanian", "sqi"), ("kurmanji", "kmr"), ("arabic", "ara"), ("persian", "fas"),
    ("mixed", "ara"), ("tigrinya", "tir"), ("english_small", "eng"),
    ("arabic_dark", "ara"),
])
def test_screenshot_language_identified(name: str, lang: str) -> None:
    result = ocr_image(samples.sample(name).image)
    assert result.advert_languages[0] == lang, result.advert_languages


def test_vietnamese_keeps_its_diacritics(auto_results: dict[str, OcrResult]) -> None:
    result = auto_results["vie_fb"]
    assert "Đi Anh an toàn bằng xuồng" in result.text, result.text
    assert result.languages[0] == "vie"


def test_pashto_is_pashto_not_arabic(auto_results: dict[str, OcrResult]) -> None:
    result = auto_results["pus_fb"]
    assert result.advert_languages[0] == "pus"
    assert "Arabic" not in result.advert_languages
    assert "eng" in result.advert_languages  # the phone number line
    assert "eng" in result.parameters["line_languages"]


@pytest.mark.parametrize("name", ["fra_fb", "fra_tg", "kmr_fb", "tur_fb", "vie_fb", "pus_fb",
                                  "fas_fb", "urd_fb", "tir_fb", "amh_fb"])
def test_auto_not_worse_than_the_language_given(name: str,
                                                auto_results: dict[str, OcrResult]) -> None:
    advert = adverts.advert_named(name)
    auto = body_cer(auto_results[name], advert)
    explicit = body_cer(ocr_image(advert.image, lang=advert.language), advert)
    assert auto <= explicit + 0.01, (auto, explicit)


def test_explicit_language_still_identifies_the_advert() -> None:
    # The analyst may be wrong: the advert's language comes from the text read.
    advert = adverts.advert_named("vie_fb")
    result = ocr_image(advert.image, lang="eng")
    assert result.languages == ["eng"]
    assert result.parameters["lang_mode"] == "explicit"
    assert result.advert_languages[0] == "vie"


def test_probe_cuts_later_lines_short_once_it_reads_latin() -> None:
    """After a confident Latin probe line, the next probe lines are read cut to
    ``PROBE_CHECK_HEIGHTS`` line heights (enough to catch an Arabic line and add words).
    The Persian-letter post's first probe line is its Latin contact: its Arabic line,
    read cut short, still turns the page to the ``Arabic`` model and the language."""
    from workstation.reading.ocr import OcrEngine
    from workstation.reading.ocr.engine import PROBE_CHECK_HEIGHTS
    from workstation.reading.ocr.preprocess import prepare, probe_boxes

    engine = OcrEngine()
    backend = engine.backend
    read = backend.read
    boxes: list[tuple[int, int, int, int]] = []

    def recording(image, lang, psm, timeout_s, box=None):  # type: ignore[no-untyped-def]
        if box is not None and psm == 7 and not engine.last_cpu.get("probe"):
            boxes.append(box)
        return read(image, lang, psm, timeout_s, box=box)

    backend.read = recording  # type: ignore[method-assign]
    try:
        for name, script in (("eng_fb", "Latin"), ("ara_fb_twin", "Arabic")):
            advert = adverts.advert_named(name)
            boxes.clear()
            result = engine.ocr(advert.image)
            assert result.advert_languages[0] == advert.language
            prep = prepare(advert.image)
            full = probe_boxes(prep)
            short = probe_boxes(prep, width_in_heights=PROBE_CHECK_HEIGHTS)
            assert boxes[0] == full[0]
            assert result.parameters["script"] == script
            assert len(boxes) >= 2 and boxes[1:] == short[1:len(boxes)]
            assert sum(b[2] for b in short[1:3]) < sum(b[2] for b in full[1:3])
    finally:
        engine.close()

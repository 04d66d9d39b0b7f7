"""Indicators that survive layout: numbers and links cut by a line break, odd spacing,
a "+" misread, prices in Arabic-script languages, the platform a handle's label
names, and what is marked for the analyst to confirm.  Real phonenumbers, real
Tesseract on the advert set (tests/adverts.py)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workstation.reading.indicators import (
    DEFAULT_REGIONS,
    Indicator,
    WordBox,
    extract_indicators,
    word_boxes,
)
from workstation.reading.indicators.attention import CONFIDENCE_FLOOR, EXACT_FLOOR
from workstation.reading.indicators.phones import e164_of, find_phones
from workstation.reading.ocr import ocr_image
from workstation.storage.sqlitelib import sqlite3
from workstation.workspace import Workspace


def phones(found: list[Indicator]) -> list[Indicator]:
    return [i for i in found if i.kind == "phone"]


def lines_of_words(rows: list[tuple[str, int, int]], height: int = 30,
                   char_width: int = 16, confidence: float = 95.0) -> tuple[str, list[WordBox]]:
    """Text and word boxes for ``(line text, x, y)`` rows, words laid out left to right."""
    words: list[WordBox] = []
    for number, (line, x, y) in enumerate(rows, start=1):
        for token in line.split():
            words.append(WordBox(token, (x, y, len(token) * char_width, height), confidence,
                                 (1, 1, number)))
            x += (len(token) + 1) * char_width
    return "\n".join(r[0] for r in rows), words


# ------------------------------------------------------- numbers cut by a break
def test_a_number_wrapped_in_one_column_is_one_phone() -> None:
    text, words = lines_of_words([("Call or WhatsApp now:", 40, 100), ("+44 7700", 40, 140),
                                  ("900123", 40, 180)])
    found = phones(extract_indicators(text, words=words))
    assert [(p.value, p.normalized) for p in found] == [("+44 7700\n900123", "+447700900123")]
    assert found[0].attention == "joined across lines"
    # The box covers both lines.
    assert found[0].box == (40, 140, len("+44 7700") * 16, 70)


def test_a_wrapped_number_under_a_whatsapp_heading_links_to_a_wa_me_link() -> None:
    # The case: the headline number of one capture and the wa.me link of
    # another are the same WhatsApp account.
    wrapped = extract_indicators("Call or WhatsApp now: \U0001F447\n+44 7700\n900123")
    link = extract_indicators("Message us: wa.me/447700900123")
    whatsapp = {(i.kind, i.normalized) for i in wrapped} & {(i.kind, i.normalized) for i in link}
    assert whatsapp == {("whatsapp", "+447700900123")}
    # A heading that names no messenger, or no heading, labels nothing.
    for text in ("Call now:\n+44 7700 900123", "WhatsApp is good\n+44 7700 900123"):
        assert [i.kind for i in extract_indicators(text)] == ["phone"]


def test_right_aligned_lines_of_right_to_left_text_join() -> None:
    text = "للحجز واتساب +44 7700\n900123 اتصلوا"
    words = [WordBox("للحجز", (800, 100, 150, 30)), WordBox("واتساب", (600, 100, 150, 30)),
             WordBox("+44", (520, 100, 60, 30)), WordBox("7700", (420, 100, 80, 30)),
             WordBox("900123", (820, 140, 130, 30)), WordBox("اتصلوا", (650, 140, 150, 30))]
    found = extract_indicators(text, words=words)
    assert [(i.kind, i.normalized) for i in found] == [("phone", "+447700900123"),
                                                       ("whatsapp", "+447700900123")]


@pytest.mark.parametrize(("second_line", "why"), [
    (("900123", 600, 140), "another column, side by side"),
    (("900123", 40, 300), "a paragraph further down"),
    (("900123", 40, 40), "a line above"),
])
def test_no_join_between_lines_that_do_not_follow(second_line: tuple[str, int, int],
                                                  why: str) -> None:
    text, words = lines_of_words([("+44 7700", 40, 100), second_line])
    assert phones(extract_indicators(text, words=words)) == [], why


def test_no_join_when_each_line_is_a_number_of_its_own() -> None:
    text, words = lines_of_words([("+44 7700 900123", 40, 100), ("07911 123456", 40, 140)])
    found = phones(extract_indicators(text, words=words, region_hints=["GB"]))
    assert [(p.normalized, p.attention) for p in found] == [("+447700900123", None),
                                                           ("+447911123456", None)]


def test_a_national_number_wraps_only_where_the_boxes_say_so() -> None:
    text, words = lines_of_words([("07700", 40, 100), ("900123", 40, 140)])
    assert [p.normalized for p in phones(extract_indicators(text, words=words))] == [
        "+447700900123"]
    # Without boxes only an unfinished international number joins the next line.
    assert phones(extract_indicators(text)) == []


@pytest.mark.parametrize(("text", "e164"), [
    ("WhatsApp +44 7700\n900 123 now", "+447700900123"),
    ("+964 750\n123 4567", "+9647501234567"),
    ("00355 69\n123 4567", "+355691234567"),
])
def test_without_boxes_an_unfinished_international_number_joins(text: str, e164: str) -> None:
    found = phones(extract_indicators(text))
    assert [p.normalized for p in found] == [e164]
    assert "\n" in found[0].value and text[found[0].start:found[0].end] == found[0].value


@pytest.mark.parametrize("text", [
    "+44 7700\n\n900123",      # a new paragraph, no boxes to tell
    "+44 7700\nroom 900123",   # the next line does not start with the digits
    "+44 7700\n+900123",        # a number of its own
    "+44 7700\n2024",           # whole, no valid number
])
def test_without_boxes_no_join(text: str) -> None:
    assert phones(extract_indicators(text)) == []


@pytest.mark.parametrize("text", ["+44 77 00 900 123", "+44 7700 9001 23", "+44 7700 90 01 23",
                                  "+447 700 900 123"])
def test_digit_groups_split_oddly_within_a_line(text: str) -> None:
    assert [p.normalized for p in phones(extract_indicators(text))] == ["+447700900123"]


def test_a_whatsapp_link_cut_at_the_line_end() -> None:
    text = "Message us wa.me/44770\n0900123 today"
    found = extract_indicators(text)
    assert [(i.kind, i.value, i.normalized) for i in found] == [
        ("url", "wa.me/44770\n0900123", "https://wa.me/447700900123"),
        ("whatsapp", "44770\n0900123", "+447700900123")]
    # The piece on the next line is no Albanian number of its own any more.
    assert all(i.attention == "joined across lines" for i in found)


def test_a_cut_link_joins_only_the_line_below_it() -> None:
    text = "wa.me/44770\n0900123"
    below = [WordBox("wa.me/44770", (40, 100, 180, 30)), WordBox("0900123", (40, 140, 120, 30))]
    beside = [WordBox("wa.me/44770", (40, 100, 180, 30)), WordBox("0900123", (700, 100, 120, 30))]
    assert [i.normalized for i in extract_indicators(text, words=below)] == [
        "https://wa.me/447700900123", "+447700900123"]
    assert "https://wa.me/447700900123" not in {
        i.normalized for i in extract_indicators(text, words=beside)}
    # As read before joins existed (what ``verify`` accepts for old rows).
    assert [i.normalized for i in extract_indicators(text, join_lines=False)] == [
        "https://wa.me/44770", "+355900123"]


def test_a_whole_whatsapp_link_is_not_extended() -> None:
    found = extract_indicators("wa.me/447700900123\n0900123", region_hints=["GB"])
    assert [(i.kind, i.normalized) for i in found] == [
        ("url", "https://wa.me/447700900123"), ("whatsapp", "+447700900123")]


# ------------------------------------------------------ real OCR of the adverts
def _wrapped_adverts() -> list[str]:
    from tests import adverts

    return [a.name for a in adverts.originals()
            if any(c.kind in ("phone", "whatsapp") and len(c.on) > 1 for c in a.contacts)]


@cache
def _read(name: str) -> tuple[Any, list[Indicator]]:
    from tests import adverts

    advert = adverts.advert_named(name)
    result = ocr_image(advert.image, lang=advert.given_lang).to_dict()
    return advert, extract_indicators(result["text"], words=word_boxes(result["words"]))


@pytest.mark.parametrize("name", _wrapped_adverts())
def test_wrapped_headline_numbers_are_found_in_real_ocr(name: str) -> None:
    advert, found = _read(name)
    numbers = {i.normalized for i in found if i.kind in ("phone", "whatsapp")}
    # Every number of the advert, the wrapped one included, and no other.
    assert numbers == set(advert.phones)
    for indicator in found:
        if "\n" in indicator.value:
            assert indicator.attention and "joined across lines" in indicator.attention
        assert indicator.confidence is not None


def _adverts_with_handles() -> list[str]:
    from tests import adverts

    return [a.name for a in adverts.originals() if a.handles]


@pytest.mark.parametrize("name", _adverts_with_handles())
def test_handles_in_real_ocr_carry_their_platform_and_misreads_are_marked(name: str) -> None:
    advert, found = _read(name)
    for contact in advert.handles:
        bare = contact.value.lstrip("@")
        read = [i for i in found if i.kind in ("handle", "telegram")
                and i.normalized.replace(".", "").replace("_", "")
                == bare.replace(".", "").replace("_", "")]
        assert read, f"{contact.value} not read in {name}"
        assert {i.platform for i in read} == {contact.platform}
        for indicator in read:
            if indicator.normalized != bare:  # a "." or "_" lost: never silently
                assert indicator.attention


def test_a_joined_number_is_stored_and_verify_replays_it(ws_path: Path) -> None:
    from tests import adverts

    advert = next(a for a in adverts.originals() if a.handles and a.script == "Latin"
                  and a.name in _wrapped_adverts())
    png = io.BytesIO()
    advert.image.save(png, "PNG")
    with Workspace.open(ws_path) as ws:
        cid = ws.intake.import_bytes(png.getvalue(), None, method="paste").id
        assert cid is not None
        outcomes = list(ws.reading.run_ocr([cid], lang=advert.given_lang, jobs=1))
        assert [o.status for o in outcomes] == ["done"]
        stored = {r.normalized for r in ws.reading.indicators(cid) if r.source == "ocr"}
        assert set(advert.phones) <= stored
        assert ws.verify().ok
    conn = sqlite3.connect(ws_path / "workspace.db")
    with conn:
        platforms = dict(conn.execute("SELECT kind, platform FROM indicators "
                                      "WHERE kind = 'handle'").fetchall())
        assert platforms == {"handle": advert.handles[0].platform}
        conn.execute("UPDATE indicators SET platform = 'facebook' WHERE kind = 'handle'")
    conn.close()
    with Workspace.open(ws_path, readonly=True) as ws:
        problems = ws.verify().problems
    assert [(p.kind, p.capture_id) for p in problems] == [("record-altered", cid)]
    assert "indicators" in problems[0].message
    # Rows as a workspace from before joins and platforms had them are accepted only
    # for runs made then (tests/core/evidence/test_verify_reading.py): not for this one.
    conn = sqlite3.connect(ws_path / "workspace.db")
    with conn:
        conn.execute("UPDATE indicators SET platform = NULL, confidence = NULL, "
                     "attention = NULL")
        assert conn.execute("DELETE FROM indicators WHERE instr(value, char(10)) > 0"
                            ).rowcount
    conn.close()
    with Workspace.open(ws_path, readonly=True) as ws:
        problems = ws.verify().problems
    assert [(p.kind, p.capture_id) for p in problems] == [("record-altered", cid)]


# ------------------------------------------------------------- a "+" misread
def test_a_plus_read_as_four_is_put_back_and_marked() -> None:
    text, words = lines_of_words([("WhatsApp:", 40, 60), ("490 532", 40, 100),
                                  ("000 12 34", 40, 140)])
    found = extract_indicators(text, words=words)
    assert [(i.kind, i.normalized) for i in found] == [("phone", "+905320001234"),
                                                       ("whatsapp", "+905320001234")]
    assert found[0].attention == "\u201c+\u201d read as \u201c4\u201d; joined across lines"
    # Typed notes are taken as written.
    assert phones(extract_indicators("490 532 000 12 34", source="notes")) == []


@pytest.mark.parametrize("text", [
    "4567 123 935 98",     # an RTL number's groups reversed: "+567" is no country code
    "1500 2000 3000",      # amounts
    "1355 69 123 4567 8",  # not a valid number with the "+"
])
def test_no_plus_guessed_into_other_digits(text: str) -> None:
    assert phones(extract_indicators(text)) == []


def test_a_guessed_plus_needs_a_hinted_country() -> None:
    text = "1355 69 123 4567"
    assert [p.normalized for p in phones(extract_indicators(text))] == ["+355691234567"]
    assert phones(extract_indicators(text, region_hints=["GB", "FR"])) == []


# --------------------------------------------------------------------- prices
@pytest.mark.parametrize(("text", "price"), [
    ("قیمت ۳۰۰۰ پوند برای هر نفر", "GBP 3000"),
    ("بیه ۲۸۰۰ پونډه د هر نفر لپاره", "GBP 2800"),
    ("بیه ۲۸۰۰ پونډ", "GBP 2800"),
    ("السعر ٢٥٠٠ جنيه إسترليني للشخص", "GBP 2500"),
    ("السعر ٢٥٠٠ جنيه", "GBP 2500"),
    ("قیمت ۲۵۰۰ پاؤنڈ فی کس", "GBP 2500"),
    ("نرخ ٢٠٠٠ پاوەند", "GBP 2000"),
    ("۵۰۰ دلار", "USD 500"),
    ("٣٠٠٠ دولار", "USD 3000"),
    ("۴۰۰۰ ډالره", "USD 4000"),
    ("٣٠٠٠ يورو", "EUR 3000"),
    ("۲۰۰۰ یورو", "EUR 2000"),
    ("۳ هزار پوند", "GBP 3000"),
    ("۵۰ میلیون تومان", "IRR 500000000"),
    ("Giá 20.000 bảng, trả tiền", "GBP 20000"),
])
def test_prices_in_arabic_script_languages(text: str, price: str) -> None:
    found = [i for i in extract_indicators(text) if i.kind == "price"]
    assert [i.normalized for i in found] == [price]
    assert text[found[0].start:found[0].end] == found[0].value


def test_digits_with_a_leading_zero_are_no_price() -> None:
    assert [i for i in extract_indicators("٠٠٠١ يورو") if i.kind == "price"] == []


# ------------------------------------------------------------------ platforms
@pytest.mark.parametrize(("text", "platform"), [
    ("Instagram: @mohajer.travel", "instagram"),
    ("IG: @mohajer.travel", "instagram"),
    ("insta @mohajer.travel", "instagram"),
    ("Follow us on Instagram 📸 @mohajer.travel", "instagram"),
    ("Instagram:\n@mohajer.travel", "instagram"),
    ("TikTok @mohajer.travel", "tiktok"),
    ("Tik Tok: @mohajer.travel", "tiktok"),
    ("tg: @mohajer_travel", "telegram"),
    ("Telegram @mohajer_travel", "telegram"),
    ("FB: @mohajer.travel", "facebook"),
    ("Facebook - @mohajer.travel", "facebook"),
    ("X: @mohajer_travel", "x"),
    ("X/Twitter: @mohajer_travel", "x"),
    ("Snapchat: @mohajer.travel", "snapchat"),
    ("انستغرام: @mohajer.travel", "instagram"),
    ("اینستاگرام @mohajer.travel", "instagram"),
    ("تلگرام: @mohajer_travel", "telegram"),
    ("تيليجرام @mohajer_travel", "telegram"),
    ("واتساب @mohajer.travel", "whatsapp"),
    ("فيسبوك: @mohajer.travel", "facebook"),
    ("تيك توك @mohajer.travel", "tiktok"),
    ("contact @mohajer.travel", None),
    ("Inbox @mohajer.travel", None),
    ("@mohajer.travel", None),
])
def test_a_handle_belongs_to_the_platform_its_label_names(text: str,
                                                          platform: str | None) -> None:
    handle = next(i for i in extract_indicators(text) if i.kind == "handle")
    assert handle.platform == platform


def test_instagram_handle_in_a_facebook_post_is_an_instagram_account() -> None:
    # The STIX case: the capture is a Facebook post, the account it names is not.
    text = "Boat to UK every week\nCall or WhatsApp now\nInstagram: @mohajer.travel"
    found = [i.to_dict() for i in extract_indicators(text) if i.kind == "handle"]
    assert [(i["normalized"], i["platform"]) for i in found] == [("mohajer.travel", "instagram")]


@pytest.mark.parametrize(("text", "platform"), [
    ("https://www.instagram.com/mohajer.travel", "instagram"),
    ("facebook.com/safe.travel", "facebook"),
    ("t.me/uk_safe_trip", "telegram"),
    ("wa.me/447700900123", "whatsapp"),
    ("https://x.com/uk_trip", "x"),
    ("example.com/uk", None),
])
def test_a_link_belongs_to_its_host_platform(text: str, platform: str | None) -> None:
    url = next(i for i in extract_indicators(text) if i.kind == "url")
    assert url.platform == platform


# ------------------------------------------------------------------ attention
def test_low_confidence_words_mark_an_indicator() -> None:
    text = "Instagram: @mohajertravel\nPrice £2500\nWhatsApp +44 7700 900123"
    words = [WordBox("Instagram:", (0, 0, 100, 20), 96.0),
             WordBox("@mohajertravel", (110, 0, 150, 20), EXACT_FLOOR - 2),
             WordBox("Price", (0, 30, 50, 20), 96.0), WordBox("£2500", (60, 30, 50, 20),
                                                             CONFIDENCE_FLOOR + 2),
             WordBox("WhatsApp", (0, 60, 80, 20), 95.0), WordBox("+44", (90, 60, 30, 20), 93.0),
             WordBox("7700", (130, 60, 40, 20), 61.5), WordBox("900123", (180, 60, 60, 20), 90.0)]
    found = {i.kind: i for i in extract_indicators(text, words=words)}
    assert found["handle"].confidence == EXACT_FLOOR - 2
    assert found["handle"].attention == f"low OCR confidence ({EXACT_FLOOR - 2:.0f})"
    # A price is not matched letter for letter: the lower floor applies.
    assert (found["price"].confidence, found["price"].attention) == (CONFIDENCE_FLOOR + 2, None)
    assert found["phone"].confidence == 61.5  # the lowest of its three words
    assert found["phone"].attention == "low OCR confidence (61)"


def test_notes_never_need_attention() -> None:
    words = [WordBox("+44", (0, 0, 30, 20), 10.0), WordBox("7700", (40, 0, 40, 20), 10.0),
             WordBox("900123", (0, 30, 60, 20), 10.0)]
    found = extract_indicators("+44 7700\n900123", words=words, source="notes",
                               other_readings=["nothing"])
    assert [(i.normalized, i.attention) for i in phones(found)] == [("+447700900123", None)]


def test_an_indicator_another_reading_lacks_is_marked() -> None:
    text = "Instagram: @mohajertravel\nWhatsApp +44 7700 900123"
    other = "Instagram: @mohajer.travel\nWhatsApp +447700 900 123"
    found = {i.kind: i for i in extract_indicators(text, other_readings=[other])}
    assert found["handle"].attention == "read differently by another pass"
    # The same digits laid out differently are the same reading.
    assert found["phone"].attention is None
    same = {i.kind: i for i in extract_indicators(text, other_readings=[text, text, " "])}
    assert same["handle"].attention is None


# --------------------------------------------------------------- data types
def test_word_boxes_from_ocr_word_dicts() -> None:
    words: list[dict[str, Any]] = [
        {"text": "+44", "confidence": 91.5, "bbox": [1, 2, 3, 4], "block": 2, "paragraph": 1,
         "line": 3, "word": 1},
        {"text": "", "confidence": 0, "bbox": [0, 0, 1, 1], "block": 1, "paragraph": 1,
         "line": 1, "word": 2},
        {"text": "7700", "bbox": [5, 6, 7, 8]}]
    assert word_boxes(words) == [WordBox("+44", (1, 2, 3, 4), 91.5, (2, 1, 3)),
                                 WordBox("7700", (5, 6, 7, 8))]
    assert WordBox.from_dicts(words) == word_boxes(words)
    assert WordBox("a", (0, 0, 1, 1)).confidence is None  # positional text, bbox as before


def test_new_fields_go_through_dicts() -> None:
    indicator = Indicator("handle", "@x_y", "x_y", 0, 4, "ocr", None, (), "instagram", 71.25,
                          "low OCR confidence (71)")
    data = indicator.to_dict()
    assert (data["platform"], data["confidence"], data["attention"]) == (
        "instagram", 71.25, "low OCR confidence (71)")
    assert Indicator.from_dict(data) == indicator
    old = {k: v for k, v in data.items() if k not in ("platform", "confidence", "attention")}
    assert Indicator.from_dict(old).platform is None


# ------------------------------------------------------------------ property
_HINTS = tuple(DEFAULT_REGIONS)


def _examples() -> list[str]:
    """libphonenumber's example mobile and landline numbers of the hinted regions."""
    out = []
    for region in _HINTS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                out.append(phonenumbers.format_number(example,
                                                      phonenumbers.PhoneNumberFormat.E164))
    return out


_EXAMPLES = _examples()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=st.one_of(st.sampled_from(_EXAMPLES),
                        st.text("0123456789", min_size=6, max_size=14).map(lambda d: "+" + d)),
       cut=st.integers(min_value=2, max_value=13), plus=st.sampled_from(["+", "00", "4"]),
       tail_spaces=st.integers(min_value=0, max_value=2))
def test_joining_never_makes_an_invalid_number(number: str, cut: int, plus: str,
                                               tail_spaces: int) -> None:
    digits = number[1:]
    assume(1 <= cut < len(digits))
    tail, head = plus + digits[:cut], digits[cut:]
    if tail_spaces and cut > 3:
        tail = tail[:len(plus) + 2] + " " * tail_spaces + tail[len(plus) + 2:]
    text = f"WhatsApp {tail}\n{head}"
    for found in extract_indicators(text):
        if found.kind not in ("phone", "whatsapp") or "\n" not in found.value:
            continue
        # A joined number is valid, and neither part is one on its own ...
        assert e164_of(found.normalized) == found.normalized
        assert not find_phones(tail, tail, _HINTS) and not find_phones(head, head, _HINTS)
        # ... and it is the number the digits read make, nothing else (a misread "+"
        # aside; libphonenumber drops a trunk "0" written after the country code).
        read = "".join(ch for ch in found.value if ch.isdigit())
        assert found.normalized == e164_of(
            "+" + (read[1:] if plus == "4" else read.removeprefix("00")))

"""Indicator extraction on messy advert and OCR text: phones, links, prices, crypto, boxes."""

from __future__ import annotations

import hashlib
import json

import pytest

from workstation.errors import WorkstationError
from workstation.reading.indicators import (
    DEFAULT_REGIONS,
    Indicator,
    InvalidRegionHint,
    WordBox,
    align_words,
    box_for_span,
    dedupe,
    eip55_checksum,
    extract_indicators,
    is_valid_base58_address,
    is_valid_eth_address,
    is_valid_segwit_address,
    keccak_256,
    normalize_digits,
)
from workstation.reading.indicators.checksums import _keccak_sponge


def of_kind(text: str, kind: str, **kwargs: object) -> list[Indicator]:
    return [i for i in extract_indicators(text, **kwargs) if i.kind == kind]  # type: ignore[arg-type]


def assert_spans_are_exact(text: str, found: list[Indicator]) -> None:
    for indicator in found:
        assert text[indicator.start:indicator.end] == indicator.value


# ------------------------------------------------------------------ phones
@pytest.mark.parametrize(("text", "value", "e164"), [
    ("WhatsApp: +44 7700 900 123", "+44 7700 900 123", "+447700900123"),
    ("call 0044.7700.900123", "0044.7700.900123", "+447700900123"),
    ("📞 07700 900123", "07700 900123", "+447700900123"),
    ("WhatsApp:+447700900123.", "+447700900123", "+447700900123"),
    ("Tel.+44 (0) 7911 123456 anytime", "+44 (0) 7911 123456", "+447911123456"),
    ("mob 07 911 12 34 56", "07 911 12 34 56", "+447911123456"),
    ("+33 6 12 34 56 78", "+33 6 12 34 56 78", "+33612345678"),
    ("Appelez le 06.12.34.56.78 !", "06.12.34.56.78", "+33612345678"),
    ("+964 750 123 4567", "+964 750 123 4567", "+9647501234567"),
    ("00964-750-123-4567", "00964-750-123-4567", "+9647501234567"),
    ("+90 532 123 45 67", "+90 532 123 45 67", "+905321234567"),
    ("cep: 0532-123-45-67", "0532-123-45-67", "+905321234567"),
    ("(+355) 69 123 4567", "(+355) 69 123 4567", "+355691234567"),
    ("Gọi +84 91 234 5678 ngay", "+84 91 234 5678", "+84912345678"),
    ("+98 912 345 6789", "+98 912 345 6789", "+989123456789"),
    ("+93 70 123 4567", "+93 70 123 4567", "+93701234567"),
    ("+291 7 123 456", "+291 7 123 456", "+2917123456"),
    ("chiama 347 123 4567", "347 123 4567", "+393471234567"),
    ("+49 151 23456789", "+49 151 23456789", "+4915123456789"),
])
def test_phone_numbers_in_messy_text(text: str, value: str, e164: str) -> None:
    phones = of_kind(text, "phone")
    assert [(p.value, p.normalized) for p in phones] == [(value, e164)]
    assert_spans_are_exact(text, phones)


def test_arabic_indic_digits_keep_their_form_and_prefer_iraq() -> None:
    text = "٠٧٧٠٠٩٠٠١٢٣ واتساب"
    found = extract_indicators(text)
    phone = next(i for i in found if i.kind == "phone")
    assert phone.value == "٠٧٧٠٠٩٠٠١٢٣"
    assert (phone.start, phone.end) == (0, 11)
    # An Iraqi 0770 mobile is also a British 07700 one: both readings are kept.
    assert phone.normalized == "+9647700900123"
    assert "+447700900123" in phone.alternatives
    whatsapp = [i for i in found if i.kind == "whatsapp"]
    assert [(w.value, w.normalized) for w in whatsapp] == [("٠٧٧٠٠٩٠٠١٢٣", "+9647700900123")]


def test_ascii_national_number_follows_the_region_hint_order() -> None:
    text = "WhatsApp 07501 234567"
    assert of_kind(text, "phone")[0].normalized == "+447501234567"
    assert of_kind(text, "phone")[0].alternatives == ("+9647501234567",)
    iraq_first = of_kind(text, "phone", region_hints=("IQ", "GB"))[0]
    assert iraq_first.normalized == "+9647501234567"
    assert iraq_first.alternatives == ("+447501234567",)


def test_persian_digits_in_persian_text() -> None:
    text = "شماره تماس: ۰۹۱۲ ۳۴۵ ۶۷۸۹ (فقط واتساپ)"
    phones = of_kind(text, "phone")
    assert [(p.value, p.normalized) for p in phones] == [("۰۹۱۲ ۳۴۵ ۶۷۸۹", "+989123456789")]
    assert_spans_are_exact(text, phones)


def test_rtl_text_with_embedded_latin_number_and_direction_marks() -> None:
    text = "للتواصل واتساب: \u200f+44 7911 123456\u200e فقط، السعر ١٥٠٠ يورو"
    found = extract_indicators(text)
    kinds = [(i.kind, i.value, i.normalized) for i in found]
    assert ("phone", "+44 7911 123456", "+447911123456") in kinds
    assert ("whatsapp", "+44 7911 123456", "+447911123456") in kinds
    assert ("price", "١٥٠٠ يورو", "EUR 1500") in kinds
    assert_spans_are_exact(text, found)


def test_adjacent_numbers_are_separated() -> None:
    text = "07911 123456 07700 900456 / 07911123457"
    phones = of_kind(text, "phone")
    assert [p.normalized for p in phones] == ["+447911123456", "+447700900456", "+447911123457"]


@pytest.mark.parametrize("text", [
    "Departure 12/05/2024 at 21:30",
    "next trip 2024-06-01, 2 places left",
    "price 1500 2000 2500 for family",
    "1.500.000 views",
    "since 2019 2020 2021 2022",
    "order ref 123456789012",
    "+44 7911 12345",  # one digit short
    "+44 7700 901000",  # just outside Ofcom's drama range: not a real number
    "call 1234",
])
def test_dates_years_amounts_and_short_numbers_are_not_phones(text: str) -> None:
    assert of_kind(text, "phone") == []


def test_year_before_a_number_is_left_out() -> None:
    phones = of_kind("since 2019 07911 123456", "phone")
    assert [p.value for p in phones] == ["07911 123456"]


def test_amount_next_to_a_currency_is_not_a_phone() -> None:
    # 3471234567 would read as an Italian mobile; next to a currency it is an amount.
    assert extract_indicators("amount 3471234567 EUR") == []
    assert extract_indicators("EUR 3471234567") == []
    found = extract_indicators("Total 1 500 000 € only")
    assert [(i.kind, i.normalized) for i in found] == [("price", "EUR 1500000")]


def test_a_number_listed_after_an_invalid_one_is_still_found() -> None:
    phones = of_kind("0044 7911 12345 / 07911 123456", "phone")
    assert [p.value for p in phones] == ["07911 123456"]


@pytest.mark.parametrize("text", [
    "Rating 4.5 0.25 0.30 0.45 0.50 0.75",
    "Score 0-1 0-2 1-0 0-0",
    "version 10.0.19041.1234",
    "tracking 0123 4567 8901",
    "0.5 0.5 0.5 0.5 0.5 0.5",
    "batch 01 02 03 04 05 06 07 08",
    "04/05 06/07 08/09",
    "1 2 3 4 5 6 7 8 9 10",
    "card 4111 1111 1111 1111",
])
def test_figures_that_are_not_written_like_phone_numbers(text: str) -> None:
    assert of_kind(text, "phone") == []


def test_whatsapp_label_only_for_the_labelled_number() -> None:
    text = "WhatsApp: +44 7911 123456, call 07700 900456"
    whatsapp = of_kind(text, "whatsapp")
    assert [w.normalized for w in whatsapp] == ["+447911123456"]


def test_unknown_region_hint_is_refused_with_a_user_facing_error() -> None:
    with pytest.raises(InvalidRegionHint, match="XX") as info:
        extract_indicators("07911 123456", region_hints=("GB", "XX"))
    assert isinstance(info.value, WorkstationError)
    assert isinstance(info.value, ValueError)
    # Lower case and blanks are forgiven.
    assert of_kind("07501 234567", "phone", region_hints=[" iq "])[0].normalized == \
        "+9647501234567"


def test_default_regions() -> None:
    assert DEFAULT_REGIONS == ("GB", "FR", "IQ", "TR", "AL", "VN", "IR", "AF", "ER", "IT", "DE")


def test_normalize_digits_keeps_length_and_other_characters() -> None:
    text = "رقم ٠٧٧٠ و ۰۹۱۲ or ０７"
    out = normalize_digits(text)
    assert out == "رقم 0770 و 0912 or 07"
    assert len(out) == len(text)


# --------------------------------------------------------- messenger links
def test_wa_me_link_gives_url_and_whatsapp() -> None:
    text = "Message us: wa.me/447911123456."
    found = extract_indicators(text)
    assert [(i.kind, i.value, i.normalized) for i in found] == [
        ("url", "wa.me/447911123456", "https://wa.me/447911123456"),
        ("whatsapp", "447911123456", "+447911123456"),
    ]
    assert_spans_are_exact(text, found)


def test_api_whatsapp_send_link() -> None:
    text = "https://api.whatsapp.com/send?phone=%2B9647501234567&text=Salam"
    found = extract_indicators(text)
    assert [(i.kind, i.normalized) for i in found] == [
        ("url", text), ("whatsapp", "+9647501234567")]
    assert found[1].value == "9647501234567"


def test_whatsapp_group_invite() -> None:
    found = extract_indicators("join chat.whatsapp.com/KxQz7p3MaB1cD2eF3gH4iJ now")
    assert [(i.kind, i.normalized) for i in found] == [
        ("url", "https://chat.whatsapp.com/KxQz7p3MaB1cD2eF3gH4iJ"),
        ("whatsapp", "group:KxQz7p3MaB1cD2eF3gH4iJ"),
    ]


@pytest.mark.parametrize(("text", "telegram"), [
    ("t.me/UK_Boats", "uk_boats"),
    ("https://telegram.me/Calais_Trips?start=1", "calais_trips"),
    ("t.me/s/smugglers_uk", "smugglers_uk"),
    ("telegram.me/joinchat/AAAAAEz1abcdefghij", "invite:AAAAAEz1abcdefghij"),
    ("t.me/+Xy12AbCdEfGhIjKl", "invite:Xy12AbCdEfGhIjKl"),
])
def test_telegram_links(text: str, telegram: str) -> None:
    found = extract_indicators(text)
    assert [i.kind for i in found] == ["url", "telegram"]
    assert found[1].normalized == telegram


def test_telegram_service_paths_are_only_urls() -> None:
    for text in ("t.me/c/123456/78", "t.me/share/url?url=x", "t.me/joinchat"):
        assert [i.kind for i in extract_indicators(text)] == ["url"]


def test_digits_inside_a_url_are_not_phones() -> None:
    found = extract_indicators("https://www.facebook.com/groups/447911123456/posts/07911123456")
    assert [i.kind for i in found] == ["url"]


# -------------------------------------------------------------------- URLs
@pytest.mark.parametrize(("text", "value", "normalized"), [
    ("see www.example.com/x, thanks", "www.example.com/x", "https://www.example.com/x"),
    ("bit.ly/abc", "bit.ly/abc", "https://bit.ly/abc"),
    ("Visit example.co.uk.", "example.co.uk", "https://example.co.uk"),
    ("(see HTTPS://Example.COM/Path?q=1).", "HTTPS://Example.COM/Path?q=1",
     "https://example.com/Path?q=1"),
    ("http://en.wikipedia.org/wiki/Calais_(France))", "http://en.wikipedia.org/wiki/Calais_(France)",
     "http://en.wikipedia.org/wiki/Calais_(France)"),
    ("tiktok.com/@boat.uk?lang=en!", "tiktok.com/@boat.uk?lang=en",
     "https://tiktok.com/@boat.uk?lang=en"),
])
def test_urls(text: str, value: str, normalized: str) -> None:
    urls = of_kind(text, "url")
    assert [(u.value, u.normalized) for u in urls] == [(value, normalized)]
    assert of_kind(text, "handle") == []


@pytest.mark.parametrize("text", [
    "safe trip.Call now", "Reply to UK.Me first", "open file.pdf", "price 1.500€",
    "e.g. tonight", "call me.no police",
])
def test_sentences_run_together_are_not_urls(text: str) -> None:
    assert of_kind(text, "url") == []


# ------------------------------------------------------- handles and e-mail
def test_handles_and_emails() -> None:
    text = "Insta @Boat.Trips_UK / mail John.Smith@Example.COM / @2000 / x@y"
    found = extract_indicators(text)
    assert [(i.kind, i.value, i.normalized) for i in found] == [
        ("handle", "@Boat.Trips_UK", "boat.trips_uk"),
        ("email", "John.Smith@Example.COM", "john.smith@example.com"),
    ]


def test_handle_labelled_telegram() -> None:
    text = "تلگرام: @Uk_Boat_Trips"
    found = extract_indicators(text)
    assert [(i.kind, i.normalized) for i in found] == [
        ("telegram", "uk_boat_trips"), ("handle", "uk_boat_trips")]


# ------------------------------------------------------------------ prices
@pytest.mark.parametrize(("text", "value", "normalized"), [
    ("only 1.500€ !!", "1.500€", "EUR 1500"),
    ("£2,000 cash", "£2,000", "GBP 2000"),
    ("2000 euros per adult", "2000 euros", "EUR 2000"),
    ("1500 EUR per person", "1500 EUR", "EUR 1500"),
    ("GBP 2000.50", "GBP 2000.50", "GBP 2000.50"),
    ("€1,500.50", "€1,500.50", "EUR 1500.50"),
    ("1.500,50 € pp", "1.500,50 €", "EUR 1500.50"),
    ("Prix : 1 500 € par personne", "1 500 €", "EUR 1500"),
    ("$3k deposit", "$3k", "USD 3000"),
    ("2,5k € famille", "2,5k €", "EUR 2500"),
    ("السعر ١٥٠٠ يورو", "١٥٠٠ يورو", "EUR 1500"),
    ("قیمت ۲۰۰۰ دلار", "۲۰۰۰ دلار", "USD 2000"),
    ("1800 pounds", "1800 pounds", "GBP 1800"),
])
def test_prices(text: str, value: str, normalized: str) -> None:
    prices = of_kind(text, "price")
    assert [(p.value, p.normalized) for p in prices] == [(value, normalized)]
    assert_spans_are_exact(text, prices)


@pytest.mark.parametrize(("text", "expected"), [
    ("EUR 1500 GBP 2000", ["EUR 1500", "GBP 2000"]),
    ("1500 € 2000 €", ["EUR 1500", "EUR 2000"]),
    ("€1500 €2000", ["EUR 1500", "EUR 2000"]),
    ("adult 1500€ child 800€", ["EUR 1500", "EUR 800"]),
])
def test_several_prices_pair_amounts_with_the_right_currency(text: str,
                                                             expected: list[str]) -> None:
    assert [p.normalized for p in of_kind(text, "price")] == expected


def test_numbers_without_currency_are_not_prices() -> None:
    assert of_kind("1500 per person, 2 children", "price") == []


# ------------------------------------------------------------------ crypto
VALID_ADDRESSES = {
    # Bitcoin genesis block coinbase address (P2PKH, Base58Check).
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa": "BTC:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    # P2SH example from the Bitcoin wiki.
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy": "BTC:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    # BIP 173 P2WPKH example (Bech32), written in capitals as the BIP does.
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4": "BTC:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    # BIP 350 P2TR example (Bech32m).
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0":
        "BTC:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    # EIP-55 test vector.
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": "ETH:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    # The USDT (TRC-20) contract on TRON.
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": "TRX:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
}

CORRUPTED_ADDRESSES = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # last character changed
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T5",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  # one letter's case flipped
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAee",  # one hex digit changed
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T",
    # BIP 350: a version 1 program with a Bech32 (not Bech32m) checksum.
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    # Mixed case is invalid Bech32.
    "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
]


@pytest.mark.parametrize(("address", "normalized"), VALID_ADDRESSES.items())
def test_valid_crypto_addresses(address: str, normalized: str) -> None:
    text = f"Pay the deposit to: {address}."
    found = of_kind(text, "crypto")
    assert [(c.value, c.normalized) for c in found] == [(address, normalized)]


@pytest.mark.parametrize("address", CORRUPTED_ADDRESSES)
def test_one_character_changed_fails_the_checksum(address: str) -> None:
    assert of_kind(f"Pay the deposit to: {address}.", "crypto") == []


def test_checksum_functions_directly() -> None:
    assert is_valid_base58_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", (0x00,))
    assert not is_valid_base58_address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", (0x05,))
    assert is_valid_segwit_address(
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3")
    assert not is_valid_segwit_address(
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7")  # testnet
    # Lower-case Ethereum addresses carry no checksum and are accepted as written.
    assert is_valid_eth_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaee")
    assert not is_valid_eth_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea")


@pytest.mark.parametrize("address", [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
])
def test_eip55_vectors(address: str) -> None:
    assert eip55_checksum(address.lower()) == address
    assert is_valid_eth_address(address)


@pytest.mark.parametrize(("message", "digest"), [
    (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
    (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
    (b"The quick brown fox jumps over the lazy dog",
     "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"),
])
def test_keccak_256_vectors(message: bytes, digest: str) -> None:
    assert keccak_256(message).hex() == digest


def test_keccak_sponge_with_sha3_padding_equals_hashlib_sha3() -> None:
    # Same permutation and sponge; only the padding byte differs.  Lengths around
    # the 136-byte rate exercise the multi-block path.
    for length in [0, 1, 55, 134, 135, 136, 137, 271, 272, 273, 1000]:
        data = bytes((i * 7 + length) % 256 for i in range(length))
        assert _keccak_sponge(data, 136, 0x06, 32) == hashlib.sha3_256(data).digest()


# --------------------------------------------------------------- word boxes
def test_word_boxes_map_to_the_union_of_covered_words() -> None:
    words = [
        WordBox("WhatsApp:", (10, 10, 80, 20)),
        WordBox("+44", (95, 11, 30, 20)),
        WordBox("7700", (130, 10, 40, 22)),
        WordBox("900", (175, 10, 30, 20)),
        WordBox("123", (210, 9, 30, 20)),
        WordBox("Calais", (10, 40, 60, 20)),
        WordBox("1500€", (80, 40, 50, 20)),
    ]
    text = "WhatsApp: +44 7700 900 123\nCalais 1500€"
    found = extract_indicators(text, words=words)
    boxes = {(i.kind, i.box) for i in found}
    assert boxes == {
        ("phone", (95, 9, 145, 23)),
        ("whatsapp", (95, 9, 145, 23)),
        ("price", (80, 40, 50, 20)),
    }


def test_word_boxes_in_right_to_left_text() -> None:
    words = [WordBox("٠٧٧٠٠٩٠٠١٢٣", (300, 50, 120, 24)), WordBox("واتساب", (430, 50, 70, 24))]
    text = "٠٧٧٠٠٩٠٠١٢٣ واتساب"
    found = extract_indicators(text, words=words)
    assert {i.box for i in found} == {(300, 50, 120, 24)}


def test_alignment_survives_a_word_missing_from_the_text() -> None:
    words = [WordBox("Boat", (0, 0, 40, 10)), WordBox("t0", (45, 0, 20, 10)),
             WordBox("UK", (70, 0, 20, 10)), WordBox("wa.me/447911123456", (0, 20, 150, 10))]
    text = "Boat to UK\nwa.me/447911123456"  # the OCR text was corrected: "t0" -> "to"
    spans = align_words(text, words)
    assert spans == [(0, 4), None, (8, 10), (11, 29)]
    assert box_for_span(spans, words, 11, 29) == (0, 20, 150, 10)
    assert box_for_span(spans, words, 5, 7) is None
    whatsapp = of_kind(text, "whatsapp", words=words)
    assert whatsapp[0].box == (0, 20, 150, 10)


def test_alignment_of_repeated_short_words_stays_in_order() -> None:
    words = [WordBox("a", (0, 0, 5, 5)), WordBox("b", (10, 0, 5, 5)), WordBox("a", (20, 0, 5, 5))]
    assert align_words("a b a", words) == [(0, 1), (2, 3), (4, 5)]


def test_no_words_means_no_box() -> None:
    assert all(i.box is None for i in extract_indicators("07911 123456 £2,000"))


# ---------------------------------------------------------------- the type
def test_indicator_is_json_friendly_and_round_trips() -> None:
    text = "٠٧٧٠٠٩٠٠١٢٣"
    words = [WordBox(text, (1, 2, 3, 4))]
    indicator = extract_indicators(text, words=words, source="notes")[0]
    data = json.loads(json.dumps(indicator.to_dict(), ensure_ascii=False))
    assert data["box"] == [1, 2, 3, 4]
    assert data["source"] == "notes"
    assert Indicator.from_dict(data) == indicator


def test_indicator_refuses_unknown_kind() -> None:
    with pytest.raises(ValueError, match="fax"):
        Indicator("fax", "x", "x", 0, 1)  # type: ignore[arg-type]


def test_every_occurrence_is_reported_and_dedupe_keeps_the_first() -> None:
    text = "07911 123456 ... call +44 7911 123456 or @boat / @Boat"
    found = extract_indicators(text)
    assert [i.kind for i in found] == ["phone", "phone", "handle", "handle"]
    unique = dedupe(found)
    assert [(i.kind, i.value) for i in unique] == [("phone", "07911 123456"),
                                                   ("handle", "@boat")]


def test_full_advert() -> None:
    text = (
        "🚤 BOAT TO UK 🇬🇧 every night from Dunkirk\n"
        "Price: 1.500€ per person, kids 800€\n"
        "WhatsApp: +44 7700 900 123 / Telegram: @UK_Boat_Trips\n"
        "t.me/UK_Boat_Trips — deposit USDT TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\n"
        "للتواصل ٠٧٧٠١٢٣٤٥٦٧\n"
    )
    found = extract_indicators(text)
    assert_spans_are_exact(text, found)
    summary = [(i.kind, i.normalized) for i in found]
    assert summary == [
        ("price", "EUR 1500"),
        ("price", "EUR 800"),
        ("phone", "+447700900123"),
        ("whatsapp", "+447700900123"),
        ("telegram", "uk_boat_trips"),
        ("handle", "uk_boat_trips"),
        ("url", "https://t.me/UK_Boat_Trips"),
        ("telegram", "uk_boat_trips"),
        ("crypto", "TRX:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ("phone", "+9647701234567"),
    ]

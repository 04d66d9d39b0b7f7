"""The keyword lexicon: data files, folding-insensitive matching in many scripts, flags."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workstation.errors import WorkstationError
from workstation.reading.lexicon import (
    CATEGORIES,
    KeywordHit,
    Lexicon,
    LexiconError,
    default_directory,
    fold,
    fold_with_offsets,
    score,
)

LANGUAGES = {"en", "fr", "tr", "ar", "fa", "ku", "ps", "sq", "vi", "ti"}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def found(lexicon: Lexicon, text: str) -> list[tuple[str, str, str]]:
    """(category, term, matched text) of each hit."""
    return [(h.category, h.term, text[h.start:h.end]) for h in lexicon.match(text)]


# --------------------------------------------------------------- the data
def test_default_directory_is_the_repository_resources() -> None:
    assert default_directory() == ROOT / "workstation" / "resources" / "lexicon"
    assert (default_directory() / "README.md").is_file()


def test_every_language_has_every_category(lexicon: Lexicon) -> None:
    assert set(lexicon.languages) == LANGUAGES
    for language in LANGUAGES:
        categories = {category for _, category, _, _ in lexicon.terms(language)}
        assert categories == set(CATEGORIES), language


def _script_of_letters(term: str) -> set[str]:
    return {unicodedata.name(ch).split()[0] for ch in term if ch.isalpha()}


@pytest.mark.parametrize(("language", "script"), [
    ("ar", "ARABIC"), ("fa", "ARABIC"), ("ps", "ARABIC"), ("ti", "ETHIOPIC")])
def test_terms_are_in_the_language_s_own_script(lexicon: Lexicon, language: str,
                                                script: str) -> None:
    foreign = [term for term, *_ in lexicon.terms(language)
               if _script_of_letters(term) - {script}]
    assert foreign == []


def test_kurdish_has_both_kurmanji_and_sorani(lexicon: Lexicon) -> None:
    scripts = {s for term, *_ in lexicon.terms("ku") for s in _script_of_letters(term)}
    assert {"LATIN", "ARABIC"} <= scripts


def test_every_term_matches_its_own_spelling(lexicon: Lexicon) -> None:
    # Catches terms that folding or the pattern builder would make unreachable.
    unmatched = []
    for term, category, language, _ in lexicon.terms():
        text = f"« {term.rstrip('*')} »"
        if not any(h.category == category and text[h.start:h.end] == term.rstrip("*")
                   for h in lexicon.match(text)):
            unmatched.append((language, term))
    assert unmatched == []


def test_files_are_valid_json_with_documented_keys() -> None:
    for path in sorted(default_directory().glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["language"] == path.stem
        assert set(data) <= {"language", "name", "prefixes", "strong", "categories"}
        assert data["strong"], f"{path.name} has no strong term"


# ---------------------------------------------------------------- folding
def test_fold_removes_marks_tatweel_and_unifies_variants() -> None:
    assert fold("قـــارِبٌ") == "قارب"
    assert fold("إنجلترا") == fold("انجلترا") == fold("آنجلترا")
    assert fold("كامیون") == fold("کامیون") == fold("كاميون")
    assert fold("İNGİLTERE") == fold("ingiltere") == fold("INGILTERE") == "ingiltere"
    assert fold("Traversée") == "traversee"
    assert fold("đảm bảo") == "dam bao"
    assert fold("١٠٠٪") == fold("۱۰۰%") == "100%"
    assert fold("بی\u200cخطر") == "بی خطر"


def test_fold_offsets_point_into_the_original() -> None:
    text = "ﻻ قـارِب ﬁne\u200fİ"
    folded, offsets = fold_with_offsets(text)
    assert len(folded) == len(offsets)
    assert offsets == sorted(offsets)
    for char, index in zip(folded, offsets, strict=True):
        assert char in fold(text[index]) or char == " "


# ---------------------------------------------------------------- matching
def test_english_ocr_text_with_line_break_and_capitals(lexicon: Lexicon) -> None:
    text = "🚤 BOAT TO\nUK from Dunkirk, 100% guaranteed!!"
    hits = found(lexicon, text)
    assert ("boat", "boat to UK", "BOAT TO\nUK") in hits
    assert ("destination", "Dunkirk", "Dunkirk") in hits
    assert ("guarantee", "100% guaranteed", "100% guaranteed") in hits
    # "boat" inside "boat to UK" is the same category: reported once.
    assert ("boat", "boat", "BOAT") not in hits
    # "UK" is another category: kept.
    assert ("destination", "UK", "UK") in hits


def test_whole_words_only(lexicon: Lexicon) -> None:
    assert found(lexicon, "robot boatswain Calaisiens vanity") == []


def test_arabic_with_harakat_tatweel_and_attached_prefixes(lexicon: Lexicon) -> None:
    text = "رحلات بالبلم إلى بريطانيا، قـــارِب مَضْمُون"
    hits = found(lexicon, text)
    assert ("boat", "بلم إلى بريطانيا", "بالبلم إلى بريطانيا") in hits
    assert ("boat", "قارب", "قـــارِب") in hits
    assert ("guarantee", "مضمون", "مَضْمُون") in hits
    strong = [h for h in lexicon.match(text) if h.strong]
    assert [h.term for h in strong] == ["بلم إلى بريطانيا"]


def test_arabic_prefixes_do_not_match_inside_other_words(lexicon: Lexicon) -> None:
    # تقارب "convergence" contains قارب "boat" after a letter that is no prefix.
    assert found(lexicon, "تقارب") == []


def test_persian_zwnj_and_arabic_keyboard_letters(lexicon: Lexicon) -> None:
    text = "قاچاق به انگلیس با كامیون، بی‌خطر"  # ك typed on an Arabic keyboard
    hits = found(lexicon, text)
    assert ("crossing", "قاچاق به انگلیس", "قاچاق به انگلیس") in hits
    assert ("lorry", "کامیون*", "كامیون") in hits
    assert ("guarantee", "بی‌خطر", "بی‌خطر") in hits
    assert ("guarantee", "بی‌خطر", "بی خطر") in found(lexicon, "سفر بی خطر")


def test_turkish_without_turkish_letters(lexicon: Lexicon) -> None:
    text = "INGILTEREYE GECIS GARANTILI"
    hits = found(lexicon, text)
    assert ("crossing", "İngiltere'ye geçiş", "INGILTEREYE GECIS") in hits
    assert ("guarantee", "garanti*", "GARANTILI") in hits
    # Dotless ı in the term, capital I in the text (and the other way round).
    assert ("lorry", "tır ile", "TIR ILE") in found(lexicon, "TIR ILE Avrupa")
    assert ("crossing", "kaçakçı*", "kaçakçılar") in found(lexicon, "kaçakçılar")


def test_french_curly_apostrophe(lexicon: Lexicon) -> None:
    hits = found(lexicon, "Passage vers l’Angleterre ce soir")
    assert ("crossing", "passage vers l'Angleterre", "Passage vers l’Angleterre") in hits


def test_vietnamese_decomposed_input_keeps_original_offsets(lexicon: Lexicon) -> None:
    text = unicodedata.normalize("NFD", "Vượt biên sang Anh bằng xe container, bao qua")
    hits = lexicon.match(text)
    strong = [h for h in hits if h.strong]
    assert len(strong) == 1
    matched = text[strong[0].start:strong[0].end]
    assert unicodedata.normalize("NFC", matched) == "Vượt biên sang Anh"
    assert {h.category for h in hits} >= {"crossing", "lorry", "guarantee"}


def test_sorani_tigrinya_albanian_and_pashto(lexicon: Lexicon) -> None:
    assert ("boat", "بەلەم بۆ بەریتانیا", "بەلەم بۆ بەریتانیا") in found(
        lexicon, "بەلەم بۆ بەریتانیا، نرخ ١٥٠٠ یۆرۆ")
    assert ("boat", "ጀልባ", "ብጀልባ") in found(lexicon, "ጉዕዞ ብጀልባ ናብ ለንደን")
    assert ("crossing", "me gomone në Angli", "ME GOMONE NE ANGLI") in found(
        lexicon, "ME GOMONE NE ANGLI")
    assert ("crossing", "انګلستان ته قاچاق", "انگلستان ته قاچاق") in found(
        lexicon, "انگلستان ته قاچاق")  # ګ typed as گ


def test_hit_is_json_friendly(lexicon: Lexicon) -> None:
    hit = lexicon.match("Calais")[0]
    assert json.loads(json.dumps(hit.to_dict())) == {
        "term": "Calais", "category": "destination", "language": hit.language,
        "start": 0, "end": 6, "strong": False}


def test_empty_text(lexicon: Lexicon) -> None:
    assert lexicon.match("") == []


# ------------------------------------------------------------------ scoring
def hit(category: str, term: str = "x", strong: bool = False) -> KeywordHit:
    return KeywordHit(term, category, "en", 0, 1, strong)


def test_strong_term_flags_on_its_own() -> None:
    verdict = score([hit("boat", "boat to UK", strong=True)])
    assert verdict.flagged
    assert verdict.strong_terms == ("boat to UK",)
    assert verdict.score == 3.0


def test_two_categories_with_a_core_one_flag() -> None:
    verdict = score([hit("destination"), hit("price"), hit("price")])
    assert verdict.flagged
    assert verdict.categories == ("destination", "price")
    assert verdict.score == 2.0


def test_supporting_categories_alone_do_not_flag() -> None:
    verdict = score([hit("price"), hit("contact"), hit("guarantee")])
    assert not verdict.flagged
    assert "core" in verdict.reason


def test_one_category_does_not_flag() -> None:
    assert not score([hit("boat"), hit("boat")]).flagged
    empty = score([])
    assert (empty.flagged, empty.score, empty.categories) == (False, 0.0, ())


def test_real_adverts_and_ordinary_posts(lexicon: Lexicon) -> None:
    adverts = [
        "Boat to UK every night from Dunkirk. 1500€ per person. WhatsApp",
        "رحلات بالبلم إلى بريطانيا مضمونة ١٠٠٪ للتواصل واتساب",
        "Passage vers l'Angleterre en zodiac, départ de Calais, prix 1500€",
        "Me gomone në Angli, çmimi 2000 euro, 100% e sigurt",
        "قاچاق به انگلیس با قایق، قیمت نفری ۱۵۰۰ یورو",
    ]
    ordinary = [
        "Join our Telegram channel for cheap phone deals, call now",
        "Happy birthday! Contact me for the party, price of cake 20€",
        "",
    ]
    for text in adverts:
        hits, verdict = lexicon.assess(text)
        assert verdict.flagged, (text, verdict)
        assert lexicon.score(hits) == verdict
    for text in ordinary:
        assert not lexicon.assess(text)[1].flagged, text


# ------------------------------------------------------------- file loading
def write(directory: Path, name: str, data: object) -> None:
    directory.mkdir(exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    (directory / name).write_text(text, encoding="utf-8")


def test_custom_directory_and_editing_a_term(tmp_path: Path) -> None:
    folder = tmp_path / "lexicon"
    data = {"name": "Test", "strong": ["ferry to Dover"],
            "categories": {"boat": ["ferry to Dover", "ferr*"], "destination": ["Dover"]}}
    write(folder, "xx.json", data)
    lexicon = Lexicon.load(folder)
    assert lexicon.languages == {"xx": "Test"}
    hits = lexicon.match("FERRIES to Dover tonight")
    assert [(h.term, h.language) for h in hits] == [("ferr*", "xx"), ("Dover", "xx")]
    data["categories"]["boat"].append("ferries to Dover")  # type: ignore[index]
    write(folder, "xx.json", data)
    assert [h.term for h in Lexicon.load(folder).match("FERRIES to Dover")] == [
        "ferries to Dover", "Dover"]


@pytest.mark.parametrize(("content", "message"), [
    ('{"categories": {"boat": ["boat",]}}', "not valid JSON (line 1"),
    ({"categories": {"boats": ["boat"]}}, "unknown category 'boats'"),
    ({"categories": {"boat": "boat"}}, "must be a list"),
    ({"categories": {"boat": ["", "x"]}}, "empty"),
    ({"categories": {"boat": ["b*at"]}}, "only allowed once, at the end"),
    ({"strong": ["lorry"], "categories": {"boat": ["boat"]}}, "strong terms must also"),
    ({"language": "English", "categories": {"boat": ["boat"]}}, "language code"),
    ({"categories": {}}, "\"categories\""),
    (["boat"], "top level"),
])
def test_malformed_files_are_named_with_the_problem(tmp_path: Path, content: object,
                                                    message: str) -> None:
    write(tmp_path, "en.json", content)
    with pytest.raises(LexiconError, match=r"en\.json") as info:
        Lexicon.load(tmp_path)
    assert message in str(info.value)
    assert isinstance(info.value, WorkstationError)


def test_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="does not exist"):
        Lexicon.load(tmp_path / "nope")
    with pytest.raises(LexiconError, match=r"no \.json files"):
        Lexicon.load(tmp_path)


def test_from_mapping_matches_like_files() -> None:
    lexicon = Lexicon.from_mapping({"xx": {"prefixes": ["al-"], "categories": {
        "destination": ["Calais"]}}})
    assert [(h.term, h.start, h.end) for h in lexicon.match("to al-Calais.")] == [
        ("Calais", 3, 12)]

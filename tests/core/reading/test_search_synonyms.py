"""Search as people type: cross-script synonyms from the lexicon, prefixes of them,
the advert's language, and snippets in the words as read — on a real workspace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imagegen import make_image
from workstation.errors import WorkstationError
from workstation.models import CaptureMeta
from workstation.reading import searchquery
from workstation.reading.ocr.result import OcrResult, OcrWord
from workstation.reading.searchquery import Synonyms, _fold_map, load_synonyms, parse
from workstation.textnorm import fold_with_offsets
from workstation.workspace import Workspace

NOTES = {
    "wa_latin": "Contact on WhatsApp for the crossing",
    "wa_arabic": "للتواصل واتساب فقط",
    "wa_split": "تواصل عبر واتس اب الان",
    "wa_zwnj": "پیام در واتس\u200cاپ بدهید",
    "tg_persian": "کانال تلگرام ما",
    "tg_arabic": "تابعونا على تيليجرام",
    "insta": "صفحه اینستاگرام ما",
    "tiktok": "ویدیو در تیک تاک",
    "fb": "صفحة فيسبوك الرسمية",
    "boat_fa": "قایق هر شب از کاله",
    "boat_fr": "Passage en bateau chaque nuit",
    "boat_vi": "Đi bằng xuồng cao su",
    "uk_ckb": "بۆ بەریتانیا هەموو شەوێک",
    "uk_tr": "İngiltere'ye geçiş",
    "unrelated": "Weather is nice [really] today",
    "phone": "Call +44 7700 900123 tonight",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, int]]]:
    root: Path = tmp_path_factory.mktemp("synonyms") / "ws"
    with Workspace.open(root, create=True) as ws:
        ids = {}
        for seed, (name, notes) in enumerate(NOTES.items()):
            found = ws.intake.import_bytes(make_image(seed=100 + seed), CaptureMeta(notes=notes),
                                           method="paste").id
            assert found is not None
            ids[name] = found
        yield ws, ids


def _found(ws: Workspace, query: str) -> set[int]:
    return {h.capture_id for h in ws.reading.search(query)}


@pytest.mark.parametrize(("query", "expected"), [
    ("whatsapp", {"wa_latin", "wa_arabic", "wa_split", "wa_zwnj"}),
    ("واتساب", {"wa_latin", "wa_arabic", "wa_split", "wa_zwnj"}),
    ("واتس اب", {"wa_latin", "wa_arabic", "wa_split", "wa_zwnj"}),
    ("telegram", {"tg_persian", "tg_arabic"}),
    ("تلگرام", {"tg_persian", "tg_arabic"}),
    ("instagram", {"insta"}),
    ("tiktok", {"tiktok"}),
    ("facebook", {"fb"}),
    ("boat", {"boat_fa", "boat_fr", "boat_vi"}),
    ("قارب", {"boat_fa", "boat_fr", "boat_vi"}),
    ("uk", {"uk_ckb", "uk_tr"}),
    ("england", {"uk_ckb", "uk_tr"}),
    ("Angleterre", {"uk_ckb", "uk_tr"}),
])
def test_a_term_finds_its_synonyms_in_every_script(
        corpus: tuple[Workspace, dict[str, int]], query: str, expected: set[str]) -> None:
    ws, ids = corpus
    assert _found(ws, query) == {ids[name] for name in expected}


def test_while_typing_a_prefix_of_three_letters_expands(
        corpus: tuple[Workspace, dict[str, int]]) -> None:
    ws, ids = corpus
    whatsapp = {ids[n] for n in ("wa_latin", "wa_arabic", "wa_split", "wa_zwnj")}
    assert _found(ws, "whats") == whatsapp
    assert _found(ws, "wha") == whatsapp
    assert _found(ws, "telegr") == {ids["tg_persian"], ids["tg_arabic"]}
    assert _found(ws, "wh") == set()  # two letters: too short to guess
    # Every word must still match: WhatsApp AND boat finds nothing here.
    assert _found(ws, "whatsapp boat") == set()
    assert _found(ws, "whatsapp OR boat") == whatsapp | {
        ids[n] for n in ("boat_fa", "boat_fr", "boat_vi")}


def test_snippets_show_the_words_as_read_with_the_match_marked(
        corpus: tuple[Workspace, dict[str, int]]) -> None:
    ws, ids = corpus
    snippets = {h.capture_id: h.snippet for h in ws.reading.search("whatsapp")}
    assert "[WhatsApp]" in snippets[ids["wa_latin"]]
    assert "[واتساب]" in snippets[ids["wa_arabic"]]
    assert "[واتس اب]" in snippets[ids["wa_split"]]
    assert "[واتس\u200cاپ]" in snippets[ids["wa_zwnj"]]
    # Accents and letter forms as written, not folded.
    boats = {h.capture_id: h.snippet for h in ws.reading.search("xuong")}
    assert "[xuồng]" in boats[ids["boat_vi"]] and "[bateau]" in boats[ids["boat_fr"]]
    uk = {h.capture_id: h.snippet for h in ws.reading.search("بريطانيا")}
    assert "[İngiltere]'ye" in uk[ids["uk_tr"]] and "[بەریتانیا]" in uk[ids["uk_ckb"]]
    # A number typed whole is found as the indicator, and marked as it is written.
    (hit,) = ws.reading.search("+447700900123")
    assert hit.capture_id == ids["phone"] and "[+44 7700 900123]" in hit.snippet
    (hit,) = ws.reading.search("+44 7700 900123")  # typed in groups: one number
    assert "[44 7700 900123]" in hit.snippet
    # Brackets in the text itself cannot be mistaken for marks.
    (hit,) = ws.reading.search("weather")
    assert hit.snippet == "[Weather] is nice ［really］ today"


def _advert(lines: list[str], advert_languages: list[str]) -> OcrResult:
    words = [OcrWord(token, 90.0, (10 + 60 * k, 40 * n, 50, 30), 1, 1, n, k + 1)
             for n, line in enumerate(lines, start=1) for k, token in enumerate(line.split())]
    return OcrResult("tesserocr", "5.3.0", ["fas", "eng"], {"psm": 3}, "\n".join(lines),
                     words, 90.0, 0.1, (1080, 1920), advert_languages=advert_languages)


def test_search_by_the_advert_language(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws", create=True) as ws:
        persian = ws.intake.import_bytes(make_image(seed=1), method="paste").id
        french = ws.intake.import_bytes(make_image(seed=2), method="paste").id
        assert persian is not None and french is not None
        ws.reading._store_ocr(persian, _advert(["قایق به انگلیس", "WhatsApp"], ["fas", "eng"]))
        ws.reading._store_ocr(french, _advert(["Passage en Angleterre"], ["fra"]))
        assert _found(ws, "lang:fas") == {persian}
        assert _found(ws, "lang:persian") == {persian}
        assert _found(ws, "persian") == {persian}
        assert _found(ws, "lang:fra") == {french}
        assert _found(ws, "lang:eng") == {persian}
        assert _found(ws, "lang:fas angleterre") == {persian}  # with a word (a synonym)
        assert _found(ws, "lang:vie") == set()
        # Names are asked for at query time (0012: not indexed with every capture): a
        # name, any word of one, or a prefix of one finds the adverts in the language.
        assert _found(ws, "farsi") == _found(ws, "فارسی") == _found(ws, "pers*") == {persian}
        assert _found(ws, "français") == _found(ws, "FRENCH") == {french}
        assert _found(ws, "english") == {persian}
        assert _found(ws, "persian angleterre") == {persian}
        assert _found(ws, "pers") == set()  # a part of a name, typed without "*"
        assert parse("tiếng việt").match.count("langvie") == 2
        # A language the synonyms file does not name is found by its code.
        german = ws.intake.import_bytes(make_image(seed=3), method="paste").id
        assert german is not None
        ws.reading._store_ocr(german, _advert(["Überfahrt nach England"], ["deu"]))
        assert _found(ws, "deu") == _found(ws, "lang:deu") == {german}
        # The snippet of a language-only hit is the start of its text.
        assert ws.reading.search("lang:fra")[0].snippet == "Passage en Angleterre"


def test_the_query_is_always_valid_fts() -> None:
    synonyms = load_synonyms()
    for typed in ('"', "OR OR", 'boat "uk', "(", "lang:", "a*b*", "NOT", "-x", "AND whats"):
        try:
            query = parse(typed, synonyms)
        except WorkstationError as exc:
            assert "empty" in str(exc)
            continue
        assert query.match.count('"') % 2 == 0


def test_a_malformed_synonyms_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkstationError, match="malformed"):
        Synonyms.from_mapping({"groups": [{"terms": "whatsapp"}]}, "x.json")
    bad = tmp_path / "s.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(WorkstationError, match="Cannot read the search synonyms"):
        load_synonyms(str(bad))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    *"abcABZ `'[] …ﻻ·ـَُِّ\u200c\u200dیيكکةه١٢۳ĐđİıÆæßẞǅ🌍\ufe0f\n", "\u0651", "e\u0301"]),
    max_size=40).map("".join))
def test_the_fast_fold_used_for_snippets_is_fold_with_its_offsets(text: str) -> None:
    """Snippets fold with lookup tables over code points (numpy) and map back only when
    some character does not fold to exactly one: always the same text and offsets as
    ``fold_with_offsets``."""
    folded, offsets = _fold_map(text)
    expected, expected_offsets = fold_with_offsets(text)
    assert folded == expected
    assert [k if offsets is None else int(offsets[k]) for k in range(len(folded))] \
        == expected_offsets


_PIECES = st.lists(st.sampled_from(["ab", "abc", "b", "x", "_", " ", "\n", "-", "é", "ب", "بل",
                                    "م", "  "]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_PIECES, st.lists(st.tuples(st.lists(st.sampled_from(["ab", "b", "bl", "بل", "x"]),
                                            min_size=1, max_size=2).map(tuple),
                                   st.booleans()), min_size=1, max_size=3).map(tuple))
def test_term_matches_start_tokens_as_a_look_behind_would(
        text: str, alternatives: tuple[tuple[tuple[str, ...], bool], ...]) -> None:
    """The term pattern has no look-behind (it made ``re`` try every position): the
    matches it keeps are exactly those the look-behind ``(?<![^\\W_])`` gave."""
    pattern = searchquery._term_pattern(alternatives)
    with_look_behind = re.compile(r"(?<![^\W_])" + pattern.pattern)
    assert list(searchquery._matches(pattern, text)) == [
        m.span() for m in with_look_behind.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(_PIECES, st.data())
def test_the_snippet_window_starts_two_words_before_as_before(text: str, data: st.DataObject
                                                              ) -> None:
    """The window's start is found without the backtracking regular expression it was
    found with (``(?:\\S+\\s+){0,2}\\S*$`` searched back from the match): same start."""
    best = data.draw(st.integers(0, len(text)))
    lead = re.compile(r"(?:\S+\s+){0,2}\S*$").search(text, max(0, best - 80), best)
    begin = lead.start() if lead else best
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    assert searchquery._window(text, [(best, best + 1)], 3)[0] == begin


@settings(max_examples=300, deadline=None)
@given(_PIECES, st.data())
def test_the_snippet_window_ends_after_its_words_as_before(text: str, data: st.DataObject
                                                           ) -> None:
    """The window's end is found with one match (up to ``words`` words before
    ``endpos``), not word by word: the end of the same last word as ``finditer`` gave."""
    begin = data.draw(st.integers(0, len(text)))
    endpos = data.draw(st.integers(begin, len(text) + 2))
    words = data.draw(st.integers(1, 4))
    end = begin
    for m in islice(searchquery._CHUNK.finditer(text, begin, endpos), words):
        end = m.end()
    ahead = searchquery._ahead(words).match(text, begin, endpos)
    assert (ahead.end() if ahead else begin) == end

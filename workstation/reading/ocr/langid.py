"""Which language an advert is written in, from cheap evidence.

Automatic OCR reads a few lines first (the *probe*, see
:mod:`workstation.reading.ocr.engine`), then the whole page once with the one model
the probe's text points to.  This module turns text into that choice:

:func:`script_counts` / :func:`dominant_script`
    The writing system, from the Unicode script of each letter read (``Latin``,
    ``Arabic``, ``Ethiopic``).  Cheaper and, on phone screenshots, more reliable than
    Tesseract's OSD: on the bench's screenshots OSD took as long as a whole
    recognition pass and named Latin for a Tigrinya post and a mixed Arabic one.
:func:`identify`
    The language within the script:

    * Arabic script: letters only some languages use.  Pashto ټ ډ ړ ښ ږ ځ څ ګ ۍ ې ڼ,
      Urdu ٹ ڈ ڑ ے ں ھ ہ, Sorani ڵ ڕ ێ ۆ, Persian (and the others) پ چ ژ گ ی ک;
      Arabic is what uses none of them and has ة ى ي ك and the article ال.
    * Latin: marker letters (Vietnamese ơ ư đ ă and the tone marks, Turkish ğ ı ş ö ü,
      Albanian ë, Kurmanji ê î û ş without ğ ı, French é è à œ) and frequent short
      words, compared with the accents folded away so that a model that dropped
      them still counts.  English is the default: a Latin text with no evidence
      for another language is English.
    * Ethiopic: Tigrinya writes the glottal *a* as ኣ where Amharic writes አ, and
      each has its own common words.

Words come from small built-in lists of function words and from the keyword
lexicon (``resources/lexicon``): terms found in one language's file only.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

#: Scripts this module tells apart; other letters count as ``Other``.
SCRIPTS = ("Latin", "Arabic", "Ethiopic")

#: Letters used by some Arabic-script languages only, with how strongly they point
#: to each.  Checked in this order: a Pashto text also has Persian letters (پ چ),
#: an Urdu one too, so the rarer letters decide first.
ARABIC_MARKERS: dict[str, str] = {
    "pus": "ټډړښږځڅګۍېڼ",
    "urd": "ٹڈڑےںھہ",
    "ckb": "ڵڕێۆ",
    "fas": "پچژگیک",
}
#: Letters of Arabic proper that Persian, Urdu and Pashto write otherwise.
ARABIC_ONLY = "ةىيكأإؤئ"

#: Latin marker letters (lower case) and their weight as evidence for a language.
LATIN_MARKERS: dict[str, dict[str, float]] = {
    "vie": {**dict.fromkeys("ơưđăạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ", 3.0),
            **dict.fromkeys("ãõ", 1.0)},
    "tur": {"ğ": 3.0, "ı": 3.0, "ş": 1.5, "ö": 1.5, "ü": 1.5, "ç": 0.5},
    "sqi": {"ë": 3.0, "ç": 0.5},
    "kmr": {"ê": 2.0, "î": 2.0, "û": 2.0, "ş": 1.5, "ç": 0.5},
    "fra": {"é": 2.0, "è": 2.0, "à": 1.5, "ù": 1.5, "œ": 3.0, "â": 1.0, "ô": 1.0, "ç": 0.5,
            "ê": 0.5, "î": 0.5, "ï": 1.0},
}
#: A letter of another language that a language does not use counts against it.
LATIN_FOREIGN: dict[str, str] = {
    "kmr": "ğıöüéèàœ",
    "tur": "ëêîûéèàœơưđă",
    "sqi": "ğışöüêîûéèàœơưđă",
    "fra": "ğışöüơưđă",
    "eng": "ğışöüëêîûéèàœơưđăç",
}

#: Frequent short words (accents folded away, lower case) per Latin language.
LATIN_WORDS: dict[str, str] = {
    "eng": "the and to for of with you your we us our by on in is are from now this "
           "every each only per call or no",
    "fra": "le la les des de du et pour vers avec nous vous est une un sur dans au aux "
           "chaque par ou sans prix depart",
    "tur": "ve bir icin her ile bu da de cok hemen hafta var yok gibi ama olarak",
    "sqi": "dhe per ne me te nje cdo nga jane eshte qe se si na ju",
    "kmr": "bi ji u ve re li bo em hun ku ne yen ya ye ber pere biha zarok kesi",
    "vie": "va cua co khong cho voi di anh an toan nguoi chung toi khi den ngay tuan bang "
           "thuyen lien he gia mien phi thanh sang tien noi hoac cac moi",
}
#: Frequent words per Ethiopic-script language.
ETHIOPIC_WORDS: dict[str, str] = {
    "tir": "ናብ ኣብ ምስ እዩ ኢዩ ናይ ኣሎ ኣለዉ ብዘይ ንሓደ ዓዲ ሰብ ኣይ ከኣ",
    "amh": "ወደ እና ነው የ ለ በ ከ አለ ውስጥ ለአንድ ሰው ይህ ላይ ጋር",
}

#: Lexicon files (``resources/lexicon/<file>.json``) and the language they vouch for.
LEXICON_FILES = {"en": "eng", "fr": "fra", "tr": "tur", "sq": "sqi", "ku": "kmr", "vi": "vie",
                 "ti": "tir"}


@dataclass(frozen=True)
class LanguageGuess:
    """A language identified in a text: ``lang`` (a Tesseract code), the ``script``,
    ``score`` (evidence for it) and ``margin`` (its lead over the runner-up; 0 for a
    default taken without evidence)."""

    lang: str
    script: str
    score: float
    margin: float


def script_of_char(ch: str) -> str | None:
    """``Latin``, ``Arabic``, ``Ethiopic`` or ``Other`` for a letter; ``None`` for a
    character that is not a letter (digits, punctuation, spaces)."""
    if not ch.isalpha():
        return None
    code = ord(ch)
    if code < 0x250 or 0x1E00 <= code <= 0x1EFF:
        return "Latin"
    if 0x600 <= code <= 0x6FF or 0x750 <= code <= 0x77F or 0xFB50 <= code <= 0xFEFF \
            or 0x8A0 <= code <= 0x8FF:
        return "Arabic"
    if 0x1200 <= code <= 0x139F or 0x2D80 <= code <= 0x2DDF or 0xAB00 <= code <= 0xAB2F:
        return "Ethiopic"
    return "Other"


def script_counts(text: str) -> Counter[str]:
    """How many letters of each script ``text`` has."""
    counts: Counter[str] = Counter()
    for ch in text:
        script = script_of_char(ch)
        if script is not None:
            counts[script] += 1
    return counts


def dominant_script(text: str, minimum: int = 3) -> str | None:
    """The script most letters of ``text`` are written in (at least ``minimum``)."""
    counts = script_counts(text)
    counts.pop("Other", None)
    if not counts:
        return None
    script, n = counts.most_common(1)[0]
    return script if n >= minimum else None


def page_script(text: str, minimum: int = 3) -> str | None:
    """The script a page's reading model must cover: a non-Latin script as soon as it
    has a quarter of the letters (at least six), else the dominant one.  Arabic-script
    and Ge'ez posts carry Latin names, phone numbers and web addresses, and the app
    around them is often in English; Latin posts rarely carry Arabic script."""
    counts = script_counts(text)
    counts.pop("Other", None)
    total = sum(counts.values())
    for script in ("Arabic", "Ethiopic"):
        if counts[script] >= max(6, 0.25 * total):
            return script
    return dominant_script(text, minimum)


def fold_latin(text: str) -> str:
    """Lower case without accents (``Đi Anh an toàn`` -> ``di anh an toan``)."""
    text = text.lower().replace("đ", "d").replace("ı", "i")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tokens(text: str) -> list[str]:
    """Words of ``text``: runs of letters (apostrophes split words: ``l'arrivée``)."""
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch.isalpha():
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


@cache
def _lexicon_words() -> dict[str, frozenset[str]]:
    """Folded words of the lexicon terms that only one Latin language's file has
    (``calais`` and ``euro`` are everyone's, so they say nothing)."""
    from workstation.resources import resources_dir

    folder = resources_dir() / "lexicon"
    found: dict[str, set[str]] = {}
    for stem, lang in LEXICON_FILES.items():
        try:
            data = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        words: set[str] = set()
        for terms in (data.get("categories") or {}).values():
            for term in terms:
                words.update(_tokens(str(term)))
        found[lang] = {fold_latin(w) for w in words if len(w) >= 2}
    seen: Counter[str] = Counter(w for words in found.values() for w in words)
    return {lang: frozenset(w for w in words if seen[w] == 1) for lang, words in found.items()}


@cache
def _latin_words() -> dict[str, frozenset[str]]:
    return {lang: frozenset(words.split()) for lang, words in LATIN_WORDS.items()}


def _latin_scores(text: str, choices: Sequence[str]) -> dict[str, float]:
    lowered = text.lower()
    letters = Counter(ch for ch in lowered if ch.isalpha())
    words = [fold_latin(w) for w in _tokens(text)]
    lexicon = _lexicon_words()
    common = _latin_words()
    scores: dict[str, float] = {}
    for lang in choices:
        score = sum(weight * letters[ch] for ch, weight in LATIN_MARKERS.get(lang, {}).items())
        score -= 1.5 * sum(letters[ch] for ch in LATIN_FOREIGN.get(lang, ""))
        score += sum(1.0 for w in words if w in common.get(lang, ()))
        score += sum(0.5 for w in words if len(w) >= 4 and w in lexicon.get(lang, ()))
        scores[lang] = score
    return scores


def _arabic_guess(text: str, choices: Sequence[str]) -> tuple[str, float, float]:
    """Arabic-script language from marker letters; ``ara`` without any."""
    choices = list(choices) or ["ara", *ARABIC_MARKERS]
    counts = Counter(text)
    marks = {lang: sum(counts[ch] for ch in letters)
             for lang, letters in ARABIC_MARKERS.items()}
    arabic_only = sum(counts[ch] for ch in ARABIC_ONLY) + 2 * text.count("ال")
    for lang in ("pus", "urd", "ckb"):
        if lang in choices and marks[lang] >= 2 and marks[lang] >= 0.5 * max(
                (m for other, m in marks.items() if other not in ("fas", lang)), default=0):
            return lang, float(marks[lang]), float(marks[lang])
    if "fas" in choices and marks["fas"] >= 2 and marks["fas"] > 0.5 * arabic_only:
        return "fas", float(marks["fas"]), float(marks["fas"] - 0.5 * arabic_only)
    if "ara" in choices:
        return "ara", float(arabic_only), float(arabic_only)
    return choices[0], 0.0, 0.0


def _ethiopic_guess(text: str, choices: Sequence[str]) -> tuple[str, float, float]:
    choices = list(choices) or list(ETHIOPIC_WORDS)
    words = _tokens(text)
    scores = {}
    for lang, common in ETHIOPIC_WORDS.items():
        vocabulary = set(common.split())
        scores[lang] = float(sum(1 for w in words if w in vocabulary))
    scores["tir"] += 0.5 * text.count("ኣ")
    scores["amh"] += 0.5 * text.count("አ")
    ranked = sorted(((s, lang) for lang, s in scores.items() if lang in choices), reverse=True)
    if not ranked:
        return choices[0], 0.0, 0.0
    best, lang = ranked[0]
    runner = ranked[1][0] if len(ranked) > 1 else 0.0
    return lang, best, best - runner


def identify(text: str, script: str | None = None,
             choices: Iterable[str] | None = None) -> LanguageGuess | None:
    """The language of ``text`` among ``choices`` (Tesseract codes; all known ones when
    ``None``), within ``script`` (the text's dominant script when ``None``).  ``None``
    when the text has no letters of a script this module knows."""
    script = script or dominant_script(text, minimum=1)
    if script is None or script not in SCRIPTS:
        return None
    allowed = list(choices) if choices is not None else []
    if script == "Arabic":
        lang, score, margin = _arabic_guess(text, allowed)
        return LanguageGuess(lang, script, score, margin)
    if script == "Ethiopic":
        lang, score, margin = _ethiopic_guess(text, allowed)
        return LanguageGuess(lang, script, score, margin)
    latin = [c for c in (allowed or ["eng", *LATIN_MARKERS]) if c in LATIN_WORDS]
    if not latin:
        return LanguageGuess(allowed[0] if allowed else "eng", script, 0.0, 0.0)
    scores = _latin_scores(text, latin)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, score = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    if score <= 0 and "eng" in latin:
        return LanguageGuess("eng", script, scores.get("eng", 0.0), 0.0)
    return LanguageGuess(best, script, score, score - runner)


#: Evidence a single Latin line needs to be called another language than English.
LINE_MARGIN = 3.0


def line_languages(lines: Sequence[str], main_script: str | None,
                   choices: Iterable[str] | None = None) -> dict[int, str]:
    """The language of each line of ``lines`` (by index) whose script differs from
    ``main_script``: the Latin phone/web lines of a Persian post are ``eng`` (or what
    their letters say).  Lines with fewer than three letters are skipped."""
    allowed = list(choices) if choices is not None else None
    out: dict[int, str] = {}
    for index, line in enumerate(lines):
        script = dominant_script(line, minimum=3)
        if script is None or script == main_script:
            continue
        guess = identify(line, script, allowed)
        if guess is None:
            continue
        if script == "Latin" and guess.lang != "eng" and guess.margin < LINE_MARGIN:
            guess = identify(line, script, ["eng"])  # one short line: too little to tell
        if guess is not None:
            out[index] = guess.lang
    return out


_LANG_SCRIPT = {"eng": "Latin", "fra": "Latin", "tur": "Latin", "sqi": "Latin", "kmr": "Latin",
                "vie": "Latin", "ara": "Arabic", "fas": "Arabic", "pus": "Arabic",
                "urd": "Arabic", "ckb": "Arabic", "tir": "Ethiopic", "amh": "Ethiopic"}


def script_of_language(lang: str) -> str | None:
    """The script a language code is written in (``fas`` -> ``Arabic``), if known."""
    return _LANG_SCRIPT.get(lang)


def compact_lines(by_line: dict[int, str]) -> dict[str, str]:
    """``{4: "eng", 5: "eng", 9: "eng"}`` -> ``{"eng": "4-5,9"}``: line indices as ranges,
    short enough to keep with every run."""
    grouped: dict[str, list[int]] = {}
    for index in sorted(by_line):
        grouped.setdefault(by_line[index], []).append(index)
    out: dict[str, str] = {}
    for lang, indices in grouped.items():
        parts: list[str] = []
        start = prev = indices[0]
        for i in indices[1:]:
            if i != prev + 1:
                parts.append(str(start) if start == prev else f"{start}-{prev}")
                start = i
            prev = i
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        out[lang] = ",".join(parts)
    return out

"""The keyword lexicon: smuggling-advert vocabulary per language, and the flag decision.

The terms live in editable JSON files, one per language, in ``resources/lexicon/``
(the format is described in ``resources/lexicon/README.md``).  :meth:`Lexicon.match`
finds them in text regardless of case, accents, Arabic harakat and tatweel,
letter variants (ي/ی, ك/ک, ة/ه, أ/إ/آ → ا ...) and digit scripts, and reports each
hit with offsets into the *original* text.  :func:`score` turns hits into a flag:
a capture is flagged when a strong term is present, or when the hits cover at
least two categories, one of them a core one (crossing, boat, lorry, destination).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workstation.errors import WorkstationError
from workstation.resources import resources_dir
from workstation.textnorm import fold, fold_with_offsets

__all__ = [
    "CATEGORIES",
    "CORE_CATEGORIES",
    "KeywordHit",
    "KeywordScore",
    "Lexicon",
    "LexiconError",
    "default_directory",
    "fold",
    "fold_with_offsets",
    "score",
]

CATEGORIES: tuple[str, ...] = ("crossing", "boat", "lorry", "destination", "guarantee", "price",
                               "documents", "contact")
#: Categories that say what is sold; price, contact, guarantee and documents only support them.
CORE_CATEGORIES = frozenset({"crossing", "boat", "lorry", "destination"})


class LexiconError(WorkstationError):
    """A lexicon file is missing or malformed."""


def default_directory() -> Path:
    """``resources/lexicon`` of the application."""
    return resources_dir() / "lexicon"


# ---------------------------------------------------------------- data types
@dataclass(frozen=True, slots=True)
class KeywordHit:
    """One lexicon term found in a text; ``text[start:end]`` is what was matched."""

    term: str
    category: str
    language: str
    start: int
    end: int
    strong: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class KeywordScore:
    """The flag decision for a set of hits.

    ``score`` is the number of distinct categories plus two per distinct strong term;
    ``reason`` says in a sentence why the text is (not) flagged.
    """

    flagged: bool
    score: float
    categories: tuple[str, ...]
    strong_terms: tuple[str, ...]
    languages: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("categories", "strong_terms", "languages"):
            data[key] = list(data[key])
        return data


def score(hits: Iterable[KeywordHit], min_categories: int = 2) -> KeywordScore:
    """Flag when a strong term was hit, or when at least ``min_categories`` distinct
    categories were hit and one of them is a core category."""
    hits = list(hits)
    categories = tuple(c for c in CATEGORIES if any(h.category == c for h in hits))
    strong = tuple(sorted({h.term for h in hits if h.strong}))
    languages = tuple(sorted({h.language for h in hits}))
    core = [c for c in categories if c in CORE_CATEGORIES]
    if strong:
        flagged, reason = True, f"strong term: {', '.join(strong)}"
    elif len(categories) >= min_categories and core:
        flagged, reason = True, f"{len(categories)} categories: {', '.join(categories)}"
    elif not categories:
        flagged, reason = False, "no lexicon terms"
    elif not core:
        flagged, reason = False, f"no core category among: {', '.join(categories)}"
    else:
        flagged, reason = False, f"only {len(categories)} category: {', '.join(categories)}"
    return KeywordScore(flagged, float(len(categories) + 2 * len(strong)), categories, strong,
                        languages, reason)


@dataclass(frozen=True, slots=True)
class _Term:
    term: str
    category: str
    language: str
    strong: bool
    pattern: re.Pattern[str]
    needle: str  # a literal every match contains: skips the regex for most terms


_SPLIT_WORDS = re.compile(r"\s+")
_SPLIT_PARTS = re.compile(r"['\-]+")
_WORD_EDGE = re.compile(r"[^\W_]")


def _term_pattern(term: str, prefixes: Sequence[str]) -> re.Pattern[str]:
    """The regular expression of a term over folded text.

    Words separated by spaces match across any run of spaces, punctuation and line
    breaks; parts joined by an apostrophe or hyphen may also be written together.
    A final ``*`` lets the last word go on (suffixes); ``prefixes`` may be attached
    in front (Arabic و ب ل ال ...).  Otherwise the term must be whole words.
    """
    wildcard = term.endswith("*")
    folded = fold(term.rstrip("*")).strip()
    words = [w for w in _SPLIT_WORDS.split(folded) if w]
    if not words:
        raise ValueError("empty term")
    body = r"[\W_]+".join(
        r"[\W_]*".join(re.escape(p) for p in _SPLIT_PARTS.split(w) if p) or re.escape(w)
        for w in words)
    head = ""
    if _WORD_EDGE.match(folded[0]):
        head = r"(?<![^\W_])"
        folded_prefixes = sorted({fold(p) for p in prefixes if p.strip()}, key=len, reverse=True)
        if folded_prefixes:
            head += "(?:" + "|".join(re.escape(p) for p in folded_prefixes) + ")?"
    tail = ""
    if wildcard:
        tail = r"[^\W_]*"
    elif _WORD_EDGE.match(folded[-1]):
        tail = r"(?![^\W_])"
    return re.compile(head + body + tail)


def _needle(term: str) -> str:
    """The longest literal part of a term: every match of the term contains it."""
    parts = [p for w in _SPLIT_WORDS.split(fold(term.rstrip("*"))) for p in _SPLIT_PARTS.split(w)]
    return max(parts, key=len)


# -------------------------------------------------------------------- lexicon
class Lexicon:
    """The compiled terms of every language."""

    def __init__(self, terms: Sequence[_Term], names: Mapping[str, str]) -> None:
        self._terms = tuple(terms)
        self._names = dict(names)

    @classmethod
    def load(cls, directory: Path | str | None = None) -> Lexicon:
        """Read every ``*.json`` in ``directory`` (default: the application's
        ``resources/lexicon``).  Raises :class:`LexiconError` naming the file and the
        problem when one is malformed."""
        folder = Path(directory) if directory is not None else default_directory()
        if not folder.is_dir():
            raise LexiconError(f"The keyword lexicon folder {folder} does not exist.")
        files = sorted(folder.glob("*.json"))
        if not files:
            raise LexiconError(f"The keyword lexicon folder {folder} has no .json files.")
        terms: list[_Term] = []
        names: dict[str, str] = {}
        for path in files:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as exc:
                raise LexiconError(f"The lexicon file {path} is not UTF-8 text.") from exc
            except json.JSONDecodeError as exc:
                raise LexiconError(
                    f"The lexicon file {path} is not valid JSON (line {exc.lineno}, "
                    f"column {exc.colno}: {exc.msg}).") from exc
            language, name, language_terms = _parse_language(data, path.stem, str(path))
            if language in names:
                raise LexiconError(f"The lexicon file {path} repeats language {language!r}.")
            names[language] = name
            terms.extend(language_terms)
        return cls(terms, names)

    @classmethod
    def from_mapping(cls, languages: Mapping[str, Mapping[str, Any]]) -> Lexicon:
        """A lexicon from data already in memory: language code → file content."""
        terms: list[_Term] = []
        names: dict[str, str] = {}
        for code, data in languages.items():
            language, name, language_terms = _parse_language(data, code, f"<{code}>")
            names[language] = name
            terms.extend(language_terms)
        return cls(terms, names)

    @property
    def languages(self) -> dict[str, str]:
        """Language code → name, e.g. ``{"ar": "Arabic", ...}``."""
        return dict(self._names)

    def terms(self, language: str | None = None) -> list[tuple[str, str, str, bool]]:
        """``(term, category, language, strong)`` for every term (of ``language``)."""
        return [(t.term, t.category, t.language, t.strong) for t in self._terms
                if language is None or t.language == language]

    def match(self, text: str) -> list[KeywordHit]:
        """Every term found in ``text``, ordered by position.

        A hit lying inside a longer hit of the same category is left out, as are
        repeats of the same span and category from another language.
        """
        if not text:
            return []
        folded, offsets = fold_with_offsets(text)
        raw: list[tuple[int, int, _Term]] = []
        for term in self._terms:
            if term.needle not in folded:
                continue
            for m in term.pattern.finditer(folded):
                if m.end() > m.start():
                    raw.append((m.start(), m.end(), term))
        raw.sort(key=lambda r: (r[0], -r[1]))
        kept: list[tuple[int, int, _Term]] = []
        reach: dict[str, int] = {}  # category -> furthest end of a kept hit (started earlier)
        for start, end, term in raw:
            if reach.get(term.category, -1) >= end:
                continue  # inside (or equal to) a hit of the same category
            reach[term.category] = end
            kept.append((start, end, term))
        return [KeywordHit(t.term, t.category, t.language, *_original_span(text, offsets, s, e),
                           t.strong) for s, e, t in kept]

    def score(self, hits: Iterable[KeywordHit], min_categories: int = 2) -> KeywordScore:
        """:func:`score` (a method too, for callers holding a lexicon)."""
        return score(hits, min_categories)

    def assess(self, text: str) -> tuple[list[KeywordHit], KeywordScore]:
        """The hits in ``text`` and their score."""
        hits = self.match(text)
        return hits, score(hits)


def _original_span(text: str, offsets: Sequence[int], start: int, end: int) -> tuple[int, int]:
    original_start = offsets[start]
    original_end = offsets[end - 1] + 1
    # Take along marks and tatweel that follow the last letter (they fold to nothing).
    while original_end < len(text) and (unicodedata.category(text[original_end]) == "Mn"
                                        or text[original_end] == "\u0640"):
        original_end += 1
    return original_start, original_end


def _parse_language(data: Any, default_code: str, where: str
                    ) -> tuple[str, str, list[_Term]]:
    def fail(problem: str) -> LexiconError:
        return LexiconError(f"The lexicon file {where} is malformed: {problem}.")

    if not isinstance(data, Mapping):
        raise fail("the top level must be an object")
    language = data.get("language", default_code)
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)?",
                                                         language):
        raise fail(f"\"language\" must be a language code like \"en\", not {language!r}")
    name = data.get("name", language)
    if not isinstance(name, str):
        raise fail("\"name\" must be a string")
    prefixes = data.get("prefixes", [])
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise fail("\"prefixes\" must be a list of strings")
    categories = data.get("categories")
    if not isinstance(categories, Mapping) or not categories:
        raise fail("\"categories\" must be an object of category → list of terms")
    strong_list = data.get("strong", [])
    if not isinstance(strong_list, list) or not all(isinstance(s, str) for s in strong_list):
        raise fail("\"strong\" must be a list of strings")
    strong = {fold(s.strip()) for s in strong_list}
    listed: set[str] = set()
    terms: list[_Term] = []
    for category, entries in categories.items():
        if category not in CATEGORIES:
            raise fail(f"unknown category {category!r} (known: {', '.join(CATEGORIES)})")
        if not isinstance(entries, list):
            raise fail(f"category {category!r} must be a list of terms")
        seen: set[str] = set()
        for entry in entries:
            if not isinstance(entry, str) or not entry.strip().rstrip("*").strip():
                raise fail(f"category {category!r} has an empty or non-text term {entry!r}")
            term = entry.strip()
            if not _WORD_EDGE.search(fold(term)):
                raise fail(f"term {term!r} has no letter or digit")
            if "*" in term.rstrip("*") or term.endswith("**"):
                raise fail(f"term {term!r}: \"*\" is only allowed once, at the end")
            key = fold(term)
            listed.add(key)
            if key in seen:
                continue
            seen.add(key)
            terms.append(_Term(term, category, language, key in strong,
                               _term_pattern(term, prefixes), _needle(term)))
    missing = sorted(s for s in strong_list if fold(s.strip()) not in listed)
    if missing:
        raise fail(f"strong terms must also be listed in a category: {', '.join(missing)}")
    return language, name, terms

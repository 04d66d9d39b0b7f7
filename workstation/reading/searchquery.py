"""What a person types into the search box, as an FTS5 query, and the snippets shown.

Why here and not in SQL: the index holds *folded* text (``workstation.textnorm.fold``:
case, accents, harakat and Arabic/Persian letter variants removed), so FTS5's own
``snippet()`` can only show folded text — Arabic with Persian letter shapes, French
without its accents.  The snippet is made here instead, from the text as read: each
whitespace-separated piece of the original is folded on its own (with offsets back to
the original), matched against the query's folded terms, and the best window of words
is shown with the matches marked ``[`` … ``]`` (literal brackets in the text are shown
as fullwidth ``［ ］`` so the marks stay unambiguous).

Cross-script synonyms come from ``resources/lexicon/synonyms/search.json`` (data, not
code): a term of a group — or, while typing, a prefix of three characters or more of
one — becomes an OR-group of every term of that group, so ``whatsapp`` finds ``واتساب``
and ``واتس اب``.  ``lang:fas`` (or ``lang:persian``) finds captures whose advert is
in that language (the service indexes ``langfas`` and the language's names).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from workstation.errors import WorkstationError
from workstation.textnorm import fold

#: Folded tokens as FTS5's unicode61 tokenizer cuts them (letters and digits).
_TOKEN = re.compile(r"[^\W_]+")
_CHUNK = re.compile(r"\S+")
#: Shortest typed prefix that expands into a synonym group.
PREFIX_MIN = 3
#: Words of context a snippet shows (as FTS5's snippet() did).
SNIPPET_WORDS = 12
LANG_TOKEN = "lang"
SYNONYM_TOKEN = "syn"

Alternative = tuple[tuple[str, ...], bool]  # (folded tokens, last one is a prefix)


def tokens(text: str) -> tuple[str, ...]:
    """The folded tokens of ``text``."""
    return tuple(_TOKEN.findall(fold(text)))


@lru_cache(maxsize=256)
def _name_tokens(name: str) -> tuple[str, ...]:
    return tokens(name)


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Groups of terms that find each other, and the words naming advert languages."""

    groups: tuple[tuple[Alternative, ...], ...]
    languages: dict[str, tuple[str, ...]]  # code -> names
    by_tokens: dict[tuple[str, ...], tuple[int, ...]]  # a term's tokens -> its groups
    #: Per group, the token the index adds for every occurrence of one of its terms
    #: (``synwhatsapp``), so that a query asks for one token, not an OR of twenty.
    keys: tuple[str, ...] = ()
    longest: int = 1  # tokens in the longest term

    @classmethod
    def from_mapping(cls, data: Any, where: str = "<synonyms>") -> Synonyms:
        def fail(problem: str) -> WorkstationError:
            return WorkstationError(f"The search synonyms file {where} is malformed: {problem}.")

        if not isinstance(data, dict):
            raise fail("the top level must be an object")
        groups, keys = [], []
        for group in data.get("groups", []):
            terms = group.get("terms") if isinstance(group, dict) else None
            if not isinstance(terms, list) or not terms or not all(
                    isinstance(t, str) for t in terms):
                raise fail("each group needs \"terms\", a list of strings")
            folded = tuple(dict.fromkeys((tokens(t), False) for t in terms if tokens(t)))
            key = SYNONYM_TOKEN + "".join(tokens(str(group.get("name") or terms[0])))
            if not re.fullmatch(r"[a-z0-9]+", key) or key in keys:
                raise fail(f"group {group.get('name')!r} needs a distinct Latin \"name\"")
            groups.append(folded)
            keys.append(key)
        languages = data.get("languages", {})
        if not isinstance(languages, dict) or not all(
                isinstance(v, list) and all(isinstance(n, str) for n in v)
                for v in languages.values()):
            raise fail("\"languages\" must map a code to a list of names")
        index: dict[tuple[str, ...], tuple[int, ...]] = {}
        for k, group in enumerate(groups):
            for toks, _ in group:
                index[toks] = (*index.get(toks, ()), k)
        return cls(tuple(groups), {str(k): tuple(v) for k, v in languages.items()}, index,
                   tuple(keys), max((len(t) for t in index), default=1))

    def _groups(self, toks: tuple[str, ...], prefix: bool) -> tuple[Sequence[int], bool]:
        """The groups a typed term belongs to — as a whole term, or (while typing) as a
        prefix of three letters or more of one — and whether it is a prefix."""
        found: Sequence[int] = () if prefix else self.by_tokens.get(toks, ())
        if not found and len(toks) == 1 and len(toks[0]) >= PREFIX_MIN:
            found = [k for k, group in enumerate(self.groups)
                     if any(g[0].startswith(toks[0]) for g, _ in group if len(g) == 1)]
            prefix = prefix or bool(found)
        return found, prefix

    def fts_alternatives(self, toks: tuple[str, ...], prefix: bool) -> list[Alternative]:
        """What the index is asked for a typed term: its groups' tokens (and the term
        itself when it is a prefix)."""
        found, prefix = self._groups(toks, prefix)
        keys: list[Alternative] = [((self.keys[k],), False) for k in found]
        return [(toks, prefix), *keys] if prefix or not keys else keys

    def index_words(self, text: str) -> str:
        """The group tokens for ``text``: one per occurrence of a term of a group."""
        toks = _TOKEN.findall(fold(text))
        out: list[str] = []
        for i in range(len(toks)):
            for n in range(1, min(self.longest, len(toks) - i) + 1):
                out += [self.keys[k] for k in self.by_tokens.get(tuple(toks[i:i + n]), ())]
        return " ".join(out)

    def expand(self, toks: tuple[str, ...], prefix: bool) -> list[Alternative]:
        """Every term a typed term stands for (itself first), to mark in snippets."""
        found, prefix = self._groups(toks, prefix)
        alternatives: list[Alternative] = [(toks, prefix)]
        for k in found:
            alternatives += [a for a in self.groups[k] if a not in alternatives
                             and a != (toks, False)]
        return alternatives

    def language_codes(self, value: str) -> list[str]:
        """Codes named by ``value`` (a code such as ``fas`` or a name such as ``persian``)."""
        wanted = fold(value).strip()
        if wanted in self.languages:
            return [wanted]
        return [code for code, names in self.languages.items()
                if wanted in (fold(n) for n in names)] or [wanted]

    def language_words(self, codes: Iterable[str]) -> str:
        """What the index's metadata holds for advert languages ``codes``: one token per
        language (``langfas``).  Their names are not indexed with every capture (before
        0012 they were, about 40 bytes a capture): a typed name asks for the token
        (:meth:`named_languages`)."""
        words: list[str] = []
        for code in codes:  # a code without names (not in the file) is its own name
            words += [f"{LANG_TOKEN}{code}"] if code in self.languages else [
                f"{LANG_TOKEN}{code}", code]
        return " ".join(dict.fromkeys(words))

    def named_languages(self, toks: tuple[str, ...], prefix: bool) -> list[str]:
        """Codes of the languages a typed term names: one of their names holds ``toks``
        as words in a row (the last as a prefix when ``prefix``) — what finding the
        names among the indexed words gave before 0012."""
        n = len(toks)
        found: list[str] = []
        for code, names in self.languages.items():
            for name in names:
                words = _name_tokens(name)
                if any(words[k:k + n - 1] == toks[:-1] and (
                        words[k + n - 1].startswith(toks[-1]) if prefix
                        else words[k + n - 1] == toks[-1])
                       for k in range(len(words) - n + 1)):
                    found.append(code)
                    break
        return found


def indicator_words(indicators: Iterable[tuple[str, str]]) -> str:
    """What the index's indicators column holds for (value as found, normalized) pairs:
    each word of the values (``+44 7700 900123``: a value may start or end inside a word
    of the text it was found in, ``واتساب07700900123``), of the normalized forms
    (``447700900123``, ``gbp 1200``) and their digits run together — each once (0012:
    the same number found as a phone and as a WhatsApp contact, or a value equal to its
    normalized form, was indexed two to six times)."""
    words: dict[str, None] = {}
    for value, normalized in indicators:
        words |= dict.fromkeys(tokens(value))
        words |= dict.fromkeys(tokens(normalized))
        if digits := re.sub(r"[^0-9]", "", normalized):
            words[digits] = None
    return " ".join(words)


@cache
def load_synonyms(path: str | None = None) -> Synonyms:
    """The synonyms file (default: the application's)."""
    from workstation.resources import resources_dir

    file = Path(path) if path else resources_dir() / "lexicon" / "synonyms" / "search.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkstationError(f"Cannot read the search synonyms {file}: {exc}") from None
    return Synonyms.from_mapping(data, str(file))


# ------------------------------------------------------------------ the query
@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: ``terms`` (each a list of alternatives, all must match unless
    ``OR`` stands between them) and the FTS5 ``match`` expression."""

    match: str
    terms: tuple[tuple[Alternative, ...], ...]


def _phrase(alternative: Alternative) -> str:
    toks, prefix = alternative
    return f'"{" ".join(toks)}"' + ("*" if prefix else "")


def _group_at(words: Sequence[str], start: int, synonyms: Synonyms
              ) -> tuple[tuple[str, ...], int]:
    """The longest run of typed words from ``start`` that is a synonym term (several
    words typed as they are in a group, e.g. ``واتس اب``), as tokens, and its length."""
    for length in range(min(4, len(words) - start), 1, -1):
        run = words[start:start + length]
        if any(w == "OR" or w.endswith("*") or w.lower().startswith("lang:") for w in run):
            continue
        toks = tokens(" ".join(run))
        if toks in synonyms.by_tokens:
            return toks, length
    return tokens(words[start].rstrip("*")), 1


_NUMBER_WORD = re.compile(r"\+?[0-9][0-9\-.()]*")


def _number_at(words: Sequence[str], start: int) -> int:
    """How many typed words from ``start`` make one number written in groups
    (``+44 7700 900123``): two or more words of digits, six digits or more in all."""
    end = start
    while end < len(words) and _NUMBER_WORD.fullmatch(fold(words[end])):
        end += 1
    digits = sum(len(re.sub(r"[^0-9]", "", fold(w))) for w in words[start:end])
    return end - start if end - start >= 2 and digits >= 6 else 0


def parse(text: str, synonyms: Synonyms | None = None) -> Query:
    """A safe FTS5 query from what a person typed: every word must match; ``word*`` is a
    prefix; ``OR`` between words is kept; ``lang:CODE`` or ``lang:NAME`` asks for the
    advert's language; a synonym (or a typed prefix of one) matches its whole group."""
    synonyms = synonyms or load_synonyms()
    words = text.split()
    parts: list[str] = []
    terms: list[tuple[Alternative, ...]] = []
    k = 0
    while k < len(words):
        raw = words[k]
        if raw == "OR":
            if parts and parts[-1] != "OR":
                parts.append("OR")
            k += 1
            continue
        if raw.lower().startswith("lang:") and tokens(raw[5:]):
            codes = synonyms.language_codes(" ".join(tokens(raw[5:])))
            alternatives: list[Alternative] = [((f"{LANG_TOKEN}{c}",), False) for c in codes]
            k += 1
        elif used := _number_at(words, k):
            # A number typed in groups is one number: the groups in a row, as printed,
            # or all its digits together (as the indicators column holds them).
            toks = tokens(" ".join(words[k:k + used]))
            alternatives = [(toks, False), (("".join(toks),), False)]
            terms.append(tuple(alternatives))
            k += used
        else:
            toks, used = _group_at(words, k, synonyms)
            prefix = used == 1 and raw.endswith("*")
            k += used
            if not toks:
                continue
            terms.append(tuple(synonyms.expand(toks, prefix)))
            alternatives = synonyms.fts_alternatives(toks, prefix) + [
                ((f"{LANG_TOKEN}{code}",), False)
                for code in synonyms.named_languages(toks, prefix)]
        phrases = [_phrase(a) for a in alternatives]
        parts.append(phrases[0] if len(phrases) == 1 else f"({' OR '.join(phrases)})")
    while parts and parts[-1] == "OR":
        parts.pop()
    if not parts:
        raise WorkstationError("The search is empty: type a word, number or handle.")
    joined = [parts[0]]
    for previous, part in pairwise(parts):
        # FTS5 needs an explicit AND before a parenthesised group (same precedence).
        joined += [part] if "OR" in (previous, part) else ["AND", part]
    return Query(" ".join(joined), tuple(terms))


# ----------------------------------------------------------------- snippets
class _FoldTable(dict[int, str]):
    """``str.translate`` table of :func:`fold`, one character at a time, filled as
    characters are met."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()
#: Marks in :class:`_FoldArrays`'s table (above every code point): a character not yet
#: looked at, one folding to several characters (ligatures), one folding to nothing.
_UNKNOWN, _SEVERAL, _NOTHING = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


class _FoldArrays:
    """:func:`fold` one character at a time as a table over code points, filled as
    characters are met: what a character folds to when it folds to exactly one, else
    ``_NOTHING`` (harakat, tatweel, variation selectors), ``_SEVERAL`` (ligatures) or
    ``_UNKNOWN`` (not yet looked at).  One look-up and one ``max`` tell a text's case."""

    def __init__(self) -> None:
        self.to = np.full(sys.maxunicode + 1, _UNKNOWN, dtype=np.uint32)

    def lookup(self, codes: np.ndarray) -> tuple[np.ndarray, int]:
        """What ``codes`` fold to (or the marks), and the largest of those."""
        mapped = self.to[codes]
        top = int(mapped.max())
        if top == _UNKNOWN:
            for code in np.unique(codes[mapped == _UNKNOWN]).tolist():
                folded = _FOLD_TABLE[code]
                self.to[code] = (ord(folded) if len(folded) == 1 else
                                 _NOTHING if not folded else _SEVERAL)
            mapped = self.to[codes]
            top = int(mapped.max())
        return mapped, top


@cache
def _fold_arrays() -> _FoldArrays:
    return _FoldArrays()


def _fold_map(text: str) -> tuple[str, np.ndarray | None]:
    """``fold(text)`` and, when it is not the same length, the position in ``text`` of
    each of its characters (None: position k is k).

    Why not ``fold_with_offsets``: it walks the text in Python, a character at a time,
    and a search makes fifty snippets while the analyst types (even ``str.translate``
    costs a lookup per character: 0.1-0.2 ms an advert).  Here the characters are looked
    up all at once (numpy, over code points)."""
    if text.isascii():
        return (text.lower().replace("`", "'") if "`" in text else text.lower()), None
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped, top = _fold_arrays().lookup(codes)
    if top < _NOTHING:  # every character folds to one
        return mapped.tobytes().decode("utf-32-le", "surrogatepass"), None
    if top == _NOTHING:  # and some to nothing (harakat, tatweel)
        kept = mapped != _NOTHING
        return mapped[kept].tobytes().decode("utf-32-le", "surrogatepass"), np.flatnonzero(kept)
    sizes = [len(_FOLD_TABLE[code]) for code in codes.tolist()]
    return text.translate(_FOLD_TABLE), np.repeat(np.arange(len(codes)), sizes)


@lru_cache(maxsize=256)
def _term_pattern(alternatives: tuple[Alternative, ...]) -> re.Pattern[str]:
    """A regular expression over folded text matching any of ``alternatives`` as whole
    tokens (the last one may go on when it is a prefix).  The token must also start
    where a token starts: :func:`_matches` checks that, because a look-behind here
    would be tried at every position of the text (seven times slower) where the
    alternatives alone let ``re`` skip ahead to their first letters."""
    bodies = sorted((r"[\W_]+".join(re.escape(t) for t in toks) + (r"[^\W_]*" if prefix else "")
                     for toks, prefix in alternatives), key=len, reverse=True)
    return re.compile(r"(?:" + "|".join(bodies) + r")(?![^\W_])")


_WORD_CHARS = re.compile(r"[^\W_]*")


def _matches(pattern: re.Pattern[str], folded: str) -> Iterator[tuple[int, int]]:
    """The spans of ``pattern`` in ``folded`` that start a token, as ``finditer`` would
    find them with a look-behind in front (no letter or digit just before)."""
    at = 0
    while (m := pattern.search(folded, at)) is not None:
        start = m.start()
        if start and _WORD_CHARS.fullmatch(folded, start - 1, start):
            run = _WORD_CHARS.match(folded, start)  # no token starts before its end
            at = run.end() if run else start + 1
            continue
        yield start, m.end()
        at = m.end()


def _original(text: str, offsets: np.ndarray | None, start: int, end: int
              ) -> tuple[int, int]:
    """The span of ``text`` a folded span comes from (marks after it included)."""
    if offsets is None:
        return start, end
    start, end = int(offsets[start]), int(offsets[end - 1]) + 1
    while end < len(text) and (unicodedata.category(text[end]) == "Mn"
                               or text[end] == "\u0640"):
        end += 1
    return start, end


def _escape(text: str) -> str:
    return text.replace("[", "\uff3b").replace("]", "\uff3d")


def snippet(text: str, terms: Sequence[Sequence[Alternative]],
            extra: Iterable[tuple[int, int]] = (), words: int = SNIPPET_WORDS
            ) -> tuple[str, int]:
    """The best window of ``words`` words of ``text`` (as read) with the matches of
    ``terms`` — and the character spans ``extra`` — marked, and how many terms (or
    extra spans) matched (0: nothing to show)."""
    folded, offsets = _fold_map(text)
    spans = list(extra)
    matched = len(spans)
    for alternatives in terms:
        found = [_original(text, offsets, *span)
                 for span in _matches(_term_pattern(tuple(alternatives)), folded)]
        matched += bool(found)
        spans += found
    if not spans:
        return "", 0
    begin, end = _window(text, sorted(spans), words)
    out, at = [], begin
    for s, e in _merged(spans):
        if e <= begin or s >= end:
            continue
        s, e = max(s, begin), min(e, end)
        out += [_escape(text[at:s]), "[", _escape(text[s:e]), "]"]
        at = e
    out.append(_escape(text[at:end]))
    body = " ".join("".join(out).split())
    return ("…" if text[:begin].strip() else "") + body + (
        "…" if text[end:].strip() else ""), matched


def _window(text: str, spans: list[tuple[int, int]], words: int) -> tuple[int, int]:
    """The character range of the ``words``-word window holding the most matches: it
    starts two words before the first match of the densest stretch of text."""
    reach = 8 * words  # about as many characters as ``words`` words
    best, best_count, j = spans[0][0], 0, 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][0] < start + reach:
            j += 1
        if j - i + 1 > best_count:
            best, best_count = start, j - i + 1
    # Two whole words before the word the match is in (looking back 80 characters at
    # most; three when the match starts a line), then ``words`` words (looking 40
    # characters a word ahead at most).
    before = [m.start() for m in _CHUNK.finditer(text, max(0, best - 80), best)]
    stop = best - 1 if best and text[best - 1] == "\n" else best
    back = 3 if stop and not text[stop - 1].isspace() else 2
    begin = before[-back] if len(before) >= back else before[0] if before else stop
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    ahead = _ahead(words).match(text, begin, begin + 40 * words) if words > 0 else None
    end = ahead.end() if ahead else begin
    for s, e in spans:  # never cut a match in two
        if s < end < e:
            end = e
    return begin, max(end, min(len(text), spans[0][1]))


@cache
def _ahead(words: int) -> re.Pattern[str]:
    """Up to ``words`` whitespace-separated words (the end of the last is the match's)."""
    return re.compile(r"\s*\S+(?:\s+\S+){0," + str(words - 1) + "}")


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def plain(text: str, words: int = SNIPPET_WORDS) -> str:
    """The start of ``text`` (no match to show), as a snippet."""
    pieces = text.split()
    head = " ".join(_escape(p) for p in pieces[:words])
    return head + ("…" if len(pieces) > words else "")


def hit_snippet(terms: Sequence[Sequence[Alternative]], texts: Sequence[str],
                indicators: Sequence[tuple[str, str]] = ()) -> str:
    """The snippet of one hit: the best of ``texts`` (OCR text as read, notes, metadata)
    with the matches marked.  When the texts do not show every term, an indicator whose
    normalised form matched (a phone typed as ``+447700900123`` against
    ``+44 7700 900123`` as read) is marked where its value stands in the text."""
    best, best_count = _best_of(terms, texts, [])
    if best_count >= len(terms) and best:
        return best
    patterns = [_term_pattern(tuple(alternatives)) for alternatives in terms]
    values = []
    for value, normalized in indicators:
        digits = re.sub(r"[^0-9]", "", normalized)
        folded = f"{normalized} {digits}".translate(_FOLD_TABLE)
        if any(p.search(folded) for p in patterns):
            values.append(value)
    if values:
        best, _ = _best_of(terms, texts, values)
    if best:
        return best
    if values:
        return " ".join(f"[{_escape(v)}]" for v in dict.fromkeys(values))
    return plain(next((t for t in texts if t.strip()), ""))


def _best_of(terms: Sequence[Sequence[Alternative]], texts: Sequence[str],
             values: Sequence[str]) -> tuple[str, int]:
    """The snippet of the text showing the most terms (and indicator ``values``)."""
    best, best_count = "", 0
    for text in texts:
        if not text:
            continue
        extra = [(at, at + len(v)) for v in values if (at := text.find(v)) >= 0]
        found, count = snippet(text, terms, extra)
        if count > best_count:
            best, best_count = found, count
        if best_count >= len(terms) + len(values):
            break  # every term is shown: the later texts cannot do better
    return best, best_count

"""Phone numbers in advert text: runs of digits with the separators people use, read
against the region hints (E.164), with dates, years and prices kept out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from workstation.reading.indicators.model import Found, masked

# ------------------------------------------------------------------ phones
_DRAMA_RE = re.compile(
    r"\+44(?:7700900|2079460|1632960|1(?:1[3-8]|[2-69]1)4960|2896496|2920180|3069990"
    r"|8081570|9098790)\d{3}")


_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


_SCRIPT_REGIONS = {"arabic": ("IQ",), "persian": ("IR", "AF")}


def _parse(number: str, region: str | None) -> tuple[str, bool] | None:
    """``(E.164, is mobile)`` for a valid (or Ofcom drama) number, else ``None``."""
    try:
        parsed = phonenumbers.parse(number, region)
    except NumberParseException:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(parsed):
        return e164, phonenumbers.number_type(parsed) in _MOBILE_TYPES
    if _DRAMA_RE.fullmatch(e164):
        return e164, e164.startswith("+447")
    return None


def is_mobile(e164: str) -> bool:
    """Whether a valid E.164 number is a mobile one (or an Ofcom drama mobile)."""
    parsed = _parse(e164, None)
    return bool(parsed and parsed[1])


def e164_of(number: str) -> str | None:
    parsed = _parse(number, None)
    return parsed[0] if parsed else None


@lru_cache(maxsize=256)
def _has_trunk_prefix(region: str) -> bool:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return bool(metadata is not None and metadata.national_prefix)


def _readings(digits: str, international: bool, regions: Sequence[str]
              ) -> tuple[str, tuple[str, ...]] | None:
    """The best E.164 reading of ``digits`` and the other valid ones."""
    if international:
        number = e164_of("+" + digits)
        return (number, ()) if number else None
    options: list[tuple[str, bool]] = []
    trunk = digits.startswith("0")
    if not trunk:
        guess = _parse("+" + digits, None)  # "447911123456", as copied from a wa.me link
        if guess:
            options.append(guess)
    for region in regions:
        # Without "+", "00" or a trunk "0", only regions that dial without a trunk
        # prefix (Italy) can read the number: elsewhere people write the "0".
        if trunk or not _has_trunk_prefix(region):
            parsed = _parse(digits, region)
            if parsed:
                options.append(parsed)
    if not trunk:
        # And only mobile numbers: an advert's numbers are mobiles, and short
        # landline forms look like amounts and reference numbers.
        options = [o for o in options if o[1]]
    if not options:
        return None
    ranked = sorted(range(len(options)), key=lambda i: (not options[i][1], i))
    best, best_mobile = options[ranked[0]]
    # Other readings of the same kind: a mobile number's landline readings are noise.
    others = tuple(dict.fromkeys(options[i][0] for i in ranked[1:]
                                 if options[i][0] != best and options[i][1] == best_mobile))
    return best, others


_H_SPACE = r" \t\u00a0\u2000-\u200b\u202f\u205f\u3000"


_PHONE_SEP = rf"[{_H_SPACE}.\-\u2010-\u2015/()]"


_PHONE_RE = re.compile(rf"(?<![A-Za-z0-9_+])(?:\+|\(\+?)?\d(?:{_PHONE_SEP}{{0,3}}\d)*")


#: A run of digits with the separators people put in phone numbers (a candidate).
PHONE_RE = _PHONE_RE


_DIGITS_RE = re.compile(r"\d+")


_DATE_RE = re.compile(
    r"(?<![\d./\-])(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2})"
    r"(?![./\-]?\d)")


_YEAR_RE = re.compile(r"(?:19[5-9]\d|20[0-4]\d)")


_CURRENCY_AFTER = re.compile(r"[ \u00a0]?(?:[€£$]|(?i:eur|gbp|usd|euros?|pounds?)(?![a-z]))")


_CURRENCY_BEFORE = re.compile(r"(?:[€£$]|(?i:eur|gbp|usd))[ \u00a0]?$")


def find_phones(work: str, original: str, regions: Sequence[str]) -> list[Found]:
    work = masked(work, (m.span() for m in _DATE_RE.finditer(work)))
    found: list[Found] = []
    for m in _PHONE_RE.finditer(work):
        groups = [g.span() for g in _DIGITS_RE.finditer(work, m.start(), m.end())]
        plus = work[m.start()] in "+(" and "+" in work[m.start():groups[0][0]]
        first = 0
        for k in range(1, len(groups) + 1):
            if k == len(groups) or _strong_separator(original[groups[k - 1][1]:groups[k][0]]):
                found.extend(_phone_run(work, original, m.start(), groups, range(first, k),
                                        plus, regions))
                first = k
    return found


def _strong_separator(sep: str) -> bool:
    """``" / "``, ``" - "`` or a wide gap: numbers listed side by side, not one number.
    ``sep`` is as written: direction marks around each group of digits (as copied from
    right-to-left text) are no gap."""
    spaces = sum(ch.isspace() for ch in sep)
    return spaces >= 2 or (spaces >= 1 and any(ch in "/-\u2010\u2011\u2012\u2013\u2014\u2015"
                                               for ch in sep))


def _phone_run(work: str, original: str, candidate_start: int,
               groups: Sequence[tuple[int, int]], run: range, plus: bool,
               regions: Sequence[str]) -> list[Found]:
    """The numbers in digit groups ``run``: each group must belong to one, except years
    in front ("since 2019 07911 123456"); otherwise the run is something else (a
    table of figures, a reference number) and gives nothing."""
    found: list[Found] = []
    covered: set[int] = set()
    next_free = run.start
    for i in run:
        if i < next_free:
            continue
        if i > next_free and not work.startswith("0", groups[i][0]):
            continue  # after digits that are no number, only a trunk "0" or "00" starts one
        # A number has at most 17 digits ("00" and 15): no need to look further.
        for j in range(min(run.stop - 1, i + 16), i - 1, -1):
            hit = _phone_segment(work, original, candidate_start, groups, i, j,
                                 plus and i == 0, regions)
            if hit:
                found.append(hit)
                covered.update(range(i, j + 1))
                next_free = j + 1
                break
    if not found:
        return []
    first = min(covered)
    for k in run:
        if k not in covered and not (k < first and _YEAR_RE.fullmatch(work[slice(*groups[k])])):
            return []
    return found


def _separator_kind(sep: str) -> str | None:
    if "(" in sep or ")" in sep:
        return None
    if "." in sep:
        return "."
    if "/" in sep:
        return "/"
    if any(ch in "-\u2010\u2011\u2012\u2013\u2014\u2015" for ch in sep):
        return "-"
    return " "


def _plausible_shape(work: str, groups: Sequence[tuple[int, int]], i: int, j: int,
                     international: bool) -> bool:
    """Whether digit groups ``i``..``j`` are written like a phone number: the national
    part does not begin with a lone digit, at most one one-digit group ("+33 6 12 ...")
    besides a "(0)", and one kind of separator (another allowed once, and the one
    after a country code and around parentheses not counted)."""
    sizes = [b - a for a, b in groups[i:j + 1]]
    if not international and sizes[0] < 2:
        return False
    singles = sum(1 for (a, b), size in zip(groups[i:j + 1], sizes, strict=True)
                  if size == 1 and not (work[a - 1:a] == "(" and work[b:b + 1] == ")"))
    if singles > 1:
        return False
    kinds: dict[str, int] = {}
    for k in range(i + 1 if international else i, j):
        kind = _separator_kind(work[groups[k][1]:groups[k + 1][0]])
        if kind:
            kinds[kind] = kinds.get(kind, 0) + 1
    return len(kinds) <= 1 or (len(kinds) == 2 and min(kinds.values()) == 1)


def _phone_segment(work: str, original: str, candidate_start: int,
                   groups: Sequence[tuple[int, int]], i: int, j: int, plus: bool,
                   regions: Sequence[str]) -> Found | None:
    digits = "".join(work[a:b] for a, b in groups[i:j + 1])
    international = plus
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if not 7 <= len(digits) <= 15 or len(digits.lstrip("0")) < 6:
        return None
    if not international and i < j and _YEAR_RE.fullmatch(work[groups[i][0]:groups[i][1]]):
        return None
    if not _plausible_shape(work, groups, i, j, international):
        return None
    start = candidate_start if plus else groups[i][0]
    end = groups[j][1]
    if work[start] == "(" and ")" not in work[start:end]:
        start += 1
    if _CURRENCY_AFTER.match(work, end) or _CURRENCY_BEFORE.search(work, max(0, start - 5),
                                                                     start):
        return None
    ordered = _script_order(original[groups[i][0]:end], regions)
    readings = _readings(digits, international, ordered)
    if readings is None:
        return None
    return Found("phone", start, end, readings[0], readings[1])


def _script_order(written: str, regions: Sequence[str]) -> Sequence[str]:
    """Region hints reordered for numbers written in Arabic-Indic or Persian digits."""
    if any("\u06f0" <= ch <= "\u06f9" for ch in written):
        first = _SCRIPT_REGIONS["persian"]
    elif any("\u0660" <= ch <= "\u0669" for ch in written):
        first = _SCRIPT_REGIONS["arabic"]
    else:
        return regions
    preferred = [r for r in first if r in regions]
    return preferred + [r for r in regions if r not in preferred]

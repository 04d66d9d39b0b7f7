"""Extracting every indicator from a text: messaging links, URLs, e-mail addresses,
handles, prices and wallets (phones in :mod:`.phones`), overlaps resolved."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

import phonenumbers

from workstation.reading.indicators.attention import Attention, lowest_confidence
from workstation.reading.indicators.checksums import (
    is_valid_base58_address,
    is_valid_eth_address,
    is_valid_segwit_address,
)
from workstation.reading.indicators.joins import Layout, join_links, join_phones, misread_plus
from workstation.reading.indicators.labels import (
    TELEGRAM_LABELS,
    WHATSAPP_LABELS,
    platform_before,
    platform_of_url,
)
from workstation.reading.indicators.model import (
    _MASK,
    DEFAULT_REGIONS,
    KINDS,
    Box,
    Found,
    Indicator,
    InvalidRegionHint,
    WordLike,
    align_words,
    box_for_span,
    masked,
    prepare_text,
)
from workstation.reading.indicators.phones import e164_of, find_phones

"""A box in image pixels: ``(x, y, w, h)``."""


_CRYPTO_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?P<eth>0x[0-9a-fA-F]{40})"
    r"|(?P<bech>(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,87})"
    r"|(?P<b58>[13][1-9A-HJ-NP-Za-km-z]{25,34})"
    r"|(?P<tron>T[1-9A-HJ-NP-Za-km-z]{33})"
    r")(?![A-Za-z0-9])")


def _crypto(work: str) -> list[Found]:
    found = []
    for m in _CRYPTO_RE.finditer(work):
        address = m.group()
        if m.group("eth"):
            if is_valid_eth_address(address):
                found.append(Found("crypto", m.start(), m.end(), "ETH:" + address.lower()))
        elif m.group("bech"):
            if is_valid_segwit_address(address):
                found.append(Found("crypto", m.start(), m.end(), "BTC:" + address.lower()))
        elif m.group("b58"):
            if is_valid_base58_address(address, (0x00,) if address[0] == "1" else (0x05,)):
                found.append(Found("crypto", m.start(), m.end(), "BTC:" + address))
        elif is_valid_base58_address(address, (0x41,)):
            found.append(Found("crypto", m.start(), m.end(), "TRX:" + address))
    return found


# ------------------------------------------------------------------ e-mail
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-])")


def _emails(work: str) -> list[Found]:
    return [Found("email", m.start(), m.end(), m.group().lower())
            for m in _EMAIL_RE.finditer(work)]


# -------------------------------------------------------------------- URLs
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Top-level domains accepted for addresses written without ``http(s)://`` or ``www.``.
BARE_TLDS = _words(
    "com net org info biz io co me ly gl gd cc tv ws ai app dev link site online xyz top shop "
    "club vip uk fr de it tr al vn ir af iq er ru ua pl nl es eu ch se dk fi gr ro bg cz sk hu "
    "pt ie lu li rs mk ba xk md kz ge az sy lb jo ps il eg tn dz ma sa ae qa kw bh om ye pk bd "
    "lk np cn jp kr tw hk sg th ph au nz ca mx br ar cl za ng ke et sd gg je im")


#: Further ones that are also common words ("me.no", "go.to"): only with a path after them.
PATH_TLDS = BARE_TLDS | _words(
    "no so to at be in am my us id one fun life world today work news page live space pro "
    "tech website store click")


_URL_RE = re.compile(
    r"(?<![A-Za-z0-9@._%+\-/])"
    r"(?:(?P<scheme>[Hh][Tt][Tt][Pp][Ss]?://)"
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*)"
    r"|(?P<bare>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,24}))"
    r"(?![A-Za-z0-9\-]))"
    r"(?P<port>:\d{1,5})?"
    r"(?P<rest>[/?#][!#-&(-;=?-~]*)?")  # printable ASCII except space " ' < > `


_TRAILING_PUNCT = ".,;:!?*'\"]}>"


def _trim_url_end(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCT or (last == ")" and url.count(")") > url.count("(")):
            url = url[:-1]
        else:
            break
    return url


_TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})


_TELEGRAM_RESERVED = frozenset({
    "joinchat", "addstickers", "addemoji", "addtheme", "addlist", "share", "proxy", "socks",
    "iv", "c", "s", "setlanguage", "login", "bg", "confirmphone", "invoice", "boost"})


_TELEGRAM_HANDLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


_WHATSAPP_SEND_HOSTS = frozenset({"api.whatsapp.com", "whatsapp.com", "web.whatsapp.com"})


def _urls(work: str) -> list[Found]:
    found: list[Found] = []
    for m in _URL_RE.finditer(work):
        if m.group("bare") is not None:
            bare, tld = m.group("bare"), m.group("tld")
            if tld.lower() not in (PATH_TLDS if m.group("rest") else BARE_TLDS):
                continue
            if not bare.lower().startswith("www.") and not m.group("rest") \
                    and tld != tld.lower() and bare != bare.upper():
                continue  # "safe.Call", "UK.Me": a sentence run together, not an address
            host, scheme = bare, "https://"
        else:
            host, scheme = m.group("host"), m.group("scheme").lower()
            if "." not in host:
                continue
        text = _trim_url_end(m.group())
        start = m.start()
        end = start + len(text)
        rest_start = m.start("rest") if m.group("rest") else end
        rest = work[rest_start:end] if rest_start < end else ""
        port = m.group("port") or ""
        found.append(Found("url", start, end, scheme + host.lower() + port + rest))
        found.extend(_messenger_links(host.lower(), rest, rest_start))
    return found


def _messenger_links(host: str, rest: str, rest_start: int) -> list[Found]:
    """The WhatsApp/Telegram indicator inside a link, spanning the number or handle."""
    host = host.removeprefix("www.")
    path, _, query = rest.partition("?")
    if host == "wa.me":
        m = re.match(r"/(\+?\d{7,15})(?!\d)", path)
        if m:
            number = e164_of("+" + m.group(1).lstrip("+"))
            if number:
                return [Found("whatsapp", rest_start + m.start(1), rest_start + m.end(1), number)]
        return []
    if host in _WHATSAPP_SEND_HOSTS and path.rstrip("/") in ("/send", ""):
        m = re.search(r"(?:^|&)phone=(?:\+|%2[Bb])?(\d{7,15})(?!\d)", query)
        if m:
            number = e164_of("+" + m.group(1))
            if number:
                offset = rest_start + len(path) + 1
                return [Found("whatsapp", offset + m.start(1), offset + m.end(1), number)]
        return []
    if host == "chat.whatsapp.com":
        m = re.match(r"/(?:invite/)?([A-Za-z0-9]{16,32})(?![A-Za-z0-9])", path)
        if m:
            return [Found("whatsapp", rest_start + m.start(1), rest_start + m.end(1),
                           "group:" + m.group(1))]
        return []
    if host in _TELEGRAM_HOSTS:
        m = re.match(r"/(?:joinchat/|\+)([A-Za-z0-9_\-]{10,})(?![A-Za-z0-9_\-])", path)
        if m and not m.group(1).isdigit():
            return [Found("telegram", rest_start + m.start(1), rest_start + m.end(1),
                           "invite:" + m.group(1))]
        m = re.match(r"/\+(\d{7,15})(?!\d)", path)
        if m:
            number = e164_of("+" + m.group(1))
            return [Found("phone", rest_start + m.start(1) - 1, rest_start + m.end(1), number)
                    ] if number else []
        m = re.match(r"/(?:s/)?([A-Za-z0-9_]+)(?![A-Za-z0-9_])", path)
        if m and m.group(1).lower() not in _TELEGRAM_RESERVED \
                and _TELEGRAM_HANDLE.fullmatch(m.group(1)):
            return [Found("telegram", rest_start + m.start(1), rest_start + m.end(1),
                           m.group(1).lower())]
    return []


# ------------------------------------------------------------------ labels
_WHATSAPP_LABELS = WHATSAPP_LABELS


_TELEGRAM_LABELS = TELEGRAM_LABELS


_NON_WORD = re.compile(r"[\W_]+")


def _labelled(work: str, start: int, end: int, labels: Sequence[str]) -> bool:
    """Whether one of ``labels`` is right before or right after ``work[start:end]``
    (only spaces, punctuation and emoji between)."""
    before = _NON_WORD.sub("", work[max(0, start - 24):start].replace(_MASK, "#")).casefold()
    after = _NON_WORD.sub("", work[end:end + 24].replace(_MASK, "#")).casefold()
    return any(before.endswith(label) or after.startswith(label) for label in labels)


_LETTERS = re.compile(r"[^\W\d_]+")


_TRAILING_SYMBOLS = re.compile(r"[^\w:\uff1a]+$")  # spaces, emoji, arrows after a colon


def _heading_labelled(work: str, start: int, labels: Sequence[str]) -> bool:
    """Whether ``work[start:]`` begins a line under a heading line that names one of
    ``labels`` and ends with a colon ("Call or WhatsApp now:" / "+44 7700 900123")."""
    line_start = work.rfind("\n", 0, start) + 1
    if work[line_start:start].strip():
        return False
    heading = work[:line_start].rstrip()
    heading = heading[heading.rfind("\n") + 1:]
    if not _TRAILING_SYMBOLS.sub("", heading).endswith((":", "\uff1a")):
        return False
    return any(w.casefold() in labels for w in _LETTERS.findall(heading))


# ------------------------------------------------------------------ prices
_CURRENCY_WORDS = {
    "EUR": ("eur", "euro", "euros", "evro", "avro", "ewro", "يورو", "یورو", "یۆرۆ", "ዩሮ"),
    "GBP": ("gbp", "pound", "pounds", "sterling", "sterlin", "paund", "bảng", "bảng anh",
            "باوند", "پوند", "پاوەند", "پاوند", "پونډ", "پونډه", "پاؤنڈ", "پاو\u0654نڈ", "پاونڈ",
            "جنيه", "جنيها", "جنيهاً",
            "جنيه استرليني", "جنيه إسترليني", "ፓውንድ"),
    "USD": ("usd", "dollar", "dollars", "dolar", "dollari", "دولار", "دلار", "ډالر", "ډالره",
            "دۆلار", "ڈالر", "ዶላር"),
    # Iranian prices are quoted in toman (ten rials); normalised to ISO 4217 rials.
    "IRR": ("تومان", "تومن"),
}


#: What an amount in each currency is multiplied by to reach its ISO 4217 unit.
_CURRENCY_SCALE = {"IRR": 10}


#: The largest amount believed to be a price, in the ISO unit: a crossing quoted in
#: rials runs to hundreds of millions.
_CURRENCY_LIMIT = {"IRR": Decimal(10) ** 12}


_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD"}


_CURRENCY_BY_WORD = {w: code for code, words in _CURRENCY_WORDS.items() for w in words}


_WORDS_ALT = "|".join(sorted(map(re.escape, _CURRENCY_BY_WORD), key=len, reverse=True))


_CODES_ALT = "eur|gbp|usd"


_AMOUNT = (
    r"(?P<amount>(?P<grouped>\d{1,3}(?:[,.'\u00a0\u202f ]\d{3}){1,4})(?P<gdec>[.,]\d{1,2})?"
    r"|(?P<plain>\d{1,12})(?P<pdec>[.,]\d{1,2})?)"
    r"(?:(?P<k>[ ]?(?:[kK](?![A-Za-z])|(?:هزار|الف|ألف|آلاف|زره)(?= )))"
    r"|(?P<mil>[ ]?(?:میلیون|مليون|ملیون)(?= )))?")


_PRICE_BEFORE_RE = re.compile(
    rf"(?P<cur>[€£$]|(?<![A-Za-z])(?i:{_CODES_ALT})(?![A-Za-z]))[ \u00a0]?{_AMOUNT}"
    r"(?![\d]|[.,]\d)")


_PRICE_AFTER_RE = re.compile(
    rf"(?<![\w.,])(?<!\d[ \u00a0\u202f']){_AMOUNT}(?P<space>[ \u00a0]?)"
    rf"(?P<cur>[€£$]|(?i:{_WORDS_ALT})(?!\w))")


def _price_amount(m: re.Match[str], code: str) -> Decimal | None:
    if m.group("grouped"):
        whole = re.sub(r"\D", "", m.group("grouped"))
        decimals = m.group("gdec")
    else:
        whole, decimals = m.group("plain"), m.group("pdec")
        if len(whole) > 1 and whole.startswith("0"):
            return None  # "0001": a code or digits read in the wrong order, not a price
    amount = Decimal(whole + ("." + decimals[1:] if decimals else ""))
    if m.group("k"):
        amount *= 1000
    elif m.group("mil"):
        amount *= 1_000_000
    amount *= _CURRENCY_SCALE.get(code, 1)
    if amount <= 0 or amount >= _CURRENCY_LIMIT.get(code, 10_000_000):
        return None
    return amount


def _format_amount(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount:.2f}"


def _prices(work: str) -> list[Found]:
    options: list[tuple[Found, int]] = []
    for pattern in (_PRICE_BEFORE_RE, _PRICE_AFTER_RE):
        for m in pattern.finditer(work):
            cur = m.group("cur")
            code = _CURRENCY_SYMBOLS.get(cur) or _CURRENCY_BY_WORD[cur.casefold()]
            amount = _price_amount(m, code)
            if amount is None:
                continue
            if m.start("cur") < m.start("amount"):
                gap = work[m.end("cur"):m.start("amount")]
            else:
                gap = work[m.end("amount"):m.start("cur")]
            attached = " " not in gap and "\u00a0" not in gap
            options.append((Found("price", m.start(), m.end(),
                                   f"{code} {_format_amount(amount)}"), 3 if attached else 2))
    return _best_non_overlapping(options)


def _best_non_overlapping(options: list[tuple[Found, int]]) -> list[Found]:
    """The set of non-overlapping spans with the greatest total weight."""
    options.sort(key=lambda o: (o[0].end, o[0].start))
    best: list[tuple[int, list[Found]]] = [(0, [])]
    ends = [0]
    for found, weight in options:
        k = bisect_right(ends, found.start) - 1
        take = (best[k][0] + weight, [*best[k][1], found])
        best.append(take if take[0] > best[-1][0] else best[-1])
        ends.append(found.end)
    return best[-1][1]


# ----------------------------------------------------------------- handles
_HANDLE_RE = re.compile(
    r"(?<![A-Za-z0-9_.@])@(?P<name>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)"
    r"(?![A-Za-z0-9_@])")


def _handles(work: str) -> list[Found]:
    found = []
    for m in _HANDLE_RE.finditer(work):
        name = m.group("name")
        if not any(ch.isalpha() for ch in name):
            continue
        found.append(Found("handle", m.start(), m.end(), name.lower()))
        if _labelled(work, m.start(), m.end(), _TELEGRAM_LABELS) and \
                _TELEGRAM_HANDLE.fullmatch(name):
            found.append(Found("telegram", m.start(), m.end(), name.lower()))
    return found


# ------------------------------------------------------------------- entry
def extract_indicators(
    text: str,
    region_hints: Sequence[str] = DEFAULT_REGIONS,
    words: Sequence[WordLike] | None = None,
    source: str = "ocr",
    other_readings: Sequence[str] | None = None,
    *,
    join_lines: bool = True,
) -> list[Indicator]:
    """All indicators in ``text``, in the order they appear.

    ``region_hints``: ISO 3166 regions tried, in order, for phone numbers written
    without a country code.  ``words``: the OCR words (reading order) whose joined
    text is ``text``; each indicator then gets the box of the words it covers and
    the lowest of their confidences, and the boxes decide which lines a number or
    link may continue on (see :mod:`.joins`; ``join_lines=False`` reads each line on
    its own and numbers as written, as before joins existed: ``verify`` accepts
    indicators stored then).  ``source`` is copied into each indicator
    (``ocr``, ``notes``, ``metadata`` ...).  ``other_readings``: the texts of other
    readings of the same image; an OCR indicator one of them does not have is marked
    for confirmation (see :mod:`.attention`).  Every occurrence is reported; see
    :func:`dedupe` for one per indicator.
    """
    regions = _check_regions(region_hints)
    prepared, work, found = _find(text, regions)
    spans = align_words(text, words) if words else []
    layout = Layout(words, spans) if words else None
    if join_lines:
        found = _join(text, prepared, work, found, regions, layout)
    if source == "ocr" and join_lines:
        plus = misread_plus(masked(work, ((f.start, f.end) for f in found)), text, regions,
                            layout)
        found += plus + _whatsapp_labelled(prepared, plus)
    check = Attention(source, other_readings or ())
    result = []
    for f in sorted(found, key=lambda f: (f.start, f.end, KINDS.index(f.kind))):
        box: Box | None = None
        confidence: float | None = None
        if layout is not None:  # the words under it, found by bisection
            under = layout.overlapping(f.start, f.end)
            near = [spans[k] for k in under], [layout.words[k] for k in under]
            box = box_for_span(*near, f.start, f.end)
            confidence = lowest_confidence(*near, f.start, f.end)
        value = text[f.start:f.end]
        result.append(Indicator(
            f.kind, value, f.normalized, f.start, f.end, source, box, f.alternatives,
            _platform(f, prepared), confidence,
            check.reason(f.kind, prepared[f.start:f.end], confidence, f.joined, f.note)))
    return result


def _find(text: str, regions: Sequence[str]) -> tuple[str, str, list[Found]]:
    """The prepared text, the same with every find masked, and the finds (each line
    on its own)."""
    prepared = work = prepare_text(text)
    found: list[Found] = []
    phases: tuple[Callable[[str], list[Found]], ...] = (
        _crypto, _emails, _urls,
        lambda w: find_phones(w, text, regions), _prices, _handles)
    for phase in phases:
        new = phase(work)
        found.extend(new)
        work = masked(work, ((f.start, f.end) for f in new))
        found.extend(_whatsapp_labelled(prepared, new))
    return prepared, work, found


def _whatsapp_labelled(prepared: str, found: Iterable[Found]) -> list[Found]:
    """A phone number labelled "WhatsApp" is also a WhatsApp account."""
    return [Found("whatsapp", f.start, f.end, f.normalized, f.alternatives, joined=f.joined,
                  note=f.note)
            for f in found
            if f.kind == "phone" and (_labelled(prepared, f.start, f.end, _WHATSAPP_LABELS)
                                      or _heading_labelled(prepared, f.start, _WHATSAPP_LABELS))]


def _join(text: str, prepared: str, work: str, found: list[Found], regions: Sequence[str],
          layout: Layout | None) -> list[Found]:
    """``found`` with the numbers and links a line break cut in two read whole."""
    phones = join_phones(work, text, regions, layout)
    links, replaced = join_links(prepared, found, layout, _urls)
    if not phones and not links:
        return found
    dropped = {id(f) for f in replaced}
    return [f for f in found if id(f) not in dropped] + phones + links + \
        _whatsapp_labelled(prepared, phones)


def _platform(found: Found, prepared: str) -> str | None:
    """The platform the text names for ``found`` (see :mod:`.labels`)."""
    if found.platform:
        return found.platform
    if found.kind in ("whatsapp", "telegram"):
        return found.kind
    if found.kind == "url":
        return platform_of_url(found.normalized)
    if found.kind == "handle":
        return platform_before(prepared, found.start)
    return None


def _check_regions(region_hints: Sequence[str]) -> tuple[str, ...]:
    if isinstance(region_hints, str):
        region_hints = [region_hints]
    regions = tuple(dict.fromkeys(r.strip().upper() for r in region_hints if r.strip()))
    unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise InvalidRegionHint(
            f"Unknown phone region hint {', '.join(unknown)}: use two-letter country codes "
            "such as GB, FR, IQ, TR.")
    return regions


def check_region_hints(region_hints: Sequence[str] | str) -> tuple[str, ...]:
    """Region hints upper-cased and deduplicated; raises :class:`InvalidRegionHint`
    naming any code libphonenumber does not know (as extraction would)."""
    return _check_regions(region_hints)


def dedupe(indicators: Iterable[Indicator]) -> list[Indicator]:
    """The first occurrence of each ``(kind, normalized)``."""
    seen: set[tuple[str, str]] = set()
    out = []
    for indicator in indicators:
        key = (indicator.kind, indicator.normalized)
        if key not in seen:
            seen.add(key)
            out.append(indicator)
    return out

"""Indicators in advert text: phone numbers, WhatsApp/Telegram links, URLs, handles,
e-mail addresses, prices and crypto wallet addresses.

:func:`extract_indicators` reads OCR text (or notes, or a source URL) and returns
:class:`Indicator` objects.  Each keeps the text *as read* (``value`` is exactly
``text[start:end]``; Arabic-Indic or Persian digits stay as they were) and a
``normalized`` form used to link captures and refer them to platforms:

=========  ==============================================================
phone      E.164, e.g. ``+447700900123``
whatsapp   E.164 of the number (``wa.me`` links, ``api.whatsapp.com/send?phone=``,
           a number labelled "WhatsApp"/"واتساب"), or ``group:<invite>`` for
           ``chat.whatsapp.com`` invitations
telegram   the lowercase handle (``t.me/<handle>``, an @handle labelled
           "Telegram"), or ``invite:<hash>`` for invitation links
url        lowercase scheme and host, ``https://`` when the scheme is missing,
           trailing punctuation left out
handle     lowercase, without ``@``
email      lowercase
price      ``"EUR 1500"``, ``"GBP 2000.50"`` (EUR, GBP and USD)
crypto     ``BTC:<address>``, ``ETH:0x<lowercase hex>``, ``TRX:T<address>``
=========  ==============================================================

Links also yield their WhatsApp/Telegram indicator, whose span is the number or
handle inside the link.

Phone numbers are parsed with ``phonenumbers`` (the Python port of Google's
libphonenumber) and only valid numbers are kept, plus the fictional numbers Ofcom
reserves for drama (``07700 900000``-``900999`` and a few landline blocks), which
training material and test captures use.  A number written with ``+`` or ``00`` is
read internationally; otherwise the region hints are tried (mobile numbers first,
then hint order) and the other valid readings are kept in ``alternatives``: an
Iraqi ``0770 ...`` number is also a valid British ``07700 ...`` one.  Numbers
written in Arabic-Indic digits try Iraq first, in Persian digits Iran and
Afghanistan first (when they are among the hints).  Dates, years, amounts next
to a currency and runs of figures not written like a phone number (scores,
decimals, version and reference numbers) are not taken as numbers; a number
written without ``+``, ``00`` or a trunk ``0`` must be a mobile, read as
international ("447911123456", copied from a link) or in a region that dials
without a trunk prefix (Italy).

Crypto addresses are checked: Base58Check for Bitcoin ``1``/``3`` and TRON
``T`` addresses, Bech32/Bech32m for ``bc1`` addresses, and the EIP-55 checksum
(Keccak-256, implemented here) for mixed-case Ethereum addresses.  An address
with a misread character fails its checksum and is not reported.

When the OCR word boxes are given (:class:`WordBox`, in reading order, the text
being the words joined), each indicator gets the union of the boxes of the words
it covers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, Protocol, cast

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from workstation.errors import WorkstationError
from workstation.textnorm import normalize_digits

__all__ = [
    "DEFAULT_REGIONS",
    "KINDS",
    "Box",
    "Indicator",
    "IndicatorKind",
    "InvalidRegionHint",
    "WordBox",
    "WordLike",
    "align_words",
    "box_for_span",
    "check_region_hints",
    "dedupe",
    "eip55_checksum",
    "extract_indicators",
    "is_valid_base58_address",
    "is_valid_eth_address",
    "is_valid_segwit_address",
    "keccak_256",
    "normalize_digits",
]

IndicatorKind = Literal["phone", "whatsapp", "telegram", "url", "handle", "email", "price",
                        "crypto"]
KINDS: tuple[IndicatorKind, ...] = ("phone", "whatsapp", "telegram", "url", "handle", "email",
                                    "price", "crypto")
#: Where the people advertising crossings and their customers usually have numbers.
DEFAULT_REGIONS: tuple[str, ...] = ("GB", "FR", "IQ", "TR", "AL", "VN", "IR", "AF", "ER", "IT",
                                    "DE")

Box = tuple[int, int, int, int]
"""A box in image pixels: ``(x, y, w, h)``."""


# ----------------------------------------------------------------- data types
class InvalidRegionHint(WorkstationError, ValueError):
    """A phone region hint is not an ISO 3166 region libphonenumber knows."""


class WordLike(Protocol):
    """Anything with a word's text and its box (e.g. :class:`WordBox`, an OCR word)."""

    @property
    def text(self) -> str: ...

    @property
    def bbox(self) -> Box: ...


@dataclass(frozen=True, slots=True)
class WordBox:
    """One OCR word: its text and box ``(x, y, w, h)``."""

    text: str
    bbox: Box


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator found in a text.

    ``value`` is ``text[start:end]`` exactly as read; ``normalized`` is the form used
    for linking (see the module docstring); ``box`` is ``(x, y, w, h)`` when word
    boxes were given; ``alternatives`` lists other valid E.164 readings of a phone
    number written without its country code.
    """

    kind: IndicatorKind
    value: str
    normalized: str
    start: int
    end: int
    source: str = "ocr"
    box: Box | None = None
    alternatives: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown indicator kind {self.kind!r}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}..{self.end}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (tuples become lists)."""
        return {
            "kind": self.kind, "value": self.value, "normalized": self.normalized,
            "start": self.start, "end": self.end, "source": self.source,
            "box": list(self.box) if self.box is not None else None,
            "alternatives": list(self.alternatives),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Indicator:
        """The inverse of :meth:`to_dict`."""
        box = data.get("box")
        return cls(
            kind=cast(IndicatorKind, str(data["kind"])), value=str(data["value"]),
            normalized=str(data["normalized"]), start=int(data["start"]),
            end=int(data["end"]), source=str(data.get("source", "ocr")),
            box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])) if box else None,
            alternatives=tuple(str(a) for a in data.get("alternatives", ())),
        )


@dataclass(slots=True)
class _Found:
    """An indicator before it becomes an :class:`Indicator` (offsets into the text)."""

    kind: IndicatorKind
    start: int
    end: int
    normalized: str
    alternatives: tuple[str, ...] = ()


# --------------------------------------------------------------------- digits
_PREPARE = {
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\u066a": "%",  # Arabic percent sign
    "\uff0b": "+",  # fullwidth plus
    "\uff20": "@",  # fullwidth commercial at
    "\u2212": "-",  # minus sign
}


def _prepare(text: str) -> str:
    """The working copy of ``text``: one character for one, ASCII digits, and invisible
    format characters (direction marks, zero-width joiners) turned into spaces."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        mapped = _PREPARE.get(ch)
        if mapped is None:
            value = unicodedata.decimal(ch, None)
            if value is not None:
                mapped = str(value)
            elif unicodedata.category(ch) == "Cf":
                mapped = " "
            else:
                mapped = ch
        out.append(mapped)
    return "".join(out)


_MASK = "\x00"


def _masked(work: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(work)
    for start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


# -------------------------------------------------------------- word boxes
def align_words(text: str, words: Sequence[WordLike]) -> list[tuple[int, int] | None]:
    """Where each word (in reading order) lies in ``text``: ``(start, end)`` or ``None``.

    Words are looked for in order, each after the previous one, first close by
    (the words joined with spaces or line breaks), then anywhere further on for
    words of three characters or more; a word that cannot be found is skipped
    without losing the place, so one misread word does not shift the others.
    """
    spans: list[tuple[int, int] | None] = []
    pos = 0
    for word in words:
        token = word.text.strip()
        if not token:
            spans.append(None)
            continue
        index = text.find(token, pos, pos + len(token) + 16)
        if index < 0 and len(token) >= 3:
            index = text.find(token, pos)
        if index < 0:
            spans.append(None)
            continue
        spans.append((index, index + len(token)))
        pos = index + len(token)
    return spans


def box_for_span(spans: Sequence[tuple[int, int] | None], words: Sequence[WordLike],
                 start: int, end: int) -> Box | None:
    """The union of the boxes of the words overlapping ``text[start:end]``."""
    boxes = [word.bbox for span, word in zip(spans, words, strict=True)
             if span is not None and span[0] < end and span[1] > start]
    if not boxes:
        return None
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return (int(left), int(top), int(right - left), int(bottom - top))


# ------------------------------------------------------------------ Keccak
def _keccak_round_constants() -> tuple[int, ...]:
    def rc_bit(t: int) -> int:
        r = 1
        for _ in range(t % 255):
            r <<= 1
            if r & 0x100:
                r ^= 0x171
        return r & 1

    return tuple(
        sum(rc_bit(j + 7 * i) << ((1 << j) - 1) for j in range(7)) for i in range(24))


def _keccak_rotations() -> tuple[int, ...]:
    rotations = [0] * 25
    x, y = 1, 0
    for t in range(24):
        rotations[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return tuple(rotations)


_KECCAK_RC = _keccak_round_constants()
_KECCAK_ROT = _keccak_rotations()
_LANE = (1 << 64) - 1


def _keccak_f1600(a: list[int]) -> None:
    """The Keccak-f[1600] permutation, in place; lane (x, y) is ``a[x + 5 * y]``."""
    rot = _KECCAK_ROT
    for rc in _KECCAK_RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        for x in range(5):
            right = c[(x + 1) % 5]
            d = c[(x - 1) % 5] ^ (((right << 1) | (right >> 63)) & _LANE)
            for y in range(0, 25, 5):
                a[x + y] ^= d
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                lane, r = a[x + 5 * y], rot[x + 5 * y]
                b[y + 5 * ((2 * x + 3 * y) % 5)] = ((lane << r) | (lane >> (64 - r))) & _LANE \
                    if r else lane
        for y in range(0, 25, 5):
            row = b[y:y + 5]
            for x in range(5):
                a[x + y] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5])
        a[0] ^= rc


def _keccak_sponge(data: bytes, rate: int, suffix: int, digest_size: int) -> bytes:
    """The Keccak sponge: ``suffix`` 0x01 is original Keccak, 0x06 is SHA-3."""
    state = [0] * 25
    padded = bytearray(data)
    padded.append(suffix)
    padded.extend(b"\x00" * (-len(padded) % rate))
    padded[-1] |= 0x80
    for offset in range(0, len(padded), rate):
        block = padded[offset:offset + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _keccak_f1600(state)
    out = b"".join(lane.to_bytes(8, "little") for lane in state[:rate // 8])
    return out[:digest_size]


def keccak_256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (the original Keccak padding, not SHA3-256)."""
    return _keccak_sponge(data, 136, 0x01, 32)


# ------------------------------------------------------------------ crypto
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58_ALPHABET)}
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3


def _base58check(address: str) -> bytes | None:
    """The payload (version byte included) of a Base58Check string, or ``None``."""
    number = 0
    for ch in address:
        digit = _B58_INDEX.get(ch)
        if digit is None:
            return None
        number = number * 58 + digit
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(address) - len(address.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _bech32_polymod(values: Iterable[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= generator[i]
    return chk


def _convert_bits(data: Sequence[int], from_bits: int, to_bits: int) -> list[int] | None:
    acc = bits = 0
    out = []
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & ((1 << to_bits) - 1))
    if bits >= from_bits or (acc << (to_bits - bits)) & ((1 << to_bits) - 1):
        return None
    return out


def is_valid_segwit_address(address: str, hrp: str = "bc") -> bool:
    """Whether ``address`` is a valid native SegWit address (BIP 173 Bech32 for
    version 0, BIP 350 Bech32m for versions 1-16)."""
    if address.lower() != address and address.upper() != address:
        return False
    address = address.lower()
    pos = address.rfind("1")
    if pos < 1 or pos + 7 > len(address) or len(address) > 90 or address[:pos] != hrp:
        return False
    try:
        data = [_BECH32_CHARSET.index(ch) for ch in address[pos + 1:]]
    except ValueError:
        return False
    expanded = [ord(ch) >> 5 for ch in hrp] + [0] + [ord(ch) & 31 for ch in hrp]
    constant = _bech32_polymod(expanded + data)
    if constant not in (_BECH32_CONST, _BECH32M_CONST) or len(data) < 7:
        return False
    version = data[0]
    program = _convert_bits(data[1:-6], 5, 8)
    if version > 16 or program is None or not 2 <= len(program) <= 40:
        return False
    if version == 0:
        return constant == _BECH32_CONST and len(program) in (20, 32)
    return constant == _BECH32M_CONST


def is_valid_base58_address(address: str, versions: Iterable[int]) -> bool:
    """Whether ``address`` is Base58Check of 21 bytes with one of the version bytes."""
    payload = _base58check(address)
    return payload is not None and len(payload) == 21 and payload[0] in set(versions)


def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case form of a ``0x`` Ethereum address."""
    hex_part = address[2:].lower()
    digest = keccak_256(hex_part.encode("ascii")).hex()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch
        for i, ch in enumerate(hex_part))


def is_valid_eth_address(address: str) -> bool:
    """``0x`` and 40 hex digits; when mixed-case, the EIP-55 checksum must hold."""
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
        return False
    body = address[2:]
    if body == body.lower() or body == body.upper():
        return True
    return eip55_checksum(address) == address


_CRYPTO_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?P<eth>0x[0-9a-fA-F]{40})"
    r"|(?P<bech>(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,87})"
    r"|(?P<b58>[13][1-9A-HJ-NP-Za-km-z]{25,34})"
    r"|(?P<tron>T[1-9A-HJ-NP-Za-km-z]{33})"
    r")(?![A-Za-z0-9])")


def _crypto(work: str) -> list[_Found]:
    found = []
    for m in _CRYPTO_RE.finditer(work):
        address = m.group()
        if m.group("eth"):
            if is_valid_eth_address(address):
                found.append(_Found("crypto", m.start(), m.end(), "ETH:" + address.lower()))
        elif m.group("bech"):
            if is_valid_segwit_address(address):
                found.append(_Found("crypto", m.start(), m.end(), "BTC:" + address.lower()))
        elif m.group("b58"):
            if is_valid_base58_address(address, (0x00,) if address[0] == "1" else (0x05,)):
                found.append(_Found("crypto", m.start(), m.end(), "BTC:" + address))
        elif is_valid_base58_address(address, (0x41,)):
            found.append(_Found("crypto", m.start(), m.end(), "TRX:" + address))
    return found


# ------------------------------------------------------------------ e-mail
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-])")


def _emails(work: str) -> list[_Found]:
    return [_Found("email", m.start(), m.end(), m.group().lower())
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


def _urls(work: str) -> list[_Found]:
    found: list[_Found] = []
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
        found.append(_Found("url", start, end, scheme + host.lower() + port + rest))
        found.extend(_messenger_links(host.lower(), rest, rest_start))
    return found


def _messenger_links(host: str, rest: str, rest_start: int) -> list[_Found]:
    """The WhatsApp/Telegram indicator inside a link, spanning the number or handle."""
    host = host.removeprefix("www.")
    path, _, query = rest.partition("?")
    if host == "wa.me":
        m = re.match(r"/(\+?\d{7,15})(?!\d)", path)
        if m:
            number = _international("+" + m.group(1).lstrip("+"))
            if number:
                return [_Found("whatsapp", rest_start + m.start(1), rest_start + m.end(1), number)]
        return []
    if host in _WHATSAPP_SEND_HOSTS and path.rstrip("/") in ("/send", ""):
        m = re.search(r"(?:^|&)phone=(?:\+|%2[Bb])?(\d{7,15})(?!\d)", query)
        if m:
            number = _international("+" + m.group(1))
            if number:
                offset = rest_start + len(path) + 1
                return [_Found("whatsapp", offset + m.start(1), offset + m.end(1), number)]
        return []
    if host == "chat.whatsapp.com":
        m = re.match(r"/(?:invite/)?([A-Za-z0-9]{16,32})(?![A-Za-z0-9])", path)
        if m:
            return [_Found("whatsapp", rest_start + m.start(1), rest_start + m.end(1),
                           "group:" + m.group(1))]
        return []
    if host in _TELEGRAM_HOSTS:
        m = re.match(r"/(?:joinchat/|\+)([A-Za-z0-9_\-]{10,})(?![A-Za-z0-9_\-])", path)
        if m and not m.group(1).isdigit():
            return [_Found("telegram", rest_start + m.start(1), rest_start + m.end(1),
                           "invite:" + m.group(1))]
        m = re.match(r"/\+(\d{7,15})(?!\d)", path)
        if m:
            number = _international("+" + m.group(1))
            return [_Found("phone", rest_start + m.start(1) - 1, rest_start + m.end(1), number)
                    ] if number else []
        m = re.match(r"/(?:s/)?([A-Za-z0-9_]+)(?![A-Za-z0-9_])", path)
        if m and m.group(1).lower() not in _TELEGRAM_RESERVED \
                and _TELEGRAM_HANDLE.fullmatch(m.group(1)):
            return [_Found("telegram", rest_start + m.start(1), rest_start + m.end(1),
                           m.group(1).lower())]
    return []


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


def _international(number: str) -> str | None:
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
        number = _international("+" + digits)
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
_DIGITS_RE = re.compile(r"\d+")
_DATE_RE = re.compile(
    r"(?<![\d./\-])(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2})"
    r"(?![./\-]?\d)")
_YEAR_RE = re.compile(r"(?:19[5-9]\d|20[0-4]\d)")
_CURRENCY_AFTER = re.compile(r"[ \u00a0]?(?:[€£$]|(?i:eur|gbp|usd|euros?|pounds?)(?![a-z]))")
_CURRENCY_BEFORE = re.compile(r"(?:[€£$]|(?i:eur|gbp|usd))[ \u00a0]?$")


def _phones(work: str, original: str, regions: Sequence[str]) -> list[_Found]:
    work = _masked(work, (m.span() for m in _DATE_RE.finditer(work)))
    found: list[_Found] = []
    for m in _PHONE_RE.finditer(work):
        groups = [g.span() for g in _DIGITS_RE.finditer(work, m.start(), m.end())]
        plus = work[m.start()] in "+(" and "+" in work[m.start():groups[0][0]]
        first = 0
        for k in range(1, len(groups) + 1):
            if k == len(groups) or _strong_separator(work[groups[k - 1][1]:groups[k][0]]):
                found.extend(_phone_run(work, original, m.start(), groups, range(first, k),
                                        plus, regions))
                first = k
    return found


def _strong_separator(sep: str) -> bool:
    """``" / "``, ``" - "`` or a wide gap: numbers listed side by side, not one number."""
    spaces = sum(ch.isspace() for ch in sep)
    return spaces >= 2 or (spaces >= 1 and any(ch in "/-\u2010\u2011\u2012\u2013\u2014\u2015"
                                               for ch in sep))


def _phone_run(work: str, original: str, candidate_start: int,
               groups: Sequence[tuple[int, int]], run: range, plus: bool,
               regions: Sequence[str]) -> list[_Found]:
    """The numbers in digit groups ``run``: each group must belong to one, except years
    in front ("since 2019 07911 123456"); otherwise the run is something else (a
    table of figures, a reference number) and gives nothing."""
    found: list[_Found] = []
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
                   regions: Sequence[str]) -> _Found | None:
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
    return _Found("phone", start, end, readings[0], readings[1])


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


# ------------------------------------------------------------------ labels
_WHATSAPP_LABELS = ("whatsapp", "whatsap", "watsapp", "watsap", "wattsapp", "واتساب", "واتسآب",
                    "واتساپ", "واتسپ", "وتساب", "واتس", "واټساپ", "واتسب", "ዋትስኣፕ", "ዋትሳፕ")
_TELEGRAM_LABELS = ("telegram", "telegramm", "telegrami", "tg", "تلگرام", "تلغرام", "تليجرام",
                    "تيليجرام", "تيليغرام", "تلجرام", "ټیلیګرام", "تێلێگرام", "ቴሌግራም")
_NON_WORD = re.compile(r"[\W_]+")


def _labelled(work: str, start: int, end: int, labels: Sequence[str]) -> bool:
    """Whether one of ``labels`` is right before or right after ``work[start:end]``
    (only spaces, punctuation and emoji between)."""
    before = _NON_WORD.sub("", work[max(0, start - 24):start].replace(_MASK, "#")).casefold()
    after = _NON_WORD.sub("", work[end:end + 24].replace(_MASK, "#")).casefold()
    return any(before.endswith(label) or after.startswith(label) for label in labels)


# ------------------------------------------------------------------ prices
_CURRENCY_WORDS = {
    "EUR": ("eur", "euro", "euros", "evro", "avro", "ewro", "يورو", "یورو", "یۆرۆ", "ዩሮ"),
    "GBP": ("gbp", "pound", "pounds", "sterling", "sterlin", "paund", "باوند", "پوند", "پاوەند",
            "پونډ", "ፓውንድ"),
    "USD": ("usd", "dollar", "dollars", "dolar", "dollari", "دولار", "دلار", "ډالر", "ዶላር"),
}
_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD"}
_CURRENCY_BY_WORD = {w: code for code, words in _CURRENCY_WORDS.items() for w in words}
_WORDS_ALT = "|".join(sorted(map(re.escape, _CURRENCY_BY_WORD), key=len, reverse=True))
_CODES_ALT = "eur|gbp|usd"
_AMOUNT = (
    r"(?P<amount>(?P<grouped>\d{1,3}(?:[,.'\u00a0\u202f ]\d{3}){1,4})(?P<gdec>[.,]\d{1,2})?"
    r"|(?P<plain>\d{1,12})(?P<pdec>[.,]\d{1,2})?)(?P<k>[ ]?[kK](?![A-Za-z]))?")
_PRICE_BEFORE_RE = re.compile(
    rf"(?P<cur>[€£$]|(?<![A-Za-z])(?i:{_CODES_ALT})(?![A-Za-z]))[ \u00a0]?{_AMOUNT}"
    r"(?![\d]|[.,]\d)")
_PRICE_AFTER_RE = re.compile(
    rf"(?<![\w.,])(?<!\d[ \u00a0\u202f']){_AMOUNT}(?P<space>[ \u00a0]?)"
    rf"(?P<cur>[€£$]|(?i:{_WORDS_ALT})(?!\w))")


def _price_amount(m: re.Match[str]) -> Decimal | None:
    if m.group("grouped"):
        whole = re.sub(r"\D", "", m.group("grouped"))
        decimals = m.group("gdec")
    else:
        whole, decimals = m.group("plain"), m.group("pdec")
    amount = Decimal(whole + ("." + decimals[1:] if decimals else ""))
    if m.group("k"):
        amount *= 1000
    if amount <= 0 or amount >= 10_000_000:
        return None
    return amount


def _format_amount(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount:.2f}"


def _prices(work: str) -> list[_Found]:
    options: list[tuple[_Found, int]] = []
    for pattern in (_PRICE_BEFORE_RE, _PRICE_AFTER_RE):
        for m in pattern.finditer(work):
            amount = _price_amount(m)
            if amount is None:
                continue
            cur = m.group("cur")
            code = _CURRENCY_SYMBOLS.get(cur) or _CURRENCY_BY_WORD[cur.casefold()]
            if m.start("cur") < m.start("amount"):
                gap = work[m.end("cur"):m.start("amount")]
            else:
                gap = work[m.end("amount"):m.start("cur")]
            attached = " " not in gap and "\u00a0" not in gap
            options.append((_Found("price", m.start(), m.end(),
                                   f"{code} {_format_amount(amount)}"), 3 if attached else 2))
    return _best_non_overlapping(options)


def _best_non_overlapping(options: list[tuple[_Found, int]]) -> list[_Found]:
    """The set of non-overlapping spans with the greatest total weight."""
    options.sort(key=lambda o: (o[0].end, o[0].start))
    best: list[tuple[int, list[_Found]]] = [(0, [])]
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


def _handles(work: str) -> list[_Found]:
    found = []
    for m in _HANDLE_RE.finditer(work):
        name = m.group("name")
        if not any(ch.isalpha() for ch in name):
            continue
        found.append(_Found("handle", m.start(), m.end(), name.lower()))
        if _labelled(work, m.start(), m.end(), _TELEGRAM_LABELS) and \
                _TELEGRAM_HANDLE.fullmatch(name):
            found.append(_Found("telegram", m.start(), m.end(), name.lower()))
    return found


# ------------------------------------------------------------------- entry
def extract_indicators(
    text: str,
    region_hints: Sequence[str] = DEFAULT_REGIONS,
    words: Sequence[WordLike] | None = None,
    source: str = "ocr",
) -> list[Indicator]:
    """All indicators in ``text``, in the order they appear.

    ``region_hints``: ISO 3166 regions tried, in order, for phone numbers written
    without a country code.  ``words``: the OCR words (reading order) whose joined
    text is ``text``; each indicator then gets the box of the words it covers.
    ``source`` is copied into each indicator (``ocr``, ``notes``, ``metadata`` ...).
    Every occurrence is reported; see :func:`dedupe` for one per indicator.
    """
    regions = _check_regions(region_hints)
    prepared = work = _prepare(text)
    found: list[_Found] = []
    phases: tuple[Callable[[str], list[_Found]], ...] = (
        _crypto, _emails, _urls,
        lambda w: _phones(w, text, regions), _prices, _handles)
    for phase in phases:
        new = phase(work)
        found.extend(new)
        work = _masked(work, ((f.start, f.end) for f in new))
        for f in new:
            if f.kind == "phone" and _labelled(prepared, f.start, f.end, _WHATSAPP_LABELS):
                found.append(_Found("whatsapp", f.start, f.end, f.normalized, f.alternatives))

    spans = align_words(text, words) if words else []
    result = []
    for f in sorted(found, key=lambda f: (f.start, f.end, KINDS.index(f.kind))):
        box = box_for_span(spans, words, f.start, f.end) if words else None
        result.append(Indicator(f.kind, text[f.start:f.end], f.normalized, f.start, f.end,
                                source, box, f.alternatives))
    return result


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

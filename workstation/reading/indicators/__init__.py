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
price      ``"EUR 1500"``, ``"GBP 2000.50"`` (EUR, GBP and USD, and IRR for Iranian
           toman prices, ten rials each), from symbols, codes and currency words
           in the advert languages (``۳۰۰۰ پوند``, ``۲۸۰۰ پونډه``, ``٢٥٠٠ جنيه``)
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
being the words joined; :func:`word_boxes` makes them from OCR word dicts), each
indicator gets the union of the boxes of the words it covers and the lowest of
their confidences.

Layout does not hide a number (:mod:`.joins`): one whose digits continue on the
next line of the same column (``+44 7700`` / ``900123``) or a WhatsApp link cut at
the line end is read whole, only when the whole is valid and neither part is; in
OCR text a "+" read as "1" or "4" is put back when that gives a mobile number of a
hinted country.  A handle gets the platform its label names (``Instagram: @x``,
``تلگرام: @x``; :mod:`.labels`), a link its host's.  An OCR indicator read with low
confidence, joined, guessed or missing from another reading of the image carries
an ``attention`` phrase for the analyst (:mod:`.attention`).
"""

from workstation.reading.indicators.checksums import (
    eip55_checksum,
    is_valid_base58_address,
    is_valid_eth_address,
    is_valid_segwit_address,
    keccak_256,
)
from workstation.reading.indicators.extract import check_region_hints, dedupe, extract_indicators
from workstation.reading.indicators.model import (
    DEFAULT_REGIONS,
    KINDS,
    Box,
    Indicator,
    IndicatorKind,
    InvalidRegionHint,
    WordBox,
    WordLike,
    align_words,
    box_for_span,
    word_boxes,
)
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
    "word_boxes",
]

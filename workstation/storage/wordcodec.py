"""The compact form of an OCR run's words (``ocr_runs.words``).

Why: stored as JSON, the word boxes of a run are ~10 KB — most of a capture's share
of the database (1 GB at 100,000 captures, every run kept).  Almost all of it is
repetition: the key names, the text of each word (already in ``ocr_runs.text``), and
coordinates that differ little from the previous word's.

The compact form is a BLOB: one version byte, then zlib of nine columns of
zigzag varints (x, y, w, h, confidence × 100, block, paragraph, line, word, each as
the difference from the previous word's value) and, per word, where its text lies in
the run's text (the gap since the end of the previous word and its length, in
characters).  A run whose words cannot all be found in order in its text stores
the word texts too (version 2).  Encoding checks that decoding gives back exactly
the words given (as JSON would: lists for boxes, confidences to the hundredth);
anything it cannot represent exactly — a fractional box, a confidence with more
decimals, an odd key — is stored as JSON, as before 0005, so nothing is ever lost.
Rows written before (JSON text) are read as they are.
"""

from __future__ import annotations

import json
import math
import zlib
from typing import Any

from workstation.errors import WorkstationError

#: Words located in the run's text (the common case).
TEXT_FROM_RUN = 1
#: Word texts stored in the blob (they could not all be found in the run's text).
TEXT_INLINE = 2
_KEYS = ("text", "confidence", "bbox", "block", "paragraph", "line", "word")
_INT_LIMIT = 1 << 62  # larger numbers (never a real box) are kept as JSON
_CONFIDENCE_LIMIT = 1e9  # Tesseract gives 0-100 (or -1)


class WordsCodecError(WorkstationError):
    """``ocr_runs.words`` holds something that is neither JSON nor the compact form."""


def _zigzag(value: int) -> int:
    return value * 2 if value >= 0 else -value * 2 - 1


def _unzigzag(value: int) -> int:
    return value >> 1 if not value & 1 else -((value + 1) >> 1)


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _read_varints(data: bytes, count: int, pos: int) -> tuple[list[int], int]:
    values: list[int] = []
    end = len(data)
    for _ in range(count):
        value = shift = 0
        while True:
            if pos >= end:
                raise WordsCodecError("The stored OCR words are cut short.")
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
        values.append(value)
    return values, pos


def _columns(words: list[dict[str, Any]]) -> list[list[int]] | None:
    """The nine integer columns of ``words``, or None if a word cannot be kept exactly."""
    columns: list[list[int]] = [[] for _ in range(9)]
    for word in words:
        if not isinstance(word, dict) or tuple(sorted(word)) != tuple(sorted(_KEYS)):
            return None
        bbox, confidence = word["bbox"], word["confidence"]
        if not isinstance(bbox, list | tuple) or len(bbox) != 4:
            return None
        if isinstance(confidence, bool) or not isinstance(confidence, int | float) \
                or not math.isfinite(confidence) or abs(confidence) > _CONFIDENCE_LIMIT:
            return None
        centi = round(confidence * 100)
        values = [*bbox, centi, word["block"], word["paragraph"], word["line"], word["word"]]
        for column, value in zip(columns, values, strict=True):
            if type(value) is not int or not -_INT_LIMIT < value < _INT_LIMIT:
                return None
            column.append(value)
    return columns


def _locate(words: list[dict[str, Any]], text: str) -> list[int] | None:
    """Per word, (gap since the previous word's end, length) in ``text``; None if a word
    is not found there in order."""
    spans: list[int] = []
    cursor = 0
    for word in words:
        piece = word["text"]
        if not isinstance(piece, str):
            return None
        at = text.find(piece, cursor)
        if at < 0:
            return None
        spans += [at - cursor, len(piece)]
        cursor = at + len(piece)
    return spans


def encode_words(words: list[dict[str, Any]], text: str) -> bytes | str:
    """``words`` as stored: the compact BLOB, or JSON text when that cannot be exact."""
    as_json = json.dumps(words, ensure_ascii=False, separators=(",", ":"))
    normal: list[dict[str, Any]] = json.loads(as_json)
    columns = _columns(normal) if normal else None
    if columns is None:
        return as_json
    spans = _locate(normal, text)
    body = bytearray()
    _put_varint(body, len(normal))
    for column in columns:
        previous = 0
        for value in column:
            _put_varint(body, _zigzag(value - previous))
            previous = value
    if spans is not None:
        version = TEXT_FROM_RUN
        for value in spans:
            _put_varint(body, value)
    else:
        version = TEXT_INLINE
        for word in normal:
            encoded = str(word["text"]).encode("utf-8", "surrogatepass")
            _put_varint(body, len(encoded))
            body += encoded
    blob = bytes([version]) + zlib.compress(bytes(body), 9)
    try:
        exact = decode_compact(blob, text) == normal
    except (WordsCodecError, UnicodeDecodeError):
        exact = False
    return blob if exact else as_json


def decode_compact(blob: bytes, text: str | None) -> list[dict[str, Any]]:
    """The words of a compact BLOB (``text``: the run's text, needed by version 1)."""
    version = blob[0]
    if version not in (TEXT_FROM_RUN, TEXT_INLINE):
        raise WordsCodecError(f"The stored OCR words have an unknown format ({version}).")
    try:
        data = zlib.decompress(blob[1:])
    except zlib.error:
        raise WordsCodecError("The stored OCR words are damaged.") from None
    (count,), pos = _read_varints(data, 1, 0)
    if count > len(data):
        raise WordsCodecError("The stored OCR words are damaged.")
    columns: list[list[int]] = []
    for _ in range(9):
        raw, pos = _read_varints(data, count, pos)
        column, previous = [], 0
        for delta in raw:
            previous += _unzigzag(delta)
            column.append(previous)
        columns.append(column)
    texts: list[str] = []
    if version == TEXT_FROM_RUN:
        if text is None:
            raise WordsCodecError("The stored OCR words need their run's text to be read.")
        spans, pos = _read_varints(data, 2 * count, pos)
        cursor = 0
        for k in range(count):
            start = cursor + spans[2 * k]
            cursor = start + spans[2 * k + 1]
            texts.append(text[start:cursor])
    else:
        for _ in range(count):
            (size,), pos = _read_varints(data, 1, pos)
            texts.append(data[pos:pos + size].decode("utf-8", "surrogatepass"))
            pos += size
    return [{"text": texts[k], "confidence": columns[4][k] / 100,
             "bbox": [columns[0][k], columns[1][k], columns[2][k], columns[3][k]],
             "block": columns[5][k], "paragraph": columns[6][k], "line": columns[7][k],
             "word": columns[8][k]} for k in range(count)]


def decode(raw: str | bytes | None, text: str | None = None) -> list[dict[str, Any]]:
    """The words as stored in ``ocr_runs.words`` — JSON text (any row before the compact
    form, or one it could not represent) or the compact BLOB."""
    if not raw:
        return []
    if isinstance(raw, bytes) and raw[0] in (TEXT_FROM_RUN, TEXT_INLINE):
        return decode_compact(raw, text)
    try:
        words: list[dict[str, Any]] = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WordsCodecError("The stored OCR words are neither JSON nor the compact "
                              "form.") from None
    return words

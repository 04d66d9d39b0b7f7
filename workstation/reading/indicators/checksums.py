"""Checksums that tell a real wallet address from a random string: Keccak-256 and EIP-55
(Ethereum), Base58Check (Bitcoin legacy), Bech32/Bech32m (SegWit)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence


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

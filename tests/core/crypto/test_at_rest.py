"""The pieces of encryption at rest: the data key wrapped by a passphrase (``age -d``
opens it), and files encrypted with it in authenticated 1 MiB chunks."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require_tool
from workstation.crypto import datakey, filecrypt
from workstation.crypto.secretstore import WrongPassphrase

KEY = bytes(range(32))


def test_a_data_key_is_unwrapped_only_by_its_passphrase(tmp_path: Path) -> None:
    path = tmp_path / datakey.KEY_FILE
    key = datakey.create(path, "first passphrase")
    assert len(key) == 32 and key not in path.read_bytes()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert datakey.unwrap(path, "first passphrase") == key
    before = path.read_bytes()
    with pytest.raises(WrongPassphrase, match="nothing was opened or written"):
        datakey.unwrap(path, "wrong")
    with pytest.raises(WrongPassphrase):
        datakey.rewrap(path, "wrong", "second passphrase")
    assert path.read_bytes() == before
    datakey.rewrap(path, "first passphrase", "second passphrase")
    assert datakey.unwrap(path, "second passphrase") == key  # same key: data untouched
    with pytest.raises(WrongPassphrase):
        datakey.unwrap(path, "first passphrase")
    with pytest.raises(datakey.DataKeyError, match="already"):
        datakey.create(path, "x")


def test_the_age_cli_opens_the_wrapped_key_with_the_passphrase(tmp_path: Path) -> None:
    """Standard tools can recover the key (with the passphrase): no lock-in."""
    age = require_tool("age")
    path = tmp_path / datakey.KEY_FILE
    key = datakey.create(path, "pass phrase")
    wrapped = tmp_path / "wrapped.age"
    wrapped.write_bytes(base64.b64decode(json.loads(path.read_text())["wrapped"]))
    # age reads the passphrase from the terminal only; script it through `script`
    script = require_tool("script")
    out = tmp_path / "key.bin"
    subprocess.run([script, "-qec", f"{age} -d -o {out} {wrapped}", "/dev/null"],
                   input=b"pass phrase\n", check=True, timeout=60, capture_output=True)
    assert out.read_bytes() == key


def test_a_swapped_or_damaged_key_file_is_refused(tmp_path: Path) -> None:
    one, two = tmp_path / "one.key", tmp_path / "two.key"
    key = datakey.create(one, "pass")
    datakey.create(two, "pass")
    datakey.check(one, key)
    with pytest.raises(datakey.DataKeyError):
        datakey.check(two, key)
    document = json.loads(one.read_text())
    document["key_id"] = json.loads(two.read_text())["key_id"]
    one.write_text(json.dumps(document))
    with pytest.raises(datakey.DataKeyError, match="not the one it names"):
        datakey.unwrap(one, "pass")
    one.write_bytes(b"\x00garbage")
    with pytest.raises(datakey.DataKeyError, match="damaged"):
        datakey.unwrap(one, "pass")
    with pytest.raises(datakey.DataKeyError, match="missing"):
        datakey.unwrap(tmp_path / "absent.key", "pass")


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=3 * filecrypt.CHUNK + 5))
def test_files_round_trip_whatever_their_size(size: int) -> None:
    data = os.urandom(size)
    blob = filecrypt.encrypt_bytes(data, KEY)
    assert len(blob) == filecrypt.encrypted_size(size)
    assert filecrypt.decrypt_bytes(blob, KEY) == data
    reader = filecrypt.DecryptingReader(io.BytesIO(blob), KEY)
    pieces = []
    while chunk := reader.read(100_000):
        pieces.append(chunk)
    assert b"".join(pieces) == data


@pytest.mark.parametrize("damage", ["flip", "truncate-chunk", "truncate-bytes", "swap",
                                    "wrong-key", "append"])
def test_a_damaged_file_never_decrypts(damage: str) -> None:
    data = os.urandom(2 * filecrypt.CHUNK + 10)
    blob = bytearray(filecrypt.encrypt_bytes(data, KEY))
    key = KEY
    step = filecrypt.CHUNK + filecrypt.TAG
    start = filecrypt.HEADER_SIZE
    if damage == "flip":
        blob[len(blob) // 2] ^= 1
    elif damage == "truncate-chunk":  # cut at a chunk boundary: the last chunk is missing
        del blob[start + 2 * step:]
    elif damage == "truncate-bytes":
        del blob[-5:]
    elif damage == "swap":
        first, second = blob[start:start + step], blob[start + step:start + 2 * step]
        blob[start:start + 2 * step] = second + first
    elif damage == "wrong-key":
        key = bytes(32)
    elif damage == "append":
        blob += filecrypt.encrypt_bytes(b"more", KEY)[filecrypt.HEADER_SIZE:]
    with pytest.raises(filecrypt.FileDecryptionError):
        filecrypt.decrypt_bytes(bytes(blob), key)


def test_the_ciphertext_reveals_no_plaintext() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"Call +447700900123 on WhatsApp " * 1000
    blob = filecrypt.encrypt_bytes(data, KEY)
    for known in (b"PNG", b"447700900123", b"WhatsApp"):
        assert known not in blob
    assert filecrypt.encrypt_bytes(data, KEY) != blob  # a fresh nonce every time

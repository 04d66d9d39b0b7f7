"""The workstation's own age encryptor (:mod:`workstation.crypto.agestream`): every output
is opened by the real ``age`` CLI and by pyrage, for X25519 and ssh-ed25519 recipients,
at every size where the STREAM's last-chunk rule matters."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pyrage
import pytest

from tests.conftest import require_tool
from tests.core.crypto.test_agecrypt import AgeKey, SshKey
from workstation.crypto import age as agecrypt
from workstation.crypto.agestream import BATCH, CHUNK, SLOTS, EncryptingWriter, header
from workstation.crypto.recipients import InvalidRecipient


def _encrypt(data: bytes, recipients: list[str], *, step: int = 100_003) -> bytes:
    out = io.BytesIO()
    with EncryptingWriter(out, recipients) as writer:
        for start in range(0, len(data), step):
            writer.write(data[start:start + step])
    return out.getvalue()


def _age_cli_decrypt(blob: bytes, identity: Path, tmp_path: Path) -> bytes:
    src = tmp_path / "in.age"
    src.write_bytes(blob)
    result = subprocess.run([require_tool("age"), "-d", "-i", str(identity), str(src)],
                            capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, BATCH - 1, BATCH,
                                  BATCH + 1, 2 * BATCH, 3 * BATCH + CHUNK + 7,
                                  # every reused buffer filled more than once
                                  (2 * SLOTS + 1) * BATCH + 12_345])
def test_the_age_cli_and_pyrage_open_every_size(size: int, tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    data = os.urandom(size)
    blob = _encrypt(data, [key.recipient])
    assert _age_cli_decrypt(blob, key.identity_file, tmp_path) == data
    identity = agecrypt.load_identities(key.identity_file)
    assert pyrage.decrypt(blob, identity) == data
    chunks = max(1, -(-size // CHUNK))
    mac_line = len(b"\n--- ") + 43 + 1  # the MAC, base64 without padding, and a newline
    assert len(blob) == blob.index(b"\n---") + mac_line + 16 + size + 16 * chunks


def test_ssh_ed25519_and_several_recipients(tmp_path: Path) -> None:
    ssh, first, second = SshKey(tmp_path, "ssh"), AgeKey(tmp_path, "a"), AgeKey(tmp_path, "b")
    data = os.urandom(BATCH + 12_345)
    blob = _encrypt(data, [first.recipient, ssh.recipient, second.recipient], step=4096)
    head = blob.split(b"\n---", 1)[0].decode()
    assert head.count("\n-> X25519 ") == 2 and head.count("\n-> ssh-ed25519 ") == 1
    for who in (ssh, first, second):
        assert _age_cli_decrypt(blob, who.identity_file, tmp_path) == data
    assert pyrage.decrypt(blob, agecrypt.load_identities(ssh.identity_file)) == data


def test_an_altered_or_cut_file_is_refused_by_age(tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    data = os.urandom(3 * CHUNK)
    blob = _encrypt(data, [key.recipient])
    end_of_header = blob.index(b"\n---") + 1
    cases = {
        "header": blob[:10] + bytes([blob[10] ^ 1]) + blob[11:],
        "mac": blob[:end_of_header + 5] + bytes([blob[end_of_header + 5] ^ 1])
        + blob[end_of_header + 6:],
        "payload": blob[:-100] + bytes([blob[-100] ^ 1]) + blob[-99:],
        "last chunk cut": blob[:-(CHUNK + 16)],
    }
    for name, bad in cases.items():
        src = tmp_path / f"{name}.age"
        src.write_bytes(bad)
        result = subprocess.run([require_tool("age"), "-d", "-i", str(key.identity_file),
                                 str(src)], capture_output=True, timeout=60, check=False)
        assert result.returncode != 0, name
        with pytest.raises(agecrypt.DecryptionFailed):
            agecrypt.decrypt_stream(io.BytesIO(bad), io.BytesIO(), key.identity_file)


def test_each_file_has_its_own_key_and_nonce(tmp_path: Path) -> None:
    key = AgeKey(tmp_path, "k")
    data = b"the same advert " * 10_000
    one, two = _encrypt(data, [key.recipient]), _encrypt(data, [key.recipient])
    assert one != two
    assert data[:64] not in one and data[:64] not in two
    assert header([key.recipient], bytes(16)) != header([key.recipient], bytes(16))


def test_no_recipient_or_a_bad_one_is_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    out = tmp_path / "x.age"
    with pytest.raises(InvalidRecipient, match="At least one"):
        EncryptingWriter(out, [])
    with pytest.raises(InvalidRecipient):
        EncryptingWriter(out, ["age1nope"])
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_fails_at_once_leaves_no_writer_behind(tmp_path: Path) -> None:
    """A full disk already at the header: the error is raised by the constructor (the
    failure later in the stream is ``test_agecrypt``'s full-disk test)."""
    key = AgeKey(tmp_path, "k")

    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: object) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(agecrypt.EncryptionFailed, match="No space left"):
        EncryptingWriter(Full(), [key.recipient])


def test_an_output_that_takes_a_little_at_a_time_gets_everything(tmp_path: Path) -> None:
    """A raw output may write less than it is given (a pipe, a socket): the rest is
    written again, never dropped."""
    key = AgeKey(tmp_path, "k")

    class Trickle(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            piece = bytes(memoryview(b)[:9_999])
            self.data += piece
            return len(piece)

    out = Trickle()
    data = os.urandom(2 * BATCH + 3)
    with EncryptingWriter(out, [key.recipient]) as writer:
        writer.write(data)
    assert pyrage.decrypt(bytes(out.data), agecrypt.load_identities(key.identity_file)) == data


def test_a_write_cut_short_cannot_be_closed_as_a_whole_file(tmp_path: Path) -> None:
    """A write that fails half-way (here: not bytes at all) leaves the stream incomplete:
    close refuses, and a path output is not created."""
    key = AgeKey(tmp_path, "k")
    out = tmp_path / "cut.age"
    writer = EncryptingWriter(out, [key.recipient])
    writer.write(os.urandom(BATCH + 5))
    with pytest.raises(TypeError):
        writer.write("not bytes")  # type: ignore[arg-type]
    with pytest.raises(agecrypt.EncryptionFailed):
        writer.close()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [key.identity_file]

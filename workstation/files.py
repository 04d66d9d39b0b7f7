"""The one home of file-writing and hashing helpers: atomic writes and copies
(temporary file in the same folder, fsync, rename, fsync of the folder), the
fsync of a folder, and the SHA-256 of a file read in chunks.

Everything that must survive a crash or a power cut half-way (evidence, secrets,
sealed packs, delivered copies) is written through here, so a reader sees either
the old file or the whole new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

#: Read and copy in 1 MiB chunks: flat memory whatever the file's size.
CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 (hex) of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename or a new file in ``directory`` durable (no-op on Windows)."""
    if os.name == "nt":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], mode: int = 0o644,
                  durable: bool = True) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` when the block succeeds and vanishes when it
    fails: temp file in the same folder (+ fsync when ``durable``) + rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            if durable:
                os.fsync(out.fileno())
        os.chmod(name, mode)
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(target.parent)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o644,
                 durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, mode, durable) as out:
        out.write(data)


def atomic_text(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically and durably."""
    atomic_write(path, text.encode("utf-8"), mode)


def atomic_copy(src: str | os.PathLike[str], dest: str | os.PathLike[str],
                mode: int = 0o644) -> str:
    """Copy ``src`` to ``dest`` atomically and durably; return the SHA-256 of the bytes
    written (compare it with the expected one: the source may have changed)."""
    digest = hashlib.sha256()
    with open(src, "rb") as fin, atomic_output(dest, mode) as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            fout.write(chunk)
    return digest.hexdigest()


class CloseOrAbort:
    """The context-manager protocol of the streaming writers (encryption, the pack ZIP):
    ``close()`` when the ``with`` block succeeds, ``abort()`` when it raises, so a failed
    write never leaves a half-written output behind."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

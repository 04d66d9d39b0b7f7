"""The one home of file-writing and hashing helpers: atomic writes and copies
(temporary file in the same folder, fsync, rename, fsync of the folder), the
fsync of a folder, and the SHA-256 of a file read in chunks.

Everything that must survive a crash or a power cut half-way (evidence, secrets,
sealed packs, delivered copies) is written through here, so a reader sees either
the old file or the whole new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
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


class AtomicFile:
    """A file written under a temporary name beside ``path``: :meth:`commit` moves it
    into place (flush, fsync when ``durable``, chmod, rename, fsync of the folder);
    :meth:`discard` removes it.  Either happens once; for writers that stay open across
    calls (the pack ZIP, the sealed pack's outputs).  ``folder_sync_required=False``
    tolerates a folder that cannot be synced (some removable drives).  ``staging`` puts the
    temporary file in another folder of the same file system (one folder to clean of a
    killed writer's leftovers, rather than every folder written to).

    Attributes:
        path: where the file will be.
        file: the open binary file to write to.
    """

    def __init__(self, path: str | os.PathLike[str], mode: int = 0o644, *,
                 durable: bool = True, buffering: int = -1, make_parents: bool = True,
                 folder_sync_required: bool = True,
                 staging: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        if make_parents:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=self.path.parent if staging is None else staging,
                                         prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            self.file: BinaryIO = os.fdopen(fd, "wb", buffering=buffering)
        except BaseException:
            os.close(fd)
            Path(self._tmp).unlink(missing_ok=True)
            raise
        self._mode = mode
        self._durable = durable
        self._folder_sync_required = folder_sync_required
        self._done = False

    @property
    def temporary(self) -> str:
        """The temporary file's path (to read it back before :meth:`commit`)."""
        return self._tmp

    def commit(self) -> None:
        """Move the file into place; on failure it is removed and the error raised."""
        if self._done:
            return
        self._done = True
        try:
            self.file.flush()
            if self._durable:
                os.fsync(self.file.fileno())
            self.file.close()
            os.chmod(self._tmp, self._mode)
            os.replace(self._tmp, self.path)
        except BaseException:
            self._remove()
            raise
        if self._durable:
            try:
                fsync_dir(self.path.parent)
            except OSError:
                # Some removable drives' file systems refuse to sync a folder; the file
                # itself was synced before the rename.
                if self._folder_sync_required:
                    raise

    def discard(self) -> None:
        """Remove the temporary file; ``path`` is left as it was."""
        if not self._done:
            self._done = True
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        Path(self._tmp).unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], mode: int = 0o644, durable: bool = True,
                  staging: str | os.PathLike[str] | None = None) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` when the block succeeds and vanishes when it
    fails (see :class:`AtomicFile`)."""
    out = AtomicFile(path, mode, durable=durable, staging=staging)
    try:
        yield out.file
    except BaseException:
        out.discard()
        raise
    out.commit()


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o644,
                 durable: bool = True, staging: str | os.PathLike[str] | None = None) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, mode, durable, staging) as out:
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


#: Linux's FICLONE ioctl (``_IOW(0x94, 9, int)``): a copy-on-write clone of a whole file.
_FICLONE = 0x40049409


def _clone(src: BinaryIO, dest: BinaryIO) -> bool:
    """Make ``dest`` a reflink of ``src`` (shared extents, nothing written); ``False``
    where the file system or the platform cannot (ext4, tmpfs, two file systems...)."""
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    try:
        fcntl.ioctl(dest.fileno(), _FICLONE, src.fileno())
    except OSError:
        return False
    return True


def _copy_data(src: BinaryIO, dest: BinaryIO) -> None:
    """Copy the bytes of ``src`` into ``dest``: in the kernel where it can
    (``copy_file_range``), else in 1 MiB chunks."""
    size = os.fstat(src.fileno()).st_size
    offset = 0
    if hasattr(os, "copy_file_range"):
        try:
            while offset < size:
                n = os.copy_file_range(src.fileno(), dest.fileno(), min(size - offset, 1 << 30))
                if n == 0:
                    break
                offset += n
        except OSError:  # not across these file systems: copy what is left by hand
            pass
    src.seek(offset)
    dest.seek(offset)
    while chunk := src.read(CHUNK):
        dest.write(chunk)


def export_copy(src: str | os.PathLike[str], dest: str | os.PathLike[str],
                expected_sha256: str, mode: int = 0o644) -> str:
    """Put a copy of the write-once file ``src`` (whose SHA-256 is ``expected_sha256``) at
    ``dest``, which must not exist; return how: ``"reflink"``, ``"hardlink"`` or ``"copy"``.

    On one file system nothing is written again: a reflink (a copy-on-write clone,
    ``dest`` gets ``mode``) or else a hard link (``dest`` is the same file, with
    ``src``'s mode).  Otherwise the bytes are copied atomically and durably, then
    read back and checked against ``expected_sha256``; a difference removes the
    copy and raises ``ValueError``.  A folder that cannot be synced (some removable
    drives) is tolerated; ``OSError`` is raised for the rest.
    """
    src, dest = Path(src), Path(dest)
    if dest.exists() or dest.is_symlink():
        raise FileExistsError(errno.EEXIST, "File exists", os.fspath(dest))
    with open(src, "rb") as fin:
        out = AtomicFile(dest, mode, make_parents=False, folder_sync_required=False)
        try:
            if _clone(fin, out.file):
                out.commit()
                return "reflink"
        except BaseException:
            out.discard()
            raise
        if os.fstat(fin.fileno()).st_dev == os.stat(dest.parent).st_dev:
            out.discard()
            try:
                os.link(src, dest)
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EXDEV):
                    raise
            else:
                with contextlib.suppress(OSError):
                    fsync_dir(dest.parent)
                return "hardlink"
            out = AtomicFile(dest, mode, make_parents=False, folder_sync_required=False)
        try:
            _copy_data(fin, out.file)
            out.commit()
        except BaseException:
            out.discard()
            raise
    copied = sha256_file(dest)
    if copied != expected_sha256:
        dest.unlink(missing_ok=True)
        raise ValueError(f"the copy at {os.fspath(dest)!r} reads back with SHA-256 {copied}, "
                         f"not {expected_sha256}")
    return "copy"

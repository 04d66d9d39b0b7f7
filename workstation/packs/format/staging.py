"""Where ``pack open -o DIR`` works: a private staging folder beside ``DIR``.

Decrypted plaintext never outlives the process that made it.  The decrypted ZIP is
an unlinked temporary file (``O_TMPFILE`` where the file system has it) inside the
staging folder; verified files are extracted into the staging folder, which is
renamed to ``DIR`` only when everything verified.  The folder is locked (``flock``)
while its run lives: a run that is stopped (SIGTERM, Ctrl-C) removes it itself, and
one killed outright (``kill -9``, power cut) leaves a folder whose lock is free, which
the next ``pack open`` beside it removes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no flock; stale folders are not cleaned there
    fcntl = None  # type: ignore[assignment]

from workstation.files import fsync_dir

#: Name prefix of staging folders (also of the work folders of earlier versions).
STAGING_PREFIX = ".alertpack-open-"


class OutputError(Exception):
    """The output folder cannot be used or written (one line, for the ``output`` check)."""


def _describe(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def _lock(path: Path) -> int | None:
    """An fd holding an exclusive lock on folder ``path``; None when another process
    holds it (or the folder is gone)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
                     | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_stale(parent: Path, keep: Path | None = None) -> list[Path]:
    """Remove the staging folders in ``parent`` whose run has ended; return them."""
    if fcntl is None:  # pragma: no cover - Windows
        return []
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(STAGING_PREFIX) or Path(entry.path) == keep:
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        fd = _lock(Path(entry.path))
        if fd is None:
            continue  # a live run's folder
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(Path(entry.path))
    return removed


class Staging:
    """A locked staging folder beside ``target`` (see the module's description).

    Raises :class:`OutputError` when ``target`` exists and is not an empty folder, or
    no folder can be made beside it.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        if target.is_symlink() or (target.exists() and (not target.is_dir()
                                                         or any(target.iterdir()))):
            raise OutputError(f"{os.fspath(target)!r} exists and is not an empty folder")
        self.parent = target.absolute().parent
        self._fd: int | None = None
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            self.path = self._make()
        except OSError as exc:
            raise OutputError(f"cannot write beside {os.fspath(target)!r}: "
                              f"{_describe(exc)}") from None
        self.removed_stale = remove_stale(self.parent, keep=self.path)

    def _make(self) -> Path:
        for _ in range(5):
            path = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.parent))
            if fcntl is None:  # pragma: no cover - Windows: no lock, no cleaning by others
                return path
            fd = _lock(path)
            if fd is None:
                continue  # another run's cleaner took it between mkdtemp and the lock
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except OSError:
                same = False
            if same:
                self._fd = fd
                return path
            os.close(fd)
        raise OSError(f"no staging folder could be made in {os.fspath(self.parent)!r}")

    def temporary_file(self) -> IO[bytes]:
        """An unlinked temporary file inside the staging folder (for the plaintext ZIP)."""
        try:
            return tempfile.TemporaryFile(dir=self.path)
        except OSError as exc:
            raise OutputError(f"cannot write in {os.fspath(self.parent)!r}: "
                              f"{_describe(exc)}") from None

    @property
    def files(self) -> Path:
        """The folder the verified files are extracted into (renamed to the target)."""
        return self.path / "pack"

    def commit(self) -> None:
        """Make the extracted files durable and move them to the target."""
        try:
            for folder, _dirs, names in os.walk(self.files):
                for name in names:
                    fd = os.open(os.path.join(folder, name), os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                fsync_dir(folder)
            if self.target.is_dir() and not self.target.is_symlink():
                self.target.rmdir()  # empty: checked when the staging folder was made
            os.rename(self.files, self.target)
            fsync_dir(self.parent)
        except OSError as exc:
            raise OutputError(f"cannot move the verified files to {os.fspath(self.target)!r}: "
                              f"{_describe(exc)}") from None

    def discard(self) -> None:
        """Remove the staging folder (and whatever was extracted into it) and unlock."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

"""Who may read a workspace: its owner only, whatever the umask.

Evidence of crimes, OCR text, contacts and secrets must not be readable by the other
users of a shared machine.  On POSIX, folders are created 0700 and files 0600
(evidence files 0400: read-only); a workspace made by an older version, or copied
with looser modes, is tightened each time it is opened for writing — the workspace
folder itself and what lies directly in it, so nothing inside is reachable by
another user even where an older file kept its mode.  Nothing here changes a
file's bytes.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
EVIDENCE_MODE = 0o400

_POSIX = os.name == "posix"


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents below an existing folder as 0700 (a
    folder that already exists is left as it is)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
            restrict(folder, DIR_MODE)


def restrict(path: Path, mode: int) -> None:
    """Remove every permission of ``path`` beyond ``mode`` (never adds one); a file
    that is not ours or has gone is left alone."""
    if not _POSIX:  # pragma: no cover - Windows keeps a user's profile private
        return
    with contextlib.suppress(OSError):
        current = stat.S_IMODE(os.lstat(path).st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)


def tighten(root: Path) -> None:
    """The workspace folder 0700; the folders directly in it 0700, its files 0600."""
    if not _POSIX:  # pragma: no cover
        return
    restrict(root, DIR_MODE)
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            if entry.is_symlink():
                continue
            restrict(Path(entry.path), DIR_MODE if entry.is_dir() else FILE_MODE)

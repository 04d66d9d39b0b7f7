"""A consistent copy of a workspace database while the application may have it open:
SQLite's online backup API over a read-only connection to the source.  A database
encrypted at rest (SQLCipher) is copied with both ends keyed with the same key, so the
copy stays encrypted, page for page."""

from __future__ import annotations

import os
from pathlib import Path

from workstation.errors import WorkstationError
from workstation.storage.db import apply_key, is_plain_database
from workstation.storage.sqlitelib import sqlite3

_FILE_MODE = 0o600


def copy_database(source: Path, dest: Path, key: bytes | None = None) -> None:
    """Copy the database at ``source`` to the new file ``dest`` (created 0600), page by
    page in one read transaction: what a writer commits meanwhile is either wholly in the
    copy or not at all.  With ``key`` (a workspace encrypted at rest) both the source and
    the copy are keyed with it: the copy is encrypted with the same key.  Raises
    :class:`WorkstationError` with SQLite's reason."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise WorkstationError(f"cannot open {source} (SQLite: {exc})") from None
    try:
        if key is not None:
            apply_key(src, key)
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE))
        target = sqlite3.connect(dest)
        try:
            if key is not None:
                apply_key(target, key)
            src.execute("PRAGMA busy_timeout = 5000")
            src.backup(target)
            target.commit()
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise WorkstationError(f"cannot copy {source} (SQLite: {exc})") from None
    finally:
        src.close()
    if key is not None and is_plain_database(dest):  # a SQLite without SQLCipher
        dest.unlink(missing_ok=True)
        raise WorkstationError(f"the copy of {source} came out unencrypted (this SQLite "
                               "cannot encrypt); nothing was kept")

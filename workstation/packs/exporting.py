"""The export of a sealed pack (``pack build -o FILE_OR_DIR``): the pack is sealed once,
into the outbox, and the export is a copy of that file (:func:`workstation.files.export_copy`):
a reflink or a hard link on the same file system -- nothing is written twice -- or else a
copy that is read back and checked against the SHA-256 recorded at sealing."""

from __future__ import annotations

import os
from pathlib import Path

from workstation.files import export_copy
from workstation.packs.format.spec import PackError
from workstation.storage.db import is_disk_full


def export_pack(sealed: Path, dest: Path, sha256: str) -> str:
    """Copy the sealed pack to ``dest`` (which must not exist); return how (``reflink``,
    ``hardlink`` or ``copy``).  Errors are one-line :class:`PackError`\\ s, but for a
    full disk, left to the caller's translation ("disk full")."""
    try:
        return export_copy(sealed, dest, sha256)
    except FileExistsError:
        raise PackError(f"{os.fspath(dest)!r} already exists; the pack is not written "
                        "over it.") from None
    except ValueError as exc:
        raise PackError(f"The copy of the pack does not read back correctly ({exc}); the "
                        "drive may be failing. The pack was not created.") from None
    except OSError as exc:
        if is_disk_full(exc):
            raise
        raise PackError(f"Cannot write the pack to {os.fspath(dest)!r}: "
                        f"{exc.strerror or exc}. The pack was not created.") from None

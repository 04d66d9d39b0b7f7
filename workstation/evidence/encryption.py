"""``workstation encrypt``: converting a workspace to encryption at rest, resumably.

The conversion, under the workspace's write lock:

1. a data key is made and wrapped with the passphrase (``workspace.key``;
   :mod:`workstation.crypto.datakey`) -- from here on the workspace only opens through
   ``encrypt`` until the conversion is finished;
2. every file the workspace keeps -- the originals, the thumbnails, the redacted copies
   -- is encrypted in place: each encrypted copy is written beside it, read back, and
   only when its plaintext has the same SHA-256 does it replace the plain file
   (atomically).  A file already encrypted is skipped, so a conversion that was
   stopped (cancelled, killed, a full disk) goes on where it was when run again;
3. the database is exported into a new SQLCipher file with the same key, checked (the
   same rows in every table, the same audit head, SQLite's integrity check) and only
   then put in place of the plain one;
4. the conversion is recorded in the audit trail (``workspace.encrypt``).

The secret store (``secrets/``) and the sealed packs of the outbox are encrypted already
(age).  What was deleted is not overwritten: the plain bytes may remain in the free
space of the disk (full-disk encryption covers that).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workstation.crypto import datakey, unlock
from workstation.crypto.vault import Vault
from workstation.errors import Cancelled, NoWorkspace, WorkstationError
from workstation.files import fsync_dir
from workstation.permissions import EVIDENCE_MODE, FILE_MODE
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.storage import anchor
from workstation.storage.db import (
    WriteLock,
    checkpoint,
    connect,
    export_encrypted,
    integrity_ok,
    is_plain_database,
    table_counts,
)

DB_NAME = "workspace.db"
#: Where the encrypted database is written before it replaces the plain one.
PARTIAL_DB = "workspace.db.encrypting"


class EncryptionError(WorkstationError):
    """The conversion stopped; what was converted stays converted, and running it again
    goes on from there."""


@dataclass(frozen=True, slots=True)
class EncryptResult:
    """What a conversion did."""

    path: str
    files_encrypted: int
    files_already: int
    database_encrypted: bool
    resumed: bool

    def summary(self) -> str:
        done = (f"{self.files_encrypted} file(s) encrypted"
                + (f", {self.files_already} already encrypted" if self.files_already else "")
                + ("; the database encrypted" if self.database_encrypted else ""))
        return f"the workspace at {self.path} is encrypted at rest ({done})"

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "files_encrypted": self.files_encrypted,
                "files_already_encrypted": self.files_already,
                "database_encrypted": self.database_encrypted, "resumed": self.resumed,
                "encrypted": True}


def encrypt_workspace(root: Path, passphrase: str | None, *,
                      progress: ProgressCallback | None = None,
                      cancel: CancelToken | None = None) -> EncryptResult:
    """Convert the workspace at ``root`` (see the module's docstring).  A new conversion
    needs ``passphrase`` (the one that will open it); one being resumed takes the key
    from ``passphrase``, this process or the OS keyring."""
    from workstation.workspace import Workspace

    root = Path(root)
    db_path = root / DB_NAME
    if not db_path.is_file():
        raise NoWorkspace(f"no workspace at {root}; nothing was encrypted")
    resumed = unlock.is_encrypted(root)
    if not resumed:
        if not passphrase:
            raise WorkstationError("Give the passphrase that will protect the workspace "
                                   "({how}); nothing was encrypted.",
                                   how="--passphrase-env VAR")
        # the checks of a normal open first (anchors, a newer schema, the upgrade)
        Workspace.open(root, create=False).close()
    lock = WriteLock(root / "workspace.lock")
    lock.acquire()
    try:
        if resumed:
            key = unlock.data_key(root, passphrase)
        else:
            key = datakey.create(unlock.key_path(root), passphrase or "")
            unlock.remember(key)
        vault = Vault(key)
        done, already = _encrypt_files(root, vault, progress, cancel)
        database = _encrypt_database(root, key) if is_plain_database(db_path) else False
    finally:
        lock.release()
    result = EncryptResult(os.fspath(root), done, already, database, resumed)
    if not (done or database):
        raise WorkstationError(f"The workspace at {root} is encrypted at rest already; "
                               "nothing was changed.")
    with Workspace.open(root, create=False) as ws, ws.ctx.write():
        ws.audit.append(ws.analyst, "workspace.encrypt", "workspace", {
            "files_encrypted": done, "files_already_encrypted": already,
            "database_encrypted": database, "resumed": resumed,
            "key_id": datakey.key_id(key)})
    return result


def _files(root: Path) -> Iterator[tuple[Path, int, Path]]:
    """Every file the workspace keeps that is encrypted at rest: (path, its mode, where
    its encrypted copy is staged)."""
    evidence = root / "evidence"
    if evidence.is_dir():
        for first in sorted(evidence.iterdir()):
            if first.name == "tmp" or not first.is_dir():
                continue
            for path in sorted(first.glob("*/*")):
                if path.is_file():
                    yield path, EVIDENCE_MODE, evidence / "tmp"
    for folder, pattern in (("thumbs", "*/*.jpg"), ("redacted", "*/*.png")):
        base = root / folder
        if base.is_dir():
            for path in sorted(base.glob(pattern)):
                if path.is_file():
                    yield path, FILE_MODE, base


def _encrypt_files(root: Path, vault: Vault, progress: ProgressCallback | None,
                   cancel: CancelToken | None) -> tuple[int, int]:
    (root / "evidence" / "tmp").mkdir(parents=True, exist_ok=True, mode=0o700)
    _remove_plain_leftovers(root)
    files = list(_files(root))
    done = already = 0
    for n, (path, mode, staging) in enumerate(files):
        if cancel is not None and cancel.cancelled:
            raise Cancelled(f"Encrypting was stopped after {done} file(s); run it again to "
                            "go on from there (the workspace opens only through it until it "
                            "is finished).")
        report(progress, n, len(files), path.name)
        try:
            if vault.encrypt_file(path, mode=mode, staging=staging):
                done += 1
            else:
                already += 1
        except OSError as exc:
            raise EncryptionError(
                f"Cannot encrypt {path.relative_to(root)}: {exc.strerror or exc}. What was "
                "encrypted stays so; run it again to go on.") from None
    report(progress, len(files), len(files), "files")
    return done, already


def _remove_plain_leftovers(root: Path) -> None:
    """Staged imports and spooled previews a killed process left behind (plain)."""
    for leftover in (root / "evidence" / "tmp").iterdir():
        with contextlib.suppress(OSError):
            leftover.unlink()
    outbox = root / "outbox"
    if outbox.is_dir():
        for spool in outbox.glob(".previews-*"):
            shutil.rmtree(spool, ignore_errors=True)


def _encrypt_database(root: Path, key: bytes) -> bool:
    """Export the plain database into SQLCipher, check the copy, and put it in place."""
    db_path, partial = root / DB_NAME, root / PARTIAL_DB
    partial.unlink(missing_ok=True)  # an export that was interrupted: made again whole
    plain = connect(db_path)
    try:
        checkpoint(plain)
        expected = table_counts(plain)
        head = anchor.database_head(plain)
        export_encrypted(plain, partial, key)
    finally:
        plain.close()
    copy = connect(partial, key=key)
    try:
        same = (table_counts(copy) == expected and anchor.database_head(copy) == head
                and integrity_ok(copy))
        checkpoint(copy)
    finally:
        copy.close()
    if not same:
        partial.unlink(missing_ok=True)
        raise EncryptionError("The encrypted copy of the database does not hold the same "
                              "rows; the plain database was kept. Check it with {how}.",
                              how="verify")
    with open(partial, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, db_path)
    for suffix in ("-wal", "-shm"):
        (root / (DB_NAME + suffix)).unlink(missing_ok=True)
    fsync_dir(root)
    return True

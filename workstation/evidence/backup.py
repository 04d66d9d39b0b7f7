"""``workstation backup DEST`` and ``workstation restore SRC DIR``: a consistent,
verified copy of a workspace.

The database is copied with SQLite's online backup API (read-only on the source, so the
window may have the workspace open and keep writing); then every evidence file the copy
references, each checked against its SHA-256 while it is copied; the sealed packs of the
outbox, checked against their recorded hashes; the passphrase-encrypted secret store; and
the audit anchors for the copy's own folder.  The copy is then verified like ``workstation
verify``; anything wrong and the copy is removed, nothing half-made is left.  A restore is
the same copy, from a backup into a new folder.

A workspace encrypted at rest (:mod:`workstation.crypto.unlock`) gives an encrypted
backup, and an encrypted backup an encrypted workspace, each opening with the same
passphrase: its key file ``workspace.key`` is copied as it is, the database is copied
through SQLCipher with the same data key, and the evidence files' encrypted bytes are
copied as they are, each checked by decrypting it against the SHA-256 of its plaintext.
The data key is had (from the passphrase, this process, the OS keyring, or ``ask``)
before anything is written: a wrong passphrase leaves nothing at the destination."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from workstation.crypto import datakey, unlock
from workstation.crypto.filecrypt import FileDecryptionError
from workstation.crypto.unlock import Ask
from workstation.crypto.vault import Vault, is_encrypted_file
from workstation.errors import WorkstationError
from workstation.evidence.store import EvidenceStore
from workstation.files import atomic_copy
from workstation.permissions import FILE_MODE
from workstation.storage import anchor
from workstation.storage.db import connect, is_plain_database
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.repositories import CaptureRepo
from workstation.storage.snapshot import copy_database
from workstation.storage.sqlitelib import sqlite3

DB_NAME = "workspace.db"


class BackupError(WorkstationError):
    """A backup or restore that was refused or failed; nothing was left behind."""


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What a backup or restore copied (the copy verified)."""

    path: str
    captures: int
    evidence_bytes: int
    packs: int
    audit_entries: int
    outbox_missing: int
    encrypted: bool = False

    def summary(self) -> str:
        mb = self.evidence_bytes / 1e6
        missing = (f"; {self.outbox_missing} sealed pack file(s) were already missing from the "
                   "outbox" if self.outbox_missing else "")
        return (f"{self.captures} captures ({mb:.1f} MB of evidence), {self.packs} packs and "
                f"{self.audit_entries} audit entries{missing}")

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "captures": self.captures,
                "evidence_bytes": self.evidence_bytes, "packs": self.packs,
                "audit_entries": self.audit_entries, "outbox_missing": self.outbox_missing,
                "encrypted": self.encrypted, "verified": True}


def backup_workspace(source: Path, dest: Path, *, passphrase: str | None = None,
                     ask: Ask | None = None) -> CopyResult:
    """Copy the workspace at ``source`` (open or not) to the new or empty folder ``dest``;
    an encrypted one needs ``passphrase``, or its key cached, or ``ask`` (a prompt)."""
    return _copy(Path(source), Path(dest), "backup", passphrase, ask)


def restore_workspace(source: Path, dest: Path, *, passphrase: str | None = None,
                      ask: Ask | None = None) -> CopyResult:
    """Restore the backup at ``source`` into the new or empty folder ``dest`` (the
    passphrase of an encrypted backup as for :func:`backup_workspace`)."""
    return _copy(Path(source), Path(dest), "restore", passphrase, ask)


def _copy(source: Path, dest: Path, what: str, passphrase: str | None,
          ask: Ask | None) -> CopyResult:
    source = source.expanduser().absolute()
    dest = dest.expanduser().absolute()
    kind = "workspace" if what == "backup" else "backup"
    if not (source / DB_NAME).is_file():
        raise BackupError(f"no {kind} at {source} ({DB_NAME} is missing); nothing was copied")
    key = _data_key(source, kind, passphrase, ask)  # before anything is written
    created = _prepare(source, dest)
    try:
        result = _copy_into(source, dest, what, key)
        _verify_copy(dest)
    except BaseException as exc:
        _remove(dest, created)
        if isinstance(exc, WorkstationError) and not isinstance(exc, BackupError):
            raise BackupError(f"{what} refused: {exc}; nothing was kept at {dest}") from None
        if isinstance(exc, OSError):
            raise BackupError(f"{what} failed: {exc.strerror or exc} ({exc.filename or dest}); "
                              f"nothing was kept at {dest}") from None
        raise
    return result


def _data_key(source: Path, kind: str, passphrase: str | None,
              ask: Ask | None) -> bytes | None:
    """The data key of an encrypted ``source`` (``None`` for a plain one); a wrong or
    missing passphrase is refused as :func:`unlock.data_key` says, nothing written."""
    if not unlock.is_encrypted(source):
        return None
    key = unlock.data_key(source, passphrase, ask)
    if is_plain_database(source / DB_NAME):
        raise BackupError(f"encrypting the {kind} at {source} was interrupted; finish it "
                          "({how}) before copying it; nothing was copied", how="encrypt")
    return key


def _prepare(source: Path, dest: Path) -> bool:
    """Refuse a ``dest`` that is not a new or empty folder, or lies inside ``source``;
    create it.  Returns whether it was created (so a failure removes it)."""
    real_src, real_dest = os.path.realpath(source), os.path.realpath(dest)
    if real_dest == real_src or real_dest.startswith(real_src.rstrip(os.sep) + os.sep):
        raise BackupError(f"{dest} is inside the workspace {source}; choose a folder outside it")
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir():
            raise BackupError(f"{dest} exists and is not a folder; choose a new or empty folder")
        if any(dest.iterdir()):
            raise BackupError(f"{dest} is not empty; choose a new or empty folder "
                              "(nothing was overwritten)")
        return False
    try:
        dest.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise BackupError(f"cannot create {dest}: {exc.strerror or exc}") from None
    return True


def _copy_into(source: Path, dest: Path, what: str, key: bytes | None) -> CopyResult:
    if key is not None:  # the key file as it is: the copy opens with the same passphrase
        atomic_copy(unlock.key_path(source), unlock.key_path(dest), mode=FILE_MODE)
        datakey.check(unlock.key_path(dest), key)
    copy_database(source / DB_NAME, dest / DB_NAME, key)
    conn = connect(dest / DB_NAME, key=key)
    try:
        head = anchor.database_head(conn)
        if what == "restore":
            _check_finished(source, head)
        captures, size = _copy_evidence(conn, source, dest, key)
        packs, missing = _copy_outbox(conn, source, dest)
        if (source / "secrets").is_dir():
            shutil.copytree(source / "secrets", dest / "secrets")
        _write_anchors(conn, dest, head)
    finally:
        conn.close()
    return CopyResult(os.fspath(dest), captures, size, packs, head.seq if head else 0, missing,
                      encrypted=key is not None)


def _check_finished(source: Path, head: anchor.Head | None) -> None:
    """A backup's ``audit.head`` is written after everything else it holds (the outbox,
    the secret store): one without it, or with another head than its database, is a
    backup that was stopped half-way (or altered), and is refused."""
    if head is None:
        return
    found = anchor.read_anchor(source / anchor.ANCHOR_NAME, "backup")
    if found.state != "ok" or found.head != head:
        why = "is missing" if found.state == "absent" else "does not match its database"
        raise BackupError(f"the backup at {source} is incomplete or altered ({anchor.ANCHOR_NAME} "
                          f"{why}: the backup did not finish); nothing was kept")


def _copy_evidence(conn: sqlite3.Connection, source: Path, dest: Path,
                   key: bytes | None) -> tuple[int, int]:
    """Copy every evidence file the copied database references, each checked (an
    encrypted one copied as it is, and checked by the SHA-256 of its plaintext)."""
    src_store, dest_store = EvidenceStore(source / "evidence"), EvidenceStore(dest / "evidence")
    vault = Vault(key) if key is not None else None
    count = size = 0
    for capture_id, sha256 in CaptureRepo(conn).hashes():
        src = src_store.path_for(sha256)
        if not src.is_file():
            raise BackupError(f"the evidence file of capture #{capture_id} is missing from "
                              f"{source}; nothing was kept")
        target = dest_store.path_for(sha256)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest: str | None = atomic_copy(src, target, mode=0o444)
        if vault is not None:
            _check_encrypted(target, capture_id, source)
            digest = _plain_sha256(vault, target)
        if digest != sha256:
            raise BackupError(f"the evidence file of capture #{capture_id} in {source} does not "
                              "match its SHA-256 (altered or damaged); nothing was kept")
        count += 1
        size += target.stat().st_size
    return count, size


def _check_encrypted(target: Path, capture_id: int, source: Path) -> None:
    """Refuse an evidence file kept unencrypted in an encrypted workspace: its backup
    would hold the original in plain."""
    if not is_encrypted_file(target):
        raise BackupError(f"the evidence file of capture #{capture_id} in {source} is stored "
                          "unencrypted in an encrypted workspace ({how} reports it); nothing "
                          "was kept", how="verify")


def _plain_sha256(vault: Vault, path: Path) -> str | None:
    """The SHA-256 of the plaintext of ``path``; ``None`` when it does not decrypt."""
    try:
        return vault.sha256(path)
    except FileDecryptionError:
        return None


def _copy_outbox(conn: sqlite3.Connection, source: Path, dest: Path) -> tuple[int, int]:
    """Copy the sealed pack files, each checked against its recorded SHA-256."""
    packs = PacksRepo(conn).packs()
    missing = 0
    for row in packs:
        name = row["file_name"]
        if not name or os.path.basename(name) != name:
            continue
        src = source / "outbox" / name
        if not src.is_file():
            missing += 1
            continue
        target = dest / "outbox" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = atomic_copy(src, target, mode=0o444)
        if row["file_sha256"] and digest != row["file_sha256"]:
            raise BackupError(f"the sealed pack outbox/{name} in {source} does not match its "
                              "recorded SHA-256 (altered or damaged); nothing was kept")
    return len(packs), missing


def _write_anchors(conn: sqlite3.Connection, dest: Path, head: anchor.Head | None) -> None:
    """``audit.head`` for the copy; the per-user anchor of its folder only where there is
    none yet (one left by a workspace that was in this folder is kept: a copy older than
    it is then reported as a rollback, never hidden)."""
    if head is None:
        return
    anchor.write_anchor(dest / anchor.ANCHOR_NAME, head)
    ident = anchor.workspace_id(conn)
    if ident is not None:
        path = anchor.user_anchor_path(ident, dest)
        if anchor.read_anchor(path, "").state == "absent":
            with contextlib.suppress(OSError):
                anchor.write_anchor(path, head)


def _verify_copy(dest: Path) -> None:
    """Verify the copy as ``workstation verify`` would; refuse it on any problem."""
    from workstation.workspace import Workspace

    with Workspace.open(dest, readonly=True) as ws:
        result = ws.verify()
    if not result.ok:
        first = result.problems[0].message if result.problems else "cancelled"
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        raise BackupError(f"the copy at {dest} does not verify: {first}{more}; nothing was kept")


def _remove(dest: Path, created: bool) -> None:
    """Remove what a failed copy wrote (the folder itself when it was created for it)."""
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in list(dest.iterdir()) if dest.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                child.unlink()


"""``workstation backup DEST`` and ``workstation restore SRC DIR``: a consistent,
verified copy of a workspace.

The database is copied with SQLite's online backup API (read-only on the source, so the
window may have the workspace open and keep writing); then every evidence file the copy
references, each checked against its SHA-256 while it is copied; the sealed packs of the
outbox, checked against their recorded hashes; the passphrase-encrypted secret store; and
the audit anchors for the copy's own folder.  The copy is then verified like ``workstation
verify``; anything wrong and the copy is removed, nothing half-made is left.  A restore is
the same copy, from a backup into a new folder."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from workstation.errors import WorkstationError
from workstation.evidence.store import EvidenceStore
from workstation.files import atomic_copy
from workstation.storage import anchor
from workstation.storage.db import connect
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
                "verified": True}


def backup_workspace(source: Path, dest: Path) -> CopyResult:
    """Copy the workspace at ``source`` (open or not) to the new or empty folder ``dest``."""
    return _copy(Path(source), Path(dest), "backup")


def restore_workspace(source: Path, dest: Path) -> CopyResult:
    """Restore the backup at ``source`` into the new or empty folder ``dest``."""
    return _copy(Path(source), Path(dest), "restore")


def _copy(source: Path, dest: Path, what: str) -> CopyResult:
    source = source.expanduser().absolute()
    dest = dest.expanduser().absolute()
    if not (source / DB_NAME).is_file():
        kind = "workspace" if what == "backup" else "backup"
        raise BackupError(f"no {kind} at {source} ({DB_NAME} is missing); nothing was copied")
    created = _prepare(source, dest)
    try:
        result = _copy_into(source, dest, what)
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


def _copy_into(source: Path, dest: Path, what: str) -> CopyResult:
    copy_database(source / DB_NAME, dest / DB_NAME)
    conn = connect(dest / DB_NAME)
    try:
        head = anchor.database_head(conn)
        if what == "restore":
            _check_finished(source, head)
        captures, size = _copy_evidence(conn, source, dest)
        packs, missing = _copy_outbox(conn, source, dest)
        if (source / "secrets").is_dir():
            shutil.copytree(source / "secrets", dest / "secrets")
        _write_anchors(conn, dest, head)
    finally:
        conn.close()
    return CopyResult(os.fspath(dest), captures, size, packs, head.seq if head else 0, missing)


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


def _copy_evidence(conn: sqlite3.Connection, source: Path, dest: Path) -> tuple[int, int]:
    """Copy every evidence file the copied database references, each checked."""
    src_store, dest_store = EvidenceStore(source / "evidence"), EvidenceStore(dest / "evidence")
    count = size = 0
    for capture_id, sha256 in CaptureRepo(conn).hashes():
        src = src_store.path_for(sha256)
        if not src.is_file():
            raise BackupError(f"the evidence file of capture #{capture_id} is missing from "
                              f"{source}; nothing was kept")
        target = dest_store.path_for(sha256)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if atomic_copy(src, target, mode=0o444) != sha256:
            raise BackupError(f"the evidence file of capture #{capture_id} in {source} does not "
                              "match its SHA-256 (altered or damaged); nothing was kept")
        count += 1
        size += target.stat().st_size
    return count, size


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


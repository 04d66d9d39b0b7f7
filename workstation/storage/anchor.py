"""The audit chain's head, anchored outside the database.

A database can be swapped for an older copy, or have its newest audit entries
deleted together with the ``audit_head`` row; the chain itself still walks.  So
the head (sequence number and hash of the newest entry) is also written, after
every committed change, to two anchor files:

* ``<workspace>/audit.head``, beside the database;
* a per-user copy, ``<user data dir>/anchors/<workspace id>/<folder digest>.head``
  (``$WORKSTATION_ANCHOR_DIR`` instead of ``<user data dir>/anchors``), which a
  copy of the workspace folder does not carry along.  It is keyed by the
  workspace's id (the first audit entry's hash) and by the folder's path, so
  that a copy of a workspace opened in another folder (a restored backup beside
  the original) is a workspace of its own rather than a "rollback" of it.

Each holds one line ``SEQ SHA256``.  A database whose chain ends before an
anchor's entry, or whose entry at that sequence has another hash, is *behind its
anchor*: it is refused for writing, and ``verify`` reports it.  A database ahead
of an anchor is normal after a crash between a commit and the anchor's write;
the next writer brings the anchor up to date.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from workstation.files import atomic_write
from workstation.models import Problem
from workstation.storage.sqlitelib import sqlite3

ANCHOR_NAME = "audit.head"
ANCHOR_DIR_ENV = "WORKSTATION_ANCHOR_DIR"
_MAX_ANCHOR_BYTES = 4096
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Head:
    """One audit entry's sequence number and hash."""

    seq: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class Anchor:
    """What one anchor file holds: ``state`` is ``ok`` (``head`` set), ``absent`` or
    ``unreadable`` (empty, truncated, garbage or not readable: ``error`` says which)."""

    label: str
    path: Path
    state: str
    head: Head | None = None
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"anchor": self.label, "state": self.state,
                "head": self.head.to_dict() if self.head else None}


def user_anchor_root() -> Path:
    """``$WORKSTATION_ANCHOR_DIR``, else ``anchors`` in the per-user data folder."""
    env = os.environ.get(ANCHOR_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("analyst-workstation", appauthor=False)) / "anchors"


def user_anchor_path(workspace_id: str, root: Path) -> Path:
    """The per-user anchor of the workspace ``workspace_id`` in the folder ``root``."""
    folder = os.path.realpath(os.path.abspath(root))
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:32]
    return user_anchor_root() / workspace_id / f"{digest}.head"


def read_anchor(path: Path, label: str) -> Anchor:
    """Read one anchor file (at most a few KB, whatever it has become)."""
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_ANCHOR_BYTES + 1)
    except FileNotFoundError:
        return Anchor(label, path, "absent")
    except OSError as exc:
        return Anchor(label, path, "unreadable", error=f"cannot be read ({exc.strerror})")
    if not data.strip():
        return Anchor(label, path, "unreadable", error="is empty")
    head = parse_head(data)
    if head is None:
        return Anchor(label, path, "unreadable", error="is truncated or not an audit head")
    return Anchor(label, path, "ok", head)


def parse_head(data: bytes) -> Head | None:
    """``SEQ SHA256`` (one line, 64 lowercase hex digits), else ``None``."""
    if len(data) > _MAX_ANCHOR_BYTES:
        return None
    try:
        parts = data.decode("ascii").split()
    except UnicodeDecodeError:
        return None
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 18:
        return None
    seq, digest = int(parts[0]), parts[1]
    if seq < 1 or len(digest) != 64 or not set(digest) <= _HEX:
        return None
    return Head(seq, digest)


def write_anchor(path: Path, head: Head) -> None:
    """Write ``SEQ SHA256`` atomically (temp and rename), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, f"{head.seq} {head.sha256}\n".encode("ascii"), mode=0o600,
                 durable=False)


def database_head(conn: sqlite3.Connection) -> Head | None:
    """The newest entry of ``audit_log`` (``None`` when the trail is empty)."""
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else Head(int(row[0]), str(row[1]))


def entry_count(conn: sqlite3.Connection) -> int:
    """How many entries ``audit_log`` holds."""
    return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def workspace_id(conn: sqlite3.Connection) -> str | None:
    """The workspace's stable id: the first 32 hex digits of its first audit entry's
    hash (the ``workspace.create`` entry, which carries a random value)."""
    row = conn.execute("SELECT hash FROM audit_log WHERE seq = 1").fetchone()
    if row is None or not isinstance(row[0], str) or len(row[0]) < 32:
        return None
    digest = row[0][:32].lower()
    return digest if set(digest) <= _HEX else None


def anchors_of(conn: sqlite3.Connection, root: Path) -> list[Anchor]:
    """Both anchors of the workspace in ``root``: ``audit.head``, then the per-user one
    (left out when the database has no first entry to take the id from)."""
    found = [read_anchor(root / ANCHOR_NAME, ANCHOR_NAME)]
    ident = workspace_id(conn)
    if ident is not None:
        path = user_anchor_path(ident, root)
        found.append(read_anchor(path, f"the per-user anchor {path}"))
    return found


def check_anchor(conn: sqlite3.Connection, anchor: Anchor, entries: int) -> list[Problem]:
    """What ``anchor`` says is wrong with the database's chain: behind it (entries
    missing at the end, or the entry it records replaced), or the anchor itself
    unreadable, or ``audit.head`` missing, on a workspace with ``entries`` entries."""
    if anchor.state == "absent":
        if anchor.label == ANCHOR_NAME and entries:
            return [Problem("audit-anchor", f"{ANCHOR_NAME} is missing, so entries deleted at "
                            "the end of the audit trail could go unnoticed")]
        return []  # the per-user anchor: another machine or user, or a restored copy
    if anchor.state != "ok" or anchor.head is None:
        return [Problem("audit-anchor", f"{anchor.label} {anchor.error}, so entries deleted "
                        "at the end of the audit trail could go unnoticed")] if entries else []
    head = anchor.head
    db = database_head(conn)
    last = db.seq if db else 0
    if head.seq > last:
        missing = f"entry {head.seq}" if head.seq == last + 1 else f"entries {last + 1}–{head.seq}"
        return [Problem(
            "audit-deleted",
            f"audit {missing} missing: {anchor.label} records entry {head.seq} but the database "
            f"ends at entry {last} (it was rolled back to an older copy, or its newest entries "
            "were deleted)", seq=last + 1)]
    row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (head.seq,)).fetchone()
    if row is None or row[0] != head.sha256:
        return [Problem(
            "audit-altered",
            f"audit entry {head.seq} differs from the one recorded in {anchor.label} (the "
            "database was replaced by another copy, or the entry rewritten)", seq=head.seq)]
    return []


def behind_message(root: Path, problems: list[Problem], *, window: bool = False) -> str:
    """The one-line refusal for writing to a database behind its anchor (``window``: as
    the window says it, naming no command)."""
    what = problems[0].message
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    if window:
        return (
            f"The workspace at {root} does not match its audit anchor: {what}{more}. Nothing "
            "was written. Restore the workspace from a backup or, if this loss is known and "
            "accepted, have it recorded in the audit trail (the command line's "
            "acknowledge-rollback) before opening it here."
        )
    return (
        f"The workspace at {root} does not match its audit anchor: {what}{more}. Nothing was "
        "written. Restore the workspace from a backup (`workstation restore BACKUP DIR`), or, if "
        "this loss is known and accepted, record it in the audit trail with `workstation "
        "acknowledge-rollback --reason TEXT`; `workstation verify` lists what differs."
    )


def remove_leftovers(conn: sqlite3.Connection, root: Path) -> None:
    """Remove the temporary files a writer killed while writing an anchor left beside it
    (``.audit.head.XXXX.tmp``); call with the write lock held, so no writer is mid-write."""
    targets = [root / ANCHOR_NAME]
    ident = workspace_id(conn)
    if ident is not None:
        targets.append(user_anchor_path(ident, root))
    for target in targets:
        with contextlib.suppress(OSError):
            for leftover in target.parent.glob(f".{target.name}.*.tmp"):
                leftover.unlink(missing_ok=True)


def refresh(conn: sqlite3.Connection, root: Path, anchors: list[Anchor] | None = None) -> None:
    """Bring both anchors up to the database's head (best effort: an anchor that lags
    behind is caught up by the next writer; one ahead is what the checks are for)."""
    head = database_head(conn)
    if head is None:
        return
    targets = [root / ANCHOR_NAME]
    ident = workspace_id(conn)
    if ident is not None:
        targets.append(user_anchor_path(ident, root))
    current = {a.path: a.head for a in anchors or []}
    for path in targets:
        if path in current and current[path] == head:
            continue
        with contextlib.suppress(OSError):
            write_anchor(path, head)

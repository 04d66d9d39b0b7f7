"""The workspace database: connection settings, numbered migrations, write lock.

Migrations are the files ``workstation/storage/migrations/NNNN_name.sql``; each
is applied once, in order,
inside a transaction, and ``PRAGMA user_version`` records the last one applied.
A database whose ``user_version`` is newer than the newest migration this
version knows is refused: it was written by a newer release and guessing its
meaning could damage evidence.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from workstation.errors import (
    DamagedDatabase,
    DiskFull,
    SchemaTooNew,
    WorkspaceInUse,
    WorkstationError,
)
from workstation.permissions import FILE_MODE
from workstation.resources import migrations_dir
from workstation.storage import compact, ranking
from workstation.storage.sqlitelib import sqlite3

#: The page size of a new (plain) workspace database.
PAGE_SIZE = 16384
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

#: SQLite's primary result codes for a file that is not (or no longer) a database, and
#: for a full disk (or a file-size limit reached).
_DAMAGED_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_FULL_CODES = frozenset({13})  # SQLITE_FULL
#: errno values that mean "no room to write": ENOSPC, EDQUOT, EFBIG (RLIMIT_FSIZE).
_FULL_ERRNOS = frozenset(
    code for code in (getattr(errno, n, None) for n in ("ENOSPC", "EDQUOT", "EFBIG")) if code)

DISK_FULL = "disk full"


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full (SQLite's SQLITE_FULL, or an OSError with
    ENOSPC, EDQUOT or EFBIG — the last is what a file-size limit gives)."""
    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _FULL_CODES
    return isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS


def damaged_database(path: Path, exc: BaseException | str) -> DamagedDatabase:
    """The one message for a database SQLite cannot read."""
    return DamagedDatabase(
        f"{path.name} is damaged (SQLite: {exc}). Restore the workspace from a backup "
        "(workstation restore BACKUP DIR) and keep this copy for investigation.")


def translate(exc: BaseException, path: Path | None = None) -> WorkstationError | None:
    """The user-facing error for a low-level one: a damaged database or a full disk;
    ``None`` for anything else."""
    if isinstance(exc, WorkstationError):
        return exc
    if is_disk_full(exc):
        return DiskFull(f"{DISK_FULL}: nothing half-written; free some space and try again")
    if isinstance(exc, sqlite3.DatabaseError) and (
            getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _DAMAGED_CODES:
        return damaged_database(path or Path("workspace.db"), exc)
    return None


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    path: Path


def available_migrations(directory: Path | None = None) -> list[Migration]:
    """The numbered migrations, checked to be 1..N with no gaps."""
    directory = directory or migrations_dir()
    found = []
    for path in directory.iterdir():
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), path))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration numbering gap at {migration.path.name}")
    return found


def latest_schema_version() -> int:
    migrations = available_migrations()
    return migrations[-1].version if migrations else 0


def connect(path: Path, *, readonly: bool = False, key: bytes | None = None
            ) -> sqlite3.Connection:
    """Open the SQLite file with the workspace's settings (WAL, foreign keys); with
    ``key`` (a workspace encrypted at rest) through SQLCipher with that raw 256-bit key.

    A file SQLite cannot read as a database raises :class:`DamagedDatabase`, before
    anything else (the search ranker) could blame itself.
    """
    created = False
    if readonly:
        uri = f"file:{path}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        # Created 0600 whatever the umask; SQLite gives its WAL and SHM files the same mode.
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            created = True
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA cipher_log_level = NONE")  # errors are raised, not printed
        if key is not None:
            apply_key(conn, key)
        # Reads the header and the schema: garbage fails here with SQLITE_NOTADB/CORRUPT.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        ranking.install(conn)
        compact.install(conn)
        if created and key is None:
            # Before the first write fixes it: an OCR run's row (1-2 KB) leaves less of
            # a 16 KB page unused than of a 4 KB one (about 4 % of the database at
            # 100,000 captures: bench/search_bench.py).  SQLCipher's pages stay 4 KB (its
            # page size must be given again at every open).
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
    except UnicodeDecodeError as exc:  # SQLite's own message was garbled by the damage
        conn.close()
        raise damaged_database(path, f"unreadable schema, {exc.reason}") from None
    except BaseException as exc:
        conn.close()
        known = translate(exc, path) if isinstance(exc, sqlite3.Error) else None
        if known is not None and known is not exc:
            raise known from None
        raise
    return conn


def apply_key(conn: sqlite3.Connection, key: bytes, schema: str = "main") -> None:
    """Key SQLCipher's ``schema`` with the raw data key (no passphrase derivation: the
    key is random, and was unwrapped from the analyst's passphrase by scrypt).  SQLCipher's
    own logging is switched off: its errors are raised, not printed."""
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f'PRAGMA {schema}.key = "x\'{key.hex()}\'"')


def is_plain_database(path: Path) -> bool:
    """Whether ``path`` starts with SQLite's plain header (an encrypted database's
    first bytes are random)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def export_encrypted(conn: sqlite3.Connection, dest: Path, key: bytes) -> None:
    """Copy the plain database ``conn`` into a new SQLCipher database at ``dest``, keyed
    with ``key`` (SQLCipher's ``sqlcipher_export``), schema version included."""
    version = schema_version(conn)
    with suppress(FileExistsError):
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    conn.execute("ATTACH DATABASE ? AS encrypted KEY ''", (str(dest),))
    try:
        apply_key(conn, key, "encrypted")
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute(f"PRAGMA encrypted.user_version = {version}")
    finally:
        conn.execute("DETACH DATABASE encrypted")


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """The number of rows of every table (FTS shadow tables included)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    counts = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            counts[name] = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
        except sqlite3.Error:  # a virtual table that cannot be counted on its own
            continue
    return counts


def integrity_ok(conn: sqlite3.Connection) -> bool:
    """SQLite's own integrity check of the whole file."""
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return len(rows) == 1 and rows[0][0] == "ok"


def checkpoint(conn: sqlite3.Connection) -> None:
    """Write the WAL back into the database file and empty it."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_schema(conn: sqlite3.Connection, path: Path) -> int:
    """Refuse a database written by a newer release; return its version."""
    version = schema_version(conn)
    latest = latest_schema_version()
    if version > latest:
        raise SchemaTooNew(
            f"The workspace database {path} has schema version {version}, but this version "
            f"of Analyst Workstation only knows versions up to {latest}. It was written by a "
            "newer release; open it with that release. Nothing was changed."
        )
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> list[int]:
    """Apply every pending migration; return the versions applied."""
    current = check_schema(conn, path)
    applied = []
    for migration in available_migrations():
        if migration.version <= current:
            continue
        sql = migration.path.read_text(encoding="utf-8")
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _split_statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version:d}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise WorkstationError(
                f"Could not upgrade the workspace database to version {migration.version} "
                f"({migration.path.name}): {exc}. The database was left at version {current}."
            ) from exc
        applied.append(migration.version)
        current = migration.version
    return applied


def _split_statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (``sqlite3.complete_statement`` aware)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement and not all(
                part.strip().startswith("--") or not part.strip()
                for part in statement.splitlines()
            ):
                yield statement
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise RuntimeError("migration ends with an incomplete statement")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction: BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # Also when COMMIT itself fails (a full disk): SQLite may or may not have
        # rolled back already, and a transaction left open would hold the next write.
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


@contextmanager
def savepoint(conn: sqlite3.Connection, name: str) -> Iterator[None]:
    """A savepoint inside the open transaction: rolled back to (and released) on any
    exception, released otherwise."""
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")


class WriteLock:
    """An exclusive, non-blocking lock on ``workspace.lock``.

    Held for as long as a workspace is open for writing.  The operating system
    releases it when the process ends, even on SIGKILL, so a crash never
    leaves a workspace locked.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_fd(fd)
        except OSError:
            os.close(fd)
            holder = _read_holder(self.path)
            raise WorkspaceInUse(
                f"The workspace {self.path.parent} is in use by another process{holder}. "
                "Close the other window or command and try again."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            _unlock_fd(self._fd)
            os.close(self._fd)
            self._fd = None


def _read_holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


if os.name == "nt":  # pragma: no cover - exercised on Windows builds only
    import msvcrt  # type: ignore[import-not-found,unused-ignore]

    def _lock_fd(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined,unused-ignore]

else:
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

"""What every service of one open workspace shares: :class:`Context`.

The ``Workspace`` façade opens the database, takes the lock and migrates; then it
builds one ``Context`` and hands it to each service (cases, captures, intake,
reading, keys, contacts, packs, outbox, outcomes) together with the repositories
and the other services that service needs — so a service's dependencies are its
constructor's arguments, visible in its imports, not attributes it finds on
``self``.

``Context.write()`` is the one way to change anything: a transaction, serialized
within the process, whose audit entries are appended in the same transaction.
"""

from __future__ import annotations

import getpass
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workstation.errors import WorkstationError
from workstation.evidence.store import EvidenceStore
from workstation.settings import read as read_setting
from workstation.storage.audit import AuditLog
from workstation.storage.db import savepoint, transaction
from workstation.storage.repositories import SettingsRepo
from workstation.storage.sqlitelib import sqlite3


class ReadOnlyWorkspace(WorkstationError):
    """A change was attempted on a workspace opened read-only."""


class Context:
    """The shared state of one open workspace.

    Attributes:
        root: the workspace folder.
        readonly: opened without the write lock; ``write()`` refuses.
        conn: the SQLite connection (one per open workspace).
        store: the content-addressed evidence store.
        vault: how every file the workspace keeps is read and written (encrypted at
            rest when the workspace has a data key: thumbnails, redacted copies).
        thumbs: the folder of derived thumbnails.
        audit: the audit chain.
        settings: the settings table's repository.
    """

    def __init__(self, root: Path, readonly: bool, conn: sqlite3.Connection,
                 store: EvidenceStore, audit: AuditLog, settings: SettingsRepo) -> None:
        self.root = root
        self.readonly = readonly
        self.conn = conn
        self.store = store
        #: reads and writes the workspace's files (encrypted at rest, or plain)
        self.vault = store.vault
        self.thumbs = root / "thumbs"
        self.audit = audit
        self.settings = settings
        self._mutex = threading.RLock()
        self._depth = 0  # nested write() calls joining the open transaction

    @property
    def analyst(self) -> str:
        """The analyst's name: $WORKSTATION_ANALYST, else the setting, else the OS user."""
        env = os.environ.get("WORKSTATION_ANALYST")
        if env:
            return env
        configured = self.settings.get("analyst")
        if configured:
            return configured
        try:
            return getpass.getuser()
        except Exception:  # no user name available (some containers)
            return "unknown"

    def setting(self, key: str, default: str | None = None) -> str | None:
        """The stored value of setting ``key`` (declared in
        :data:`workstation.settings.SETTINGS`), else ``default`` when unset or no longer
        valid.  Typed reads with the table's default: ``workstation.settings.get_int(ctx,
        key)`` and the like."""
        value = read_setting(key, self.settings.get(key))
        return default if value is None else value

    def check_writable(self) -> None:
        """Refuse a change on a workspace opened read-only."""
        if self.readonly:
            raise ReadOnlyWorkspace("This workspace was opened read-only.")

    def _nested(self) -> Iterator[None]:
        """A write inside a write: a savepoint, so that a failure the caller catches
        undoes this part (and its audit entries) and nothing half-done is committed
        with the outer transaction."""
        self._depth += 1
        mark = self.audit.pending_mark()
        try:
            with savepoint(self.conn, f"nested_{self._depth}"):
                yield
        except BaseException:
            self.audit.restore_mark(mark)
            raise
        finally:
            self._depth -= 1

    @contextmanager
    def write(self) -> Iterator[None]:
        """One transaction (serialized within the process) with its audit entries.

        A ``write()`` inside another (same thread) joins it as a savepoint: the work of
        several services is then one transaction, committed or rolled back whole (a
        case bundle's merge, :mod:`workstation.exchange.merge`), and an inner failure
        that is caught leaves nothing of that inner part."""
        self.check_writable()
        with self._mutex:
            if self._depth:
                yield from self._nested()
                return
            self._depth = 1
            try:
                with transaction(self.conn):
                    yield
            except BaseException:
                self.audit.rolled_back()
                raise
            finally:
                self._depth = 0
            self.audit.committed()

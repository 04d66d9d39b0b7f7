"""The ``Workspace`` façade: the one object the CLI and the UI hold.

A workspace is a folder::

    workspace.db        SQLite (WAL), migrations (workstation/storage/migrations) on open
    workspace.lock      exclusive lock held by the one process that writes
    audit.head          sidecar copy of the audit chain's head
    evidence/ab/cd/<sha256>   original files, byte-exact, read-only
    evidence/tmp/       staging for atomic writes
    thumbs/ab/<sha256>.jpg    derived thumbnails (regenerable, not evidence)

``Workspace.open`` opens the database, takes the lock and migrates; then it
composes the services over one shared :class:`~workstation.context.Context`::

    ws.cases      evidence/cases.py      ws.keys      packs/keys.py
    ws.captures   evidence/captures.py   ws.contacts  packs/contacts.py
    ws.intake     evidence/intake.py     ws.packs     packs/compose.py
    ws.reading    reading/service.py     ws.outbox    packs/sending.py
                                         ws.outcomes  packs/outcomes.py

Each service receives what it depends on as constructor arguments.  Every change
and its audit entry are written in one transaction (``Context.write``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

from workstation import __version__
from workstation.context import Context, ReadOnlyWorkspace
from workstation.errors import WorkstationError
from workstation.evidence.captures import CaptureService
from workstation.evidence.cases import CaseService
from workstation.evidence.intake import Intake
from workstation.evidence.store import EvidenceStore
from workstation.evidence.verify import Verifier
from workstation.models import AuditEntry, VerifyReport, WorkspaceStatus
from workstation.packs.compose import PackService
from workstation.packs.contacts import ContactService
from workstation.packs.keys import KeyService
from workstation.packs.outcomes import OutcomeService
from workstation.packs.sending import Outbox
from workstation.progress import CancelToken, ProgressCallback
from workstation.reading.service import ReadingService
from workstation.settings import check as check_setting
from workstation.storage import ranking
from workstation.storage.audit import AuditLog
from workstation.storage.db import (
    WriteLock,
    check_schema,
    connect,
    latest_schema_version,
    migrate,
    schema_version,
)
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.repositories import CaptureRepo, CaseRepo, SettingsRepo
from workstation.storage.sqlitelib import sqlite3

__all__ = ["DB_NAME", "ReadOnlyWorkspace", "Workspace", "default_workspace_dir"]

DB_NAME = "workspace.db"


def default_workspace_dir() -> Path:
    """``$WORKSTATION_HOME``, else the platform's per-user data folder."""
    env = os.environ.get("WORKSTATION_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("analyst-workstation", appauthor=False)) / "workspace"


class Workspace:
    """An open evidence workspace.  Use :meth:`open`; close it (or use ``with``).

    Attributes:
        root: the workspace folder.
        readonly: opened without the write lock.
        cases, captures, intake, reading, keys, contacts, packs, outbox, outcomes:
            the services (see the module's docstring), set once the database is open.
    """

    cases: CaseService
    captures: CaptureService
    intake: Intake
    reading: ReadingService
    keys: KeyService
    contacts: ContactService
    packs: PackService
    outbox: Outbox
    outcomes: OutcomeService

    def __init__(self, root: Path, readonly: bool) -> None:
        self.root = root
        self.readonly = readonly
        self.store = EvidenceStore(root / "evidence")
        self._lock = WriteLock(root / "workspace.lock")
        self._conn: sqlite3.Connection | None = None
        self._ctx: Context | None = None

    # ----------------------------------------------------------------- opening
    @staticmethod
    def pending_upgrade(root: Path | str | None = None) -> tuple[int, int] | None:
        """(schema version, latest) when opening ``root`` will upgrade its database
        first — rebuilding an index can take a while on a large workspace, so callers
        say so — else ``None`` (new, current, newer or unreadable: ``open`` explains)."""
        path = Path(root).expanduser() if root is not None else default_workspace_dir()
        db_path = path / DB_NAME
        if not db_path.is_file():
            return None
        try:
            conn = connect(db_path, readonly=True)
            try:
                version = schema_version(conn)
            finally:
                conn.close()
        except (sqlite3.Error, WorkstationError):
            return None
        latest = latest_schema_version()
        return (version, latest) if 0 < version < latest else None

    @classmethod
    def open(cls, root: Path | str | None = None, *, readonly: bool = False) -> Workspace:
        """Open (creating if needed) the workspace at ``root``.

        For writing, the workspace's lock is taken; a second writer gets
        :class:`WorkspaceInUse`.  Read-only opens take no lock.
        """
        path = Path(root).expanduser() if root is not None else default_workspace_dir()
        db_path = path / DB_NAME
        if readonly and db_path.exists():
            ws = cls(path, readonly=True)
            ws._conn = connect(db_path, readonly=True)
            if check_schema(ws.conn, db_path) < latest_schema_version():
                ws.conn.close()
                # Upgrading needs the write lock; do it, then reopen read-only.
                cls.open(path).close()
                return cls.open(path, readonly=True)
            ws._init_repos()
            return ws
        ws = cls(path, readonly=False)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkstationError(f"Cannot create the workspace folder {path}: {exc}") from None
        ws._lock.acquire()
        try:
            new = not db_path.exists()
            ws._conn = connect(db_path)
            applied = migrate(ws.conn, db_path)
            ws._init_repos()
            ws.store.ensure()
            ws.store.clean_tmp()
            if applied and not new:
                ws.reading.backfill_derived()
            if new:
                with ws.ctx.write():
                    ws.audit.append(
                        ws.analyst, "workspace.create", "workspace",
                        {"app_version": __version__, "schema": schema_version(ws.conn)},
                    )
        except BaseException:
            ws.close()
            raise
        if readonly:
            ws.close()
            return cls.open(path, readonly=True)
        return ws

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise WorkstationError("The workspace is closed.")
        return self._conn

    @property
    def ctx(self) -> Context:
        """The shared context (connection, write transaction, audit, settings)."""
        if self._ctx is None:
            raise WorkstationError("The workspace is closed.")
        return self._ctx

    def _init_repos(self) -> None:
        """Compose the services over one context; each gets exactly what it uses."""
        conn = self.conn
        settings = SettingsRepo(conn)
        captures_repo = CaptureRepo(conn)
        cases_repo = CaseRepo(conn)
        reading_repo = ReadingRepo(conn)
        packs_repo = PacksRepo(conn)
        self.audit = AuditLog(conn, self.root / "audit.head")
        ctx = self._ctx = Context(self.root, self.readonly, conn, self.store, self.audit,
                                  settings)
        self.cases = CaseService(ctx, cases_repo)
        self.reading = ReadingService(ctx, reading_repo, captures_repo)
        self.captures = CaptureService(ctx, captures_repo, self.cases, self.reading)
        self.intake = Intake(ctx, captures_repo, reading_repo, self.cases, self.reading)
        self.keys = KeyService(ctx, packs_repo)
        self.contacts = ContactService(ctx, packs_repo)
        self.packs = PackService(ctx, packs_repo, self.captures, self.reading, self.keys,
                                 self.contacts)
        self.outbox = Outbox(ctx, packs_repo, self.packs, self.keys, self.contacts)
        self.outcomes = OutcomeService(ctx, packs_repo)
        self._verifier = Verifier(ctx, captures_repo, cases_repo, reading_repo)
        self._captures_repo = captures_repo
        self._cases_repo = cases_repo

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        self._ctx = None
        self._lock.release()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- settings
    @property
    def analyst(self) -> str:
        """The analyst's name: $WORKSTATION_ANALYST, else the setting, else the OS user."""
        return self.ctx.analyst

    def setting(self, key: str, default: str | None = None) -> str | None:
        """The stored value of a setting declared in :data:`workstation.settings.SETTINGS`,
        or ``default`` when unset (or no longer valid); the typed reads with the table's
        defaults are :func:`workstation.settings.get_text`, ``get_int`` ..."""
        return self.ctx.setting(key, default)

    def set_setting(self, key: str, value: str) -> str:
        """Store a setting as :func:`workstation.settings.check` normalizes it (audited);
        an unknown key, a secret or a refused value raises ``InvalidSetting`` and nothing
        is written.  Returns the stored value."""
        value = check_setting(key, value)
        ctx = self.ctx
        with ctx.write():
            old = ctx.settings.get(key)
            ctx.settings.set(key, value)
            ctx.audit.append(ctx.analyst, "settings.set", f"setting:{key}",
                             {"key": key, "old": old, "new": value})
        return value

    # ------------------------------------------------------------------ status
    def status(self) -> WorkspaceStatus:
        n_captures, n_bytes = self._captures_repo.stats()
        n_cases, n_open = self._cases_repo.count()
        return WorkspaceStatus(
            path=str(self.root), schema_version=schema_version(self.conn),
            app_version=__version__, analyst=self.analyst, captures=n_captures,
            cases=n_cases, open_cases=n_open, audit_entries=self.audit.count(),
            evidence_bytes=n_bytes, readonly=self.readonly, search_ranking=ranking.describe(),
        )

    # ------------------------------------------------------------------- audit
    def audit_entries(
        self, capture_id: int | None = None, case: str | None = None
    ) -> list[AuditEntry]:
        """The audit trail, or the entries about one capture or one case (and its captures)."""
        if capture_id is None and case is None:
            return self.audit.entries()
        subjects: list[str] = []
        if capture_id is not None:
            self.captures.get(capture_id)
            subjects.append(f"capture:{capture_id}")
        if case is not None:
            found = self.cases.get(case)
            subjects.append(f"case:{found.id}")
            subjects += [f"capture:{c.id}" for c in self._captures_repo.select(case_id=found.id)]
        return self.audit.entries(subjects)

    def verify(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> VerifyReport:
        """Re-hash every evidence file, walk the audit chain, and replay it against the tables."""
        return self._verifier.verify(progress, cancel)

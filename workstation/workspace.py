"""The ``Workspace`` façade: the one object the CLI and the UI hold.

A workspace is a folder::

    workspace.db        SQLite (WAL), migrations (workstation/storage/migrations) on open
    workspace.lock      exclusive lock held by the one process that writes
    audit.head          the audit chain's head, anchored outside the database (and a
                        per-user copy: workstation/storage/anchor.py)
    evidence/ab/cd/<sha256>   original files, byte-exact, read-only
    evidence/tmp/       staging for atomic writes
    thumbs/ab/<sha256>.jpg    derived thumbnails (regenerable, not evidence)

``Workspace.open`` opens the database (creating one only when asked; never where a
database went missing), takes the lock, checks the audit anchors and migrates; then it
composes the services over one shared :class:`~workstation.context.Context`::

    ws.cases      evidence/cases.py      ws.keys      packs/keys.py
    ws.captures   evidence/captures.py   ws.contacts  packs/contacts.py
    ws.intake     evidence/intake.py     ws.packs     packs/compose.py
    ws.reading    reading/service.py     ws.outbox    packs/sending.py
    ws.review     reading/review.py      ws.outcomes  packs/outcomes.py
    ws.exhibits   evidence/exhibits.py (exhibit references, AB/1)
    ws.overview   evidence/overview.py (the gallery's tiles: text, flags, pack state)
    ws.redactions redaction/service.py
    ws.timestamps timestamps/service.py (RFC 3161, queued offline)
    ws.report     report/service.py (the signed case report, PDF/A-3b or HTML)
    ws.colleagues exchange/colleagues.py (other analysts' workspaces, for case bundles)
    ws.exchange   exchange/service.py (case bundles: export to colleagues, import)

Each service receives what it depends on as constructor arguments.  Every change
and its audit entry are written in one transaction (``Context.write``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

import platformdirs

from workstation import __version__
from workstation.context import Context, ReadOnlyWorkspace
from workstation.crypto import datakey, unlock
from workstation.crypto.unlock import Ask
from workstation.crypto.vault import Vault
from workstation.errors import (
    BehindAnchor,
    DamagedDatabase,
    MissingDatabase,
    NoWorkspace,
    WorkstationError,
)
from workstation.evidence.captures import CaptureService
from workstation.evidence.cases import CaseService
from workstation.evidence.exhibits import ExhibitService
from workstation.evidence.intake import Intake
from workstation.evidence.overview import OverviewService
from workstation.evidence.store import EvidenceStore
from workstation.evidence.thumbs import clean_partial_thumbnails
from workstation.evidence.verify import Verifier
from workstation.exchange.colleagues import ColleagueService
from workstation.exchange.merge import Merger
from workstation.exchange.records import Gatherer
from workstation.exchange.service import CaseExchange
from workstation.models import AuditEntry, Problem, VerifyReport, WorkspaceStatus
from workstation.packs.compose import PackService
from workstation.packs.contacts import ContactService
from workstation.packs.keys import KeyService
from workstation.packs.outcomes import OutcomeService
from workstation.packs.sending import Outbox
from workstation.permissions import tighten
from workstation.progress import CancelToken, ProgressCallback
from workstation.reading.review import ReviewService
from workstation.reading.service import ReadingService
from workstation.redaction.service import RedactionService
from workstation.report.service import ReportService
from workstation.settings import check as check_setting
from workstation.storage import anchor, ranking
from workstation.storage.anchor import ANCHOR_NAME
from workstation.storage.audit import AuditLog
from workstation.storage.colleagues_repo import ColleaguesRepo
from workstation.storage.db import (
    WriteLock,
    check_schema,
    connect,
    is_plain_database,
    latest_schema_version,
    migrate,
    schema_version,
)
from workstation.storage.exchange_repo import ExchangeRepo
from workstation.storage.exhibits_repo import CaseViewRepo, ExhibitsRepo
from workstation.storage.overview_repo import OverviewRepo
from workstation.storage.packs_repo import PacksRepo
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.redactions_repo import RedactionsRepo
from workstation.storage.report_repo import ReportRepo
from workstation.storage.repositories import CaptureRepo, CaseRepo, SettingsRepo
from workstation.storage.reposts_repo import RepostsRepo
from workstation.storage.reviews_repo import ReviewsRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.storage.timestamps_repo import TimestampsRepo
from workstation.timestamps.service import TimestampService

__all__ = ["DB_NAME", "ReadOnlyWorkspace", "Workspace", "default_workspace_dir"]

DB_NAME = "workspace.db"


def default_workspace_dir() -> Path:
    """``$WORKSTATION_HOME``, else the platform's per-user data folder."""
    env = os.environ.get("WORKSTATION_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("analyst-workstation", appauthor=False)) / "workspace"


def _connect(db_path: Path, *, readonly: bool, key: bytes | None) -> sqlite3.Connection:
    """:func:`connect`; a database SQLite cannot read in a folder without a key file may
    be an encrypted workspace's whose key file was lost: the message says so too."""
    try:
        return connect(db_path, readonly=readonly, key=key)
    except DamagedDatabase as exc:
        if key is not None or is_plain_database(db_path):
            raise
        raise DamagedDatabase(
            f"{exc} If this was an encrypted workspace, its key file {datakey.KEY_FILE} is "
            "missing: put it back from a backup.") from None


class Workspace:
    """An open evidence workspace.  Use :meth:`open`; close it (or use ``with``).

    Attributes:
        root: the workspace folder.
        readonly: opened without the write lock.
        cases, captures, intake, reading, review, keys, contacts, packs, outbox, outcomes,
            redactions:
            the services (see the module's docstring), set once the database is open.
    """

    cases: CaseService
    exhibits: ExhibitService
    captures: CaptureService
    intake: Intake
    reading: ReadingService
    review: ReviewService
    keys: KeyService
    contacts: ContactService
    packs: PackService
    outbox: Outbox
    outcomes: OutcomeService
    overview: OverviewService
    report: ReportService
    redactions: RedactionService
    timestamps: TimestampService
    colleagues: ColleagueService
    exchange: CaseExchange

    def __init__(self, root: Path, readonly: bool, key: bytes | None = None) -> None:
        self.root = root
        self.readonly = readonly
        #: encrypted at rest (SQLCipher and :class:`~workstation.crypto.vault.Vault`)
        self.encrypted = key is not None
        self._key = key
        self.store = EvidenceStore(root / "evidence", Vault(key))
        self._lock = WriteLock(root / "workspace.lock")
        self._conn: sqlite3.Connection | None = None
        self._ctx: Context | None = None
        #: what the anchors say is wrong (opened with ``allow_rollback``, or read-only)
        self.anchor_problems: list[Problem] = []

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
            key = unlock.cached_key(path) if unlock.is_encrypted(path) else None
            conn = connect(db_path, readonly=True, key=key)
            try:
                version = schema_version(conn)
            finally:
                conn.close()
        except (sqlite3.Error, WorkstationError):
            return None
        latest = latest_schema_version()
        return (version, latest) if 0 < version < latest else None

    @staticmethod
    def resolve(root: Path | str | None = None) -> Path:
        """The workspace folder ``root`` names (default: :func:`default_workspace_dir`)."""
        return Path(root).expanduser() if root is not None else default_workspace_dir()

    @staticmethod
    def exists(root: Path | str | None = None) -> bool:
        """Whether ``root`` holds a workspace database."""
        return (Workspace.resolve(root) / DB_NAME).is_file()

    @staticmethod
    def can_create(root: Path | str | None = None) -> bool:
        """Whether a new workspace may be made at ``root`` without asking: the folder
        does not exist yet, or is empty."""
        path = Workspace.resolve(root)
        try:
            if not path.exists():
                return True
            # workspace.lock alone: a first start interrupted before the database was made
            return path.is_dir() and {p.name for p in path.iterdir()} <= {"workspace.lock"}
        except OSError:
            return False

    @staticmethod
    def refuse_without_database(path: Path, *, create: bool) -> None:
        """``workspace.db`` is absent: a folder that held a workspace (evidence, the
        audit anchor) reports it missing; otherwise there is no workspace unless
        ``create``.  Nothing ever recreates a missing database."""
        if (path / ANCHOR_NAME).exists() or (path / "evidence").exists():
            raise MissingDatabase(
                f"{DB_NAME} is missing from {path}; nothing was recreated. Restore it from a "
                "backup.", how="restore BACKUP DIR")
        if not create:
            raise NoWorkspace(f"no workspace at {path} (create one with {{how}}); nothing was "
                              "created", how=f"init {path}",
                              window=f"There is no workspace at {path}; nothing was created.")

    @staticmethod
    def is_encrypted(root: Path | str | None = None) -> bool:
        """Whether the workspace at ``root`` is encrypted at rest (its passphrase is
        needed to open it, unless this process or the OS keyring holds its key)."""
        return unlock.is_encrypted(Workspace.resolve(root))

    @classmethod
    def create_encrypted(cls, root: Path | str | None, passphrase: str) -> Workspace:
        """Make a new workspace at ``root``, encrypted at rest with a data key wrapped by
        ``passphrase``; the folder must be new or empty.  Returns it open."""
        path = cls.resolve(root)
        if not passphrase:
            raise WorkstationError("The passphrase must not be empty.")
        if not cls.can_create(path):
            raise WorkstationError(f"{path} is not empty; an encrypted workspace is made in "
                                   "a new or empty folder (to encrypt an existing one: "
                                   "{how}).", how="encrypt")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkstationError(f"Cannot create the workspace folder {path}: {exc}") from None
        tighten(path)
        lock = WriteLock(path / "workspace.lock")
        lock.acquire()
        try:
            unlock.remember(datakey.create(unlock.key_path(path), passphrase))
        finally:
            lock.release()
        return cls.open(path, passphrase=passphrase)

    @classmethod
    def _key_for(cls, path: Path, passphrase: str | None, ask: Ask | None) -> bytes | None:
        """The data key when ``path`` is encrypted (a database still plain there: a
        conversion that was interrupted, which only ``encrypt`` finishes)."""
        db_path = path / DB_NAME
        if not unlock.is_encrypted(path):
            return None
        key = unlock.data_key(path, passphrase, ask)
        if db_path.is_file() and is_plain_database(db_path):
            raise WorkstationError(
                f"Encrypting the workspace at {path} was interrupted; nothing is lost. Finish "
                "it with {how}.", how="encrypt")
        return key

    @classmethod
    def open(cls, root: Path | str | None = None, *, readonly: bool = False,
             create: bool = True, allow_rollback: bool = False,
             progress: ProgressCallback | None = None, passphrase: str | None = None,
             ask: Ask | None = None) -> Workspace:
        """Open the workspace at ``root``; with ``create`` (and not ``readonly``) make a
        new one there when the folder holds none.

        For writing, the workspace's lock is taken; a second writer gets
        :class:`WorkspaceInUse`, and a database behind its audit anchor
        (:mod:`workstation.storage.anchor`) gets :class:`BehindAnchor` unless
        ``allow_rollback`` (to record the gap: :meth:`acknowledge_rollback`).  Read-only
        opens take no lock, never create, and open a database behind its anchor
        (``verify`` reports it).  A folder whose database is missing raises
        :class:`MissingDatabase`, one without a workspace :class:`NoWorkspace`.
        ``progress`` hears how the update of older captures after an upgrade goes.

        An encrypted workspace (:mod:`workstation.crypto.unlock`) needs ``passphrase``,
        or its key cached in this process or the OS keyring, or ``ask`` (a prompt);
        otherwise :class:`~workstation.crypto.unlock.PassphraseNeeded`, and a wrong one
        :class:`~workstation.crypto.secretstore.WrongPassphrase`: nothing is opened.
        """
        path = cls.resolve(root)
        db_path = path / DB_NAME
        key = cls._key_for(path, passphrase, ask)
        if not db_path.exists():
            cls.refuse_without_database(path, create=create and not readonly)
        if readonly:
            ws = cls(path, readonly=True, key=key)
            ws._conn = _connect(db_path, readonly=True, key=key)
            if check_schema(ws.conn, db_path) < latest_schema_version():
                ws.conn.close()
                # Upgrading needs the write lock; do it, then reopen read-only.
                cls.open(path, create=False, progress=progress).close()
                return cls.open(path, readonly=True)
            ws._init_repos()
            return ws
        ws = cls(path, readonly=False, key=key)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkstationError(f"Cannot create the workspace folder {path}: {exc}") from None
        ws._lock.acquire()
        try:
            ws._open_for_writing(db_path, create=create, allow_rollback=allow_rollback,
                                 progress=progress)
        except BaseException:
            ws.close()
            raise
        return ws

    def _open_for_writing(self, db_path: Path, *, create: bool, allow_rollback: bool,
                          progress: ProgressCallback | None = None) -> None:
        """Under the lock: connect, check the anchors, migrate, and create or re-anchor."""
        new = not db_path.exists()
        if new:  # checked again under the lock
            self.refuse_without_database(self.root, create=create)
        self._conn = _connect(db_path, readonly=False, key=self._key)
        tighten(self.root)  # 0700/0600 whatever the umask or an older version made
        anchors: list[anchor.Anchor] = []
        if not new:
            entries = anchor.entry_count(self.conn)
            anchors = anchor.anchors_of(self.conn, self.root)
            problems = [p for a in anchors for p in anchor.check_anchor(self.conn, a, entries)]
            if problems and not allow_rollback:
                raise BehindAnchor(anchor.behind_message(self.root, problems),
                                   window=anchor.behind_message(self.root, problems, window=True))
            self.anchor_problems = problems
            # a first start killed before its first entry: finish creating the workspace
            new = entries == 0 and not problems
        applied = migrate(self.conn, db_path)
        self._init_repos()
        self.store.ensure()
        self.store.clean_tmp()
        clean_partial_thumbnails(self.ctx)
        anchor.remove_leftovers(self.conn, self.root)
        if not new and (applied or self.reading.backfill_pending()):
            # (again at the next open when it was interrupted: it resumes where it was)
            self.reading.backfill_derived(progress)
        if new:
            with self.ctx.write():
                self.audit.append(
                    self.analyst, "workspace.create", "workspace",
                    {"app_version": __version__, "schema": schema_version(self.conn),
                     "random": secrets.token_hex(16)},
                )
        elif not self.anchor_problems:
            anchor.refresh(self.conn, self.root, anchors)

    def change_passphrase(self, old: str, new: str) -> None:
        """Wrap this encrypted workspace's data key with passphrase ``new`` (``old`` must
        open it); the data is not rewritten.  Audited (``workspace.passphrase``)."""
        if not self.encrypted:
            raise WorkstationError(f"The workspace at {self.root} is not encrypted at rest; "
                                   "encrypt it with {how}.", how="encrypt")
        self.ctx.check_writable()
        path = unlock.key_path(self.root)
        datakey.rewrap(path, old, new)
        with self.ctx.write():
            self.audit.append(self.analyst, "workspace.passphrase", "workspace",
                              {"key_id": datakey.read_key_id(path)})

    def acknowledge_rollback(self, reason: str) -> dict[str, Any]:
        """Record, as an audit entry, that this database is behind its anchor (what the
        anchors recorded and where the database ends, with ``reason``), and re-anchor on
        the database.  Needs a workspace opened with ``allow_rollback``; returns the
        entry's details."""
        reason = " ".join(reason.split())
        if not reason:
            raise WorkstationError("Give the reason for accepting the loss (--reason TEXT).")
        if not self.anchor_problems:
            raise WorkstationError(
                f"The workspace at {self.root} matches its audit anchors: nothing to acknowledge.")
        anchors = anchor.anchors_of(self.conn, self.root)
        db_head = self.audit.head()
        details: dict[str, Any] = {
            "reason": reason,
            "database_head": db_head.to_dict() if db_head else None,
            "anchors": [a.to_dict() for a in anchors],
            "problems": [p.message for p in self.anchor_problems],
        }
        with self.ctx.write():
            self.audit.append(self.analyst, "audit.rollback-acknowledged", "workspace", details)
        self.anchor_problems = []
        return details

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
        self.cases = CaseService(ctx, cases_repo, CaseViewRepo(conn))
        self.exhibits = ExhibitService(ctx, ExhibitsRepo(conn))
        self.reading = ReadingService(ctx, reading_repo, captures_repo, RepostsRepo(conn))
        self.review = ReviewService(ctx, self.reading, reading_repo, ReviewsRepo(conn))
        self.captures = CaptureService(ctx, captures_repo, self.cases, self.reading)
        self.intake = Intake(ctx, captures_repo, reading_repo, self.cases, self.reading,
                             exhibits=self.exhibits)
        self.keys = KeyService(ctx, packs_repo)
        self.contacts = ContactService(ctx, packs_repo)
        self.colleagues = ColleagueService(ctx, ColleaguesRepo(conn))
        self.timestamps = TimestampService(ctx, TimestampsRepo(conn))
        self.packs = PackService(ctx, packs_repo, self.captures, self.reading, self.keys,
                                 self.contacts, timestamps=self.timestamps)
        self.outbox = Outbox(ctx, packs_repo, self.packs, self.keys, self.contacts)
        self.outcomes = OutcomeService(ctx, packs_repo, self.keys, self.contacts)
        self.overview = OverviewService(OverviewRepo(conn))
        self.redactions = RedactionService(ctx, RedactionsRepo(conn), captures_repo,
                                           self.reading)
        self.report = ReportService(ctx, ReportRepo(conn), captures_repo, self)
        exchange_repo = ExchangeRepo(conn)
        self.exchange = CaseExchange(
            ctx, exchange_repo, captures_repo,
            Gatherer(ctx, exchange_repo, self.reading, self.redactions),
            Merger(ctx, exchange_repo, captures_repo, self.cases, self.intake, self.reading,
                   self.review, self.exhibits, self.redactions),
            self.keys, self.colleagues, self.cases)
        self._verifier = Verifier(ctx, captures_repo, cases_repo, reading_repo, packs_repo)
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
            encrypted=self.encrypted,
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

    def audit_actions(self) -> list[str]:
        """The actions the audit trail holds, sorted (for a filter's choices)."""
        return self.audit.actions()

    def verify(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
        *, thumbnails: bool = False,
    ) -> VerifyReport:
        """Re-hash every evidence file, walk the audit chain, and replay it against the tables
        (``thumbnails``: also remake and compare the gallery's cached thumbnails, slow)."""
        return self._verifier.verify(progress, cancel, thumbnails=thumbnails)

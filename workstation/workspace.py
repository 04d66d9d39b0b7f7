"""The ``Workspace`` façade: the one object the CLI and the UI hold.

A workspace is a folder::

    workspace.db        SQLite (WAL), migrations from db/ applied on open
    workspace.lock      exclusive lock held by the one process that writes
    audit.head          sidecar copy of the audit chain's head
    evidence/ab/cd/<sha256>   original files, byte-exact, read-only
    evidence/tmp/       staging for atomic writes
    thumbs/ab/<sha256>.jpg    derived thumbnails (regenerable, not evidence)

Every change and its audit entry are written in one transaction.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import io
import json
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import platformdirs

from workstation import __version__
from workstation.errors import NotFound, RejectedInput, WorkstationError
from workstation.evidence.images import DEFAULT_MAX_PIXELS, derive, probe, probe_bytes
from workstation.evidence.store import EvidenceStore, atomic_write
from workstation.models import (
    EDITABLE_FIELDS,
    AuditEntry,
    Capture,
    CaptureMeta,
    Case,
    ImportResult,
    Problem,
    VerifyReport,
    WorkspaceStatus,
)
from workstation.packs.service import PackFeatures
from workstation.platforms import normalize_platform, parse_source_url
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.reading.service import ReadingFeatures
from workstation.storage import ranking
from workstation.storage.audit import AuditLog
from workstation.storage.db import (
    WriteLock,
    check_schema,
    connect,
    latest_schema_version,
    migrate,
    schema_version,
    transaction,
)
from workstation.storage.reading_repo import ReadingRepo
from workstation.storage.repositories import CAPTURE_COLUMNS, CaptureRepo, CaseRepo, SettingsRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import from_timestamp, parse_iso, utc_now

DB_NAME = "workspace.db"
DEFAULT_MAX_FILE_MB = 512
CAPTURE_METHODS = ("import", "paste", "screen", "watch")


def default_workspace_dir() -> Path:
    """``$WORKSTATION_HOME``, else the platform's per-user data folder."""
    env = os.environ.get("WORKSTATION_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("analyst-workstation", appauthor=False)) / "workspace"


class ReadOnlyWorkspace(WorkstationError):
    """A change was attempted on a workspace opened read-only."""


class Workspace(ReadingFeatures, PackFeatures):
    """An open evidence workspace.  Use :meth:`open`; close it (or use ``with``)."""

    def __init__(self, root: Path, readonly: bool) -> None:
        self.root = root
        self.readonly = readonly
        self.store = EvidenceStore(root / "evidence")
        self.thumbs = root / "thumbs"
        self._lock = WriteLock(root / "workspace.lock")
        self._mutex = threading.RLock()
        self._conn: sqlite3.Connection | None = None

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
                ws._backfill_derived()
            if new:
                with ws._write():
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

    def _init_repos(self) -> None:
        self.settings = SettingsRepo(self.conn)
        self.cases_repo = CaseRepo(self.conn)
        self.captures_repo = CaptureRepo(self.conn)
        self.audit = AuditLog(self.conn, self.root / "audit.head")
        self.reading = ReadingRepo(self.conn)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        self._lock.release()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        if self.readonly:
            raise ReadOnlyWorkspace("This workspace was opened read-only.")
        with self._mutex:
            try:
                with transaction(self.conn):
                    yield
            except BaseException:
                self.audit.rolled_back()
                raise
            self.audit.committed()

    # ---------------------------------------------------------------- settings
    @property
    def analyst(self) -> str:
        """The analyst's name: $WORKSTATION_ANALYST, else the setting, else the OS user."""
        env = os.environ.get("WORKSTATION_ANALYST")
        if env:
            return env
        configured = self.settings.get("analyst") if self._conn is not None else None
        if configured:
            return configured
        try:
            return getpass.getuser()
        except Exception:  # no user name available (some containers)
            return "unknown"

    def setting(self, key: str, default: str | None = None) -> str | None:
        value = self.settings.get(key)
        return default if value is None else value

    def set_setting(self, key: str, value: str) -> None:
        with self._write():
            old = self.settings.get(key)
            self.settings.set(key, value)
            self.audit.append(self.analyst, "settings.set", f"setting:{key}",
                              {"key": key, "old": old, "new": value})

    def _int_setting(self, key: str, default: int) -> int:
        try:
            return int(self.settings.get(key) or default)
        except ValueError:
            return default

    @property
    def max_pixels(self) -> int:
        return self._int_setting("max_pixels", DEFAULT_MAX_PIXELS)

    @property
    def max_file_bytes(self) -> int:
        return self._int_setting("max_file_mb", DEFAULT_MAX_FILE_MB) * (1 << 20)

    # ------------------------------------------------------------------ status
    def status(self) -> WorkspaceStatus:
        n_captures, n_bytes = self.captures_repo.stats()
        n_cases, n_open = self.cases_repo.count()
        return WorkspaceStatus(
            path=str(self.root), schema_version=schema_version(self.conn),
            app_version=__version__, analyst=self.analyst, captures=n_captures,
            cases=n_cases, open_cases=n_open, audit_entries=self.audit.count(),
            evidence_bytes=n_bytes, readonly=self.readonly, search_ranking=ranking.describe(),
        )

    # ------------------------------------------------------------------- cases
    def cases(self) -> list[Case]:
        return self.cases_repo.all_cases()

    def case(self, name: str) -> Case:
        found = self.cases_repo.by_name(name)
        if found is None:
            raise NotFound(f"There is no case named {name!r}.")
        return found

    def create_case(self, name: str) -> Case:
        name = _clean_name(name, "case name")
        with self._write():
            if self.cases_repo.by_name(name) is not None:
                raise WorkstationError(f"A case named {name!r} already exists.")
            case_id = self._create_case(name)
        return self.case_by_id(case_id)

    def _create_case(self, name: str) -> int:
        case_id = self.cases_repo.create(name, utc_now())
        self.audit.append(self.analyst, "case.create", f"case:{case_id}", {"name": name})
        return case_id

    def case_by_id(self, case_id: int) -> Case:
        found = self.cases_repo.by_id(case_id)
        if found is None:
            raise NotFound(f"There is no case #{case_id}.")
        return found

    def set_case_status(self, name: str, status: str) -> Case:
        if status not in ("open", "closed"):
            raise ValueError(status)
        with self._write():
            case = self.case(name)
            if case.status != status:
                self.cases_repo.set_status(case.id, status)
                self.audit.append(
                    self.analyst, "case.close" if status == "closed" else "case.reopen",
                    f"case:{case.id}", {"name": case.name, "old": case.status, "new": status},
                )
        return self.case(name)

    def _case_id_for(self, name: str | None, *, create: bool) -> int | None:
        """Inside a write: the id of case ``name``, created (audited) if missing."""
        if not name:
            return None
        name = _clean_name(name, "case name")
        case = self.cases_repo.by_name(name)
        if case is None:
            if not create:
                raise NotFound(f"There is no case named {name!r}.")
            return self._create_case(name)
        if case.status == "closed":
            raise WorkstationError(
                f"The case {name!r} is closed; reopen it (`workstation case reopen`) to add to it."
            )
        return case.id

    # ---------------------------------------------------------------- captures
    def captures(self, case: str | None = None) -> list[Capture]:
        if case is None:
            return self.captures_repo.select()
        return self.captures_repo.select(case_id=self.case(case).id)

    def captures_by_ids(self, ids: Iterable[int]) -> list[Capture]:
        return self.captures_repo.select(ids=ids)

    def capture(self, capture_id: int) -> Capture:
        found = self.captures_repo.get(capture_id)
        if found is None:
            raise NotFound(f"There is no capture #{capture_id}.")
        return found

    def display_image(self, capture: Capture) -> bytes:
        """A PNG of the capture for viewers that cannot decode its format (e.g. HEIC);
        derived from the verified original, never stored."""
        import io as _io

        data = self.store.read_verified(capture.sha256)
        _info, image = probe_bytes(data, capture.width * capture.height + 1)
        out = _io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()

    def evidence_path(self, capture: Capture) -> Path:
        return self.store.path_for(capture.sha256)

    def read_evidence(self, capture_id: int) -> bytes:
        """The original bytes of a capture, verified against its SHA-256."""
        return self.store.read_verified(self.capture(capture_id).sha256)

    def thumbnail_path(self, capture: Capture) -> Path:
        """The capture's thumbnail, regenerated from the verified original if missing."""
        path = self.thumbs / capture.sha256[:2] / f"{capture.sha256}.jpg"
        if not path.exists():
            data = self.store.read_verified(capture.sha256)
            # The original passed the import checks: no settings (SQL) needed here, so this
            # is safe from a thumbnail-loading thread.
            _info, image = probe_bytes(data, capture.width * capture.height + 1)
            _write_derived(path, derive(image).thumbnail)
        return path

    # ------------------------------------------------------------------ import
    def import_paths(
        self,
        paths: Iterable[str | Path],
        meta: CaptureMeta | None = None,
        *,
        method: str = "import",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ImportResult]:
        """Import files and folders (recursively), yielding one result per file.

        Each file is committed on its own, so stopping (cancel, Ctrl-C, crash)
        keeps every file already reported.
        """
        meta = meta or CaptureMeta()
        if meta.case:
            self._check_case_open(meta.case)
        files = list(expand_paths(paths))
        total = len(files)
        for done, path in enumerate(files):
            if cancel is not None and cancel.cancelled:
                return
            report(progress, done, total, str(path))
            yield self.import_file(path, meta, method=method)
        report(progress, total, total)

    def _check_case_open(self, name: str) -> None:
        case = self.cases_repo.by_name(name.strip())
        if case is not None and case.status == "closed":
            raise WorkstationError(
                f"The case {case.name!r} is closed; reopen it (`workstation case reopen`) "
                "to add to it."
            )

    def import_file(
        self, path: str | Path, meta: CaptureMeta | None = None, *, method: str = "import"
    ) -> ImportResult:
        """Import one file; never raises for a bad input, returns ``rejected`` instead."""
        path = Path(path)
        display = str(path)
        try:
            st = path.stat()
            if stat.S_ISDIR(st.st_mode):
                raise RejectedInput("is a folder")
            if not stat.S_ISREG(st.st_mode):
                raise RejectedInput("is not a regular file")
            if st.st_size == 0:
                raise RejectedInput("file is empty")
            with open(path, "rb") as fh:
                return self._import_stream(
                    fh, display, path.name, st.st_mtime, meta or CaptureMeta(), method
                )
        except RejectedInput as exc:
            return ImportResult(display, "rejected", error=str(exc))
        except FileNotFoundError:
            return ImportResult(display, "rejected", error="file not found")
        except PermissionError:
            return ImportResult(display, "rejected", error="permission denied: cannot read file")
        except OSError as exc:
            return ImportResult(display, "rejected", error=f"cannot read file: {exc.strerror}")

    def import_bytes(
        self,
        data: bytes,
        meta: CaptureMeta | None = None,
        *,
        method: str = "paste",
        original_filename: str | None = None,
    ) -> ImportResult:
        """Import an image held in memory (clipboard paste, screen grab)."""
        display = original_filename or f"<{method}>"
        if not data:
            return ImportResult(display, "rejected", error="no image data")
        try:
            return self._import_stream(
                io.BytesIO(data), display, original_filename, None, meta or CaptureMeta(), method
            )
        except RejectedInput as exc:
            return ImportResult(display, "rejected", error=str(exc))

    def _import_stream(
        self,
        source: BinaryIO,
        display: str,
        original_filename: str | None,
        mtime: float | None,
        meta: CaptureMeta,
        method: str,
    ) -> ImportResult:
        if method not in CAPTURE_METHODS:
            raise ValueError(f"unknown capture method {method!r}")
        if self.readonly:
            raise ReadOnlyWorkspace("This workspace was opened read-only.")
        staged = self.store.stage(source, self.max_file_bytes)
        try:
            existing = self.captures_repo.id_for_sha256(staged.sha256)
            if existing is not None:
                return ImportResult(display, "duplicate", existing, staged.sha256)
            info, image = probe(staged.path, self.max_pixels)
            derived = derive(image)
            del image
            record = self._new_record(meta, info, staged.sha256, staged.md5, staged.size,
                                      original_filename, mtime, method)
            self.store.commit(staged)
        except BaseException:
            self.store.discard(staged)
            raise
        with self._write():
            case_id = self._case_id_for(meta.case, create=True)
            record["case_id"] = case_id
            capture_id = self.captures_repo.insert(record)
            tags = sorted({_clean_tag(t) for t in meta.tags})
            self.captures_repo.add_tags(capture_id, tags)
            self.audit.append(
                self.analyst, "capture.import", f"capture:{capture_id}",
                {"record": record, "tags": tags, "case": meta.case or None, "source": display},
            )
            if derived.pdq is not None:
                self.reading.set_pdq(capture_id, derived.pdq, derived.pdq_quality)
            self._refresh_derived(capture_id)
        _write_derived(self.thumbs / staged.sha256[:2] / f"{staged.sha256}.jpg", derived.thumbnail)
        return ImportResult(display, "imported", capture_id, staged.sha256)

    def _new_record(
        self, meta: CaptureMeta, info: Any, sha256: str, md5: str, size: int,
        original_filename: str | None, mtime: float | None, method: str,
    ) -> dict[str, Any]:
        if meta.captured_at:
            captured_at, source = parse_iso(meta.captured_at), "analyst"
        elif mtime is not None and method in ("import", "watch"):
            captured_at, source = from_timestamp(mtime), "file"
        else:
            captured_at, source = utc_now(), "system"
        fields = self._source_fields(meta.source_url, meta.platform, meta.handle, meta.content_id)
        return {
            "sha256": sha256, "md5": md5, "size": size, "format": info.format,
            "width": info.width, "height": info.height, "captured_at": captured_at,
            "captured_at_source": source, "imported_at": utc_now(), "analyst": self.analyst,
            "capture_method": method, "original_filename": original_filename,
            **fields, "notes": meta.notes or "", "app_version": __version__,
        }

    @staticmethod
    def _source_fields(
        url: str | None, platform: str | None, handle: str | None, content_id: str | None
    ) -> dict[str, Any]:
        url = (url or "").strip() or None
        inferred = parse_source_url(url) if url else None
        if platform:
            try:
                platform = normalize_platform(platform)
            except ValueError as exc:
                raise RejectedInput(str(exc)) from None
        elif inferred is not None:
            platform = inferred.platform
        if handle:
            handle = handle.strip().lstrip("@") or None
        return {
            "source_url": url,
            "platform": platform or None,
            "handle": handle or (inferred.handle if inferred else None),
            "content_id": (content_id or "").strip() or (inferred.content_id if inferred else None),
        }

    # ------------------------------------------------------------------- edits
    def edit(self, capture_id: int, **changes: Any) -> Capture:
        """Change editable metadata; the old and new values go into the audit trail."""
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise WorkstationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}")
        with self._write():
            current = self.capture(capture_id)
            values: dict[str, Any] = {}
            if "source_url" in changes:
                derived = self._source_fields(changes["source_url"], changes.get("platform"),
                                              changes.get("handle"), changes.get("content_id"))
                values["source_url"] = derived["source_url"]
                for key in ("platform", "handle", "content_id"):
                    if key in changes or getattr(current, key) is None:
                        values[key] = derived[key]
            else:
                for key in ("platform", "handle", "content_id"):
                    if key in changes:
                        derived = self._source_fields(None, changes.get("platform"),
                                                      changes.get("handle"),
                                                      changes.get("content_id"))
                        values[key] = derived[key]
            if "notes" in changes:
                values["notes"] = changes["notes"] or ""
            if "captured_at" in changes:
                values["captured_at"] = parse_iso(changes["captured_at"])
                values["captured_at_source"] = "analyst"
            if "case" in changes:
                values["case_id"] = self._case_id_for(changes["case"], create=True)
            diff = {
                key: {"old": getattr(current, key), "new": value}
                for key, value in values.items() if getattr(current, key) != value
            }
            if diff:
                self.captures_repo.update(capture_id, {k: v["new"] for k, v in diff.items()})
                self.audit.append(self.analyst, "capture.edit", f"capture:{capture_id}",
                                  {"changes": diff})
                self._refresh_derived(capture_id)
        return self.capture(capture_id)

    def set_notes(self, capture_id: int, text: str, *, append: bool = False) -> Capture:
        if append:
            current = self.capture(capture_id).notes
            text = f"{current}\n{text}" if current else text
        return self.edit(capture_id, notes=text)

    def add_tags(self, capture_id: int, tags: Iterable[str]) -> Capture:
        clean = sorted({_clean_tag(t) for t in tags})
        with self._write():
            current = set(self.capture(capture_id).tags)
            added = [t for t in clean if t not in current]
            if added:
                self.captures_repo.add_tags(capture_id, added)
                self.audit.append(self.analyst, "capture.tag", f"capture:{capture_id}",
                                  {"added": added})
                self._refresh_derived(capture_id)
        return self.capture(capture_id)

    def remove_tags(self, capture_id: int, tags: Iterable[str]) -> Capture:
        clean = sorted({_clean_tag(t) for t in tags})
        with self._write():
            current = set(self.capture(capture_id).tags)
            removed = [t for t in clean if t in current]
            if removed:
                self.captures_repo.remove_tags(capture_id, removed)
                self.audit.append(self.analyst, "capture.untag", f"capture:{capture_id}",
                                  {"removed": removed})
                self._refresh_derived(capture_id)
        return self.capture(capture_id)

    # ------------------------------------------------------------------- audit
    def audit_entries(
        self, capture_id: int | None = None, case: str | None = None
    ) -> list[AuditEntry]:
        if capture_id is None and case is None:
            return self.audit.entries()
        subjects: list[str] = []
        if capture_id is not None:
            self.capture(capture_id)
            subjects.append(f"capture:{capture_id}")
        if case is not None:
            found = self.case(case)
            subjects.append(f"case:{found.id}")
            subjects += [f"capture:{c.id}" for c in self.captures_repo.select(case_id=found.id)]
        return self.audit.entries(subjects)

    def verify(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> VerifyReport:
        """Re-hash every evidence file, walk the audit chain, and replay it against the tables."""
        result = VerifyReport()
        rows = self.captures_repo.raw_rows()
        total = len(rows)
        for done, row in enumerate(rows):
            if cancel is not None and cancel.cancelled:
                result.cancelled = True
                return result
            report(progress, done, total, f"capture #{row['id']}")
            problem = self.store.verify(row["sha256"])
            if problem:
                kind = "evidence-missing" if "missing" in problem else "evidence-altered"
                result.problems.append(
                    Problem(kind, f"capture #{row['id']}: {problem}", capture_id=row["id"])
                )
            result.captures_checked += 1
        report(progress, total, total, "audit trail")
        result.entries_checked, chain_problems = self.audit.verify_chain()
        result.problems += chain_problems
        result.problems += self._replay_audit(rows)
        referenced = {row["sha256"] for row in rows}
        result.unreferenced_files = sum(1 for h in self.store.all_hashes() if h not in referenced)
        return result

    def _replay_audit(self, rows: list[Any]) -> list[Problem]:
        """Compare the tables with the state the audit trail describes."""
        problems: list[Problem] = []
        expected: dict[int, dict[str, Any]] = {}
        tags: dict[int, set[str]] = {}
        cases: dict[int, dict[str, Any]] = {}
        ocr_runs: dict[int, tuple[int, str | None]] = {}
        for row in self.audit.iter_all():
            _kind, _, ident = row["subject"].partition(":")
            if not ident.isdigit():
                continue
            subject_id = int(ident)
            try:
                details = json.loads(row["details"])
            except ValueError:
                continue
            action = row["action"]
            if action == "capture.import":
                expected[subject_id] = dict(details.get("record", {}))
                tags[subject_id] = set(details.get("tags", []))
            elif action == "capture.edit" and subject_id in expected:
                for key, change in details.get("changes", {}).items():
                    expected[subject_id][key] = change.get("new")
                    if key == "captured_at":
                        expected[subject_id]["captured_at_source"] = "analyst"
            elif action == "capture.tag":
                tags.setdefault(subject_id, set()).update(details.get("added", []))
            elif action == "capture.untag":
                tags.setdefault(subject_id, set()).difference_update(details.get("removed", []))
            elif action == "ocr.run":
                ocr_runs[int(details.get("run", 0))] = (subject_id, details.get("text_sha256"))
            elif action == "case.create":
                cases[subject_id] = {"name": details.get("name"), "status": "open"}
            elif action in ("case.close", "case.reopen") and subject_id in cases:
                cases[subject_id]["status"] = details.get("new")

        actual_tags = self.captures_repo.all_tags()
        seen: set[int] = set()
        for row in rows:
            cid = row["id"]
            seen.add(cid)
            if cid not in expected:
                problems.append(Problem(
                    "record-unaudited",
                    f"capture #{cid} has no import entry in the audit trail (added outside "
                    "the application)", capture_id=cid))
                continue
            for column in CAPTURE_COLUMNS:
                if column in expected[cid] and row[column] != expected[cid][column]:
                    problems.append(Problem(
                        "record-altered",
                        f"capture #{cid}: {column} is {row[column]!r} in the database but "
                        f"{expected[cid][column]!r} according to the audit trail",
                        capture_id=cid))
            if actual_tags.get(cid, set()) != tags.get(cid, set()):
                problems.append(Problem(
                    "record-altered",
                    f"capture #{cid}: tags differ from the audit trail", capture_id=cid))
        for cid in sorted(set(expected) - seen):
            problems.append(Problem(
                "record-deleted",
                f"capture #{cid} is in the audit trail but missing from the database",
                capture_id=cid))
        for run_id, capture_id, text in self.reading.all_run_texts():
            recorded = ocr_runs.pop(run_id, None)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if recorded is None:
                problems.append(Problem(
                    "record-unaudited", f"OCR run {run_id} of capture #{capture_id} has no audit "
                    "entry", capture_id=capture_id))
            elif recorded != (capture_id, digest):
                problems.append(Problem(
                    "record-altered", f"OCR run {run_id} of capture #{capture_id} differs from "
                    "the audit trail", capture_id=capture_id))
        for run_id, (capture_id, _digest) in sorted(ocr_runs.items()):
            problems.append(Problem(
                "record-deleted", f"OCR run {run_id} of capture #{capture_id} is missing",
                capture_id=capture_id))
        actual_cases = {c.id: c for c in self.cases_repo.all_cases()}
        for case_id, want in cases.items():
            have = actual_cases.get(case_id)
            if have is None:
                problems.append(Problem("record-deleted", f"case #{case_id} deleted"))
            elif (have.name, have.status) != (want["name"], want["status"]):
                problems.append(Problem(
                    "record-altered", f"case #{case_id} differs from the audit trail"))
        for case_id in set(actual_cases) - set(cases):
            problems.append(Problem("record-unaudited", f"case #{case_id} has no audit entry"))
        return problems


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and the files inside folders named (recursively, sorted, no symlinked dirs)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, dirnames, filenames in os.walk(path):
                dirnames.sort()
                for name in sorted(filenames):
                    yield Path(folder) / name
        else:
            yield path


def _write_derived(path: Path, data: bytes) -> None:
    """Derived files (thumbnails) are atomic but not fsynced: they can be regenerated."""
    with contextlib.suppress(OSError):  # a missing thumbnail is regenerated on demand
        atomic_write(path, data, durable=False)


def _clean_name(name: str, what: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise WorkstationError(f"The {what} must not be empty.")
    if len(cleaned) > 200:
        raise WorkstationError(f"The {what} is too long (at most 200 characters).")
    return cleaned


def _clean_tag(tag: str) -> str:
    cleaned = " ".join(str(tag).split())
    if not cleaned:
        raise WorkstationError("A tag must not be empty.")
    return cleaned

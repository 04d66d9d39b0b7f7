"""Gathering a case report's contents, batch by batch (``storage/report_repo.py`` for the
SQL; the other services for what they own: exhibit references, redacted copies, trusted
timestamps, links between captures).  Images are decoded from VERIFIED bytes (the
original, or the redacted copy checked against its SHA-256) and downscaled in a small
thread pool one batch ahead, so memory holds at most two batches of page images."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from workstation.errors import WorkstationError
from workstation.models import Capture
from workstation.redaction.scrub import hidden_indicators, scrubbed_text
from workstation.report.model import Exhibit, IndexRow, page_image
from workstation.storage.report_repo import ReportRepo
from workstation.storage.repositories import CaptureRepo

#: Captures read (and images prepared) at a time.
BATCH = 40


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it (bytes dropped: raw tokens stay in the database)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif hasattr(value, "to_dict"):
        value = value.to_dict()
    elif hasattr(value, "keys"):
        value = {k: value[k] for k in value.keys()}  # noqa: SIM118 (sqlite3.Row)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not isinstance(v, bytes | bytearray)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class Gatherer:
    """Reads one case's exhibits.  ``owner`` is the open workspace (its services: reading,
    and where present exhibits, redactions, timestamps)."""

    def __init__(self, owner: Any, repo: ReportRepo, captures: CaptureRepo,
                 capture_ids: Sequence[int]) -> None:
        self._ws = owner
        self._repo = repo
        self._captures = captures
        self.ids = list(capture_ids)
        self._refs = self._exhibit_refs(self.ids)
        self._token_ok: dict[int, bool] = {}  # timestamp id -> verifies (checked once)

    # ------------------------------------------------------------------ index
    def _exhibit_refs(self, ids: list[int]) -> dict[int, str]:
        service = getattr(self._ws, "exhibits", None)
        refs = service.refs_for(ids) if service is not None else self._repo.exhibit_refs(ids)
        return {cid: refs.get(cid) or f"capture #{cid}" for cid in ids}

    def ref(self, capture_id: int) -> str:
        return self._refs[capture_id]

    def index(self) -> Iterator[IndexRow]:
        """The exhibit list's rows, in report order."""
        for start in range(0, len(self.ids), 500):
            chunk = self.ids[start:start + 500]
            by_id = {c.id: c for c in self._captures.select(ids=chunk)}
            for cid in chunk:
                c = by_id[cid]
                yield IndexRow(self._refs[cid], cid, c.captured_at, c.sha256, c.platform or "")

    # -------------------------------------------------------------- exhibits
    def exhibits(self) -> Iterator[Exhibit]:
        """Every exhibit with its page image, in report order; the next batch's images
        are prepared while this one is written."""
        batches = [self.ids[i:i + BATCH] for i in range(0, len(self.ids), BATCH)]
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="report-images") as pool:
            pending = self._start(pool, batches[0]) if batches else []
            for n in range(len(batches)):
                current = pending
                pending = self._start(pool, batches[n + 1]) if n + 1 < len(batches) else []
                for exhibit, future in current:
                    self._take_image(exhibit, future)
                    yield exhibit

    def _start(self, pool: ThreadPoolExecutor, ids: list[int]
               ) -> list[tuple[Exhibit, Future[tuple[bytes, int, int]]]]:
        """The batch's exhibits (read here, on the caller's thread: SQLite), each with
        its image being prepared in ``pool``."""
        out = []
        for exhibit, data in self._batch(ids):
            out.append((exhibit, pool.submit(page_image, data)) if data is not None
                       else (exhibit, _failed(exhibit.image_error or "not readable")))
        return out

    @staticmethod
    def _take_image(exhibit: Exhibit, future: Future[tuple[bytes, int, int]]) -> None:
        try:
            exhibit.image, exhibit.image_width, exhibit.image_height = future.result()
        except WorkstationError as exc:
            exhibit.image_error = str(exc)
        except Exception as exc:  # an undecodable image is stated, not fatal
            exhibit.image_error = f"the image could not be decoded ({type(exc).__name__})"

    def _batch(self, ids: list[int]) -> Iterator[tuple[Exhibit, bytes | None]]:
        captures = {c.id: c for c in self._captures.select(ids=ids)}
        ocr = self._repo.current_ocr(ids)
        packs = self._repo.pack_items(ids)
        first_seq = self._repo.first_audit_seq([f"capture:{i}" for i in ids])
        redactions = self._repo.current_redactions(ids)
        for cid in ids:
            capture = captures[cid]
            exhibit = Exhibit(self._refs[cid], capture)
            run = ocr.get(cid)
            if run is not None:
                exhibit.ocr_text = str(run["text"] or "")
                exhibit.ocr_languages = str(run["advert_languages"] or run["languages"] or "")
            data = self._image_bytes(exhibit, redactions.get(cid))
            hidden = self._scrub(exhibit)
            exhibit.indicators = [i for i in self._indicators(cid)
                                  if (i["kind"], i["normalized"]) not in hidden]
            exhibit.links = self._links(cid, hidden)
            exhibit.packs = [_pack(r) for r in packs.get(cid, [])]
            exhibit.timestamps = self._timestamps(first_seq.get(f"capture:{cid}"),
                                                  exhibit.packs)
            yield exhibit, data

    def _scrub(self, exhibit: Exhibit) -> set[tuple[str, str]]:
        """Where the redacted copy is shown, what OCR read inside its boxes leaves the
        text (``[redacted]``); returns the indicators read there (left out too)."""
        service = getattr(self._ws, "redactions", None)
        if exhibit.redaction is None or service is None:
            return set()
        redaction = service.current(exhibit.capture.id)
        if redaction is None:
            return set()
        cid = exhibit.capture.id
        exhibit.ocr_text = scrubbed_text(exhibit.ocr_text, service, cid, redaction.boxes) or ""
        return hidden_indicators(self._ws.ctx, self._ws.reading, service, cid, redaction.boxes)

    # ------------------------------------------------------------- per part
    def _indicators(self, capture_id: int) -> list[dict[str, Any]]:
        return [{"kind": i.kind, "value": i.value, "normalized": i.normalized,
                 "source": i.source}
                for i in self._ws.reading.indicators(capture_id) if i.status == "confirmed"]

    def _links(self, capture_id: int, hidden: set[tuple[str, str]]) -> list[str]:
        out = []
        for link in self._ws.reading.links(capture_id):
            other = self._refs.get(link.capture_id) or f"capture #{link.capture_id}"
            whys = [f"shares {s['kind']} {s['normalized']}" for s in link.shared
                    if (s["kind"], s["normalized"]) not in hidden]
            if link.shared and not whys and not link.near_why and link.pdq_distance is None:
                continue  # linked only by what the redaction hides
            if link.near_why:
                whys.append(f"repost: {link.near_why}")
            elif link.pdq_distance is not None:
                whys.append(f"repost: PDQ distance {link.pdq_distance}")
            out.append(f"{other}: {'; '.join(whys) or 'linked'}")
        return out

    def _timestamps(self, first_seq: int | None, packs: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
        service = getattr(self._ws, "timestamps", None)
        found: list[Any] = []
        subjects = [f"pack:{p['pack_id']}" for p in packs]
        if service is None:
            found += self._repo.timestamps(subjects)
        else:
            if first_seq is not None:
                covering = service.covering_audit_seq(first_seq)
                if covering is not None:
                    found.append(covering)
            for subject in subjects:
                found += service.for_subject(subject)
            found = [t for t in found if self._verifies(service, t)]
        plain = [_plain(t) for t in found]
        return [t for t in plain if isinstance(t, dict) and t.get("state", "stamped") == "stamped"
                and t.get("gen_time")]

    def _verifies(self, service: Any, record: Any) -> bool:
        """Whether a stamped token verifies offline (a token that does not is not
        claimed in the signed report; ``verify`` at generation states it)."""
        if not getattr(record, "stamped", False):
            return True  # queued: dropped below, claims nothing
        if record.id not in self._token_ok:
            self._token_ok[record.id] = bool(service.verify(record).ok)
        return self._token_ok[record.id]

    def _image_bytes(self, exhibit: Exhibit, row: Any) -> bytes | None:
        """The bytes to draw: the current redacted copy (verified by the redaction
        service) where there is one, else the verified original."""
        capture = exhibit.capture
        service = getattr(self._ws, "redactions", None)
        try:
            redaction = service.current(capture.id) if service is not None else None
            if service is not None and redaction is not None:
                exhibit.redaction = {
                    "id": redaction.id, "sha256": redaction.sha256,
                    "original_sha256": redaction.original_sha256,
                    "boxes": _plain(list(redaction.boxes)), "log_sha256": redaction.log_sha256,
                    "created_at": redaction.created_at, "created_by": redaction.created_by}
                exhibit.shown, exhibit.shown_sha256 = "redacted copy", redaction.sha256
                return bytes(service.read_copy(redaction))
            if row is not None:  # a copy is recorded but no service can verify it here
                raise WorkstationError(
                    f"capture #{capture.id} has a redacted copy that cannot be checked here; "
                    "the original is not shown in its place")
            exhibit.shown, exhibit.shown_sha256 = "original", capture.sha256
            return bytes(self._ws.ctx.store.read_verified(capture.sha256))
        except WorkstationError as exc:
            exhibit.image_error = str(exc)
            return None


def _failed(message: str) -> Future[tuple[bytes, int, int]]:
    future: Future[tuple[bytes, int, int]] = Future()
    future.set_exception(WorkstationError(message))
    return future


def _pack(row: Any) -> dict[str, Any]:
    return {"pack_id": int(row["pack_id"]), "ref": row["ref"], "platform": row["platform"],
            "state": row["state"], "sealed_at": row["sealed_at"], "sent_at": row["sent_at"],
            "outcome": row["outcome"], "outcome_at": row["outcome_at"],
            "outcome_comment": row["outcome_comment"],
            "sent_as": "redacted copy" if row["redaction_id"] else "original"}


def capture_line(capture: Capture) -> str:
    """Who captured it, how and when (the continuity statement's line)."""
    seen = {"analyst": "as stated by the analyst", "file": "the file's modification time",
            "system": "the workstation's clock"}.get(capture.captured_at_source,
                                                      capture.captured_at_source)
    return (f"captured {capture.captured_at} ({seen}) by {capture.analyst} "
            f"({capture.capture_method}), imported {capture.imported_at}")


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")

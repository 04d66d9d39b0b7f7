"""Reading the adverts (``ws.reading``): OCR runs, indicators, keyword flags,
full-text search, and links between captures.  All SQL is in
:mod:`workstation.storage.reading_repo`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Generator, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from workstation.context import Context
from workstation.errors import Cancelled, NotFound, WorkstationError
from workstation.models import Capture
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.reading.indicators.model import KINDS, LINK_KINDS
from workstation.settings import get_int, get_list, get_text
from workstation.storage.reading_repo import ReadingRepo, decode_words
from workstation.storage.repositories import CaptureRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

#: Indicator kinds that link captures (a shared price says little, so prices do not link).
#: PDQ matching as in ThreatExchange's Hasher-Matcher-Actioner.
PDQ_MAX_DISTANCE = 31
PDQ_MIN_QUALITY = 50


@dataclass(frozen=True, slots=True)
class OcrRun:
    id: int
    capture_id: int
    engine: str
    engine_version: str
    languages: str
    params: dict[str, Any]
    text: str
    words: list[dict[str, Any]]
    confidence: float | None
    duration: float
    created_at: str
    analyst: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class IndicatorRecord:
    capture_id: int
    kind: str
    value: str
    normalized: str
    source: str
    box: tuple[int, int, int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["box"] = list(self.box) if self.box else None
        return data


@dataclass(frozen=True, slots=True)
class OcrOutcome:
    """One capture's result in an OCR batch."""

    capture_id: int
    status: str  # done | failed
    run_id: int | None = None
    languages: str | None = None
    confidence: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SearchHit:
    capture_id: int
    rank: float
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Link:
    """Another capture related to the one asked about, and why."""

    capture_id: int
    shared: list[dict[str, str]] = field(default_factory=list)  # [{"kind", "normalized"}]
    pdq_distance: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"capture_id": self.capture_id, "shared": self.shared,
                "pdq_distance": self.pdq_distance,
                "near_duplicate": self.pdq_distance is not None}


@dataclass(frozen=True, slots=True)
class SimilarImage:
    capture_id: int
    distance: int
    quality: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fts_query(text: str) -> str:
    """A safe FTS5 query from what a person typed: every word must match;
    ``word*`` is a prefix query; ``OR`` between words is kept."""
    from workstation.textnorm import fold

    parts: list[str] = []
    for raw in text.split():
        if raw == "OR":
            if parts and parts[-1] != "OR":
                parts.append("OR")
            continue
        prefix = raw.endswith("*")
        token = fold(raw.rstrip("*")).replace('"', " ").strip()
        if not re.search(r"\w", token):
            continue
        parts.append(f'"{token}"' + ("*" if prefix else ""))
    while parts and parts[-1] == "OR":
        parts.pop()
    if not parts:
        raise WorkstationError("The search is empty: type a word, number or handle.")
    return " ".join(parts)


class ReadingService:
    """OCR, indicators, keyword flags, search, similar images and links (``ws.reading``).

    Derived data only: the originals are read (and verified) but never changed."""

    def __init__(self, ctx: Context, repo: ReadingRepo, captures_repo: CaptureRepo) -> None:
        self._ctx = ctx
        self._repo = repo
        self._captures_repo = captures_repo

    def _capture(self, capture_id: int) -> Capture:
        found = self._captures_repo.get(capture_id)
        if found is None:
            raise NotFound(f"There is no capture #{capture_id}.")
        return found

    @property
    def region_hints(self) -> tuple[str, ...]:
        return get_list(self._ctx, "region_hints")

    @cached_property
    def lexicon(self) -> Any:
        from workstation.reading.lexicon import Lexicon

        return Lexicon.load()

    def refresh_derived(self, capture_id: int) -> None:
        """Inside a write: rebuild notes/metadata indicators, keyword flags and the index."""
        capture = self._capture(capture_id)
        found = text_indicators(capture.notes, capture.source_url, capture.handle,
                                self.region_hints)
        self._repo.replace_indicators(capture_id, ("notes", "metadata"), found)
        self._reindex(capture)

    def _reindex(self, capture: Capture) -> None:
        run = self._repo.current_run(capture.id)
        ocr_text = run["text"] if run else ""
        indicators = self._repo.indicators(capture.id)
        indicator_text = " ".join(
            f"{r['value']} {r['normalized']} {re.sub(r'[^0-9]', '', r['normalized'])}"
            for r in indicators)
        metadata = " ".join(filter(None, [
            capture.source_url, capture.platform, capture.handle, capture.content_id,
            capture.case, capture.original_filename, " ".join(capture.tags)]))
        self._repo.index(capture.id, ocr_text, capture.notes, metadata, indicator_text)
        hits = []
        for source, text in (("ocr", ocr_text), ("notes", capture.notes)):
            for hit in self.lexicon.match(text):
                hits.append({"term": hit.term, "category": hit.category,
                             "language": hit.language, "source": source})
        verdict = self.lexicon.score(self.lexicon.match(f"{ocr_text}\n{capture.notes}"))
        self._repo.replace_keywords(capture.id, hits, verdict.flagged, verdict.score,
                                      verdict.categories)

    def backfill_derived(self) -> None:
        """After an upgrade: PDQ hashes, indicators, flags and the index for older captures.

        Derived data only; originals are read (and verified) but never changed.
        """
        from workstation.evidence.images import derive, probe_bytes

        missing_pdq = set(self._repo.captures_without_pdq())
        indexed = self._repo.indexed_ids()
        for capture_id in [c for (c, _sha) in self._captures_repo.hashes()]:
            if capture_id not in missing_pdq and capture_id in indexed:
                continue
            capture = self._capture(capture_id)
            with self._ctx.write():
                if capture_id in missing_pdq:
                    try:
                        data = self._ctx.store.read_verified(capture.sha256)
                        _info, image = probe_bytes(data, capture.width * capture.height + 1)
                        derived = derive(image)
                    except WorkstationError:
                        derived = None  # `verify` reports the damaged original
                    if derived is not None and derived.pdq is not None:
                        self._repo.set_pdq(capture_id, derived.pdq, derived.pdq_quality)
                self.refresh_derived(capture_id)

    def ocr_languages(self) -> str:
        return get_text(self._ctx, "ocr_languages")

    def pending_ocr(self) -> list[int]:
        return self._repo.captures_without_ocr()

    def run_ocr(
        self,
        capture_ids: Iterable[int],
        *,
        lang: str = "auto",
        jobs: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generator[OcrOutcome, None, None]:
        """OCR captures in worker processes; each result is stored (and audited) as it lands,
        so cancelling keeps every finished one.  On cancel the generator yields what had
        finished and then simply ends (it does not raise)."""
        from workstation.reading.ocr import OcrPool

        if self._ctx.readonly:
            raise WorkstationError("This workspace was opened read-only.")
        ids = list(dict.fromkeys(capture_ids))
        captures = {cid: self._capture(cid) for cid in ids}
        items = []
        for cid in ids:
            capture = captures[cid]
            problem = self._ctx.store.verify(capture.sha256)
            if problem:
                yield OcrOutcome(cid, "failed", error=f"capture #{cid}: {problem}")
                continue
            items.append((cid, str(self._ctx.store.path_for(capture.sha256)), lang))
        total, done = len(items), 0
        report(progress, 0, total, "OCR")
        if not items:
            return
        if jobs is None:  # `config ocr_jobs N`; 0 or unset: one worker per core
            jobs = get_int(self._ctx, "ocr_jobs") or None
        with OcrPool(jobs=min(jobs or os.cpu_count() or 1, total)) as pool:
            try:
                for cid, result in pool.map(items, cancel=cancel):
                    done += 1
                    if isinstance(result, BaseException):
                        outcome = OcrOutcome(cid, "failed", error=str(result))
                    else:
                        outcome = self._store_ocr(cid, result)
                    report(progress, done, total, f"capture #{cid}")
                    yield outcome
            except Cancelled:
                return

    def _store_ocr(self, capture_id: int, result: Any) -> OcrOutcome:
        from workstation.reading.indicators.extract import extract_indicators
        from workstation.reading.indicators.model import WordBox

        data = result.to_dict()
        words = data.get("words", [])
        languages = "+".join(data.get("languages", [])) or "?"
        run = {
            "engine": data.get("engine", "tesseract"),
            "engine_version": str(data.get("engine_version", "")),
            "languages": languages,
            "params": data.get("parameters", {}),
            "text": data.get("text", ""),
            "words": words,
            "confidence": data.get("mean_confidence"),
            "duration": float(data.get("duration_s", 0.0)),
        }
        boxes = [WordBox(w["text"], tuple(w["bbox"])) for w in words if w.get("text")]
        found = [i.to_dict() for i in extract_indicators(run["text"], self.region_hints,
                                                         words=boxes, source="ocr")]
        with self._ctx.write():
            run_id = self._repo.insert_run(capture_id, run, utc_now(), self._ctx.analyst)
            self._repo.replace_indicators(capture_id, ("ocr",), _dedupe(found), run_id)
            self._ctx.audit.append(self._ctx.analyst, "ocr.run", f"capture:{capture_id}", {
                "run": run_id, "engine": run["engine"], "engine_version": run["engine_version"],
                "languages": languages, "params": run["params"],
                "confidence": run["confidence"], "duration": round(run["duration"], 3),
                "text_sha256": hashlib.sha256(run["text"].encode("utf-8")).hexdigest(),
                "indicators": len(found),
            })
            self._reindex(self._capture(capture_id))
        return OcrOutcome(capture_id, "done", run_id, languages, run["confidence"])

    def current_ocr(self, capture_id: int) -> OcrRun | None:
        row = self._repo.current_run(capture_id)
        return _run(row) if row else None

    def ocr_history(self, capture_id: int) -> list[OcrRun]:
        return [_run(r) for r in self._repo.runs(capture_id)]

    def indicators(self, capture_id: int | None = None, kind: str | None = None
                   ) -> list[IndicatorRecord]:
        if capture_id is not None:
            self._capture(capture_id)
        if kind is not None and kind not in KINDS:
            raise WorkstationError(
                f"Unknown indicator kind {kind!r}; choose one of {', '.join(KINDS)}.")
        return [IndicatorRecord(r["capture_id"], r["kind"], r["value"], r["normalized"],
                                r["source"], tuple(json.loads(r["box"])) if r["box"] else None)
                for r in self._repo.indicators(capture_id, kind)]

    def flagged(self, capture_ids: Iterable[int] | None = None
                ) -> dict[int, tuple[bool, float]]:
        """capture id → (flagged, score) from the keyword lexicon (all, or those asked)."""
        return self._repo.flags(None if capture_ids is None else list(capture_ids))

    def warm_up(self) -> None:
        """Import the lazily loaded OCR, indicator and lexicon code and load the lexicon,
        so the first capture or OCR result does not pay for it (call off the GUI thread)."""
        import workstation.reading.indicators
        import workstation.reading.ocr  # noqa: F401

        _ = self.lexicon

    def keyword_hits(self, capture_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self._repo.keyword_hits(capture_id)]

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Full-text search (bm25-ranked, highlighted snippets) over OCR text, notes,
        metadata and indicators; ``word*`` for prefixes."""
        match = _fts_query(query)
        try:
            rows = self._repo.search(match, max(1, limit))
        except sqlite3.OperationalError as exc:
            raise WorkstationError(f"Cannot search for {query!r}: {exc}") from None
        return [SearchHit(capture_id, rank, " ".join(snippet.split()))
                for capture_id, rank, snippet in rows]

    def similar(self, capture_id: int, max_distance: int = PDQ_MAX_DISTANCE) -> list[SimilarImage]:
        """Near-duplicate images by PDQ hash (distance ≤ 31; quality ≤ 49 ignored, as HMA)."""
        self._capture(capture_id)
        mine = self._repo.pdq(capture_id)
        if mine is None or mine["quality"] < PDQ_MIN_QUALITY:
            return []
        target = int(mine["pdq"], 16)
        found = []
        for other, pdq, quality in self._repo.all_pdq():
            if other == capture_id or quality < PDQ_MIN_QUALITY:
                continue
            distance = (int(pdq, 16) ^ target).bit_count()
            if distance <= max_distance:
                found.append(SimilarImage(other, distance, quality))
        return sorted(found, key=lambda s: (s.distance, s.capture_id))

    def links(self, capture_id: int) -> list[Link]:
        """Every other capture (any case, any platform) sharing a normalised indicator,
        and every near-duplicate image."""
        self._capture(capture_id)
        by_id: dict[int, Link] = {}
        for row in self._repo.sharing(capture_id, LINK_KINDS):
            link = by_id.setdefault(row["other"], Link(row["other"]))
            entry = {"kind": row["kind"], "normalized": row["normalized"]}
            if entry not in link.shared:
                link.shared.append(entry)
        for near in self.similar(capture_id):
            by_id.setdefault(near.capture_id, Link(near.capture_id)).pdq_distance = near.distance
        return sorted(by_id.values(), key=lambda link: link.capture_id)

    def pdq_of(self, capture_id: int) -> tuple[str, int] | None:
        row = self._repo.pdq(capture_id)
        return (row["pdq"], row["quality"]) if row else None


def text_indicators(notes: str | None, source_url: str | None, handle: str | None,
                    hints: Sequence[str]) -> list[dict[str, Any]]:
    """The indicators of a capture's notes and metadata (``verify`` recomputes them)."""
    from workstation.reading.indicators.extract import extract_indicators

    found: list[dict[str, Any]] = []
    if notes:
        found += [i.to_dict() for i in extract_indicators(notes, hints, source="notes")]
    if source_url:
        found += [i.to_dict() for i in extract_indicators(source_url, hints, source="metadata")]
    if handle:
        found.append({"kind": "handle", "value": handle,
                      "normalized": handle.lstrip("@").lower(), "source": "metadata",
                      "box": None})
    return _dedupe(found)


def _dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for item in items:
        key = (item["kind"], item["normalized"], item["source"], str(item.get("box")))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _run(row: sqlite3.Row) -> OcrRun:
    return OcrRun(
        row["id"], row["capture_id"], row["engine"], row["engine_version"], row["languages"],
        json.loads(row["params"]), row["text"], decode_words(row["words"]), row["confidence"],
        row["duration"], row["created_at"], row["analyst"])

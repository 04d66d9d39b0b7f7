"""Reading the adverts (``ws.reading``): OCR runs, indicators, keyword flags,
full-text search, and links between captures.  All SQL is in
:mod:`workstation.storage.reading_repo`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Generator, Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from workstation.context import Context
from workstation.errors import Cancelled, NotFound, WorkstationError
from workstation.models import Capture
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.reading.indicators.model import KINDS, LINK_KINDS
from workstation.reading.stored import dedupe, ocr_indicators, text_indicators
from workstation.settings import get_int, get_list, get_text
from workstation.storage.reading_repo import ReadingRepo, decode_words, run_params
from workstation.storage.repositories import CaptureRepo
from workstation.storage.reposts_repo import RepostsRepo
from workstation.storage.sqlitelib import sqlite3
from workstation.timeutil import utc_now

#: Indicator kinds that link captures (a shared price says little, so prices do not link).
#: PDQ matching as in ThreatExchange's Hasher-Matcher-Actioner.
PDQ_MAX_DISTANCE = 31
PDQ_MIN_QUALITY = 50
#: The region number of the empty row kept for an image without a usable region.
NO_REGION = -1
PDQ_BYTES = 32
#: Captures brought up to date in one write transaction when a workspace is upgraded.
BACKFILL_BATCH = 200


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
    #: What the advert is written in ("fas+eng"), '' for runs made before 0005.
    advert_languages: str = ""
    #: Share (0..1) of the page's text regions read; None when not measured.
    coverage: float | None = None
    #: Regions with ink that could not be read, [[x, y, w, h], ...].
    unread: list[list[int]] = field(default_factory=list)

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
    #: the platform the text names ("Instagram: @x" -> instagram), if any
    platform: str | None = None
    #: the lowest confidence of the OCR words it was read from
    confidence: float | None = None
    #: why the analyst should look before it goes out (low confidence, joined across
    #: lines, read differently by another pass), or None
    attention: str | None = None
    #: found (read by OCR, not reviewed) | confirmed | rejected; what the analyst typed
    #: (notes, metadata) is confirmed unless rejected
    status: str = "found"

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
    advert_languages: str | None = None  # what the advert is written in, e.g. "fas+eng"
    coverage: float | None = None  # share of the page's text regions read (0..1)
    unread: int = 0  # regions with ink that could not be read

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result.  ``rank``: bm25, lower is better; None when the query matched more
    captures than are ranked (``storage.ranking.CANDIDATES``) and the newest are listed."""

    capture_id: int
    rank: float | None
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Link:
    """Another capture related to the one asked about, and why."""

    capture_id: int
    shared: list[dict[str, str]] = field(default_factory=list)  # [{"kind", "normalized"}]
    pdq_distance: int | None = None  # whole-image PDQ distance, when that is the reason
    #: why it is a near-duplicate (see SimilarImage.reason), None when it is not one
    near_reason: str | None = None
    near_why: str | None = None  # the same, for a person

    def to_dict(self) -> dict[str, Any]:
        return {"capture_id": self.capture_id, "shared": self.shared,
                "pdq_distance": self.pdq_distance,
                "near_duplicate": self.near_reason is not None or self.pdq_distance is not None,
                "near_duplicate_reason": self.near_reason, "near_duplicate_why": self.near_why}


@dataclass(frozen=True, slots=True)
class SimilarImage:
    """A near-duplicate (a repost) of the capture asked about, and why
    (``reading/reposts.py``): ``image``, the whole image's PDQ hash (``distance``);
    ``region``, a part of the image, as when bars were cut off or it was cropped
    (``score``: that part's PDQ distance); ``text``, the same words (``score``: the share
    of the shorter text found in the other)."""

    capture_id: int
    distance: int | None  # whole-image PDQ distance; None when matched otherwise
    quality: int  # PDQ quality of the other capture's matching hash (0: by text)
    reason: str = "image"
    score: float | None = None

    @property
    def why(self) -> str:
        if self.reason == "region":
            return f"part of the image matches (PDQ distance {self.score:.0f})"
        if self.reason == "text":
            return f"same text ({(self.score or 0) * 100:.0f} % shared)"
        return f"PDQ distance {self.distance}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "why": self.why}


def _fts_query(text: str) -> str:
    """A safe FTS5 query from what a person typed (``searchquery.parse``): every word
    must match; ``word*`` is a prefix query; ``OR`` between words is kept; synonyms
    across scripts and ``lang:CODE`` are expanded."""
    from workstation.reading.searchquery import parse

    return parse(text).match


class ReadingService:
    """OCR, indicators, keyword flags, search, similar images and links (``ws.reading``).

    Derived data only: the originals are read (and verified) but never changed."""

    def __init__(self, ctx: Context, repo: ReadingRepo, captures_repo: CaptureRepo,
                 reposts: RepostsRepo | None = None) -> None:
        self._ctx = ctx
        self._repo = repo
        self._captures_repo = captures_repo
        self._reposts = reposts or RepostsRepo(repo.conn)

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
        from workstation.reading.searchquery import indicator_words

        run = self._repo.current_run(capture.id)
        ocr_text = run["text"] if run else ""
        indicator_text = indicator_words(
            (str(r["value"]), str(r["normalized"])) for r in self._repo.indicators(capture.id))
        metadata = " ".join(filter(None, [
            capture.source_url, capture.platform, capture.handle, capture.content_id,
            capture.case, capture.original_filename, " ".join(capture.tags),
            _language_words(run["advert_languages"] if run else "")]))
        self._repo.index(capture.id, _searchable(ocr_text), _searchable(capture.notes),
                         _searchable(metadata), indicator_text)
        hits = []
        for source, text in (("ocr", ocr_text), ("notes", capture.notes)):
            for hit in self.lexicon.match(text):
                row = {"term": hit.term, "category": hit.category,
                       "language": hit.language, "source": source}
                if row not in hits:  # a term said twice is one hit (~15 % of the rows)
                    hits.append(row)
        verdict = self.lexicon.score(self.lexicon.match(f"{ocr_text}\n{capture.notes}"))
        self._repo.replace_keywords(capture.id, hits, verdict.flagged, verdict.score,
                                      verdict.categories)

    def backfill_derived(self, progress: ProgressCallback | None = None) -> None:
        """After an upgrade: PDQ hashes (decoding the original, only for workspaces from
        before 0002), text sketches, indicators (notes, metadata and the current OCR
        run's, read again from its stored text and words with the current code, so
        ``verify`` finds the current reading), flags and the index for older captures.
        Region hashes need every original decoded again, so they are made on request
        (:meth:`backfill_regions`).  Written :data:`BACKFILL_BATCH` captures a
        transaction; ``progress`` hears after each batch.

        Derived data only; originals are read (and verified) but never changed.
        """
        missing_pdq = set(self._repo.captures_without_pdq())
        unsketched = set(self._reposts.captures_read_without_sketch())
        indexed = self._repo.indexed_ids()
        todo = [c for (c, _sha) in self._captures_repo.hashes()
                if c in missing_pdq or c in unsketched or c not in indexed]
        report(progress, 0, len(todo), "updating older captures")
        for start in range(0, len(todo), BACKFILL_BATCH):
            batch = todo[start:start + BACKFILL_BATCH]
            with self._ctx.write():
                for capture_id in batch:
                    self._backfill_one(capture_id, decode=capture_id in missing_pdq,
                                       sketch=capture_id in unsketched,
                                       refresh=capture_id in missing_pdq
                                       or capture_id not in indexed)
            report(progress, start + len(batch), len(todo), "updating older captures")

    def backfill_pending(self) -> bool:
        """Whether :meth:`backfill_derived` has captures left, because it was interrupted
        (they are missing from the search index, which it fills last)."""
        return self._repo.index_incomplete()

    def _backfill_one(self, capture_id: int, *, decode: bool, sketch: bool,
                      refresh: bool) -> None:
        """Inside a write: one capture's part of :meth:`backfill_derived`."""
        from workstation.evidence.images import derive, probe_bytes

        capture = self._capture(capture_id)
        if decode:
            try:
                data = self._ctx.store.read_verified(capture.sha256)
                _info, image = probe_bytes(data, capture.width * capture.height + 1)
                derived = derive(image)
            except WorkstationError:
                derived = None  # `verify` reports the damaged original
            if derived is not None and derived.pdq is not None:
                self._repo.set_pdq(capture_id, derived.pdq, derived.pdq_quality)
            if derived is not None:
                self.store_regions(capture_id, derived.regions)
        run = self._repo.current_run(capture_id)
        if sketch:
            self.update_sketch(capture_id, run["text"] if run else "")
        if refresh:
            if run is not None:  # read again as OCR stores a run (confidences, attention)
                others = self._repo.earlier_run_texts(capture_id, run["id"])
                self._repo.replace_indicators(
                    capture_id, ("ocr",), ocr_indicators(run, self.region_hints, others),
                    run["id"])
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
            try:  # the worker never sees the key of an encrypted workspace
                items.append((cid, self._ctx.store.worker_source(capture.sha256), lang))
            except WorkstationError as exc:
                yield OcrOutcome(cid, "failed", error=f"capture #{cid}: {exc}")
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
            # what the advert is written in (not the models tried), how much of the
            # page's text was read, and where ink was left unread
            "advert_languages": "+".join(data.get("advert_languages") or []),
            "coverage": data.get("coverage"),
            "unread": [list(b) for b in data.get("unread") or []],
        }
        run_id = self.save_run(capture_id, run, utc_now(), self._ctx.analyst, {})
        return OcrOutcome(capture_id, "done", run_id, languages, run["confidence"],
                          advert_languages=run["advert_languages"] or None,
                          coverage=run["coverage"], unread=len(run["unread"]))

    def save_run(self, capture_id: int, run: dict[str, Any], created_at: str, analyst: str,
                  details: dict[str, Any]) -> int:
        """Store one run (``run``: the columns of ``ocr_runs``) with the indicators read
        from it, and its ``ocr.run`` entry (``details`` added); the run's id.  Also for a
        run read by another workspace (:mod:`workstation.exchange`), kept as read there."""
        from workstation.reading.indicators.extract import extract_indicators
        from workstation.reading.indicators.model import WordBox

        boxes = WordBox.from_dicts(run["words"])  # as verify replays it: confidences, lines
        # an indicator that an earlier run read differently is marked for attention
        others = [r["text"] for r in self._repo.runs(capture_id)]
        found = [i.to_dict() for i in extract_indicators(run["text"], self.region_hints,
                                                         words=boxes, source="ocr",
                                                         other_readings=others)]
        with self._ctx.write():
            run_id = self._repo.insert_run(capture_id, run, created_at, analyst)
            self._repo.replace_indicators(capture_id, ("ocr",), dedupe(found), run_id)
            self._ctx.audit.append(self._ctx.analyst, "ocr.run", f"capture:{capture_id}", {
                "run": run_id, "engine": run["engine"], "engine_version": run["engine_version"],
                "languages": run["languages"], "params": run["params"],
                "confidence": run["confidence"], "duration": round(run["duration"], 3),
                "text_sha256": hashlib.sha256(run["text"].encode("utf-8")).hexdigest(),
                "indicators": len(found), "advert_languages": run["advert_languages"],
                "coverage": run["coverage"], "unread": len(run["unread"]),
                "unread_boxes": run["unread"], **details,
            })
            self._reindex(self._capture(capture_id))
            self.update_sketch(capture_id, run["text"])
        return run_id

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
        return [indicator_record(r) for r in self._repo.indicators(capture_id, kind)]

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
        return self._repo.keyword_hits(capture_id)

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Full-text search over OCR text, notes, metadata and indicators; ``word*`` for
        prefixes, synonyms across scripts, ``lang:fas``.  Best match first (bm25) — or,
        when more than 1,000 captures match (``storage.ranking.CANDIDATES``), the newest
        matching captures first, unranked.  Snippets show the text as read with the
        matches marked ``[`` … ``]``."""
        from workstation.reading.searchquery import hit_snippet, parse

        parsed = parse(query)
        try:
            ranked = self._repo.search(parsed.match, max(1, limit))
        except sqlite3.OperationalError as exc:
            raise WorkstationError(f"Cannot search for {query!r}: {exc}") from None
        sources = self._repo.snippet_sources([capture_id for capture_id, _ in ranked])
        return [SearchHit(capture_id, rank,
                          hit_snippet(parsed.terms, *sources.get(capture_id, ([], []))))
                for capture_id, rank in ranked]

    def similar(self, capture_id: int, max_distance: int = PDQ_MAX_DISTANCE) -> list[SimilarImage]:
        """Near-duplicates (reposts): the whole image's PDQ hash (distance ≤ 31; quality
        ≤ 49 ignored, as HMA), a part of the image (bars cut off, cropped), or the same
        words; clearly different words overrule an image match (``reading/reposts.py``)."""
        from workstation.reading import reposts

        self._capture(capture_id)
        whole: dict[int, tuple[int, int]] = {}
        mine = self._repo.pdq(capture_id)
        if mine is not None and mine["quality"] >= PDQ_MIN_QUALITY:
            target = int(mine["pdq"], 16)
            for other, pdq, quality in self._repo.all_pdq():
                distance = (int(pdq, 16) ^ target).bit_count()
                if quality >= PDQ_MIN_QUALITY and distance <= max_distance:
                    whole[other] = (distance, quality)
        regions = self._reposts.nearest_regions(
            [pdq for _region, pdq, _quality in self._reposts.regions(capture_id)
             if len(pdq) == PDQ_BYTES],
            reposts.REGION_MAX_DISTANCE)
        sketch = self._reposts.sketch(capture_id)
        texts = reposts.text_matches(sketch, *self._reposts.sketch_matrix(reposts.SKETCH_SIZE),
                                     ask=set(whole) | set(regions)) if sketch else {}
        # Alike words alone must not link adverts with other contacts (one query for all).
        by_text = [o for o, t in texts.items() if t.same and o not in whole and o not in regions]
        contacts = self._repo.read_contacts([capture_id, *by_text], LINK_KINDS) \
            if by_text else {}
        return [SimilarImage(n.capture_id, n.distance, n.quality, n.reason, n.score)
                for n in reposts.decide(capture_id, whole, regions, texts, contacts)]

    def store_regions(self, capture_id: int, regions: Iterable[Any]) -> None:
        """Inside a write: a capture's region hashes (``images.derive``'s ``regions``).  An
        image without a usable region (blank) gets one empty row, so that it counts as
        hashed and is not decoded again by :meth:`backfill_regions`."""
        rows = [(r.region, r.pdq, r.quality) for r in regions]
        self._reposts.set_regions(capture_id, rows or [(NO_REGION, b"", 0)])

    def regions_pending(self) -> list[int]:
        """Captures imported before region hashes existed (0005), still without them."""
        hashed = self._reposts.captures_with_regions()
        return [c for (c, _sha) in self._captures_repo.hashes() if c not in hashed]

    def backfill_regions(self, progress: ProgressCallback | None = None,
                         cancel: CancelToken | None = None) -> int:
        """Region hashes (:meth:`hash_regions`) for captures imported before 0005, 40-80 ms
        each, so on request (``workstation rehash``; the window batch by batch), not when the
        workspace opens.  Cancelling keeps those done.  Returns how many were hashed."""
        pending = self.regions_pending()
        report(progress, 0, len(pending), "repost hashes")
        done = 0
        for n, capture_id in enumerate(pending, start=1):
            if cancel is not None and cancel.cancelled:
                break
            done += self.hash_regions(capture_id)
            report(progress, n, len(pending), f"capture #{capture_id}")
        return done

    def hash_regions(self, capture_id: int) -> bool:
        """One capture's region hashes, in one short write (derived data: the original is
        only read); ``False`` when it cannot be read (``verify`` reports it)."""
        from workstation.evidence.images import derive, probe_bytes

        capture = self._capture(capture_id)
        try:
            data = self._ctx.store.read_verified(capture.sha256)
            _info, image = probe_bytes(data, capture.width * capture.height + 1)
            regions = derive(image).regions
        except WorkstationError:
            return False
        with self._ctx.write():
            self.store_regions(capture_id, regions)
        return True

    def update_sketch(self, capture_id: int, text: str) -> None:
        """Inside a write: the sketch of a capture's OCR text, made again whenever it is read."""
        from workstation.reading.reposts import text_sketch

        self._reposts.set_sketch(capture_id, text_sketch(text))

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
            link = by_id.setdefault(near.capture_id, Link(near.capture_id))
            link.pdq_distance, link.near_reason = near.distance, near.reason
            link.near_why = near.why
        return sorted(by_id.values(), key=lambda link: link.capture_id)

    def pdq_of(self, capture_id: int) -> tuple[str, int] | None:
        row = self._repo.pdq(capture_id)
        return (row["pdq"], row["quality"]) if row else None


def indicator_status(source: str, verdict: str | None, typed: bool) -> str:
    """The one rule for an indicator's status (viewer, ``ws.review.pending``, packs):
    the analyst's verdict on the value, if any; else what the analyst typed (notes,
    metadata) is *confirmed*, and so is a value read by OCR that the capture's notes or
    metadata also have (``typed``); else what OCR read is *found*."""
    if verdict:
        return verdict
    return "confirmed" if source != "ocr" or typed else "found"


def indicator_record(row: sqlite3.Row) -> IndicatorRecord:
    """An indicator row (joined with its verdict, ``ReadingRepo.indicators``) as a record:
    what OCR read is *found* until the analyst confirms or rejects it; what the analyst
    typed (notes, metadata) is *confirmed* unless rejected (:func:`indicator_status`)."""
    status = indicator_status(row["source"], row["verdict"], bool(row["typed"]))
    box = tuple(json.loads(row["box"])) if row["box"] else None
    return IndicatorRecord(row["capture_id"], row["kind"], row["value"], row["normalized"],
                           row["source"], box,
                           platform=row["platform"], confidence=row["confidence"],
                           attention=row["attention"], status=status)


def _searchable(text: str) -> str:
    """``text`` as indexed: followed by one synonym-group token (``synwhatsapp``) for
    every synonym in it, so a search for any of them asks the index for one token."""
    from workstation.reading.searchquery import load_synonyms

    extra = load_synonyms().index_words(text) if text else ""
    return f"{text}\n{extra}" if extra else text


def _language_words(advert_languages: str) -> str:
    """What the index's metadata holds for a run's advert languages ("fas+eng"):
    ``langfas`` for ``lang:fas`` and the languages' names ("persian")."""
    from workstation.reading.searchquery import load_synonyms

    codes = [c for c in advert_languages.split("+") if c.strip()]
    return load_synonyms().language_words(codes) if codes else ""


def _run(row: sqlite3.Row) -> OcrRun:
    return OcrRun(
        row["id"], row["capture_id"], row["engine"], row["engine_version"], row["languages"],
        run_params(row["params"]), row["text"], decode_words(row["words"], row["text"]),
        row["confidence"], row["duration"], row["created_at"], row["analyst"],
        row["advert_languages"] or "", row["coverage"], json.loads(row["unread"] or "[]"))

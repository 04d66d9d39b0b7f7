"""The reading commands: ``ocr``, ``search``, ``indicators``, ``links``, ``similar``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from cli.util import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ProgressBar,
    bounded_int,
    capture_id,
    print_json,
    shown,
    table,
)
from workstation.errors import WorkstationError
from workstation.progress import CancelToken
from workstation.reading.indicators.model import KINDS
from workstation.reading.service import IndicatorRecord, OcrOutcome
from workstation.settings import SETTINGS
from workstation.workspace import Workspace

#: The most hits one search returns (the window asks for 500).
SEARCH_LIMIT_MAX = 10_000


def cmd_ocr(ws: Workspace, args: argparse.Namespace) -> int:
    if args.all:
        ids = [c.id for c in ws.captures.all()]
    elif args.pending or not args.ids:
        ids = ws.reading.pending_ocr()
    else:
        ids = args.ids
        for cid in ids:
            ws.captures.get(cid)
    lang = args.lang or ws.reading.ocr_languages()
    if not ids:
        print("Nothing to OCR: every capture has been read (use --all or IDs to read again).",
              file=sys.stderr)
        return EXIT_OK
    bar = ProgressBar("OCR", unit="image")
    emit = bar.emit
    cancel = CancelToken()
    counts = {"done": 0, "failed": 0}
    outcomes = ws.reading.run_ocr(ids, lang=lang, jobs=args.jobs, progress=bar.progress,
                                  cancel=cancel)
    try:
        for outcome in outcomes:
            counts[outcome.status] += 1
            if args.json:
                emit(json.dumps(outcome.to_dict(), ensure_ascii=False))
            elif outcome.status == "done":
                emit(_ocr_line(outcome))
            else:
                emit(f"failed     #{outcome.capture_id}: {outcome.error}")
    except KeyboardInterrupt:
        cancel.cancel()
        outcomes.close()
        bar.close()
        print(f"\nInterrupted: {counts['done']} finished results are kept.", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    print(f"{counts['done']} read, {counts['failed']} failed", file=sys.stderr)
    return EXIT_FAIL if counts["failed"] else EXIT_OK


def _ocr_line(outcome: OcrOutcome) -> str:
    """``read  #12  fas+eng (read with Arabic+eng)  confidence 81  97 % read, 1 region
    not read``: what the advert is written in first, then what was left unread."""
    line = f"read       #{outcome.capture_id}  {outcome.advert_languages or '?'}"
    if outcome.languages and outcome.languages != outcome.advert_languages:
        line += f" (read with {outcome.languages})"
    line += f"  confidence {outcome.confidence or 0:.0f}"
    if outcome.coverage is not None:
        line += f"  {outcome.coverage:.0%} read"
    if outcome.unread:
        line += f", {outcome.unread} region{'s' if outcome.unread != 1 else ''} not read"
    return line


def cmd_search(ws: Workspace, args: argparse.Namespace) -> int:
    hits = ws.reading.search(args.query, limit=args.limit)
    captures = {c.id: c for c in ws.captures.by_ids([h.capture_id for h in hits])}
    if args.json:
        print_json([{**h.to_dict(), "platform": captures[h.capture_id].platform,
                      "case": captures[h.capture_id].case} for h in hits])
        return EXIT_OK
    if not hits:
        print("No matches.")
        return EXIT_OK
    for h in hits:
        c = captures[h.capture_id]
        print(shown(f"#{h.capture_id:<5} {c.platform or '':<10} {c.case or '':<16} {h.snippet}"))
    return EXIT_OK


class _Verdict(argparse.Action):
    """``--confirm/--reject/--reset VALUE``: collect (verb, value) in order; a command that
    records a verdict writes, so it opens the workspace for writing (``read_only`` off)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        verb = (option_string or "--confirm").lstrip("-")
        namespace.verdicts = [*(getattr(namespace, "verdicts", None) or []), (verb, str(values))]
        namespace.read_only = False


def _indicator_row(i: IndicatorRecord) -> list[str]:
    return [str(i.capture_id), i.kind, i.normalized, i.value, i.source, i.status,
            i.platform or "", i.attention or ""]


_INDICATOR_HEADERS = ["CAPTURE", "KIND", "NORMALIZED", "AS READ", "SOURCE", "STATUS",
                      "PLATFORM", "ATTENTION"]


def cmd_indicators(ws: Workspace, args: argparse.Namespace) -> int:
    """List indicators (of one capture, all, or ``--pending`` ones not yet reviewed), or
    record the analyst's verdicts on one capture's indicators."""
    if args.verdicts:
        return _record_verdicts(ws, args)
    if args.note is not None:
        print("workstation indicators: error: --note goes with --confirm, --reject or --reset",
              file=sys.stderr)
        return EXIT_USAGE
    if args.pending:
        found = [i for i in ws.review.pending(None if args.id is None else [args.id])
                 if args.kind is None or i.kind == args.kind]
    else:
        found = ws.reading.indicators(args.id, kind=args.kind)
    if args.json:
        print_json([i.to_dict() for i in found])
        return EXIT_OK
    rows = [_indicator_row(i) for i in found]
    empty = "Nothing left to review." if args.pending else "No indicators."
    print(table(rows, _INDICATOR_HEADERS) if rows else empty)
    return EXIT_OK


def _record_verdicts(ws: Workspace, args: argparse.Namespace) -> int:
    if args.id is None or args.pending:
        print("workstation indicators: error: --confirm, --reject and --reset need one capture "
              "ID (and no --pending)", file=sys.stderr)
        return EXIT_USAGE
    decisions: dict[tuple[str, str], str] = {}
    for verb, value in args.verdicts:
        matched = ws.review.match(args.id, value, kind=args.kind)
        if not matched:
            kind = f"{args.kind} " if args.kind else ""
            raise WorkstationError(f"Capture #{args.id} has no {kind}indicator {value!r} "
                                   f"(list them with `workstation indicators {args.id}`).")
        for record in matched:
            key = (record.kind, record.normalized)
            if decisions.setdefault(key, verb) != verb:
                print(f"workstation indicators: error: {shown(record.normalized)} is given to "
                      f"both --{decisions[key]} and --{verb}", file=sys.stderr)
                return EXIT_USAGE
    done = ws.review.decide(args.id, [(verb, kind, normalized) for (kind, normalized), verb
                                      in decisions.items()], note=args.note)
    if args.json:
        print_json([i.to_dict() for i in done])
        return EXIT_OK
    for i in done:
        print(shown(f"{i.status:<10} #{i.capture_id} {i.kind} {i.normalized} "
                    f"(read as {i.value!r}, from {i.source})"))
    return EXIT_OK


def cmd_links(ws: Workspace, args: argparse.Namespace) -> int:
    links = ws.reading.links(args.id)
    if args.json:
        print_json([link.to_dict() for link in links])
        return EXIT_OK
    if not links:
        print(f"No other capture shares an indicator or image with #{args.id}.")
    for link in links:
        reasons = [f"{s['kind']} {s['normalized']}" for s in link.shared]
        if link.near_why is not None:
            reasons.append(f"repost or near-duplicate ({link.near_why})")
        print(shown(f"#{link.capture_id:<5} " + "; ".join(reasons)))
    return EXIT_OK


def cmd_similar(ws: Workspace, args: argparse.Namespace) -> int:
    found = ws.reading.similar(args.id)
    older = len(ws.reading.regions_pending())
    if older:
        print(f"note: {older} capture(s) imported before this version have no crop-proof "
              "hashes yet, so cropped reposts among them can be missed: workstation rehash",
              file=sys.stderr)
    if args.json:
        print_json([s.to_dict() for s in found])
        return EXIT_OK
    if not found:
        print(f"No repost or near-duplicate of #{args.id}.")
    for s in found:
        print(f"#{s.capture_id:<5} {s.why} (quality {s.quality})")
    return EXIT_OK


def cmd_rehash(ws: Workspace, args: argparse.Namespace) -> int:
    """``rehash``: the crop-proof repost hashes of captures imported before this version
    (each original decoded once); Ctrl-C keeps those done."""
    pending = len(ws.reading.regions_pending())
    if not pending:
        print("Every capture has its repost hashes.", file=sys.stderr)
        if args.json:
            print_json({"hashed": 0, "pending": 0})
        return EXIT_OK
    bar = ProgressBar("Repost hashes", unit="image")
    cancel = CancelToken()
    try:
        done = ws.reading.backfill_regions(progress=bar.progress, cancel=cancel)
    except KeyboardInterrupt:
        bar.close()
        left = len(ws.reading.regions_pending())
        print(f"\nInterrupted: {pending - left} hashed and kept, {left} left "
              "(run workstation rehash again).", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    left = len(ws.reading.regions_pending())
    if args.json:
        print_json({"hashed": done, "pending": left})
    else:
        print(f"{done} capture(s) hashed, {left} left (originals that could not be read: "
              "see workstation verify)" if left else f"{done} capture(s) hashed")
    return EXIT_FAIL if left else EXIT_OK


def register(add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Declare the reading commands with ``add`` (see ``cli.main.build_parser``); returns
    the names of those that only read."""
    p = add("ocr", cmd_ocr, "read captures with OCR (default: those not yet read)")
    p.add_argument("ids", nargs="*", type=capture_id, metavar="ID")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pending", action="store_true", help="captures not yet read")
    which.add_argument("--all", action="store_true", help="every capture (again)")
    p.add_argument("--lang", metavar="auto|LANGS",
                   help="auto (default: detect the script and choose) or e.g. ara+eng")
    p.add_argument("--jobs", type=bounded_int(1, SETTINGS["ocr_jobs"].maximum or 64), metavar="N",
                   help="worker processes (default: cores; at most as many as "
                        "`config ocr_jobs` allows)")

    p = add("search", cmd_search, "full-text search over OCR text, notes, metadata, indicators")
    p.add_argument("query", metavar="QUERY",
                   help="words that must all match (word* for a prefix, OR between words); "
                        "a synonym finds its group in every script (whatsapp: واتساب, واتس اب), "
                        "lang:CODE or a language name (lang:fas, persian) the advert's language; "
                        "snippets show the text as read, matches in [brackets]")
    p.add_argument("--limit", type=bounded_int(1, SEARCH_LIMIT_MAX), default=50, metavar="N")

    p = add("indicators", cmd_indicators, "list indicators (of one capture, or all) and their "
            "review status; --confirm/--reject/--reset record the analyst's verdict (audited)")
    p.add_argument("id", nargs="?", type=capture_id, metavar="ID")
    p.add_argument("--kind", choices=KINDS, help="only indicators of this kind")
    p.add_argument("--pending", action="store_true",
                   help="indicators read by OCR that no analyst has confirmed or rejected")
    for verb, text in (("confirm", "checked against the image: it may go out"),
                       ("reject", "a misreading: it goes out nowhere and links nothing"),
                       ("reset", "withdraw the verdict (back to found)")):
        p.add_argument(f"--{verb}", action=_Verdict, metavar="VALUE", dest="verdicts",
                       help=f"{text}; VALUE as shown or normalised (repeatable)")
    p.add_argument("--note", metavar="TEXT", help="a note kept with the verdicts")
    p.set_defaults(verdicts=None, read_only=True)  # writes only with a verdict (_Verdict)

    p = add("links", cmd_links, "captures sharing an indicator, and reposts")
    p.add_argument("id", type=capture_id, metavar="ID")

    p = add("similar", cmd_similar, "reposts: same image, a cropped part of it, or same words")
    p.add_argument("id", type=capture_id, metavar="ID")

    add("rehash", cmd_rehash, "make the repost hashes of captures imported before this "
        "version (decodes each original once; Ctrl-C keeps those done)")
    return {"search", "links", "similar"}  # `indicators` writes with a verdict only

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
    ProgressBar,
    bounded_int,
    capture_id,
    print_json,
    shown,
    table,
)
from workstation.progress import CancelToken
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
                emit(f"read       #{outcome.capture_id}  {outcome.languages}  "
                     f"confidence {outcome.confidence or 0:.0f}")
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


def cmd_indicators(ws: Workspace, args: argparse.Namespace) -> int:
    found = ws.reading.indicators(args.id, kind=args.kind)
    if args.json:
        print_json([i.to_dict() for i in found])
        return EXIT_OK
    rows = [[str(i.capture_id), i.kind, i.normalized, i.value, i.source] for i in found]
    print(table(rows, ["CAPTURE", "KIND", "NORMALIZED", "AS READ", "SOURCE"]) if rows
          else "No indicators.")
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
        if link.pdq_distance is not None:
            reasons.append(f"near-duplicate image (PDQ distance {link.pdq_distance})")
        print(shown(f"#{link.capture_id:<5} " + "; ".join(reasons)))
    return EXIT_OK


def cmd_similar(ws: Workspace, args: argparse.Namespace) -> int:
    found = ws.reading.similar(args.id)
    if args.json:
        print_json([s.to_dict() for s in found])
        return EXIT_OK
    if not found:
        print(f"No near-duplicate of #{args.id}.")
    for s in found:
        print(f"#{s.capture_id:<5} PDQ distance {s.distance} (quality {s.quality})")
    return EXIT_OK


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
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--limit", type=bounded_int(1, SEARCH_LIMIT_MAX), default=50, metavar="N")

    p = add("indicators", cmd_indicators, "list indicators (of one capture, or all)")
    p.add_argument("id", nargs="?", type=capture_id, metavar="ID")
    p.add_argument("--kind", choices=("phone", "whatsapp", "telegram", "url", "handle", "email",
                                      "price", "crypto"))

    p = add("links", cmd_links, "captures sharing an indicator or a near-identical image")
    p.add_argument("id", type=capture_id, metavar="ID")

    p = add("similar", cmd_similar, "near-duplicate images (PDQ)")
    p.add_argument("id", type=capture_id, metavar="ID")
    return {"search", "indicators", "links", "similar"}

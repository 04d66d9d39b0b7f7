"""CLI commands for redacted copies.

::

    workstation redact ID --box X,Y,W,H[:REASON] [--box ...] --reason TEXT [--json]
    workstation redact ID --suggest [--json]
    workstation redactions ID [--json]

``redact`` adds its boxes (in the pixels of the image as shown, EXIF orientation applied)
to those of the capture's current redaction and makes a new redacted copy from the
original; it prints the new copy's id (the redaction id).  ``--suggest`` lists what the
face detector and OCR suggest, applying nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from cli.util import EXIT_OK, capture_id, print_json, shown, table
from workstation.errors import WorkstationError
from workstation.redaction.model import Box, Redaction
from workstation.workspace import Workspace


def box_arg(text: str) -> tuple[int, int, int, int, str]:
    """``X,Y,W,H`` or ``X,Y,W,H:REASON`` (pixels of the image as shown)."""
    numbers, _, reason = text.partition(":")
    parts = [p.strip() for p in numbers.split(",")]
    if len(parts) != 4 or not all(p.lstrip("-").isdigit() and len(p) < 9 for p in parts):
        raise argparse.ArgumentTypeError(
            f"{shown(repr(text))} is not a box X,Y,W,H (whole pixels, e.g. 10,20,200,80)")
    x, y, w, h = (int(p) for p in parts)
    return x, y, w, h, reason.strip()


class _Suggest(argparse.Action):
    """``--suggest``: only reads (the workspace is opened read-only)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, True)
        namespace.read_only = True


def cmd_redact(ws: Workspace, args: argparse.Namespace) -> int:
    if args.suggest:
        return _suggest(ws, args)
    if not args.box:
        raise WorkstationError("Give at least one --box X,Y,W,H (or --suggest).")
    reason = " ".join((args.reason or "").split())
    if not reason and any(not b[4] for b in args.box):
        raise WorkstationError("Give the reason for the redaction (--reason TEXT, e.g. "
                               "\"third-party face\").")
    current = ws.redactions.current(args.id)
    boxes = [*(current.boxes if current else ()),
             *(Box(x, y, w, h, r or reason, "manual") for x, y, w, h, r in args.box)]
    redaction = ws.redactions.redact(args.id, boxes, reason=reason)
    if args.json:
        print_json(redaction.to_dict())
        return EXIT_OK
    print(redaction.id)
    print(f"Redacted copy #{redaction.id} of capture #{args.id}: {len(redaction.boxes)} "
          f"box(es), sha256 {redaction.sha256} (original {redaction.original_sha256}, "
          "unchanged)", file=sys.stderr)
    return EXIT_OK


def _suggest(ws: Workspace, args: argparse.Namespace) -> int:
    found = ws.redactions.suggest(args.id)
    if args.json:
        print_json(found.to_dict())
        return EXIT_OK
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    if not found.items:
        print("No suggestions (detectors miss faces: look at the image yourself).")
        return EXIT_OK
    rows = [[s.box.source, f"{s.box.x},{s.box.y},{s.box.w},{s.box.h}", s.box.reason, s.label]
            for s in found.items]
    print(table(rows, ["SOURCE", "BOX", "REASON", "WHAT"]))
    print(f"\nNothing was applied; redact with: workstation redact {args.id} --box X,Y,W,H "
          "--reason TEXT", file=sys.stderr)
    return EXIT_OK


def cmd_redactions(ws: Workspace, args: argparse.Namespace) -> int:
    history = ws.redactions.history(args.id)
    if args.json:
        print_json([r.to_dict() for r in history])
        return EXIT_OK
    if not history:
        print(f"Capture #{args.id} has no redacted copy.")
        return EXIT_OK
    for r in history:
        print(_line(r, current=r is history[-1]))
        for b in r.boxes:
            print(f"    {b.x},{b.y},{b.w},{b.h}  {b.source:<6}  {shown(b.reason)}")
    return EXIT_OK


def _line(r: Redaction, *, current: bool) -> str:
    mark = "  (current)" if current else ""
    return (f"#{r.id}  {r.created_at}  {shown(r.created_by)}  sha256 {r.sha256}  "
            f"log {r.log_sha256[:16]}…{mark}")


def register(add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Declare the redaction commands with ``add`` (see ``cli.main.build_parser``); returns
    the names of those that only read."""
    p = add("redact", cmd_redact, "make a redacted copy of a capture (solid boxes; the "
            "original is never changed); prints the new copy's id")
    p.add_argument("id", type=capture_id, metavar="ID")
    p.add_argument("--box", action="append", type=box_arg, metavar="X,Y,W,H[:REASON]",
                   help="a box in the image's pixels as shown, added to the current "
                        "redaction's boxes (repeatable)")
    p.add_argument("--reason", metavar="TEXT",
                   help="why (e.g. \"third-party face\"); for boxes without their own")
    p.add_argument("--suggest", action=_Suggest, default=False,
                   help="list the faces and the phone numbers and e-mail addresses OCR "
                        "read, to redact; nothing is applied")
    p.set_defaults(read_only=False)

    p = add("redactions", cmd_redactions, "list a capture's redacted copies and their boxes")
    p.add_argument("id", type=capture_id, metavar="ID")
    return {"redactions"}

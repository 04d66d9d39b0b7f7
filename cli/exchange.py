"""``workstation case export NAME -o FILE --to ID[,ID...]`` and ``workstation case import
FILE``: passing a case between analysts' workspaces (docs/case-exchange.md)."""

from __future__ import annotations

import argparse
from typing import Any

from cli.trust import passphrase, unlock
from cli.util import EXIT_OK, ProgressBar, print_json, shown
from workstation.workspace import Workspace


def colleague_ids(text: str) -> list[int]:
    """``--to 3`` or ``--to 3,5``: colleague ids (``colleague list``)."""
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise argparse.ArgumentTypeError(f"not a colleague id: {shown(repr(part))} "
                                             "(give ids from `colleague list`, e.g. --to 2,3)")
        ids.append(int(part))
    return ids


def cmd_case_export(ws: Workspace, args: argparse.Namespace) -> int:
    unlock(ws, args)
    ids = [i for group in args.to for i in group]
    bar = ProgressBar("exporting", unit="B", enabled=not args.json)
    try:
        result = ws.exchange.export_case(args.name, args.output, ids, progress=bar.progress)
    finally:
        bar.close()
    if args.json:
        print_json(result.to_dict())
        return EXIT_OK
    print(f"Exported case {shown(result.case)!r}: {result.captures} capture(s), "
          f"{result.size} bytes, to {shown(result.path)}")
    for r in result.recipients:
        who = "your own archive key" if r["role"] == "archive" else shown(r["name"])
        print(f"  encrypted to {who} ({r['fingerprint']})")
    print(f"  sha256 {result.sha256}")
    return EXIT_OK


def cmd_case_import(ws: Workspace, args: argparse.Namespace) -> int:
    unlock(ws, args)
    bar = ProgressBar("importing", unit="B", enabled=not args.json)
    try:
        summary = ws.exchange.import_case(args.file, progress=bar.progress)
    finally:
        bar.close()
    if args.json:
        print_json(summary.to_dict())
        return EXIT_OK
    if summary.already_imported:
        print(f"This bundle was already imported (import #{summary.import_id}); nothing "
              "changed.")
        return EXIT_OK
    created = " (new here)" if summary.case_created else ""
    print(f"Imported case {shown(summary.case)!r}{created} from {shown(summary.sender)} "
          f"(colleague {shown(summary.colleague)}), import #{summary.import_id}")
    print(f"  {len(summary.added)} capture(s) added, {len(summary.present)} already here; "
          f"{summary.ocr_runs} OCR run(s), {summary.verdicts} verdict(s), "
          f"{summary.exhibits} exhibit reference(s), {summary.redactions} redaction(s), "
          f"{summary.timestamps} timestamp(s)")
    for conflict in summary.conflicts:
        print(f"  conflict: {shown(conflict.message)}")
    if summary.conflicts:
        print(f"  {len(summary.conflicts)} conflict(s): nothing here was overwritten.")
    return EXIT_OK


def register(case_sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``case export`` and ``case import`` to the ``case`` command group."""
    p = case_sub.add_parser("export", parents=[common],
                            help="write a case as a signed bundle encrypted to colleagues")
    p.add_argument("name", metavar="NAME")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the bundle to write (or a folder: NAME.casebundle.age in it)")
    p.add_argument("--to", required=True, action="append", type=colleague_ids,
                   metavar="ID[,ID...]", help="the colleagues to send it to (colleague list)")
    passphrase(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_case_export)
    p = case_sub.add_parser("import", parents=[common],
                            help="verify a colleague's case bundle, then merge it")
    p.add_argument("file", metavar="FILE")
    passphrase(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_case_import)


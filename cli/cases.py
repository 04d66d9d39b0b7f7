"""``workstation case ...`` (new, list, close, reopen, rename, move, show; export and
import: cli/exchange.py) and
``workstation exhibit ID [--ref REF]``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from cli.exchange import register as register_exchange
from cli.util import EXIT_OK, capture_id, print_json, shown, table
from workstation.evidence.cases import CaseView, TimelineEvent
from workstation.workspace import Workspace


def cmd_case(ws: Workspace, args: argparse.Namespace) -> int:
    if args.case_cmd == "new":
        case = ws.cases.create(args.name)
        if args.json:
            print_json(case.to_dict())
        else:
            print(f"Created case #{case.id} {case.name!r}")
    elif args.case_cmd == "list":
        cases = ws.cases.all()
        if args.json:
            print_json([c.to_dict() for c in cases])
        elif cases:
            print(table([[str(c.id), c.name, c.status, str(c.capture_count), c.created_at]
                          for c in cases], ["ID", "NAME", "STATUS", "CAPTURES", "CREATED"]))
        else:
            print("No cases yet. Create one with: workstation case new NAME")
    else:
        case = ws.cases.set_status(args.name, "closed" if args.case_cmd == "close" else "open")
        if args.json:
            print_json(case.to_dict())
        else:
            print(f"Case {case.name!r} is now {case.status}")
    return EXIT_OK


def cmd_case_rename(ws: Workspace, args: argparse.Namespace) -> int:
    case = ws.cases.rename(args.old, args.new)
    if args.json:
        print_json(case.to_dict())
    else:
        print(f"Case #{case.id} is now named {case.name!r}")
    return EXIT_OK


def cmd_case_move(ws: Workspace, args: argparse.Namespace) -> int:
    moved = ws.cases.move(args.ids, args.name)
    if args.json:
        print_json({"case": ws.cases.get(args.name).name, "moved": moved})
    elif moved:
        print(f"Moved {', '.join(f'#{i}' for i in moved)} to case {args.name!r}")
    else:
        print(f"Nothing to move: already in case {args.name!r}")
    return EXIT_OK


def cmd_case_show(ws: Workspace, args: argparse.Namespace) -> int:
    view = ws.cases.view(args.name)
    events = ws.cases.timeline(args.name)
    if args.json:
        print_json({**view.to_dict(), "timeline": [_event_dict(e) for e in events]})
        return EXIT_OK
    print("\n".join(case_lines(view, events)))
    return EXIT_OK


def case_lines(view: CaseView, events: list[TimelineEvent]) -> list[str]:
    """``case show`` as text: the case, its captures, packs and outcomes, the timeline."""
    case = view.case
    lines = [f"Case #{case.id} {shown(case.name)} ({case.status}, created {case.created_at}, "
             f"{len(view.captures)} captures)", "", "Captures:"]
    if view.captures:
        lines.append(table([[str(c.id), c.exhibit or "-", c.captured_at[:19].replace("T", " "),
                             c.platform or "", shown(c.handle or ""), shown(c.url or "")]
                            for c in view.captures],
                           ["ID", "EXHIBIT", "CAPTURED (UTC)", "PLATFORM", "HANDLE", "URL"]))
    else:
        lines.append("  (none)")
    lines += ["", "Packs:"]
    if not view.packs:
        lines.append("  (none)")
    for pack in view.packs:
        lines.append(f"  {pack.ref}  {pack.platform}  {pack.state}  sealed "
                     f"{pack.sealed_at or '-'}  sent {pack.sent_at or '-'}")
        for item in pack.items:
            when = f" at {item.outcome_at}" if item.outcome_at else ""
            note = f" ({shown(item.comment)})" if item.comment else ""
            lines.append(f"    #{item.capture_id} {item.exhibit or '-'}: "
                         f"{item.outcome}{when}{note}")
    lines += ["", "Timeline:"]
    lines += [f"  {e.at[:19].replace('T', ' ')}  {shown(e.analyst)}  {shown(e.summary)}"
              for e in events] or ["  (none)"]
    return lines


def _event_dict(event: TimelineEvent) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at, "analyst": event.analyst,
            "action": event.action, "subject": event.subject, "summary": event.summary}


def cmd_exhibit(ws: Workspace, args: argparse.Namespace) -> int:
    ref = ws.exhibits.assign(args.id, args.ref)
    if args.json:
        print_json({"capture_id": args.id, "exhibit": ref})
    else:
        print(ref)
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser,
             add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Add ``case`` and ``exhibit``; return the names of read-only commands (none:
    ``case list`` and ``case show`` are read-only by their own default)."""
    case = sub.add_parser("case", parents=[common],
                          help="create, rename, list, close and reopen cases; move captures")
    case_sub = case.add_subparsers(dest="case_cmd", metavar="ACTION", required=True)
    for action, text in (("new", "create a case"), ("close", "close a case"),
                         ("reopen", "reopen a closed case")):
        p = case_sub.add_parser(action, parents=[common], help=text)
        p.add_argument("name", metavar="NAME")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=cmd_case)
    p = case_sub.add_parser("list", parents=[common], help="list cases")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_case, read_only=True)
    p = case_sub.add_parser("rename", parents=[common], help="rename a case (audited)")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_case_rename)
    p = case_sub.add_parser("move", parents=[common],
                            help="move captures into an open case (one audited change)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("ids", nargs="+", type=capture_id, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_case_move)
    p = case_sub.add_parser("show", parents=[common], help="a case's captures with their "
                            "exhibit references, packs, outcomes and timeline")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_case_show, read_only=True)
    register_exchange(case_sub, common)

    p = add("exhibit", cmd_exhibit, "assign (or show) a capture's exhibit reference, such as "
            "AB/1 (your initials and the next number); never changed, never reused")
    p.add_argument("id", type=capture_id, metavar="ID")
    p.add_argument("--ref", metavar="REF", help="the reference to assign instead of the next "
                   "one (letters, digits, / - .; unused)")
    return set()

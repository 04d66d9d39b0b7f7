"""CLI commands for colleagues: other analysts' workspaces that cases are passed to
(docs/case-exchange.md), kept like contacts.

::

    workstation colleague add --name NAME --recipient AGE1... --minisign PUBFILE [--json]
    workstation colleague list [--all] [--json]
    workstation colleague remove ID [--json]

A colleague's recipient is what ``workstation key export --age`` prints in their
workspace, and their ``PUBFILE`` what ``workstation key export --minisign`` writes; read
the fingerprints back to them over the phone.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from cli.trust import child_adder, positive_int
from cli.util import EXIT_OK, print_json, shown

if TYPE_CHECKING:
    from workstation.exchange.colleagues import Colleague
    from workstation.workspace import Workspace


def colleague_lines(colleague: Colleague) -> list[str]:
    """How ``list`` and ``add`` show a colleague: what to read over the phone."""
    state = f"  REMOVED {colleague.removed_at}" if colleague.removed_at else ""
    return [
        shown(f"#{colleague.id}  {colleague.name}  (added {colleague.created_at} by "
              f"{colleague.created_by}){state}"),
        f"      age       {colleague.fingerprint}  {colleague.recipient}",
        f"      minisign  {colleague.minisign_fingerprint}  key id {colleague.minisign_id}",
    ]


def cmd_colleague(ws: Workspace, args: argparse.Namespace) -> int:
    action = args.colleague_cmd
    if action == "add":
        minisign = ws.colleagues.read_minisign_file(args.minisign)
        colleague = ws.colleagues.add(args.name, args.recipient, minisign)
        if args.json:
            print_json(colleague.to_dict())
        else:
            print("Added colleague:")
            print("\n".join(colleague_lines(colleague)))
            print("Read these fingerprints back to the colleague over a separate channel (their "
                  "`workstation key list` shows them).")
    elif action == "remove":
        colleague = ws.colleagues.remove(args.id)
        if args.json:
            print_json(colleague.to_dict())
        else:
            print(shown(f"Colleague #{colleague.id} ({colleague.name}) removed: cases are no "
                        "longer sent to them nor accepted from them."))
    else:
        colleagues = ws.colleagues.all(include_removed=args.all)
        if args.json:
            print_json([c.to_dict() for c in colleagues])
        elif not colleagues:
            print("No colleagues yet: workstation colleague add --name NAME --recipient AGE1… "
                  "--minisign PUBFILE")
        else:
            for colleague in colleagues:
                print("\n".join(colleague_lines(colleague)))
    return EXIT_OK


def register(common: argparse.ArgumentParser,
             add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Add ``colleague add|list|remove``; return the read-only commands (none whole)."""
    child = child_adder(common)
    colleague = add("colleague", cmd_colleague,
                    "colleagues: other analysts' workspaces that cases are passed to",
                    json_flag=False)
    actions = colleague.add_subparsers(dest="colleague_cmd", metavar="ACTION", required=True)
    p = child(actions, "add", cmd_colleague, "add a colleague: their age recipient and "
              "minisign public key")
    p.add_argument("--name", required=True, metavar="NAME")
    p.add_argument("--recipient", required=True, metavar="AGE1...",
                   help="their age recipient (what `workstation key export --age` prints)")
    p.add_argument("--minisign", required=True, metavar="PUBFILE",
                   help="their minisign public key file (`workstation key export --minisign`)")
    p = child(actions, "list", cmd_colleague, "list the colleagues with their fingerprints",
              read_only=True)
    p.add_argument("--all", action="store_true", help="the removed colleagues too")
    p = child(actions, "remove", cmd_colleague,
              "remove a colleague (kept in the records: imports name them)")
    p.add_argument("id", type=positive_int, metavar="ID")
    return set()

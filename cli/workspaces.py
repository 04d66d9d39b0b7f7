"""Opening the workspace for a command, and the commands about the workspace itself:
``init`` and ``acknowledge-rollback``.

Only creation makes a workspace: ``workstation init DIR``, or the first ``import``
or ``case new`` into a folder that does not exist yet or is empty (which says so on
stderr).  Every other command on a path without a workspace exits 1 with "no
workspace at …" and creates nothing; a folder that held a workspace but lost its
``workspace.db`` is reported as such by every command, and nothing recreates it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from cli.util import print_json, shown
from workstation.errors import NoWorkspace, WorkstationError
from workstation.models import VerifyReport
from workstation.progress import ProgressCallback
from workstation.workspace import Workspace

#: Commands that make a new workspace in an empty or absent folder (besides ``init``).
CREATING = {("import", None), ("case", "new")}


def creates(args: argparse.Namespace) -> bool:
    """Whether this command may create the workspace it names."""
    return (args.command, getattr(args, "case_cmd", None)) in CREATING


def open_workspace(args: argparse.Namespace, readonly: bool,
                   progress: ProgressCallback | None = None) -> Workspace:
    """Open the workspace for one command (see the module's docstring); ``progress``
    hears how updating older captures after an upgrade goes."""
    root = getattr(args, "workspace", None)
    path = Workspace.resolve(root)
    create = not readonly and creates(args) and not Workspace.exists(path)
    if create and not Workspace.can_create(path):
        Workspace.refuse_without_database(path, create=True)  # a workspace's remains?
        raise NoWorkspace(
            f"no workspace at {path}, and the folder is not empty, so none was made there "
            f"(make one with `workstation init {path}`)")
    ws = Workspace.open(path, readonly=readonly, create=create, progress=progress)
    if create:
        print(f"workstation: created a new workspace at {shown(path)}", file=sys.stderr,
              flush=True)
    return ws


def cmd_init(_ws: Workspace | None, args: argparse.Namespace) -> int:
    """``init [DIR]``: make a new workspace (refused where one, or its remains, exist)."""
    root = args.dir if args.dir is not None else getattr(args, "workspace", None)
    path = Workspace.resolve(root)
    if Workspace.exists(path):
        raise WorkstationError(f"a workspace already exists at {path}")
    with Workspace.open(path, create=True) as ws:
        status = ws.status()
    if args.json:
        print_json(status.to_dict())
    else:
        print(f"created a new workspace at {shown(path)}")
    return 0


def cmd_acknowledge_rollback(_ws: Workspace | None, args: argparse.Namespace) -> int:
    """``acknowledge-rollback --reason TEXT``: record, as an audit entry, that the database
    is behind its anchor (what is lost), and re-anchor on it so it can be written again."""
    root = getattr(args, "workspace", None)
    with Workspace.open(root, create=False, allow_rollback=True) as ws:
        details = ws.acknowledge_rollback(args.reason)
        head = ws.audit.head()
    if args.json:
        print_json(details)
        return 0
    for problem in details["problems"]:
        print(f"acknowledged: {shown(problem)}")
    print(f"recorded as audit entry {head.seq if head else '?'}; the workspace can be "
          "written again (run `workstation verify`)")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``init`` and ``acknowledge-rollback`` (each opens the workspace itself)."""
    p = add("init", cmd_init, "create a new, empty workspace")
    p.add_argument("dir", nargs="?", type=Path, metavar="DIR",
                   help="the folder (default: --workspace, $WORKSTATION_HOME or the user "
                        "data dir)")
    p.set_defaults(no_workspace=True)
    p = add("acknowledge-rollback", cmd_acknowledge_rollback,
            "accept, in the audit trail, that the database is behind its audit anchor "
            "(rolled back or entries lost), so that it can be written again")
    p.add_argument("--reason", required=True, metavar="TEXT",
                   help="why the loss is accepted (recorded with the anchors' and the "
                        "database's heads)")
    p.set_defaults(no_workspace=True)


def unreferenced_note(ws: Workspace, report: VerifyReport) -> str:
    """``verify``'s note on evidence files no capture references: harmless leftovers of an
    interrupted import — unless audit entries are missing or a rollback was accepted,
    when they may be the evidence of captures whose records were lost."""
    count = report.unreferenced_files
    lost = any(p.kind.startswith("audit-") for p in report.problems)
    if lost or ws.audit.has_action("audit.rollback-acknowledged"):
        return (f"note: {count} evidence file(s) are not referenced by any capture: they may be "
                "the evidence of captures lost with the audit entries "
                + ("reported above" if lost else "of an acknowledged rollback")
                + " (kept; see `workstation audit`)")
    return (f"note: {count} evidence file(s) are not referenced by any capture (left by an "
            "interrupted import; harmless)")

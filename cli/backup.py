"""``workstation backup DEST`` and ``workstation restore SRC DIR``: verified copies of a
workspace (:mod:`workstation.evidence.backup`).  Neither opens the workspace for writing,
so a backup can be taken while the window has it open."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from cli.util import print_json
from workstation.evidence.backup import backup_workspace, restore_workspace
from workstation.workspace import Workspace


def cmd_backup(_ws: Workspace | None, args: argparse.Namespace) -> int:
    source = Workspace.resolve(getattr(args, "workspace", None))
    result = backup_workspace(source, args.dest)
    if args.json:
        print_json(result.to_dict())
    else:
        print(f"Backed up {result.summary()} from {source} to {result.path}; the copy "
              "verifies.")
    return 0


def cmd_restore(_ws: Workspace | None, args: argparse.Namespace) -> int:
    result = restore_workspace(args.source, args.dir)
    if args.json:
        print_json(result.to_dict())
    else:
        print(f"Restored {result.summary()} from {args.source} to {result.path}; verified. "
              f"Open it with `workstation --workspace {result.path} status`.")
    return 0


def register_backup_commands(add: Callable[..., Any]) -> None:
    """Add ``backup`` and ``restore`` to the parser (``add`` as in ``cli.main``)."""
    p = add("backup", cmd_backup, "copy the workspace (it may be open) to a new or empty "
            "folder DEST, then verify the copy")
    p.add_argument("dest", metavar="DEST")
    p.set_defaults(no_workspace=True)
    p = add("restore", cmd_restore, "restore the backup SRC into a new or empty folder DIR, "
            "then verify it")
    p.add_argument("source", metavar="SRC")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(no_workspace=True)

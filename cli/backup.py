"""``workstation backup DEST`` and ``workstation restore SRC DIR``: verified copies of a
workspace (:mod:`workstation.evidence.backup`).  Neither opens the workspace for writing,
so a backup can be taken while the window has it open.  An encrypted workspace's backup
stays encrypted (and its restore too): its passphrase comes as for every command, from
the global ``--passphrase-env VAR``, the OS keyring's cached key, or a prompt."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.util import print_json
from cli.workspaces import workspace_passphrase
from workstation.evidence.backup import backup_workspace, restore_workspace
from workstation.workspace import Workspace


def cmd_backup(_ws: Workspace | None, args: argparse.Namespace) -> int:
    source = Workspace.resolve(getattr(args, "workspace", None))
    passphrase, ask = workspace_passphrase(args, source)
    result = backup_workspace(source, args.dest, passphrase=passphrase, ask=ask)
    if args.json:
        print_json(result.to_dict())
    else:
        encrypted = " (encrypted with the workspace's key)" if result.encrypted else ""
        print(f"Backed up {result.summary()} from {source} to {result.path}{encrypted}; the "
              "copy verifies.")
    return 0


def cmd_restore(_ws: Workspace | None, args: argparse.Namespace) -> int:
    source = Path(args.source).expanduser()
    passphrase, ask = workspace_passphrase(args, source)
    result = restore_workspace(source, args.dir, passphrase=passphrase, ask=ask)
    if args.json:
        print_json(result.to_dict())
    else:
        encrypted = (" It is encrypted: it opens with the same passphrase."
                     if result.encrypted else "")
        print(f"Restored {result.summary()} from {args.source} to {result.path}; verified. "
              f"Open it with `workstation --workspace {result.path} status`.{encrypted}")
    return 0


def register_backup_commands(add: Callable[..., Any]) -> None:
    """Add ``backup`` and ``restore`` to the parser (``add`` as in ``cli.main``)."""
    p = add("backup", cmd_backup, "copy the workspace (it may be open) to a new or empty "
            "folder DEST, then verify the copy (an encrypted workspace's stays encrypted)")
    p.add_argument("dest", metavar="DEST")
    p.set_defaults(no_workspace=True)
    p = add("restore", cmd_restore, "restore the backup SRC into a new or empty folder DIR, "
            "then verify it (an encrypted backup: give its passphrase with the global "
            "--passphrase-env VAR, or type it)")
    p.add_argument("source", metavar="SRC")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(no_workspace=True)

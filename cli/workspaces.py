"""Opening the workspace for a command, and the commands about the workspace itself:
``init``, ``acknowledge-rollback``, and for encryption at rest ``encrypt``,
``passphrase`` and ``lock``.

An encrypted workspace's passphrase comes from the global ``--passphrase-env VAR``,
else its key cached in the OS keyring, else a command's own ``--passphrase-env``
(the signing key's, often the same), else a prompt on a terminal.

Only creation makes a workspace: ``workstation init DIR``, or the first ``import``
or ``case new`` into a folder that does not exist yet or is empty (which says so on
stderr).  Every other command on a path without a workspace exits 1 with "no
workspace at …" and creates nothing; a folder that held a workspace but lost its
``workspace.db`` is reported as such by every command, and nothing recreates it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from cli.util import ProgressBar, UsageError, print_json, shown
from workstation.crypto import unlock
from workstation.errors import NoWorkspace, WorkstationError
from workstation.evidence.encryption import encrypt_workspace
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
    passphrase, ask = workspace_passphrase(args, path)
    ws = Workspace.open(path, readonly=readonly, create=create, progress=progress,
                        passphrase=passphrase, ask=ask)
    if create:
        print(f"workstation: created a new workspace at {shown(path)}", file=sys.stderr,
              flush=True)
    return ws


def env_value(name: str | None, what: str = "passphrase") -> str | None:
    """The value of environment variable ``name`` (``None`` when no name is given); a
    variable that is unset or empty is a usage error."""
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"the environment variable {name} (the {what}) is not set or empty")
    return value


def _prompt(sentence: str) -> str:
    try:
        return getpass.getpass(sentence + " ")
    except (EOFError, KeyboardInterrupt):
        return ""


def terminal_ask() -> Callable[[str], str] | None:
    """A passphrase prompt on the terminal, or ``None`` when there is no terminal."""
    return _prompt if sys.stdin.isatty() else None


def workspace_passphrase(args: argparse.Namespace, root: Path | None = None
                         ) -> tuple[str | None, Callable[[str], str] | None]:
    """(the workspace's passphrase, a prompt) for opening ``root`` (see the module's
    docstring); both ``None`` for a workspace that is not encrypted."""
    path = root if root is not None else Workspace.resolve(getattr(args, "workspace", None))
    explicit = env_value(getattr(args, "workspace_passphrase_env", None))
    if explicit or not unlock.is_encrypted(path):
        return explicit, None
    if unlock.cached_key(path) is not None:
        return None, None
    return env_value(getattr(args, "passphrase_env", None)), terminal_ask()


def new_passphrase(env: str | None, what: str) -> str:
    """A new passphrase: from ``env``, else asked twice on the terminal."""
    value = env_value(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError(f"give the passphrase that will protect {what} with "
                         "--passphrase-env VAR (there is no terminal to ask on)")
    first = _prompt(f"New passphrase for {what}:")
    if not first:
        raise WorkstationError("No passphrase was given; nothing was changed.")
    if _prompt("The same passphrase again:") != first:
        raise WorkstationError("The two passphrases differ; nothing was changed.")
    return first


def cmd_init(_ws: Workspace | None, args: argparse.Namespace) -> int:
    """``init [DIR] [--encrypt [--passphrase-env VAR]]``: make a new workspace (refused
    where one, or its remains, exist); encrypted at rest with ``--encrypt``."""
    root = args.dir if args.dir is not None else getattr(args, "workspace", None)
    path = Workspace.resolve(root)
    if Workspace.exists(path) or Workspace.is_encrypted(path):
        raise WorkstationError(f"a workspace already exists at {path}")
    if args.encrypt:
        env = args.passphrase_env or getattr(args, "workspace_passphrase_env", None)
        opened = Workspace.create_encrypted(path, new_passphrase(env, "the new workspace"))
    else:
        if args.passphrase_env:
            raise UsageError("--passphrase-env is for --encrypt")
        opened = Workspace.open(path, create=True)
    with opened as ws:
        status = ws.status()
    if args.json:
        print_json(status.to_dict())
    else:
        print(f"created a new{' encrypted' if args.encrypt else ''} workspace at "
              f"{shown(path)}")
    return 0


def cmd_encrypt(_ws: Workspace | None, args: argparse.Namespace) -> int:
    """``[--passphrase-env VAR] encrypt``: convert the workspace to encryption at rest
    (resumable: run it again after an interruption)."""
    path = Workspace.resolve(getattr(args, "workspace", None))
    if unlock.is_encrypted(path):  # resuming: the passphrase that was chosen
        passphrase, ask = workspace_passphrase(args, path)
        if not passphrase and ask is not None:  # (no prompt when the key is cached)
            passphrase = ask("Passphrase of the workspace being encrypted:")
    else:
        if not Workspace.exists(path):
            raise NoWorkspace(f"no workspace at {path}; nothing was encrypted")
        passphrase = new_passphrase(getattr(args, "workspace_passphrase_env", None),
                                    f"the workspace at {path}")
    bar = ProgressBar("Encrypting", unit="file", enabled=not args.json)
    try:
        result = encrypt_workspace(path, passphrase, progress=bar.progress)
    finally:
        bar.close()
    if args.json:
        print_json(result.to_dict())
    else:
        print(shown(result.summary()))
    return 0


def cmd_passphrase(ws: Workspace, args: argparse.Namespace) -> int:
    """``[--passphrase-env OLD] passphrase [--new-env VAR]``: wrap the data key with a new
    passphrase (the data is not rewritten)."""
    old = env_value(getattr(args, "workspace_passphrase_env", None))
    if old is None:
        ask = terminal_ask()
        old = ask("Current passphrase:") if ask is not None else None
    if not old:
        raise UsageError("give the current passphrase (workstation --passphrase-env VAR "
                         "passphrase ...)")
    ws.change_passphrase(old, new_passphrase(args.new_env, f"the workspace at {ws.root}"))
    if args.json:
        print_json({"path": str(ws.root), "changed": True})
    else:
        print("the passphrase was changed (the data was not rewritten)")
    return 0


def cmd_lock(_ws: Workspace | None, args: argparse.Namespace) -> int:
    """``lock``: forget this workspace's key cached in the OS keyring."""
    path = Workspace.resolve(getattr(args, "workspace", None))
    if not unlock.is_encrypted(path):
        raise WorkstationError(f"the workspace at {path} is not encrypted at rest")
    found = unlock.forget(path)
    if args.json:
        print_json({"path": str(path), "forgotten": found})
    else:
        print("the cached key was forgotten: the passphrase is needed to open it again"
              if found else "no key of this workspace was cached")
    return 0


def cmd_acknowledge_rollback(_ws: Workspace | None, args: argparse.Namespace) -> int:
    """``acknowledge-rollback --reason TEXT``: record, as an audit entry, that the database
    is behind its anchor (what is lost), and re-anchor on it so it can be written again."""
    root = getattr(args, "workspace", None)
    passphrase, ask = workspace_passphrase(args)
    with Workspace.open(root, create=False, allow_rollback=True, passphrase=passphrase,
                        ask=ask) as ws:
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
    """Add ``init``, ``encrypt``, ``passphrase``, ``lock`` and ``acknowledge-rollback``."""
    p = add("init", cmd_init, "create a new, empty workspace")
    p.add_argument("dir", nargs="?", type=Path, metavar="DIR",
                   help="the folder (default: --workspace, $WORKSTATION_HOME or the user "
                        "data dir)")
    p.add_argument("--encrypt", action="store_true",
                   help="encrypt it at rest (a passphrase opens it)")
    p.add_argument("--passphrase-env", metavar="VAR",
                   help="with --encrypt: the environment variable holding the passphrase "
                        "(default: asked twice)")
    p.set_defaults(no_workspace=True)
    p = add("encrypt", cmd_encrypt, "convert the workspace to encryption at rest "
            "(the passphrase: the global --passphrase-env, or asked); resumable")
    p.set_defaults(no_workspace=True)
    p = add("passphrase", cmd_passphrase, "change the passphrase of an encrypted workspace "
            "(the current one: the global --passphrase-env, or asked)")
    p.add_argument("--new-env", metavar="VAR",
                   help="the environment variable holding the new passphrase "
                        "(default: asked twice)")
    p = add("lock", cmd_lock, "forget the key of an encrypted workspace cached in the OS "
            "keyring")
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

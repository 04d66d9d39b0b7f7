"""The ``workstation`` command line.  A thin layer over :class:`Workspace`.

Exit codes: 0 success, 1 failure or problems found, 2 usage error,
130 interrupted (what finished before Ctrl-C is kept).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from cli.backup import register_backup_commands
from cli.cases import register as register_case_commands
from cli.colleagues import register as register_colleague_commands
from cli.display import display_problem, no_display_message
from cli.issuer import IssuerNotSet, issuer_refusal
from cli.packs import register as register_pack_commands
from cli.reading import register as register_reading_commands
from cli.redaction import register as register_redaction_commands
from cli.report import register as register_report_commands
from cli.timestamps import capture_line as timestamped_line
from cli.timestamps import register as register_timestamp_commands
from cli.util import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Parser,
    ProgressBar,
    capture_id,
    error_line,
    failure,
    iso_time,
    platform_arg,
    print_json,
    shown,
    table,
)
from cli.workspaces import UsageError, open_workspace, unreferenced_note
from cli.workspaces import register as register_workspace_commands
from workstation import __version__
from workstation.errors import DiskFull, WorkstationError
from workstation.logs import redact_env, setup_logging
from workstation.models import Capture, CaptureMeta
from workstation.platforms import PLATFORMS
from workstation.reading.summary import reading_summary
from workstation.settings import InvalidSetting, describe, read
from workstation.workspace import Workspace

log = logging.getLogger("workstation.cli")


# --------------------------------------------------------------------- helpers
# -------------------------------------------------------------------- commands
def cmd_status(ws: Workspace, args: argparse.Namespace) -> int:
    status = ws.status()
    if args.json:
        print_json(status.to_dict())
        return EXIT_OK
    print(f"Workspace:   {status.path}")
    print(f"Version:     Analyst Workstation {status.app_version} (schema {status.schema_version})")
    print(f"Analyst:     {status.analyst}")
    print(f"Captures:    {status.captures} ({status.evidence_bytes / 1e6:.1f} MB of evidence)")
    print(f"Cases:       {status.cases} ({status.open_cases} open)")
    print(f"Audit trail: {status.audit_entries} entries")
    print(f"Search:      {status.search_ranking}")
    print("At rest:     " + ("encrypted (SQLCipher, AES-256-GCM files; a passphrase opens it)"
                             if status.encrypted else "not encrypted (`workstation encrypt`)"))
    return EXIT_OK


def cmd_import(ws: Workspace, args: argparse.Namespace) -> int:
    meta = CaptureMeta(
        case=args.case, source_url=args.url, platform=args.platform, handle=args.handle,
        content_id=args.content_id, notes=args.note or "", captured_at=args.captured_at,
        tags=tuple(args.tag or ()),
    )
    counts = {"imported": 0, "duplicate": 0, "rejected": 0}
    bar = ProgressBar("Importing")
    emit = bar.emit
    try:
        for result in ws.intake.import_paths(args.paths, meta, method=args.method,
                                      progress=bar.progress):
            counts[result.status] += 1
            if args.json:
                emit(json.dumps(result.to_dict(), ensure_ascii=False))
            elif result.status == "imported":
                emit(f"imported   #{result.id}  {shown(result.path)}")
            elif result.status == "duplicate":
                emit(f"duplicate  {shown(result.path)}: already captured as #{result.id}")
            else:
                emit(f"rejected   {shown(result.path)}: {shown(result.error)}")
    except DiskFull as exc:  # "disk full: N imported, M not; nothing half-written"
        bar.close()
        return error_line(exc)
    except KeyboardInterrupt:
        bar.close()
        print(f"\nInterrupted: {counts['imported']} imported before the interruption are kept.",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    print(f"{counts['imported']} imported, {counts['duplicate']} duplicate, "
          f"{counts['rejected']} rejected", file=sys.stderr)
    return EXIT_FAIL if counts["rejected"] else EXIT_OK


def cmd_list(ws: Workspace, args: argparse.Namespace) -> int:
    captures = ws.captures.all(case=args.case)
    flags = ws.reading.flagged()
    refs = ws.exhibits.refs_for(c.id for c in captures)
    if args.flagged:
        captures.sort(key=lambda c: (not flags.get(c.id, (False, 0.0))[0],
                                     -flags.get(c.id, (False, 0.0))[1], c.id))
    if args.json:
        print_json([{**c.to_dict(), "exhibit": refs.get(c.id),
                      "flagged": flags.get(c.id, (False, 0.0))[0]} for c in captures])
        return EXIT_OK
    if not captures:
        print("No captures." if args.case else "No captures yet. Add some with: "
              "workstation import FILE...")
        return EXIT_OK
    rows = [[str(c.id), refs.get(c.id, ""), "!" if flags.get(c.id, (False, 0.0))[0] else "",
             c.captured_at[:19].replace("T", " "), c.platform or "", c.handle or "",
             c.case or "", f"{c.format} {c.width}×{c.height}", ",".join(c.tags),
             c.original_filename or ""] for c in captures]
    print(table(rows, ["ID", "EXHIBIT", "FLAG", "CAPTURED (UTC)", "PLATFORM", "HANDLE", "CASE",
                       "IMAGE", "TAGS", "FILE"]))
    return EXIT_OK


def _show_capture(ws: Workspace, capture: Capture) -> None:
    data = {**capture.to_dict(), "exhibit": ws.exhibits.ref_for(capture.id)}
    labels = {
        "id": "ID", "exhibit": "Exhibit", "sha256": "SHA-256", "md5": "MD5",
        "size": "Size (bytes)",
        "format": "Format", "width": "Width", "height": "Height",
        "captured_at": "Captured (UTC)", "captured_at_source": "Capture time from",
        "imported_at": "Imported (UTC)", "analyst": "Analyst", "capture_method": "Method",
        "original_filename": "Original file", "source_url": "Source URL",
        "platform": "Platform", "handle": "Account handle", "content_id": "Content id",
        "case": "Case", "tags": "Tags", "notes": "Notes", "app_version": "App version",
    }
    for key, label in labels.items():
        value = data.get(key)
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{label + ':':<19}{'' if value is None else shown(value)}")
    print(f"{'Evidence file:':<19}{shown(ws.captures.evidence_path(capture))}")
    print(f"{'Timestamped:':<19}{shown(timestamped_line(ws, capture.id))}")


def _capture_json(ws: Workspace, capture: Capture) -> dict[str, Any]:
    data = {**capture.to_dict(), "exhibit": ws.exhibits.ref_for(capture.id)}
    run = ws.reading.current_ocr(capture.id)
    data["ocr"] = None if run is None else {
        "text": run.text, "languages": run.languages, "confidence": run.confidence,
        "engine": f"{run.engine} {run.engine_version}".strip(), "run_id": run.id,
        "created_at": run.created_at,
        # the advert's language(s), the share of its text read, the regions left unread
        "advert_languages": run.advert_languages, "coverage": run.coverage,
        "unread": [list(b) for b in run.unread],
    }
    stamp = ws.timestamps.for_capture(capture.id)  # RFC 3161 token covering its import
    data["trusted_time"] = None if stamp is None else {
        "gen_time": stamp.gen_time, "tsa": stamp.tsa_url, "timestamp_id": stamp.id}
    data["indicators"] = [
        {"kind": i.kind, "value": i.value, "normalized": i.normalized, "source": i.source,
         "status": i.status, "platform": i.platform, "attention": i.attention}
        for i in ws.reading.indicators(capture.id)
    ]
    pdq = ws.reading.pdq_of(capture.id)
    data["pdq"] = None if pdq is None else {"hash": pdq[0], "quality": pdq[1]}
    flag = ws.reading.flagged().get(capture.id)
    data["flagged"] = bool(flag and flag[0])
    return data


def cmd_show(ws: Workspace, args: argparse.Namespace) -> int:
    capture = ws.captures.get(args.id)
    if args.json:
        print_json(_capture_json(ws, capture))
        return EXIT_OK
    _show_capture(ws, capture)
    run = ws.reading.current_ocr(capture.id)
    if run is not None:
        print(f"{'OCR:':<19}{run.engine} {run.engine_version}, {run.languages}, "
              f"confidence {run.confidence or 0:.0f}, {run.created_at}")
        if reading_summary(run):
            print(f"{'Reading:':<19}{reading_summary(run)}")
        for line in run.text.strip().splitlines():
            print(f"{'':<19}{shown(line)}")
    else:
        print(f"{'OCR:':<19}(not yet read: workstation ocr {capture.id})")
    for ind in ws.reading.indicators(capture.id):
        why = f"; {ind.attention}" if ind.attention else ""
        print(f"{'Indicator:':<19}{ind.kind:<9} {shown(ind.normalized)}  [{ind.status}]  "
              f"(read as {shown(repr(ind.value))}, from {ind.source}{shown(why)})")
    return EXIT_OK


def cmd_tag(ws: Workspace, args: argparse.Namespace) -> int:
    change = ws.captures.remove_tags if args.remove else ws.captures.add_tags
    capture = change(args.id, args.tags)
    print(f"#{capture.id} tags: {', '.join(capture.tags) or '(none)'}")
    return EXIT_OK


def cmd_note(ws: Workspace, args: argparse.Namespace) -> int:
    capture = ws.captures.set_notes(args.id, args.text, append=args.append)
    print(f"#{capture.id} notes updated ({len(capture.notes)} characters)")
    return EXIT_OK


def cmd_edit(ws: Workspace, args: argparse.Namespace) -> int:
    changes = {
        key: value for key, value in (
            ("source_url", args.url), ("platform", args.platform), ("handle", args.handle),
            ("content_id", args.content_id), ("captured_at", args.captured_at),
            ("case", args.case),
        ) if value is not None
    }
    if not changes:
        raise UsageError("edit: give at least one of --url, --platform, --handle, --content-id, "
                         "--captured-at, --case")
    capture = ws.captures.edit(args.id, **changes)
    if args.json:
        print_json(capture.to_dict())
    else:
        print(f"#{capture.id} updated")
    return EXIT_OK


def cmd_verify(ws: Workspace, args: argparse.Namespace) -> int:
    bar = ProgressBar("Verifying", enabled=not args.json)
    result = ws.verify(progress=bar.progress, thumbnails=args.thumbnails)
    bar.close()
    if args.json:
        print_json(result.to_dict())
    else:
        for problem in result.problems:
            print(f"PROBLEM: {problem.message}")
        if result.unreferenced_files:
            print(unreferenced_note(ws, result))
        print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAIL


def cmd_audit(ws: Workspace, args: argparse.Namespace) -> int:
    entries = ws.audit_entries(capture_id=args.capture, case=args.case)
    if args.json:
        print_json([e.to_dict() for e in entries])
        return EXIT_OK
    rows = []
    for e in entries:
        details = json.dumps(e.details, ensure_ascii=False, separators=(",", ":"))
        rows.append([str(e.seq), e.at[:19].replace("T", " "), e.analyst, e.action, e.subject,
                     details if len(details) <= 80 else details[:77] + "..."])
    print(table(rows, ["SEQ", "TIME (UTC)", "ANALYST", "ACTION", "SUBJECT", "DETAILS"]))
    return EXIT_OK


def cmd_gui(_ws: Workspace | None, args: argparse.Namespace) -> int:
    """Start the desktop window (it opens the workspace itself); without a display
    (cli/display.py), one sentence on what to do instead, not Qt's abort."""
    problem = display_problem()
    if problem is not None:
        log.warning("no display for the window: %s", problem)
        print(no_display_message(problem), file=sys.stderr)
        return EXIT_FAIL
    try:
        from ui.app import main as gui_main
    except ImportError as exc:
        print(f"workstation: error: the desktop app cannot start: {exc}", file=sys.stderr)
        return EXIT_FAIL
    return gui_main(getattr(args, "workspace", None))


def _config_lines(row: dict[str, Any]) -> list[str]:
    """One setting of ``workstation config``: ``key = value  (default ...)`` and its help."""
    if row["secret"]:
        return [f"{row['key']}: a secret, never a setting", f"    {row['help']}"]
    value = row["value"] if row["value"] != "" else "(not set)"
    notes = [("default: " + (row["default"] or "not set")) if row["set"] else "default"]
    if row["allowed"]:
        notes.append(row["allowed"])
    return [f"{row['key']} = {value}  ({'; '.join(notes)})", f"    {row['help']}"]


def cmd_config(ws: Workspace, args: argparse.Namespace) -> int:
    """``config``: every setting (value, default, help); ``config KEY``: one (its value in
    effect); ``config KEY VALUE``: set it, checked against the settings table.  An unknown
    key, a secret or a refused value is a usage error: nothing is stored or audited."""
    try:
        if args.key is not None and args.value is not None:
            value = ws.set_setting(args.key, args.value)
            print(f"{args.key} = {value}")
            return EXIT_OK
        if args.key is not None:
            read(args.key, None)  # refuses an unknown key or a secret
        rows = [r for r in describe(ws) if args.key in (None, r["key"])]
    except InvalidSetting as exc:
        raise UsageError(f"config: {exc}") from None
    if args.json:
        print_json(rows[0] if args.key is not None else rows)
    elif args.key is not None:  # "(not set)", as the listing says and as packs read it
        print(rows[0]["value"] if rows[0]["value"] != "" else "(not set)")
    else:
        group = None
        for row in rows:
            if row["group"] != group:
                if group is not None:
                    print()
                group = row["group"]
                print(f"[{group}]")
            print("\n".join(_config_lines(row)))
        print(f"\n(analyst in effect: {ws.analyst})")
    return EXIT_OK


# ---------------------------------------------------------------------- parser
#: The most hits ``search --limit`` returns.
READ_ONLY = {"status", "list", "show", "verify", "audit"}  # + what the command modules add


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR", default=argparse.SUPPRESS,
                        help="workspace folder (default: $WORKSTATION_HOME or the user data dir)")
    parser: argparse.ArgumentParser = Parser(
        prog="workstation", parents=[common],
        description="Analyst Workstation: capture, verify and refer evidence of smuggling adverts.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--passphrase-env", metavar="VAR", dest="workspace_passphrase_env",
                        help="an encrypted workspace's passphrase: the environment variable "
                             "that holds it (default: the OS keyring's cached key, or asked)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Callable[[Workspace, argparse.Namespace], int], help_text: str,
            json_flag: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        if json_flag:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        return p

    add("status", cmd_status, "show the workspace and what it holds")

    READ_ONLY.update(register_case_commands(sub, common, add))

    p = add("import", cmd_import, "import image files and folders (recursively) as evidence")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--case", metavar="NAME", help="case to file the captures under")
    p.add_argument("--url", metavar="URL", help="source URL (the platform is inferred from it)")
    p.add_argument("--platform", type=platform_arg, metavar="P",
                   help=f"platform: {', '.join(PLATFORMS)}")
    p.add_argument("--handle", metavar="H", help="account handle")
    p.add_argument("--content-id", metavar="ID", help="the platform's content id")
    p.add_argument("--note", metavar="TEXT", help="notes")
    p.add_argument("--tag", action="append", metavar="TAG", help="tag (repeatable)")
    p.add_argument("--captured-at", metavar="ISO", type=iso_time,
                   help="when the advert was seen (ISO 8601; no zone means UTC); "
                        "default: the file's modification time")
    p.add_argument("--method", choices=("import", "paste", "screen", "watch"), default="import",
                   help=argparse.SUPPRESS)

    p = add("list", cmd_list, "list captures")
    p.add_argument("--case", metavar="NAME")
    p.add_argument("--flagged", action="store_true",
                   help="captures flagged by the keyword lexicon first")

    p = add("show", cmd_show, "show one capture")
    p.add_argument("id", type=capture_id, metavar="ID")

    p = add("tag", cmd_tag, "add (or --remove) tags", json_flag=False)
    p.add_argument("id", type=capture_id, metavar="ID")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.add_argument("--remove", action="store_true", help="remove these tags instead")

    p = add("note", cmd_note, "set a capture's notes (the old text stays in the audit trail)",
            json_flag=False)
    p.add_argument("id", type=capture_id, metavar="ID")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--append", action="store_true", help="add a line instead of replacing")

    p = add("edit", cmd_edit, "change a capture's metadata (audited)")
    p.add_argument("id", type=capture_id, metavar="ID")
    p.add_argument("--url", metavar="URL")
    p.add_argument("--platform", type=platform_arg, metavar="P")
    p.add_argument("--handle", metavar="H")
    p.add_argument("--content-id", metavar="ID")
    p.add_argument("--captured-at", metavar="ISO", type=iso_time)
    p.add_argument("--case", metavar="NAME")

    p = add("verify", cmd_verify, "re-hash all evidence and check the audit trail")
    p.add_argument("--thumbnails", action="store_true",
                   help="also remake every cached thumbnail from its original (slow)")

    p = add("audit", cmd_audit, "print the audit trail")
    p.add_argument("--capture", type=capture_id, metavar="ID")
    p.add_argument("--case", metavar="NAME")

    READ_ONLY.update(register_reading_commands(add))

    READ_ONLY.update(register_pack_commands(sub, common, add))
    READ_ONLY.update(register_colleague_commands(common, add))
    READ_ONLY.update(register_redaction_commands(add))
    READ_ONLY.update(register_report_commands(add))
    READ_ONLY.update(register_timestamp_commands(sub, common, add))
    register_workspace_commands(add)
    register_backup_commands(add)

    p = add("gui", cmd_gui, "open the desktop window", json_flag=False)
    p.set_defaults(no_workspace=True)

    p = add("config", cmd_config, "list the workspace settings, show one, or change one "
            "(e.g. analyst NAME); checked, audited")
    p.add_argument("key", nargs="?", metavar="KEY")
    p.add_argument("value", nargs="?", metavar="VALUE")
    return parser


def command_name(args: argparse.Namespace) -> str:
    """The command as typed, without its arguments: ``pack build``, ``status``."""
    actions = [str(value) for key, value in sorted(vars(args).items())
               if key.endswith("_cmd") and value]
    return " ".join([args.command, *actions])


def main(argv: Sequence[str] | None = None) -> int:
    setup_logging("cli")  # workstation/logs.py: rotating, 0600, secrets redacted
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command
    redact_env(getattr(args, "passphrase_env", None), getattr(args, "password_env", None),
               getattr(args, "workspace_passphrase_env", None))
    log.info("command: %s", command_name(args))  # never its arguments: they may be secret
    readonly = command in READ_ONLY or getattr(args, "read_only", False)
    try:
        if getattr(args, "no_workspace", False):  # `gui`, and `pack open` (a recipient's tool)
            return int(args.handler(None, args))
        root = getattr(args, "workspace", None)
        upgrade = Workspace.pending_upgrade(root)
        bar = ProgressBar("Updating captures", unit="capture", enabled=upgrade is not None)
        if upgrade is not None:
            print(f"workstation: upgrading the workspace database from version {upgrade[0]} "
                  f"to {upgrade[1]}; once only, and it can take a minute on a large "
                  "workspace...", file=sys.stderr, flush=True)
        try:  # cli/workspaces.py: who may create
            ws = open_workspace(args, readonly, progress=bar.progress)
        finally:
            bar.close()
        with ws:
            return int(args.handler(ws, args))
    except UsageError as exc:
        log.warning("usage error shown: %s", exc)
        parser.error(shown(exc))
    except IssuerNotSet as exc:  # the core's sentence, and the commands that set it
        return error_line(issuer_refusal(exc))
    except WorkstationError as exc:
        return error_line(exc)
    except KeyboardInterrupt:
        log.info("interrupted")
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a damaged database, a full disk ... or a bug: one line
        return failure(exc)
    return EXIT_OK


def run() -> None:
    sys.exit(main())


def run_gui() -> None:
    """Entry point of the ``workstation-gui`` launcher: ``workstation gui [options]``."""
    sys.exit(main(["gui", *sys.argv[1:]]))


if __name__ == "__main__":
    run()

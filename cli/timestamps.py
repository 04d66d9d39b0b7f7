"""CLI commands for trusted timestamps (RFC 3161) and the time-stamping authorities.

::

    workstation timestamp [--send] [--tsa URL [--ca PEMFILE]] [--json]
    workstation timestamps [--json] | timestamps export ID -o DIR
    workstation tsa add URL --ca PEMFILE | tsa list [--json] | tsa remove URL
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.trust import child_adder, positive_int
from cli.util import EXIT_OK, ProgressBar, print_json, shown, table
from workstation.errors import WorkstationError

if TYPE_CHECKING:
    from workstation.timestamps.models import TimestampRecord
    from workstation.workspace import Workspace

EXIT_UNSENT = 1


def _read_ca(path: str) -> str:
    try:
        return Path(path).expanduser().read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise WorkstationError(f"Cannot read the CA file {path}: {exc.strerror or exc}") from None


def trusted_time(record: TimestampRecord | None) -> str:
    """``2026-12-05T13:09:51.000Z by URL (token #3)``, or that there is none yet."""
    if record is None:
        return "not yet timestamped"
    return f"{record.gen_time} by {record.tsa_url} (token #{record.id})"


def capture_line(ws: Workspace, capture_id: int) -> str:
    """The "Timestamped" line of ``show``: the token covering the capture's import."""
    return trusted_time(ws.timestamps.for_capture(capture_id))


def pack_line(ws: Workspace, pack_id: int) -> str:
    """The "Timestamped" line of ``pack show``: the token over the pack's SHA256SUMS."""
    records = ws.timestamps.for_subject(f"pack:{pack_id}")
    stamped = [r for r in records if r.stamped]
    if stamped:
        return trusted_time(stamped[0])
    if records:
        return f"queued (token #{records[0].id}; send with `workstation timestamp --send`)"
    return "not yet timestamped"


def cmd_timestamp(ws: Workspace, args: argparse.Namespace) -> int:
    """Queue the audit head; with --send also send everything queued."""
    tid = ws.timestamps.queue_audit_head()
    record = ws.timestamps.get(tid)
    result: dict[str, Any] = {"queued": record.to_dict()}
    if not args.json:
        print(f"Queued timestamp #{tid} over the audit trail's head ({record.subject}, "
              f"SHA-256 {record.digest}).")
    code = EXIT_OK
    if args.send:
        ca = _read_ca(args.ca) if args.ca else None
        bar = ProgressBar("Sending timestamps", unit="request", enabled=not args.json)
        try:
            summary = ws.timestamps.send(args.tsa, progress=bar.progress, ca_pem=ca)
        finally:
            bar.close()
        result["send"] = summary.to_dict()
        if not args.json:
            for sid in summary.stamped:
                got = ws.timestamps.get(sid)
                print(f"#{sid} {got.subject}: {trusted_time(got)} (verified by {got.verifier})")
            for sid, error in summary.failed.items():
                print(f"#{sid} still queued: {shown(error)}")
            print(summary.line)
        code = EXIT_UNSENT if summary.failed else EXIT_OK
    elif not args.json:
        queued = len(ws.timestamps.all(state="queued"))
        print(f"{queued} request(s) queued; send them with `workstation timestamp --send`.")
    if args.json:
        print_json(result)
    return code


def cmd_timestamps(ws: Workspace, args: argparse.Namespace) -> int:
    if getattr(args, "ts_cmd", None) == "export":
        written = ws.timestamps.export(args.id, Path(args.output).expanduser())
        record = ws.timestamps.get(args.id)
        if args.json:
            print_json({"files": [str(p) for p in written],
                        "command": ws.timestamps.openssl_command(record)})
            return EXIT_OK
        for path in written:
            print(f"wrote {shown(path)}")
        print(f"Check it in {shown(args.output)} with:\n  "
              f"{ws.timestamps.openssl_command(record)}")
        return EXIT_OK
    records = ws.timestamps.all()
    if args.json:
        print_json([r.to_dict() for r in records])
        return EXIT_OK
    if not records:
        print("No timestamps yet (`workstation timestamp` queues one).")
        return EXIT_OK
    rows = [[str(r.id), r.kind, shown(r.subject), r.state, r.gen_time or "",
             shown(r.tsa_url or ""), shown(r.last_error or "")] for r in records]
    print(table(rows, ["ID", "KIND", "SUBJECT", "STATE", "TSA TIME (UTC)", "TSA",
                       "LAST ERROR"]))
    return EXIT_OK


def cmd_tsa(ws: Workspace, args: argparse.Namespace) -> int:
    if args.tsa_cmd == "add":
        authority = ws.timestamps.add_authority(args.url, _read_ca(args.ca))
        if args.json:
            print_json(authority.to_dict())
        else:
            print(f"TSA {shown(authority.url)} added (tried in position {authority.position}).")
    elif args.tsa_cmd == "remove":
        ws.timestamps.remove_authority(args.url)
        print(f"TSA {shown(args.url)} removed (its tokens are still checked against its CA).")
    else:
        authorities = ws.timestamps.authorities()
        if args.json:
            print_json([a.to_dict() for a in authorities])
        elif not authorities:
            print("No TSA configured (`workstation tsa add URL --ca PEMFILE`).")
        else:
            print(table([[str(n), shown(a.url), a.added_at, shown(a.added_by)]
                         for n, a in enumerate(authorities, 1)],
                        ["ORDER", "URL", "ADDED (UTC)", "BY"]))
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser,
             add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Add ``timestamp``, ``timestamps`` and ``tsa``; return the read-only commands."""
    child = child_adder(common)
    p = add("timestamp", cmd_timestamp,
            "queue an RFC 3161 timestamp over the audit trail's head (--send: send all queued)")
    p.add_argument("--send", action="store_true",
                   help="send every queued request to the configured TSAs, in order")
    p.add_argument("--tsa", metavar="URL", help="send to this TSA only (configured, or new "
                                                "with --ca)")
    p.add_argument("--ca", metavar="PEMFILE", help="with a new --tsa: its CA certificate(s)")

    p = add("timestamps", cmd_timestamps, "list the timestamps (or export one)")
    stamps = p.add_subparsers(dest="ts_cmd", metavar="ACTION", required=False)
    e = child(stamps, "export", cmd_timestamps,
              "write request.tsq, response.tsr, ca.pem and a README (the openssl command)",
              read_only=True)
    e.add_argument("id", type=positive_int, metavar="ID")
    e.add_argument("-o", "--output", required=True, metavar="DIR")

    tsa = add("tsa", cmd_tsa, "configure the time-stamping authorities", json_flag=False)
    tsas = tsa.add_subparsers(dest="tsa_cmd", metavar="ACTION", required=True)
    e = child(tsas, "add", cmd_tsa, "add a TSA (tried after those already there)")
    e.add_argument("url", metavar="URL")
    e.add_argument("--ca", required=True, metavar="PEMFILE",
                   help="the CA certificate(s) its tokens are checked against")
    e = child(tsas, "remove", cmd_tsa, "stop using a TSA (its tokens still verify)",
              json_flag=False)
    e.add_argument("url", metavar="URL")
    child(tsas, "list", cmd_tsa, "list the TSAs in the order they are tried", read_only=True)
    return {"timestamps"}

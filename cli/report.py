"""``workstation report CASE -o FILE [--format pdf|html] [--passphrase-env VAR]``: the
signed case report (``workstation/report``), and ``workstation report --check FILE
--trust PUBFILE``, which needs no workspace (whoever receives a report checks it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.trust import passphrase, unlock
from cli.util import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, ProgressBar, print_json, shown
from workstation.errors import Cancelled
from workstation.workspace import Workspace


class _CheckAction(argparse.Action):
    """``--check FILE``: no workspace is opened for it (like ``pack open``)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.no_workspace = True


def cmd_report(ws: Workspace | None, args: argparse.Namespace) -> int:
    if args.check is not None:
        return _check(args)
    if ws is None or not args.case or not args.output:
        print("workstation report: error: give CASE and -o FILE (or --check FILE --trust "
              "PUBFILE)", file=sys.stderr)
        return 2
    fmt = args.format or ("html" if Path(args.output).suffix.lower() in (".html", ".htm")
                          else "pdf")
    unlock(ws, args)
    bar = ProgressBar("Report", unit="step")
    try:
        result = ws.report.build(args.case, args.output, fmt, progress=bar.progress)
    except (KeyboardInterrupt, Cancelled):
        bar.close()
        print("\nInterrupted: no report was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    bar.close()
    if not result.verify_ok:
        print(f"warning: verify found problems ({shown(result.verify_summary)}); the report "
              "states them. Run `workstation verify` for the details.", file=sys.stderr)
    if args.json:
        print_json(result.to_dict())
        return EXIT_OK
    print(f"Wrote the case report {shown(result.path)} ({result.format}, {result.exhibits} "
          f"exhibit(s), {result.size} bytes)")
    print(f"  sha256 {result.sha256}")
    print(f"  signed by agency key {result.signing_key_id}: {shown(result.signature_path)}")
    if result.timestamp_id is not None:
        print(f"  trusted timestamp queued (#{result.timestamp_id}); send it with "
              "`workstation timestamp --send`")
    print("Check it: workstation report --check FILE --trust AGENCY.pub "
          "(or minisign -Vm FILE -p AGENCY.pub)")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from workstation.report.check import check_report

    if not args.trust:
        print("workstation report: error: --check needs --trust PUBFILE (the agency's "
              "minisign public key)", file=sys.stderr)
        return 2
    result = check_report(args.check, args.trust)
    if args.json:
        print_json(result.to_dict())
    else:
        print(shown(result.message))
    return EXIT_OK if result.valid else EXIT_FAIL


def register(add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Add ``report``; return the names of read-only commands (none)."""
    p = add("report", cmd_report, "write a case's signed report (PDF/A-3b or HTML), or "
            "check one (--check FILE --trust PUBFILE)")
    p.add_argument("case", nargs="?", metavar="CASE", help="the case's name")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the report to write (a new file; FILE.minisig beside it)")
    p.add_argument("--format", choices=("pdf", "html"),
                   help="pdf (PDF/A-3b, default) or html (default from FILE's extension)")
    passphrase(p)
    p.add_argument("--check", action=_CheckAction, metavar="FILE", default=None,
                   help="verify FILE against FILE.minisig instead (no workspace needed)")
    p.add_argument("--trust", metavar="PUBFILE",
                   help="with --check: the agency's minisign public key")
    return set()

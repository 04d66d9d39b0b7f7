"""CLI commands for alert packs (keys and contacts: cli/trust.py).

::

    workstation pack build --contact ID --captures ID[,ID...] [--reason TEXT]
              [--action remove|restrict|preserve] [--priority normal|urgent] [--basis POLICY|legal]
              [--item ID:action=restrict,priority=urgent,deadline=2026-12-06T12:00Z,policy=ID]
              [--allow-no-url ID:REASON] [--redacted ID] -o FILE_OR_DIR [--passphrase-env VAR]
    workstation pack send REF [--via smtp|folder|eml] [--to DIR] [--confirm-sent | --resend]
              | pack send --queued [--now] | pack list | pack show REF
              | pack outcomes FILE[.age] [--signature MINISIG]
              | pack stats
    workstation pack open FILE --identity KEYFILE --trust PUBFILE [-o DIR]   (no workspace)

``pack build``: the pack's ``--action``, ``--priority`` and ``--basis`` are every item's
defaults; ``--item ID:KEY=VALUE,...`` (repeatable) sets one capture's own ``action``,
``priority``, ``deadline`` (ISO 8601, UTC when no zone is given) or ``policy`` (a policy id,
or ``legal``).  A capture with neither a URL nor a content id is refused (a platform
cannot find it) unless ``--allow-no-url ID:REASON`` gives why it goes anyway; the reason
is recorded in the audit trail and the manifest.  A capture whose observed time is only
its file's modification time is warned about.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cli.timestamps import pack_line as pack_timestamp_line
from cli.trust import child_adder, passphrase, positive_int, unlock
from cli.trust import register as register_trust
from cli.util import EXIT_FAIL, EXIT_OK, print_json, record_id, shown, table
from workstation.errors import WorkstationError
from workstation.packs.compose import MAX_PACK_ITEMS
from workstation.packs.issuer import require_issuer
from workstation.packs.models import ItemRequest

if TYPE_CHECKING:
    from workstation.workspace import Workspace


def _capture_ids(text: str) -> list[int]:
    """``12,13,20-22`` as ids; ranges are counted before they are expanded, and more
    than :data:`MAX_PACK_ITEMS` captures are refused before anything is allocated."""
    parts: list[tuple[int, int]] = []
    for part in text.replace(" ", ",").split(","):
        part = part.strip().lstrip("#")
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            first = record_id(low, "a capture id", "12")
            last = record_id(high.lstrip("#"), "a capture id", "12") if dash else first
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"{shown(repr(text))} is not a list of capture ids (e.g. 12,13,20-22)") from None
        if first > last:
            raise argparse.ArgumentTypeError(
                f"{shown(repr(part))} is not a range of capture ids (the first is the lower)")
        parts.append((first, last))
    if not parts:
        raise argparse.ArgumentTypeError("give at least one capture id")
    if sum(last - first + 1 for first, last in parts) > MAX_PACK_ITEMS:
        raise argparse.ArgumentTypeError(
            f"{shown(repr(text))} names more than {MAX_PACK_ITEMS:,} captures, the most "
            "one pack holds; split them over several packs")
    return [i for first, last in parts for i in range(first, last + 1)]


_ITEM_KEYS = ("action", "priority", "deadline", "policy")


def _item_request(text: str) -> tuple[int, ItemRequest]:
    """``--item ID:action=restrict,priority=urgent,deadline=TIME,policy=ID``."""
    example = "12:action=restrict,priority=urgent,deadline=2026-12-06T12:00Z,policy=ID"
    head, sep, rest = text.partition(":")
    try:
        capture_id = record_id(head.strip().lstrip("#"), "a capture id", "12")
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{shown(repr(text))} does not start with a capture id (e.g. {example})") from None
    values: dict[str, str] = {}
    for part in rest.split(",") if sep else []:
        key, eq, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not eq or key not in _ITEM_KEYS or not value:
            raise argparse.ArgumentTypeError(
                f"{shown(repr(part.strip()))} in --item is not KEY=VALUE with KEY one of "
                f"{', '.join(_ITEM_KEYS)} (e.g. {example})")
        values[key] = value
    if not values:
        raise argparse.ArgumentTypeError(f"--item {shown(repr(text))} asks nothing; e.g. "
                                         f"{example}")
    return capture_id, ItemRequest(**values)


def _no_url_reason(text: str) -> tuple[int, str]:
    """``--allow-no-url ID:REASON``."""
    head, _sep, reason = text.partition(":")
    try:
        capture_id = record_id(head.strip().lstrip("#"), "a capture id", "12")
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{shown(repr(text))} is not ID:REASON (e.g. 12:deleted before it was noted)"
        ) from None
    if not reason.strip():
        raise argparse.ArgumentTypeError(
            f"--allow-no-url {shown(repr(text))} gives no reason (ID:REASON)")
    return capture_id, " ".join(reason.split())


def _item_requests(args: argparse.Namespace) -> dict[int, ItemRequest]:
    """``--item`` and ``--allow-no-url`` as the per-item requests of ``pack build``."""
    requests: dict[int, ItemRequest] = {}
    for capture_id, request in args.item or []:
        if capture_id in requests:
            raise WorkstationError(f"--item names capture #{capture_id} twice; give its "
                                   "values in one --item.")
        requests[capture_id] = request
    for capture_id, reason in args.allow_no_url or []:
        old = requests.get(capture_id, ItemRequest())
        requests[capture_id] = ItemRequest(old.action, old.priority, old.deadline, old.policy,
                                           reason)
    return requests


# ----------------------------------------------------------------------- packs
def _pack_summary(pack: Any) -> list[str]:
    lines = [
        f"{pack.ref}  {pack.state}  {pack.platform}  contact #{pack.contact_id}  "
        f"{len(pack.items)} item(s)  {pack.priority}/{pack.action}",
    ]
    if pack.file:
        lines.append(f"  file      {pack.file} ({pack.file_size} bytes)")
        lines.append(f"  sha256    {pack.file_sha256}")
        lines.append(f"  signed by {pack.signing_key_id}; deadline {pack.deadline_at}")
    for r in pack.recipients:
        lines.append(f"  to        {r['fingerprint']}  ({r['role']}, {r['kind']})")
    if pack.transport:
        lines.append(f"  outbox    {pack.transport} -> {pack.destination}; attempts "
                     f"{pack.attempts}" + (f"; next {pack.next_attempt_at}"
                                           if pack.next_attempt_at else ""))
    if pack.sent_at:
        lines.append(f"  sent      {pack.sent_at}")
    if pack.last_error:
        lines.append(f"  error     {pack.last_error}")
    return lines


def cmd_pack(ws: Workspace | None, args: argparse.Namespace) -> int:
    action = args.pack_cmd
    if action == "open":
        return _pack_open(args)
    assert ws is not None
    handlers: dict[str, Callable[[Workspace, argparse.Namespace], int]] = {
        "build": _pack_build, "send": _pack_send, "list": _pack_list, "show": _pack_show,
        "outcomes": _pack_outcomes, "stats": _pack_stats,
    }
    handler = handlers.get(action)
    if handler is None:
        raise WorkstationError(f"unknown pack command {action!r}")
    return handler(ws, args)


def _pack_build(ws: Workspace, args: argparse.Namespace) -> int:
    """``pack build``: seal a pack for a contact and write it to ``-o FILE``."""
    require_issuer(ws)  # refused first, before any warning (cli/issuer.py adds the commands)
    unlock(ws, args)
    if not ws.contacts.get(args.contact).verified:
        print(f"warning: contact #{args.contact} has not been verified (workstation contact "
              "verify); check the key fingerprints with them before sending.",
              file=sys.stderr)
    readiness = ws.packs.readiness(args.captures, args.contact)
    unconfirmed = sum(r.unconfirmed for r in readiness)
    weak = [f"#{r.capture_id}" for r in readiness if r.weak_time]
    if weak:
        print(f"warning: the observed time of capture {', '.join(weak)} is only the file's "
              "modification time (observed_time_source \"file\"); set the time seen with "
              "workstation edit ID --captured-at TIME", file=sys.stderr)
    if unconfirmed:
        print(f"warning: {unconfirmed} indicator(s) read by OCR are not confirmed: the pack "
              "lists them apart, marked unconfirmed (workstation indicators ID --confirm "
              "VALUE)", file=sys.stderr)
    pack = ws.packs.build(args.contact, args.captures, reason=args.reason or "",
                         action=args.action, priority=args.priority, basis=args.basis,
                         output=args.output, items=_item_requests(args),
                         redacted=args.redacted or ())
    output = os.path.expanduser(args.output)
    if os.path.isdir(output) and pack.file:  # -o DIR: DIR/REF.alertpack.age
        output = os.path.join(output, os.path.basename(pack.file))
    if args.json:
        print_json({**pack.to_dict(), "output": output})
    else:
        print(f"Sealed {pack.ref}: {len(pack.items)} item(s) for {pack.platform}, "
              f"{pack.priority}, deadline {pack.deadline_at}")
        print(f"  written to {shown(output)} and kept in the outbox ({shown(pack.file)})")
        print(f"  sha256 {pack.file_sha256}")
        for r in pack.recipients:
            print(f"  encrypted to {r['fingerprint']}  ({r['role']})")
        print(f"Send it: workstation pack send {pack.ref} --via folder --to DIR "
              "(or --via smtp)")
    return EXIT_OK


def _pack_list(ws: Workspace, args: argparse.Namespace) -> int:
    """``pack list``: the packs, optionally of one state."""
    packs = ws.packs.all([args.state] if args.state else None)
    if args.json:
        print_json([p.to_dict() for p in packs])
    elif not packs:
        print("No packs yet: workstation pack build --contact ID --captures IDS -o FILE")
    else:
        rows = [[p.ref, p.state, p.platform, str(len(p.items)), p.priority,
                 (p.sealed_at or p.created_at)[:19].replace("T", " "),
                 (p.sent_at or "")[:19].replace("T", " "),
                 f"{sum(1 for i in p.items if i.outcome != 'pending')}/{len(p.items)}",
                 (p.last_error or "")[:60]] for p in packs]
        print(table(rows, ["REF", "STATE", "PLATFORM", "ITEMS", "PRIORITY", "SEALED (UTC)",
                            "SENT (UTC)", "ANSWERED", "LAST ERROR"]))
    return EXIT_OK


def _pack_show(ws: Workspace, args: argparse.Namespace) -> int:
    """``pack show REF``: one pack with its items' outcomes and its send attempts."""
    pack = ws.packs.get(args.ref)
    if args.json:
        print_json({**pack.to_dict(), "attempts_log": ws.packs.attempts(pack.ref)})
        return EXIT_OK
    print("\n".join(_pack_summary(pack)))
    print(f"  timestamped: {pack_timestamp_line(ws, pack.id)}")  # its SHA256SUMS (RFC 3161)
    for item in pack.items:
        when = f" at {item.outcome_at}" if item.outcome_at else ""
        note = f" — {item.outcome_comment}" if item.outcome_comment else ""
        asked = item.request.to_json()
        reason = asked.pop("no_locator_reason", None)
        own = ", ".join(f"{k} {v}" for k, v in asked.items())
        print(f"  item {item.position}: capture #{item.capture_id}  {item.outcome}{when}{note}"
              + (f"  [{own}]" if own else "")
              + (f"  [no URL or content id: {reason}]" if reason else ""))
    for attempt in ws.packs.attempts(pack.ref):
        print(f"  attempt {attempt['at']} {attempt['transport']} -> {attempt['destination']}:"
              f" {attempt['result']}{' — ' + attempt['error'] if attempt['error'] else ''}")
    return EXIT_OK


def _pack_outcomes(ws: Workspace, args: argparse.Namespace) -> int:
    """``pack outcomes FILE[.age] [--signature SIG]``: import a platform's answer,
    decrypted with the agency's reply key and its signature checked when it has one."""
    unlock(ws, args)
    result = ws.outcomes.import_file(args.file, signature=args.signature)
    if args.json:
        print_json(result.to_dict())
    else:
        how = [f"decrypted with reply key {result.decrypted_with}"] if result.decrypted_with \
            else []
        how += [f"signature by key {result.signed_by} verified"] if result.signed_by else []
        print(f"Imported {result.rows} outcome(s) from {shown(result.file)}"
              f"{' (' + '; '.join(how) + ')' if how else ''}:")
        for ref, state in sorted(result.packs.items()):
            print(f"  {ref}: {state}")
    return EXIT_OK


def _pack_stats(ws: Workspace, args: argparse.Namespace) -> int:
    """``pack stats``: per-platform figures."""
    stats = ws.outcomes.stats()
    if args.json:
        print_json([s.to_dict() for s in stats])
    elif not stats:
        print("No pack has been sent yet.")
    else:
        rows = [[s.platform, str(s.packs_sent), str(s.items), str(s.answered),
                 str(s.removed), str(s.restricted), str(s.no_violation), str(s.already_gone),
                 str(s.pending),
                 "" if s.removal_rate is None else f"{s.removal_rate:.0%}",
                 "" if s.median_hours_to_action is None
                 else f"{s.median_hours_to_action:.1f} h"] for s in stats]
        print(table(rows, ["PLATFORM", "PACKS", "ITEMS", "ANSWERED", "REMOVED",
                            "RESTRICTED", "NO VIOLATION", "ALREADY GONE", "PENDING",
                            "REMOVAL RATE", "MEDIAN TO ACTION"]))
    return EXIT_OK


def _pack_send(ws: Workspace, args: argparse.Namespace) -> int:
    unlock(ws, args)
    if args.queued:
        if args.ref:
            raise WorkstationError("Give either REF or --queued, not both.")
        results = ws.outbox.send_queued(ignore_backoff=args.now)
    else:
        if not args.ref:
            raise WorkstationError("Give the pack reference (REF) or --queued.")
        if args.to and args.via is None:
            args.via = "folder"
        results = [ws.outbox.send(args.ref, args.via, args.to, confirm_sent=args.confirm_sent,
                                resend=args.resend)]
    if args.json:
        print_json([r.to_dict() for r in results])
    else:
        if not results:
            print("Nothing to send: no queued pack is due.")
        for r in results:
            print(f"{r.ref}: {r.status} — {r.message}")
    return EXIT_OK if all(r.status == "sent" for r in results) else EXIT_FAIL


class _Stopped(BaseException):
    """A signal asked ``pack open`` to stop (raised where the process is, so a blocking
    read is interrupted too); its plaintext and staging folder are removed on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _open_stopping_on_signals(args: argparse.Namespace) -> Any:
    """``open_pack`` with SIGTERM/SIGHUP turned into a clean stop (nothing is kept)."""
    import signal

    from workstation.errors import Cancelled
    from workstation.packs.format.opening import open_pack
    from workstation.progress import CancelToken

    token = CancelToken()
    received: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        if not token.cancelled:
            received.append(signum)
            token.cancel()
            raise _Stopped(signum)

    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        return open_pack(args.file, args.identity, args.trust, args.output, cancel=token)
    except Cancelled:  # the signal's exception was turned into a cancellation on its way
        raise _Stopped(received[0] if received else signal.SIGTERM) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _pack_open(args: argparse.Namespace) -> int:
    try:
        result = _open_stopping_on_signals(args)
    except _Stopped as exc:
        print(f"workstation: pack open was stopped (signal {exc.signum}); nothing unverified "
              "was kept.", file=sys.stderr)
        return 128 + exc.signum
    if args.json:
        print_json(result.to_dict())
    else:
        for check in result.checks:
            print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name:<10} {shown(check.detail)}")
        if result.valid:
            print(f"VALID: {result.ref} ({result.platform}), {result.items} item(s), signed by "
                  f"agency key {result.signer_key_id}")
            print(f"Trusted comment: {shown(result.trusted_comment)}")
            if result.reply_recipient:
                print(f"Answer with: age -r {shown(result.reply_recipient)} -o outcomes.csv.age "
                      f"outcomes.csv, sent to {shown(result.reply_to or 'the sender')} "
                      "(README.txt, HOW TO ANSWER)")
            if result.extracted_to:
                print(f"Verified files are in {shown(result.extracted_to)}")
        else:
            print(f"INVALID: {shown(result.failure)}")
            if args.output:
                print("Nothing was kept.")
    return EXIT_OK if result.valid else EXIT_FAIL


# ---------------------------------------------------------------------- parser


def register(sub: Any, common: argparse.ArgumentParser,
             add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Add the key/contact/pack subcommands; return the names of read-only commands."""
    register_trust(common, add)
    child = child_adder(common)

    # pack
    pack = add("pack", cmd_pack, "build, send and follow up alert packs", json_flag=False)
    packs = pack.add_subparsers(dest="pack_cmd", metavar="ACTION", required=True)
    p = child(packs, "build", cmd_pack, "seal captures into a signed, encrypted alert pack")
    p.add_argument("--contact", required=True, type=positive_int, metavar="ID")
    p.add_argument("--captures", required=True, type=_capture_ids, metavar="ID[,ID...]")
    p.add_argument("--reason", metavar="TEXT")
    p.add_argument("--action", choices=("remove", "restrict", "preserve"), default="remove")
    p.add_argument("--priority", choices=("normal", "urgent"), default="normal")
    p.add_argument("--basis", metavar="POLICY",
                   help="policy id from resources/policies, or 'legal' (default: the "
                        "platform's default clause)")
    p.add_argument("--item", action="append", type=_item_request,
                   metavar="ID:KEY=VALUE[,KEY=VALUE...]",
                   help="one capture's own request, KEY one of action, priority, deadline "
                        "(ISO 8601 UTC), policy (repeatable; the pack's values are the defaults)")
    p.add_argument("--allow-no-url", action="append", type=_no_url_reason, metavar="ID:REASON",
                   help="send a capture with no URL and no content id anyway, for REASON "
                        "(recorded in the audit trail and the manifest; repeatable)")
    p.add_argument("--redacted", action="append", type=positive_int, metavar="ID",
                   help="send capture ID as its current redacted copy instead of the "
                        "original (recorded in the manifest; repeatable)")
    p.add_argument("-o", "--output", required=True, metavar="FILE_OR_DIR",
                   help="a new file, or a folder for REF.alertpack.age: a copy of the pack "
                        "sealed into the outbox (a reflink or hard link on the same disk)")
    passphrase(p)
    p = child(packs, "send", cmd_pack, "deliver a sealed pack (or the queued ones)")
    p.add_argument("ref", nargs="?", metavar="REF")
    p.add_argument("--via", choices=("smtp", "folder", "eml"),
                   help="eml: write REF.eml, the exact e-mail SMTP would send, into --to DIR "
                        "for a mail relay on another machine (the pack then counts as sent)")
    p.add_argument("--to", metavar="DIR",
                   help="folder or removable drive (--via folder or eml)")
    p.add_argument("--queued", action="store_true", help="send every queued pack that is due")
    p.add_argument("--now", action="store_true", help="with --queued: ignore the retry delay")
    settle = p.add_mutually_exclusive_group()
    settle.add_argument("--confirm-sent", action="store_true",
                        help="record an interrupted e-mail send as delivered")
    settle.add_argument("--resend", action="store_true",
                        help="send an interrupted e-mail again (same Message-ID)")
    passphrase(p)
    p = child(packs, "list", cmd_pack, "list packs and their state", read_only=True)
    p.add_argument("--state", choices=("draft", "sealed", "queued", "sending", "sent",
                                       "acknowledged", "closed"))
    p = child(packs, "show", cmd_pack, "one pack: items, outcomes, delivery attempts",
              read_only=True)
    p.add_argument("ref", metavar="REF")
    p = child(packs, "outcomes", cmd_pack, "import a platform's answer (CSV or JSON, "
              "plain or age-encrypted to the agency's reply key)")
    p.add_argument("file", metavar="FILE", help="outcomes.csv, outcomes.json or their .age")
    p.add_argument("--signature", metavar="MINISIG",
                   help="the platform's minisign signature of FILE (default: FILE.minisig "
                        "when it exists)")
    passphrase(p)
    child(packs, "stats", cmd_pack, "per-platform figures: packs, removal rate, time to action",
          read_only=True)
    p = child(packs, "open", cmd_pack, "decrypt, extract and verify a pack (as its recipient)")
    p.set_defaults(no_workspace=True)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--identity", required=True, metavar="KEYFILE",
                   help="age identity file or unencrypted OpenSSH private key")
    p.add_argument("--trust", required=True, metavar="PUBFILE",
                   help="the agency's minisign public key(s)")
    p.add_argument("-o", "--output", metavar="DIR", help="keep the verified files here")
    return set()

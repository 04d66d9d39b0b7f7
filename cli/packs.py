"""CLI commands for the agency's keys, platform contacts and alert packs.

::

    workstation key init [--passphrase-env VAR] [issuer flags: cli/issuer.py]
              | key export [--minisign] [--key-id ID] | key rotate [--passphrase-env VAR]
              | key list | key smtp-password
    workstation contact add --platform P --name NAME --email E --recipient KEY [--recipient KEY]
              [--org ORG] [--role ROLE] | contact list | contact verify ID [--note TEXT]
              [--export-key FILE]
              | contact export FILE | contact import FILE
    workstation pack build --contact ID --captures ID[,ID...] [--reason TEXT]
              [--action remove|restrict|preserve] [--priority normal|urgent] [--basis POLICY|legal]
              -o FILE_OR_DIR [--passphrase-env VAR]
    workstation pack send REF [--via smtp|folder|eml] [--to DIR] [--confirm-sent | --resend]
              | pack send --queued [--now] | pack list | pack show REF | pack outcomes FILE
              | pack stats
    workstation pack open FILE --identity KEYFILE --trust PUBFILE [-o DIR]   (no workspace)
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cli.issuer import add_issuer_flags, setup_issuer
from cli.util import EXIT_FAIL, EXIT_OK, platform_arg, print_json, record_id, shown, table
from workstation.errors import WorkstationError
from workstation.logs import redact_value
from workstation.packs.compose import MAX_PACK_ITEMS
from workstation.packs.issuer import require_issuer
from workstation.platforms import PLATFORMS

if TYPE_CHECKING:
    from workstation.crypto.secretstore import PassphraseRequest
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


def _positive_int(text: str) -> int:
    return record_id(text)


def _prompt(request: PassphraseRequest) -> str:
    first = getpass.getpass(request.prompt + " ")
    redact_value(first)  # never in the log (workstation/logs.py)
    if request.creating:
        again = getpass.getpass("Type it again: ")
        if again != first:
            raise WorkstationError("The two passphrases differ; nothing was stored.")
    return first


def _unlock(ws: Workspace, args: argparse.Namespace) -> None:
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    ws.keys.use_secrets(passphrase_env=getattr(args, "passphrase_env", None),
                   passphrase_provider=_prompt if interactive else None)


# ------------------------------------------------------------------------ keys
def _print_keys(ws: Workspace) -> None:
    for key in ws.keys.all():
        state = f"retired {key.retired_at}" if key.retired_at else "current"
        if key.kind == "signing":
            print(f"signing key  {key.key_id:<17} {state:<32} fingerprint {key.fingerprint}")
        else:
            print(f"archive key  {key.public}  {state}")
            print(f"             fingerprint {key.fingerprint}")


def cmd_key(ws: Workspace, args: argparse.Namespace) -> int:
    action = args.key_cmd
    if action == "init" and not any(k.kind == "signing" for k in ws.keys.all()):
        setup_issuer(ws, args)  # cli/issuer.py: flags, else asked, else refused
    if action in ("init", "rotate", "smtp-password"):
        _unlock(ws, args)
    if action == "init":
        keys = ws.keys.init()
        if args.json:
            print_json([k.to_dict() for k in keys])
            return EXIT_OK
        print(f"Agency keys created ({ws.keys.secret_store.backend_description()}):")
        _print_keys(ws)
        print("Give platforms the public key: workstation key export --minisign > agency.pub")
    elif action == "rotate":
        keys = ws.keys.rotate()
        if args.json:
            print_json([k.to_dict() for k in keys])
            return EXIT_OK
        print("New signing key; the old public key is kept so earlier packs still verify:")
        _print_keys(ws)
        print("Send platforms the new public key: workstation key export --minisign")
    elif action == "export":
        if args.minisign:
            sys.stdout.write(ws.keys.export_public_key(args.key_id))
            return EXIT_OK
        key = ws.keys.signing_public_key(args.key_id)
        keys = ws.keys.all()
        if args.json:
            print_json({"key_id": key.key_id_hex, "minisign": key.base64(),
                         "keys": [k.to_dict() for k in keys]})
            return EXIT_OK
        print(f"Agency signing key {key.key_id_hex} (minisign): {key.base64()}")
        _print_keys(ws)
        print("For the .pub file platforms use with minisign: workstation key export --minisign")
    elif action == "list":
        keys = ws.keys.all()
        if args.json:
            print_json([k.to_dict() for k in keys])
        elif not keys:
            print("No agency keys yet: workstation key init")
        else:
            _print_keys(ws)
    elif action == "smtp-password":
        if args.password_env:
            password = os.environ.get(args.password_env, "")
            if not password:
                raise WorkstationError(f"The environment variable {args.password_env} is empty.")
        elif sys.stdin.isatty():
            password = getpass.getpass("SMTP password: ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        redact_value(password)
        ws.keys.set_smtp_password(password)
        print("SMTP password stored in the secret store.")
    return EXIT_OK


# -------------------------------------------------------------------- contacts
def _contact_lines(contact: Any) -> list[str]:
    org = f" ({contact.organisation})" if contact.organisation else ""
    role = f", {contact.role}" if contact.role else ""
    verified = (f"verified by {contact.verified_by} at {contact.verified_at}"
                if contact.verified else "NOT VERIFIED (workstation contact verify "
                f"{contact.id})")
    lines = [f"#{contact.id}  {contact.platform:<9} {contact.name}{role}{org} <{contact.email}>"
             f"  {verified}"]
    for key in contact.recipients:
        lines.append(f"      {key.kind:<11} {key.fingerprint}  "
                     f"{key.recipient[:24]}…{(' ' + key.comment) if key.comment else ''}")
    return lines


def cmd_contact(ws: Workspace, args: argparse.Namespace) -> int:
    action = args.contact_cmd
    if action == "add":
        contact = ws.contacts.add(args.platform, args.name, args.email, args.recipient,
                                 organisation=args.org, role=args.role)
        if args.json:
            print_json(contact.to_dict())
        else:
            print("Added contact:")
            print("\n".join(_contact_lines(contact)))
            print("Read these fingerprints back to the contact over a separate channel, then: "
                  f"workstation contact verify {contact.id}")
    elif action == "list":
        contacts = ws.contacts.all(args.platform)
        if args.json:
            print_json([c.to_dict() for c in contacts])
        elif not contacts:
            print("No contacts yet: workstation contact add --platform P --name NAME --email E "
                  "--recipient KEY")
        else:
            for contact in contacts:
                print("\n".join(_contact_lines(contact)))
    elif action == "verify":
        if args.export_key and os.path.exists(args.export_key):  # refused before verifying
            raise WorkstationError(f"{args.export_key!r} already exists; choose another name.")
        contact = ws.contacts.verify(args.id, args.note)
        exported = (ws.keys.export_for_contact(contact.id, args.export_key)
                    if args.export_key else None)
        if args.json:
            print_json({**contact.to_dict(), **({"exported_key": exported} if exported else {})})
        else:
            print(f"Contact #{contact.id} verified by {contact.verified_by} at "
                  f"{contact.verified_at}.")
            if exported:
                print(f"Agency public key {exported['key_id']} (fingerprint "
                      f"{exported['fingerprint']}) written to {shown(exported['file'])}: give "
                      "it to the contact apart from any pack.")
    elif action == "export":
        if args.file == "-":
            sys.stdout.write(ws.contacts.export_text())
        else:
            count = ws.contacts.write_file(args.file)
            print(f"Exported {count} contact(s) to {shown(args.file)}")
    elif action == "import":
        results = ws.contacts.import_file(args.file)
        if args.json:
            print_json([{"status": s, **c.to_dict()} for s, c in results])
        else:
            for status, contact in results:
                print(shown(f"{status:<10} #{contact.id} {contact.platform} {contact.name} "
                            f"<{contact.email}>"))
            print("Imported contacts are unverified until you check their fingerprints "
                  "(workstation contact verify ID).")
    return EXIT_OK


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
    _unlock(ws, args)
    if not ws.contacts.get(args.contact).verified:
        print(f"warning: contact #{args.contact} has not been verified (workstation contact "
              "verify); check the key fingerprints with them before sending.",
              file=sys.stderr)
    unconfirmed = sum(r.unconfirmed for r in ws.packs.readiness(args.captures, args.contact))
    if unconfirmed:
        print(f"warning: {unconfirmed} indicator(s) read by OCR are not confirmed: the pack "
              "lists them apart, marked unconfirmed (workstation indicators ID --confirm "
              "VALUE)", file=sys.stderr)
    pack = ws.packs.build(args.contact, args.captures, reason=args.reason or "",
                         action=args.action, priority=args.priority, basis=args.basis,
                         output=args.output)
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
    for item in pack.items:
        when = f" at {item.outcome_at}" if item.outcome_at else ""
        note = f" — {item.outcome_comment}" if item.outcome_comment else ""
        print(f"  item {item.position}: capture #{item.capture_id}  {item.outcome}{when}{note}")
    for attempt in ws.packs.attempts(pack.ref):
        print(f"  attempt {attempt['at']} {attempt['transport']} -> {attempt['destination']}:"
              f" {attempt['result']}{' — ' + attempt['error'] if attempt['error'] else ''}")
    return EXIT_OK


def _pack_outcomes(ws: Workspace, args: argparse.Namespace) -> int:
    """``pack outcomes FILE``: import a platform's answer."""
    result = ws.outcomes.import_file(args.file)
    if args.json:
        print_json(result.to_dict())
    else:
        print(f"Imported {result.rows} outcome(s) from {shown(result.file)}:")
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
    _unlock(ws, args)
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

    def child(group: Any, name: str, handler: Callable[..., int], help_text: str, *,
              json_flag: bool = True, read_only: bool = False) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = group.add_parser(name, parents=[common], help=help_text,
                                                      description=help_text)
        p.set_defaults(handler=handler, read_only=read_only)
        if json_flag:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        return p

    def passphrase(p: argparse.ArgumentParser) -> None:
        p.add_argument("--passphrase-env", metavar="VAR",
                       help="environment variable holding the secret store's passphrase "
                            "(default: ask, when there is a terminal)")

    # key
    key = add("key", cmd_key, "the agency's signing key and archive identity", json_flag=False)
    keys = key.add_subparsers(dest="key_cmd", metavar="ACTION", required=True)
    p = child(keys, "init", cmd_key, "set up the issuer identity and create the agency's "
              "signing key and archive key")
    passphrase(p)
    add_issuer_flags(p)
    p = child(keys, "export", cmd_key, "print the public signing key", read_only=True)
    p.add_argument("--minisign", action="store_true", help="in minisign's .pub format")
    p.add_argument("--key-id", metavar="ID", help="a retired key, by key id")
    passphrase(child(keys, "rotate", cmd_key, "replace the signing key (old ones are kept)"))
    child(keys, "list", cmd_key, "list the agency's keys", read_only=True)
    p = child(keys, "smtp-password", cmd_key, "store the SMTP password in the secret store",
              json_flag=False)
    p.add_argument("--password-env", metavar="VAR",
                   help="read it from this environment variable (default: prompt or stdin)")
    passphrase(p)

    # contact
    contact = add("contact", cmd_contact, "platform trust-and-safety contacts and their keys",
                  json_flag=False)
    contacts = contact.add_subparsers(dest="contact_cmd", metavar="ACTION", required=True)
    p = child(contacts, "add", cmd_contact, "add a contact with one or more recipient keys")
    p.add_argument("--platform", required=True, type=platform_arg, metavar="P",
                   help=f"platform: {', '.join(PLATFORMS)}")
    p.add_argument("--name", required=True, metavar="NAME")
    p.add_argument("--email", required=True, metavar="E")
    p.add_argument("--recipient", required=True, action="append", metavar="AGE_OR_SSH_PUBKEY",
                   help="age1… or 'ssh-ed25519 AAAA…' public key (repeatable)")
    p.add_argument("--org", metavar="ORG", help="organisation")
    p.add_argument("--role", metavar="ROLE")
    p = child(contacts, "list", cmd_contact, "list contacts", read_only=True)
    p.add_argument("--platform", type=platform_arg, metavar="P")
    p = child(contacts, "verify", cmd_contact,
              "record that the contact's fingerprints were checked out of band")
    p.add_argument("id", type=_positive_int, metavar="ID")
    p.add_argument("--note", metavar="TEXT", help="how it was checked (e.g. phone call)")
    p.add_argument("--export-key", metavar="FILE",
                   help="also write the agency's public key (minisign .pub) for this contact, "
                        "who checks packs against it (audited)")
    p = child(contacts, "export", cmd_contact, "write the contacts to a JSON file",
              json_flag=False, read_only=True)
    p.add_argument("file", metavar="FILE", help="output file, or - for stdout")
    p = child(contacts, "import", cmd_contact, "add contacts from an exported JSON file")
    p.add_argument("file", metavar="FILE")

    # pack
    pack = add("pack", cmd_pack, "build, send and follow up alert packs", json_flag=False)
    packs = pack.add_subparsers(dest="pack_cmd", metavar="ACTION", required=True)
    p = child(packs, "build", cmd_pack, "seal captures into a signed, encrypted alert pack")
    p.add_argument("--contact", required=True, type=_positive_int, metavar="ID")
    p.add_argument("--captures", required=True, type=_capture_ids, metavar="ID[,ID...]")
    p.add_argument("--reason", metavar="TEXT")
    p.add_argument("--action", choices=("remove", "restrict", "preserve"), default="remove")
    p.add_argument("--priority", choices=("normal", "urgent"), default="normal")
    p.add_argument("--basis", metavar="POLICY",
                   help="policy id from resources/policies, or 'legal' (default: the "
                        "platform's default clause)")
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
    p = child(packs, "outcomes", cmd_pack, "import a platform's answer (CSV or JSON)")
    p.add_argument("file", metavar="FILE")
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

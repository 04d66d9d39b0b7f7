"""CLI commands for the agency's keys and the platform contacts (the trust anchors).

::

    workstation key init [--passphrase-env VAR] [issuer flags: cli/issuer.py]
              | key export [--minisign | --age] [--key-id ID]
              | key rotate [--passphrase-env VAR]
              | key list | key smtp-password
    workstation contact add --platform P --name NAME --email E --recipient KEY [--recipient KEY]
              [--org ORG] [--role ROLE] [--minisign PUBFILE] | contact list
              | contact set-minisign ID (PUBFILE | --remove)
              | contact verify ID [--note TEXT] [--export-key FILE]
              | contact export FILE | contact import FILE
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cli.issuer import add_issuer_flags, setup_issuer
from cli.util import EXIT_OK, platform_arg, print_json, record_id, shown
from workstation.errors import WorkstationError
from workstation.logs import redact_value
from workstation.platforms import PLATFORMS

if TYPE_CHECKING:
    from workstation.crypto.secretstore import PassphraseRequest
    from workstation.workspace import Workspace

Child = Callable[..., argparse.ArgumentParser]


def positive_int(text: str) -> int:
    return record_id(text)


def _prompt(request: PassphraseRequest) -> str:
    first = getpass.getpass(request.prompt + " ")
    redact_value(first)  # never in the log (workstation/logs.py)
    if request.creating:
        again = getpass.getpass("Type it again: ")
        if again != first:
            raise WorkstationError("The two passphrases differ; nothing was stored.")
    return first


def no_terminal(env: str | None) -> Callable[[PassphraseRequest], str]:
    """The passphrase "prompt" where there is no terminal: it refuses, naming the flag
    that gives the passphrase (or saying that the variable it names is empty)."""

    def refuse(_request: PassphraseRequest) -> str:
        from workstation.crypto.secretstore import PassphraseUnavailable

        if env:
            raise PassphraseUnavailable(
                f"A passphrase is needed and the environment variable {env} (named by "
                "--passphrase-env) is not set or empty; set it, or run the command in a "
                "terminal to be asked.")
        raise PassphraseUnavailable(
            "A passphrase is needed and there is no terminal to ask it on: give it with "
            "--passphrase-env VAR (the name of an environment variable holding it).")

    return refuse


def unlock(ws: Workspace, args: argparse.Namespace) -> None:
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    env = getattr(args, "passphrase_env", None)
    ws.keys.use_secrets(passphrase_env=env,
                        passphrase_provider=_prompt if interactive else no_terminal(env))


# ------------------------------------------------------------------------ keys
def _print_keys(ws: Workspace) -> None:
    for key in ws.keys.all():
        state = f"retired {key.retired_at}" if key.retired_at else "current"
        if key.kind == "signing":
            print(f"signing key  {key.key_id:<17} {state:<32} fingerprint {key.fingerprint}")
        elif key.kind == "reply":  # platforms encrypt their answers to it (public)
            state = f"superseded {key.retired_at}" if key.retired_at else "current"
            print(f"reply key    {key.public}  {state}")
            print(f"             fingerprint {key.fingerprint}")
        else:
            print(f"archive key  {key.public}  {state}")
            print(f"             fingerprint {key.fingerprint}")


def cmd_key(ws: Workspace, args: argparse.Namespace) -> int:
    action = args.key_cmd
    if action == "init" and not any(k.kind == "signing" for k in ws.keys.all()):
        setup_issuer(ws, args)  # cli/issuer.py: flags, else asked, else refused
    if action in ("init", "rotate", "smtp-password"):
        unlock(ws, args)
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
        if args.age:  # one line, for a colleague's `colleague add --recipient`
            if args.key_id:
                raise WorkstationError("--key-id names a signing key; --age prints the archive "
                                       "recipient, which is not rotated.")
            sys.stdout.write(ws.keys.archive_recipient() + "\n")
            return EXIT_OK
        if args.minisign:
            sys.stdout.write(ws.keys.export_public_key(args.key_id))
            return EXIT_OK
        key = ws.keys.signing_public_key(args.key_id)
        keys = ws.keys.all()
        reply = next((k.public for k in keys if k.kind == "reply" and not k.retired_at), None)
        if args.json:
            print_json({"key_id": key.key_id_hex, "minisign": key.base64(),
                         "reply_recipient": reply, "keys": [k.to_dict() for k in keys]})
            return EXIT_OK
        print(f"Agency signing key {key.key_id_hex} (minisign): {key.base64()}")
        if reply:
            print(f"Reply recipient (platforms encrypt their answers to it): {reply}")
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
    if contact.minisign_key:
        lines.append(f"      {'minisign':<11} {contact.minisign_fingerprint}  key id "
                     f"{contact.minisign_key_id} (signs the platform's replies)")
    return lines


def cmd_contact(ws: Workspace, args: argparse.Namespace) -> int:
    action = args.contact_cmd
    if action == "add":
        minisign = ws.contacts.read_minisign_file(args.minisign) if args.minisign else None
        contact = ws.contacts.add(args.platform, args.name, args.email, args.recipient,
                                 organisation=args.org, role=args.role, minisign_key=minisign)
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
                  f"{contact.verified_at}; the keys whose fingerprints were checked:")
            print("\n".join(_contact_lines(contact)))
            if exported:
                print(f"Agency public key {exported['key_id']} (fingerprint "
                      f"{exported['fingerprint']}) written to {shown(exported['file'])}: give "
                      "it to the contact apart from any pack.")
    elif action == "set-minisign":
        text = None if args.remove else ws.contacts.read_minisign_file(args.pubfile)
        contact = ws.contacts.set_minisign(args.id, text)
        if args.json:
            print_json(contact.to_dict())
        elif contact.minisign_key:
            print(f"Contact #{contact.id}: replies must now be signed with minisign key "
                  f"{contact.minisign_key_id} (fingerprint {contact.minisign_fingerprint}).")
        else:
            print(f"Contact #{contact.id}: no minisign key on record; replies are not checked "
                  "for a signature.")
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


def child_adder(common: argparse.ArgumentParser) -> Child:
    """A function adding one ACTION of a command group, with the common options."""

    def child(group: Any, name: str, handler: Callable[..., int], help_text: str, *,
              json_flag: bool = True, read_only: bool = False) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = group.add_parser(name, parents=[common], help=help_text,
                                                      description=help_text)
        p.set_defaults(handler=handler, read_only=read_only)
        if json_flag:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        return p

    return child


def passphrase(p: argparse.ArgumentParser) -> None:
    p.add_argument("--passphrase-env", metavar="VAR",
                   help="environment variable holding the secret store's passphrase "
                        "(default: ask, when there is a terminal)")


def register(common: argparse.ArgumentParser, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the key and contact subcommands."""
    child = child_adder(common)
    # key
    key = add("key", cmd_key, "the agency's signing key and archive identity", json_flag=False)
    keys = key.add_subparsers(dest="key_cmd", metavar="ACTION", required=True)
    p = child(keys, "init", cmd_key, "set up the issuer identity and create the agency's "
              "signing key and archive key")
    passphrase(p)
    add_issuer_flags(p)
    p = child(keys, "export", cmd_key, "print the public signing key (or --age: the age "
              "recipient colleagues encrypt case bundles to)", read_only=True)
    form = p.add_mutually_exclusive_group()
    form.add_argument("--minisign", action="store_true", help="in minisign's .pub format")
    form.add_argument("--age", action="store_true",
                      help="print only this workspace's age recipient (age1…), one line")
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
    p.add_argument("--minisign", metavar="PUBFILE",
                   help="the platform's own minisign public key (.pub): its replies must "
                        "then be signed with it")
    p = child(contacts, "set-minisign", cmd_contact,
              "record (or --remove) the minisign key the contact signs replies with")
    p.add_argument("id", type=positive_int, metavar="ID")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("pubfile", nargs="?", metavar="PUBFILE",
                       help="the platform's minisign public key file (.pub)")
    which.add_argument("--remove", action="store_true",
                       help="forget the key: replies are no longer checked for a signature")
    p = child(contacts, "list", cmd_contact, "list contacts", read_only=True)
    p.add_argument("--platform", type=platform_arg, metavar="P")
    p = child(contacts, "verify", cmd_contact,
              "record that the contact's fingerprints were checked out of band")
    p.add_argument("id", type=positive_int, metavar="ID")
    p.add_argument("--note", metavar="TEXT", help="how it was checked (e.g. phone call)")
    p.add_argument("--export-key", metavar="FILE",
                   help="also write the agency's public key (minisign .pub) for this contact, "
                        "who checks packs against it (audited)")
    p = child(contacts, "export", cmd_contact, "write the contacts to a JSON file",
              json_flag=False, read_only=True)
    p.add_argument("file", metavar="FILE", help="output file, or - for stdout")
    p = child(contacts, "import", cmd_contact, "add contacts from an exported JSON file")
    p.add_argument("file", metavar="FILE")

"""The issuer identity on the command line: ``key init``'s flags and prompts, and the
commands that a refusal to seal (:class:`IssuerNotSet`) names.

::

    workstation key init [--agency-name NAME] [--issuing-unit NAME] [--contact-name NAME]
              [--contact-phone +CC NUMBER] [--contact-email ADDRESS] [--reply-to ADDRESS]
    workstation config agency_name|issuing_unit|contact_24x7_name|contact_24x7_phone|
              contact_24x7_email|reply_to VALUE
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workstation.errors import WorkstationError
from workstation.packs.issuer import (
    ISSUER_KEYS,
    ISSUER_LABELS,
    IssuerNotSet,
    check_issuer,
    missing_issuer,
)
from workstation.settings import SETTINGS, InvalidSetting, check

if TYPE_CHECKING:
    from workstation.workspace import Workspace

#: ``key init``'s flag for each issuer setting, and what it takes.
FLAGS = {
    "agency_name": ("--agency-name", "NAME"),
    "issuing_unit": ("--issuing-unit", "NAME"),
    "contact_24x7_name": ("--contact-name", "NAME"),
    "contact_24x7_phone": ("--contact-phone", "+CC_NUMBER"),
    "contact_24x7_email": ("--contact-email", "ADDRESS"),
    "reply_to": ("--reply-to", "ADDRESS"),
}
#: The most times a prompt asks again after a refused answer.
_TRIES = 3


def add_issuer_flags(parser: argparse.ArgumentParser) -> None:
    """``key init``'s issuer flags (each sets the setting of the same meaning)."""
    for key in ISSUER_KEYS:
        flag, metavar = FLAGS[key]
        parser.add_argument(flag, dest=f"issuer_{key}", metavar=metavar,
                            help=f"{SETTINGS[key].help} (setting {key})")


def _set_command(key: str) -> str:
    metavar = FLAGS[key][1]
    value = f'"{metavar}"' if metavar == "NAME" else metavar
    return f"workstation config {key} {value}"


def issuer_refusal(exc: IssuerNotSet) -> str:
    """The core's refusal with the commands that set what is missing (one line)."""
    return f"{exc} Set {'it' if len(exc.missing) == 1 else 'them'}: " + "; ".join(
        _set_command(key) for key in exc.missing)


def _ask(key: str) -> str:
    """Ask for one issuer setting on the terminal until it is accepted (a few tries)."""
    help_text = SETTINGS[key].help.split(" (required")[0]
    for _ in range(_TRIES):
        sys.stderr.write(f"{ISSUER_LABELS[key].capitalize()} — {help_text}: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise WorkstationError("No answer (end of input); nothing was stored.")
        try:
            value = check(key, line.strip())
        except InvalidSetting as exc:
            print(f"  {exc}", file=sys.stderr)
            continue
        if value:
            return value
        print(f"  The {ISSUER_LABELS[key]} is required.", file=sys.stderr)
    raise WorkstationError(f"No valid {ISSUER_LABELS[key]} given; nothing was stored.")


def setup_issuer(ws: Workspace, args: argparse.Namespace) -> dict[str, str]:
    """Set the issuer identity from ``key init``'s flags, asking on the terminal for what
    is neither given nor set; without a terminal, what is missing is refused naming the
    flags.  Every value is checked before any is stored.  Returns what was stored."""
    given = {key: value for key in ISSUER_KEYS
             if (value := getattr(args, f"issuer_{key}", None)) is not None}
    values = check_issuer(given)  # a bad flag: refused before anything is asked or stored
    missing = [key for key in missing_issuer(ws) if key not in values]
    if missing and not (sys.stdin.isatty() and sys.stderr.isatty()):
        flags = " ".join(f"{FLAGS[k][0]} {FLAGS[k][1]}" for k in missing)
        raise WorkstationError(
            f"The issuer identity is needed before keys are made (packs name who sent them "
            f"and where outcomes go); give {flags} (or run `workstation key init` in a "
            "terminal to be asked).")
    if missing:
        print("Packs name the agency that sends them and where platforms send outcomes; "
              "set it up once:", file=sys.stderr)
    for key in missing:
        values[key] = _ask(key)
    for key, value in values.items():
        if ws.setting(key) != value:
            ws.set_setting(key, value)
    return values


__all__ = ["FLAGS", "IssuerNotSet", "add_issuer_flags", "issuer_refusal", "setup_issuer"]

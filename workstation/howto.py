"""How to do X: the one table of the actions an error message may point to, as the
command line says it and as the window says it.

A user-facing error (:class:`workstation.errors.WorkstationError`) carries the action
separately from its sentence: ``NotFound("No TSA … is configured.", how="tsa list")``.
``str(exc)`` is what the CLI prints, naming the command (``… configured (`workstation
tsa list`).``); the window shows :meth:`~workstation.errors.WorkstationError.window_message`
instead, naming the menu item (``… configured. Use Workspace → Timestamps….``), so the
window never tells the analyst to run a command.

``how`` is the command after ``workstation`` with its arguments (``"indicators 12"``,
``"tsa add URL --ca PEMFILE"``); the longest key of :data:`HOW` it starts with says how
the window does the same.  Where the sentence itself names the action, it says where
with :data:`HERE` (``"… reopen it ({how}) to add to it."``): the command, or the menu
path, goes there.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Where in a message the command (CLI) or the menu path (window) goes; without it, the
#: command is added in parentheses at the end and the window adds "Use <menu path>.".
HERE = "{how}"
#: The separator of a menu path, as the window shows it.
ARROW = " → "


@dataclass(frozen=True)
class How:
    """How the window does what a command does.

    Attributes:
        menu: the main window's menu item (``"Workspace → Verify…"``), or empty when the
            window has none.
        then: what to choose in the window that item opens (``"Create keys"``).
    """

    menu: str = ""
    then: str = ""

    @property
    def window(self) -> str:
        """The menu path as the window says it, empty when the window has none."""
        if not self.menu:
            return ""
        return f"{self.menu}{ARROW}{self.then}" if self.then else self.menu


#: Every command an error message may point to, by the words after ``workstation``.
HOW: dict[str, How] = {
    "verify": How("Workspace → Verify…"),
    "audit": How("Workspace → Audit trail…"),
    "config": How("Workspace → Settings…"),
    "key smtp-password": How("Workspace → Settings…", "E-mail → Password"),
    "key init": How("Workspace → Contacts and keys…", "Create keys"),
    "key rotate": How("Workspace → Contacts and keys…", "Rotate signing key…"),
    "key export": How("Workspace → Contacts and keys…", "Export public key…"),
    "contact verify": How("Workspace → Contacts and keys…", "Mark verified…"),
    "contact export": How("Workspace → Contacts and keys…", "Export contacts…"),
    "contact add": How("Workspace → Contacts and keys…", "Add contact…"),
    "colleague list": How("Workspace → Colleagues…"),
    "colleague add": How("Workspace → Colleagues…", "Add colleague…"),
    "case export": How("Case → Export…"),
    "case import": How("File → Import case…"),
    "tsa list": How("Workspace → Timestamps…"),
    "tsa add": How("Workspace → Timestamps…", "Add TSA…"),
    "timestamp --send": How("Workspace → Send timestamps…"),
    "timestamps": How("Workspace → Timestamps…"),
    "passphrase": How("Workspace → Change passphrase…"),
    "pack list": How("Packs → Outbox…"),
    "pack send": How("Packs → Outbox…", "Confirm delivered"),
    "pack build": How("Packs → New alert pack…"),
    "indicators": How("Evidence → Open in viewer"),
    "show": How("Evidence → Open in viewer"),
    "edit": How("Evidence → Edit details…"),
    "redact": How("Evidence → Redact…"),
    "ocr": How("Evidence → OCR selected"),
    "case reopen": How("Case → Close/Reopen"),
    "case rename": How("Case → Rename…"),
    "exhibit": How("Case → Assign exhibit reference"),
    "report": How("Case → Report…"),
    # Not in the window: these are said in words there.
    "restore": How(),
    "backup": How(),
    "init": How(),
    "acknowledge-rollback": How(),
    "encrypt": How(),
    # The window asks for the passphrase of an encrypted workspace in a dialog.
    "--passphrase-env": How(),
}


def lookup(how: str) -> How:
    """The entry for the command ``how`` (the longest key its words start with).

    Raises:
        KeyError: no entry (a message pointing to a command the table does not know).
    """
    words = how.split()
    for size in range(len(words), 0, -1):
        found = HOW.get(" ".join(words[:size]))
        if found is not None:
            return found
    raise KeyError(how)


def _before_stop(text: str, addition: str) -> str:
    """``text`` with ``addition`` put before its final full stop."""
    if text.endswith("."):
        return f"{text[:-1]}{addition}."
    return f"{text}{addition}"


def for_cli(message: str, how: str | None) -> str:
    """``message`` naming the command ``workstation <how>``."""
    if not how:
        return message
    command = f"`workstation {how}`"
    if HERE in message:
        return message.replace(HERE, command)
    return _before_stop(message, f" ({command})")


def for_window(message: str, how: str | None) -> str:
    """``message`` naming the window's menu item for ``how`` (or no command at all)."""
    if not how:
        return message
    path = lookup(how).window
    if HERE in message:
        return message.replace(HERE, path or "the command line").replace("….", "…")
    if not path:
        return message
    stop = "" if message.endswith((".", "!", "?")) else "."
    end = "" if path.endswith("…") else "."
    return f"{message}{stop} Use {path}{end}"

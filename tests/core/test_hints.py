"""How to do X (``workstation/howto.py``): a user-facing error carries the command that
helps apart from its sentence; the CLI prints the command, the window the menu item.
Every hint the core gives is in the table, and no message hard-codes a command the
window would show."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import run_cli
from workstation import howto
from workstation.errors import NotFound, WorkstationError
from workstation.howto import HOW, for_cli, for_window, lookup
from workstation.workspace import Workspace

CORE = Path(__file__).resolve().parents[2] / "workstation"


def _static_prefix(node: ast.expr) -> str | None:
    """The literal start of a str constant or f-string (``None``: not a string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            text += part.value
        return text
    return None


def _literal_text(node: ast.AST) -> str:
    """Every literal piece of text in ``node`` (constants and f-string parts)."""
    return "".join(n.value for n in ast.walk(node)
                   if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _calls() -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(f"{path.relative_to(CORE)}:{n.lineno}", n) for n in ast.walk(tree)
                  if isinstance(n, ast.Call)]
    return found


def test_every_hint_in_the_core_is_in_the_table() -> None:
    hints = []
    for where, call in _calls():
        for keyword in call.keywords:
            if keyword.arg == "how":
                prefix = _static_prefix(keyword.value)
                assert prefix, f"{where}: how= must start with the command's words"
                hints.append((where, prefix))
    assert len(hints) >= 25  # the raise sites that point to a command
    unknown = []
    for where, prefix in hints:
        try:
            lookup(prefix)
        except KeyError:
            unknown.append(f"{where}: {prefix!r}")
    assert unknown == []


def test_no_message_hard_codes_a_command_the_window_would_show() -> None:
    """A command in a message's own text is only allowed where the call also gives the
    window's sentence (``window=``)."""
    offenders = []
    for where, call in _calls():
        if "`workstation " not in "".join(_literal_text(a) for a in call.args):
            continue
        if not any(k.arg == "window" for k in call.keywords):
            offenders.append(where)
    assert offenders == []


def test_the_cli_names_the_command_and_the_window_the_menu_item() -> None:
    exc = NotFound("No TSA https://tsa.example is configured.", how="tsa list")
    assert str(exc) == "No TSA https://tsa.example is configured (`workstation tsa list`)."
    assert exc.window_message() == ("No TSA https://tsa.example is configured. "
                                    "Use Workspace → Timestamps…")
    inline = WorkstationError("Reopen it ({how}) first.", how="case reopen")
    assert str(inline) == "Reopen it (`workstation case reopen`) first."
    assert inline.window_message() == "Reopen it (Case → Close/Reopen) first."
    # a command the window has no item for is not named there at all
    assert for_window("Restore it from a backup.", "restore BACKUP DIR") == \
        "Restore it from a backup."
    assert for_cli("Restore it from a backup.", "restore BACKUP DIR") == \
        "Restore it from a backup (`workstation restore BACKUP DIR`)."
    # the window's own sentence wins where the hint cannot be said alone
    told = WorkstationError("Use --via folder.", how="config smtp_host HOST",
                            window="Export it to a folder.")
    assert told.window_message() == "Export it to a folder."
    assert lookup("contact verify 12").then == "Mark verified…"
    with pytest.raises(KeyError):
        lookup("no-such-command")
    assert howto.HERE == "{how}" and all(h.window or not h.menu for h in HOW.values())


def test_a_real_refusal_reads_both_ways(ws: Workspace) -> None:
    ws.cases.create("Op Shut")
    ws.cases.set_status("Op Shut", "closed")
    with pytest.raises(WorkstationError) as caught:
        ws.cases.check_open("Op Shut")
    assert "reopen it (`workstation case reopen`) to add to it" in str(caught.value)
    window = caught.value.window_message()
    assert "reopen it (Case → Close/Reopen) to add to it" in window
    assert "workstation" not in window


def test_the_cli_prints_the_command_unchanged(tmp_path: Path) -> None:
    """The CLI user still reads the command to run (a real subprocess)."""
    ws = tmp_path / "ws"
    run_cli("init", str(ws), check=True)
    done = run_cli("tsa", "remove", "https://tsa.example/", workspace=ws)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "is configured (`workstation tsa list`)." in done.stderr

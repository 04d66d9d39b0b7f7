"""``workstation case rename|move|show`` and ``workstation exhibit`` (the real CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli

ENV = {"WORKSTATION_ANALYST": "Alice Brown"}


def test_exhibit_case_rename_move_show(tmp_path: Path, image_file: Callable[..., Path]) -> None:
    ws = tmp_path / "ws"
    run_cli("import", str(image_file()), str(image_file()), "--case", "Op A", workspace=ws,
            env=ENV, check=True)
    assert run_cli("exhibit", "1", workspace=ws, env=ENV, check=True).stdout == "AB/1\n"
    assert run_cli("exhibit", "1", workspace=ws, env=ENV, check=True).stdout == "AB/1\n"
    shown = json.loads(run_cli("exhibit", "2", "--ref", "AB/10", "--json", workspace=ws,
                               env=ENV, check=True).stdout)
    assert shown == {"capture_id": 2, "exhibit": "AB/10"}
    refused = run_cli("exhibit", "2", "--ref", "AB/11", workspace=ws, env=ENV)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "already has the exhibit reference AB/10" in (
        refused.stderr)
    bad = run_cli("exhibit", "1", "--ref", "A B", workspace=ws, env=ENV)
    assert bad.returncode == 1 and "not a valid exhibit reference" in bad.stderr
    assert "Traceback" not in bad.stderr

    listed = json.loads(run_cli("list", "--json", workspace=ws, check=True).stdout)
    assert [c["exhibit"] for c in listed] == ["AB/1", "AB/10"]
    assert "EXHIBIT" in run_cli("list", workspace=ws, check=True).stdout
    assert json.loads(run_cli("show", "2", "--json", workspace=ws, check=True).stdout)[
        "exhibit"] == "AB/10"
    assert "Exhibit:           AB/1\n" in run_cli("show", "1", workspace=ws, check=True).stdout

    run_cli("case", "rename", "Op A", "Op Alpha", workspace=ws, env=ENV, check=True)
    run_cli("case", "new", "Op B", workspace=ws, env=ENV, check=True)
    moved = run_cli("case", "move", "Op B", "2", workspace=ws, env=ENV, check=True)
    assert moved.stdout == "Moved #2 to case 'Op B'\n"
    dup = run_cli("case", "rename", "Op Alpha", "Op B", workspace=ws, env=ENV)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    run_cli("case", "close", "Op Alpha", workspace=ws, env=ENV, check=True)
    closed = run_cli("case", "move", "Op Alpha", "2", workspace=ws, env=ENV)
    assert closed.returncode == 1 and "is closed" in closed.stderr

    text = run_cli("case", "show", "Op Alpha", workspace=ws, check=True).stdout
    assert "Case #1 Op Alpha (closed" in text and "AB/1" in text
    assert "Exhibit reference AB/1 assigned" in text.replace("Capture #1: exhibit", "Exhibit")
    assert "Case renamed from Op A to Op Alpha" in text
    assert "Captures #2 moved to the case Op B" in text
    data = json.loads(run_cli("case", "show", "Op B", "--json", workspace=ws,
                              check=True).stdout)
    assert [(c["id"], c["exhibit"]) for c in data["captures"]] == [(2, "AB/10")]
    assert data["packs"] == []
    assert [e["action"] for e in data["timeline"]][-1] == "case.move"
    cases = json.loads(run_cli("case", "list", "--json", workspace=ws, check=True).stdout)
    assert [(c["name"], c["status"], c["capture_count"]) for c in cases] == [
        ("Op Alpha", "closed", 1), ("Op B", "open", 1)]
    assert run_cli("verify", workspace=ws).returncode == 0

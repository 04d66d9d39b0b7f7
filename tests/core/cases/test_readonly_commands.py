"""The commands that only read (``case list``, ``case show``, ``redactions``,
``timestamps``, ``tsa list``) work while another process holds the workspace for
writing (the window open, a long import): they open it read-only."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT, run_cli


def test_reading_commands_work_while_a_writer_holds_the_workspace(
        tmp_path: Path, image_file: Callable[..., Path]) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    run_cli("case", "new", "Op Sea", workspace=ws, check=True)
    out = run_cli("import", str(image_file()), "--case", "Op Sea", "--json", workspace=ws,
                  check=True)
    cid = str(json.loads(out.stdout)["id"])
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from workstation.workspace import Workspace; "
         f"w = Workspace.open({str(ws)!r}); print('ready', flush=True); time.sleep(60)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        assert run_cli("case", "new", "Blocked", workspace=ws).returncode == 1  # a writer
        listed = run_cli("case", "list", "--json", workspace=ws)
        assert listed.returncode == 0, listed.stderr
        assert [c["name"] for c in json.loads(listed.stdout)] == ["Op Sea"]
        for argv in (["case", "show", "Op Sea"], ["redactions", cid], ["timestamps"],
                     ["tsa", "list"]):
            done = run_cli(*argv, workspace=ws)
            assert done.returncode == 0, (argv, done.stderr)
    finally:
        holder.kill()
        holder.communicate()

"""Crash safety: SIGKILL the importer at random moments; nothing half-written survives."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.imagegen import make_image
from workstation.storage import compact
from workstation.storage.sqlitelib import sqlite3

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")


def test_sigkill_during_folder_import(tmp_path: Path) -> None:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    for i in range(80):
        (folder / f"shot{i:03}.png").write_bytes(make_image(seed=5000 + i, width=540, height=1170))
    ws = tmp_path / "ws"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    kills = 0
    for _attempt in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "--workspace", str(ws), "import", str(folder),
             "--case", "Crash", "--json"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        first = proc.stdout.readline()  # wait until the import is under way
        if first:
            time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate()
    assert kills >= 3, f"the importer finished too fast to be killed (seed {seed})"

    verify = run_cli("verify", "--json", workspace=ws)
    report = json.loads(verify.stdout)
    assert verify.returncode == 0, (seed, report)

    conn = sqlite3.connect(ws / "workspace.db")
    compact.install(conn)  # the audit_log view reads compressed columns
    rows = conn.execute("SELECT id, sha256, size FROM captures").fetchall()
    audited = {int(s.split(":")[1]) for (s,) in conn.execute(
        "SELECT subject FROM audit_log WHERE action = 'capture.import'")}
    conn.close()
    assert rows, f"no capture finished before the kills (seed {seed})"
    for capture_id, sha, size in rows:
        path = ws / "evidence" / sha[:2] / sha[2:4] / sha
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha and len(data) == size
        assert capture_id in audited
    assert audited == {r[0] for r in rows}

    # Finishing the import afterwards gives every file exactly once.
    final = run_cli("import", str(folder), "--case", "Crash", "--json", workspace=ws)
    statuses = [json.loads(line)["status"] for line in final.stdout.splitlines()]
    assert statuses.count("imported") + statuses.count("duplicate") == 80
    assert statuses.count("duplicate") == len(rows)
    listed = json.loads(run_cli("list", "--json", workspace=ws, check=True).stdout)
    assert len(listed) == 80
    assert run_cli("verify", workspace=ws).returncode == 0

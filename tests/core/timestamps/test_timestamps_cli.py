"""The timestamp commands through the real CLI (subprocesses) against a loopback TSA."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from tests.conftest import run_cli
from tests.tsa import PKI, LoopbackTSA, free_url


def test_timestamp_cli_flow(tmp_path: Path, pki: PKI, image_file: object) -> None:
    ws = tmp_path / "ws"
    img = image_file()  # type: ignore[operator]
    run_cli("import", str(img), workspace=ws, check=True)
    # nothing configured yet: a one-line error, no traceback
    done = run_cli("timestamp", "--send", workspace=ws)
    assert done.returncode != 0 and "tsa add" in done.stderr and "Traceback" not in done.stderr
    assert "Queued timestamp #1" in done.stdout  # queued offline all the same
    down = free_url()
    run_cli("tsa", "add", down, "--ca", str(pki.ca_pem), workspace=ws, check=True)
    done = run_cli("timestamp", "--send", "--json", workspace=ws)
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    tid = result["queued"]["id"]
    assert "connection refused" in result["send"]["failed"][str(tid)]
    listed = json.loads(run_cli("timestamps", "--json", workspace=ws, check=True).stdout)
    assert [r["state"] for r in listed] == ["queued", "queued"] and listed[1]["last_error"]
    shown = run_cli("show", "1", workspace=ws, check=True).stdout
    assert "Timestamped:" in shown and "not yet timestamped" in shown
    with LoopbackTSA(pki) as tsa:
        done = run_cli("timestamp", "--send", "--tsa", tsa.url, "--ca", str(pki.ca_pem),
                       workspace=ws)
    assert done.returncode == 0, done.stderr
    assert f"#{tid} audit:" in done.stdout and "2 timestamp(s) received" in done.stdout
    listed = json.loads(run_cli("timestamps", "--json", workspace=ws, check=True).stdout)
    assert {r["state"] for r in listed} == {"stamped"} and listed[0]["tsa"] == tsa.url
    assert listed[0]["verifier"] == "rfc3161-client"
    table = run_cli("timestamps", workspace=ws, check=True).stdout
    assert "stamped" in table and tsa.url in table
    shown = run_cli("show", "1", workspace=ws, check=True).stdout
    line = next(x for x in shown.splitlines() if x.startswith("Timestamped:"))
    assert listed[0]["gen_time"] in line and tsa.url in line
    shown_json = json.loads(run_cli("show", "1", "--json", workspace=ws, check=True).stdout)
    assert shown_json["trusted_time"]["tsa"] == tsa.url
    tsas = json.loads(run_cli("tsa", "list", "--json", workspace=ws, check=True).stdout)
    assert [a["url"] for a in tsas] == [down, tsa.url]
    run_cli("tsa", "remove", down, workspace=ws, check=True)
    out = tmp_path / "export"
    done = run_cli("timestamps", "export", str(tid), "-o", str(out), workspace=ws, check=True)
    command = done.stdout.strip().splitlines()[-1].strip()
    assert command.startswith("openssl ts -verify -in response.tsr -digest ")
    check = subprocess.run(shlex.split(command), cwd=out, capture_output=True, text=True,
                           check=False)
    assert "Verification: OK" in check.stdout, check.stderr
    # a bad id and a missing CA file: one line each
    done = run_cli("timestamps", "export", "99", "-o", str(out), workspace=ws)
    assert done.returncode != 0 and "no timestamp #99" in done.stderr
    done = run_cli("tsa", "add", "https://x.example", "--ca", str(tmp_path / "nope.pem"),
                   workspace=ws)
    assert done.returncode != 0 and "Cannot read the CA file" in done.stderr
    assert "Traceback" not in done.stderr

"""The pack commands exactly as the issue spells them, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.core.packs import support as support
from tests.core.packs.support import (
    CLI_ENV,
    PASS_ENV,
    Template,
    copy_ws,
)

template = support.template  # fixture


def test_build_send_open_answer_and_figures(template: Template, tmp_path: Path) -> None:
    ws = copy_ws(template, tmp_path / "ws")
    a, b, _c = template.captures
    pub = tmp_path / "agency.pub"
    pub.write_text(run_cli("key", "export", "--minisign", workspace=ws, check=True).stdout)

    out = tmp_path / "for-tiktok.alertpack.age"
    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    f"{a},{b}", "--reason", "Small-boat crossing adverts", "--action", "remove",
                    "--priority", "urgent", "-o", str(out), "--passphrase-env", PASS_ENV,
                    "--json", workspace=ws, env=CLI_ENV)
    assert built.returncode == 0, built.stderr
    pack = json.loads(built.stdout)
    ref = pack["ref"]
    assert pack["state"] == "sealed" and out.is_file() and len(pack["items"]) == 2
    assert "has not been verified" in built.stderr  # a warning, not a refusal
    # What OCR read in A and B was never confirmed: said before sealing, listed apart.
    with support.open_ws(ws) as opened_ws:
        waiting = len(opened_ws.review.pending([a, b]))
    assert waiting > 0
    assert f"{waiting} indicator(s) read by OCR are not confirmed" in built.stderr

    listed = json.loads(run_cli("pack", "list", "--json", workspace=ws, check=True).stdout)
    assert [(p["ref"], p["state"]) for p in listed] == [(ref, "sealed")]

    drive = tmp_path / "usb"
    drive.mkdir()
    sent = run_cli("pack", "send", ref, "--via", "folder", "--to", str(drive), workspace=ws)
    assert sent.returncode == 0, sent.stderr
    assert f"{ref}: sent" in sent.stdout
    again = run_cli("pack", "send", ref, "--via", "smtp", workspace=ws)
    assert again.returncode == 1 and "never sent twice" in again.stderr

    # The platform's side: no workspace at all.
    opened = tmp_path / "opened"
    verdict = run_cli("pack", "open", str(drive / f"{ref}.alertpack.age"), "--identity",
                      str(template.age_key), "--trust", str(pub), "-o", str(opened), "--json")
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert json.loads(verdict.stdout)["valid"] is True
    assert (opened / "report.html").is_file()

    answer = tmp_path / "answer.csv"
    answer.write_text((opened / "outcome-template.csv").read_text()
                      .replace("pending,,", "removed,2026-01-02T10:00:00Z,gone", 1)
                      .replace("pending,,", "already_gone,,"))
    imported = run_cli("pack", "outcomes", str(answer), workspace=ws)
    assert imported.returncode == 0, imported.stderr
    assert f"{ref}: closed" in imported.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(f"pack_ref,capture_id,outcome\n{ref},{a},vanished\n")
    refused = run_cli("pack", "outcomes", str(bad), workspace=ws)
    assert refused.returncode == 1 and "unknown outcome 'vanished'" in refused.stderr
    assert "Traceback" not in refused.stderr

    stats = json.loads(run_cli("pack", "stats", "--json", workspace=ws, check=True).stdout)
    assert [(s["platform"], s["packs_sent"], s["items"], s["removed"], s["already_gone"])
            for s in stats] == [("tiktok", 1, 2, 1, 1)]
    shown = run_cli("pack", "show", ref, workspace=ws, check=True).stdout
    assert "closed" in shown and "removed" in shown and "folder" in shown
    audit = [e["action"] for e in json.loads(run_cli("audit", "--json", workspace=ws,
                                                     check=True).stdout)]
    for action in ("pack.create", "pack.seal", "pack.send", "pack.outcomes"):
        assert action in audit
    assert run_cli("verify", workspace=ws).returncode == 0

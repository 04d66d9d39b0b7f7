"""The ``workstation`` CLI contract, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, interruptible, run_cli
from tests.imagegen import make_image


def test_import_json_show_list_and_exit_codes(tmp_path: Path, image_file) -> None:
    ws = tmp_path / "ws"
    good = image_file("advert.png")
    bad = tmp_path / "fake.png"
    bad.write_text("hello")
    result = run_cli("import", str(good), str(bad), "--case", "Op Test",
                     "--url", "https://vm.tiktok.com/ZMabc/", "--handle", "@boats",
                     "--note", "WhatsApp in bio", "--captured-at", "2026-11-20T14:03:00Z",
                     "--json", workspace=ws)
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in lines] == ["imported", "rejected"]
    assert set(lines[0]) == {"path", "status", "id", "sha256", "error"}
    assert lines[1]["error"] and "not an image" in lines[1]["error"]

    again = run_cli("import", str(good), "--json", workspace=ws)
    assert again.returncode == 0
    dup = json.loads(again.stdout)
    assert dup["status"] == "duplicate" and dup["id"] == lines[0]["id"]

    shown = json.loads(run_cli("show", str(lines[0]["id"]), "--json", workspace=ws,
                               check=True).stdout)
    assert shown["sha256"] == lines[0]["sha256"]
    assert shown["platform"] == "tiktok" and shown["handle"] == "boats"
    assert shown["case"] == "Op Test" and shown["notes"] == "WhatsApp in bio"
    assert shown["captured_at"] == "2026-11-20T14:03:00.000Z"
    for key in ("md5", "size", "format", "width", "height", "imported_at", "analyst",
                "capture_method", "original_filename", "source_url", "content_id", "tags",
                "app_version", "captured_at_source"):
        assert key in shown

    listed = json.loads(run_cli("list", "--case", "Op Test", "--json", workspace=ws,
                                check=True).stdout)
    assert [c["id"] for c in listed] == [lines[0]["id"]]
    table = run_cli("list", workspace=ws, check=True).stdout
    assert "advert.png" in table and "tiktok" in table


def test_cases_tags_notes_edit_audit(tmp_path: Path, image_file) -> None:
    ws = tmp_path / "ws"
    run_cli("case", "new", "Op Alpha", workspace=ws, check=True)
    dup = run_cli("case", "new", "Op Alpha", workspace=ws)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    cases = json.loads(run_cli("case", "list", "--json", workspace=ws, check=True).stdout)
    assert [c["name"] for c in cases] == ["Op Alpha"]
    out = run_cli("import", str(image_file()), "--case", "Op Alpha", "--json", workspace=ws,
                  check=True)
    cid = str(json.loads(out.stdout)["id"])
    run_cli("tag", cid, "urgent", "boat", workspace=ws, check=True)
    run_cli("note", cid, "Seen on two accounts", workspace=ws, check=True)
    run_cli("edit", cid, "--url", "https://www.facebook.com/groups/12345/posts/67890",
            workspace=ws, check=True)
    shown = json.loads(run_cli("show", cid, "--json", workspace=ws, check=True).stdout)
    assert shown["tags"] == ["boat", "urgent"]
    assert shown["platform"] == "facebook" and shown["content_id"] == "67890"
    audit = json.loads(run_cli("audit", "--capture", cid, "--json", workspace=ws,
                               check=True).stdout)
    assert [e["action"] for e in audit] == ["capture.import", "capture.tag", "capture.edit",
                                            "capture.edit"]
    assert audit[2]["details"]["changes"]["notes"] == {"old": "", "new": "Seen on two accounts"}
    for entry in audit:
        assert len(entry["hash"]) == 64 and len(entry["prev_hash"]) == 64
    by_case = json.loads(run_cli("audit", "--case", "Op Alpha", "--json", workspace=ws,
                                 check=True).stdout)
    assert by_case[0]["action"] == "case.create"
    assert "capture.tag" in run_cli("audit", workspace=ws, check=True).stdout
    run_cli("case", "close", "Op Alpha", workspace=ws, check=True)
    closed = run_cli("import", str(image_file()), "--case", "Op Alpha", workspace=ws)
    assert closed.returncode == 1 and "closed" in closed.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    assert run_cli("frobnicate", workspace=ws).returncode == 2
    assert run_cli("show", "abc", workspace=ws).returncode == 2
    assert run_cli("import", workspace=ws).returncode == 2
    assert run_cli("import", "x.png", "--platform", "myspace", workspace=ws).returncode == 2
    assert run_cli("edit", "1", workspace=ws).returncode == 2
    missing = run_cli("show", "99", workspace=ws)
    assert missing.returncode == 1 and "no capture #99" in missing.stderr


def test_workspace_from_environment_and_status(tmp_path: Path) -> None:
    home = tmp_path / "from-env"
    run_cli("init", env={"WORKSTATION_HOME": str(home)}, check=True)
    result = run_cli("status", "--json", env={"WORKSTATION_HOME": str(home),
                                               "WORKSTATION_ANALYST": "A. Analyst"})
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["path"] == str(home) and status["analyst"] == "A. Analyst"
    assert (home / "workspace.db").exists()
    text = run_cli("status", workspace=home, check=True).stdout
    assert "Captures:    0" in text


def test_analyst_setting_is_recorded(tmp_path: Path, image_file) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    run_cli("config", "analyst", "Jane Smith", workspace=ws, check=True)
    out = run_cli("import", str(image_file()), "--json", workspace=ws, check=True)
    cid = str(json.loads(out.stdout)["id"])
    assert json.loads(run_cli("show", cid, "--json", workspace=ws).stdout)["analyst"] == \
        "Jane Smith"


def test_second_writer_gets_workspace_in_use(tmp_path: Path, image_file) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time; from workstation.workspace import Workspace; "
         f"w = Workspace.open({str(ws)!r}); print('ready', flush=True); time.sleep(30)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        blocked = run_cli("import", str(image_file()), workspace=ws)
        assert blocked.returncode == 1 and "in use" in blocked.stderr
        assert run_cli("list", workspace=ws).returncode == 0  # reading is fine
    finally:
        holder.kill()
        holder.communicate()
    assert run_cli("import", str(image_file()), workspace=ws).returncode == 0


def test_no_progress_bar_when_piped(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.png").write_bytes(make_image(seed=100 + i, width=64, height=64))
    result = run_cli("import", str(folder), workspace=tmp_path / "ws")
    assert result.returncode == 0
    assert "\r" not in result.stderr and "%|" not in result.stderr
    assert "5 imported" in result.stderr


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("workstation ")


def test_ctrl_c_during_import_keeps_what_finished(tmp_path: Path) -> None:
    import signal

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        (folder / f"{i:02}.png").write_bytes(make_image(seed=300 + i, width=900, height=1600))
    ws = tmp_path / "ws"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "--workspace", str(ws), "import", str(folder),
         "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=interruptible)
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline())["status"] == "imported"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "kept" in err
    reported = 1 + len(out.splitlines())
    listed = json.loads(run_cli("list", "--json", workspace=ws, check=True).stdout)
    assert reported <= len(listed) < 60
    assert run_cli("verify", workspace=ws).returncode == 0

"""Per-item requests (action, priority, deadline, policy), items a platform cannot find
(no URL, no content id) and the observed time's source: core, manifest, CSV, README,
report, audit, and the CLI, on real workspaces and real packs."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.core.packs import support as support
from tests.core.packs.support import CLI_ENV, PASS_ENV, PASSPHRASE, Template, copy_ws, open_ws
from workstation.crypto.age import decrypt_file
from workstation.packs.format.portal import sealed_pack_rows
from workstation.packs.format.spec import PackError
from workstation.packs.models import ItemRequest
from workstation.workspace import Workspace

template = support.template  # fixture


@pytest.fixture
def ws(template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Test Analyst")
    with open_ws(copy_ws(template, tmp_path / "ws")) as opened:
        yield opened


def _members(pack_file: str | None, template: Template, tmp_path: Path) -> zipfile.ZipFile:
    assert pack_file is not None
    plain = tmp_path / "pack.zip"
    decrypt_file(pack_file, plain, template.age_key)
    return zipfile.ZipFile(plain)


def _tomorrow_noon() -> str:
    day = datetime.now(UTC) + timedelta(days=2)
    return day.strftime("%Y-%m-%dT12:00Z")


def test_each_item_carries_its_own_request_over_the_pack_defaults(
        ws: Workspace, template: Template, tmp_path: Path) -> None:
    a, b, _c = template.captures
    deadline = _tomorrow_noon()
    pack = ws.packs.build(template.tiktok_age, [a, b], reason="crossings", action="remove",
                          priority="normal", items={
                              a: ItemRequest(action="restrict", priority="urgent",
                                             deadline=deadline, policy="legal"),
                              b: ItemRequest(action="remove")})  # = the default: not stored
    stored = {i.capture_id: i.request for i in ws.packs.get(pack.ref).items}
    normalized = deadline.replace("Z", ":00.000Z")
    assert stored[a] == ItemRequest("restrict", "urgent", normalized, "legal")
    assert stored[b] == ItemRequest()  # '{}': the pack's values
    assert ws.packs.get(pack.ref).to_dict()["items"][1]["request"] == {}

    with _members(pack.file, template, tmp_path) as z:
        manifest = json.loads(z.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(z.read("indicators.csv").decode())))
        readme = z.read("README.txt").decode()
        report = z.read("report.html").decode()
        stix = z.read("stix.json").decode()
    first, second = manifest["items"]
    assert f"Requested: restrict (urgent) by {normalized} under legal." in stix
    assert (first["action"], first["priority"], first["deadline_utc"], first["policy"]) == (
        "restrict", "urgent", normalized, "legal")
    assert first["policy_basis"]["kind"] == "legal"
    assert first["no_locator_reason"] is None
    assert (second["action"], second["priority"], second["policy"]) == (
        "remove", "normal", "tiktok-human-exploitation")
    assert second["deadline_utc"] == manifest["requested_action"]["deadline_utc"]
    assert "policy_basis" not in second
    for row in rows:  # every indicator row says what is asked of its item
        assert row["action"] == ("restrict" if row["capture_id"] == str(a) else "remove")
    assert f"Item 1 (capture #{a}): RESTRICT, urgent, by {normalized}, policy legal" in readme
    assert f"capture #{b}" not in readme.split("WHAT WE ASK")[1].split("BASIS")[0]
    assert "RESTRICT, urgent, by " + normalized in report

    created = [e for e in ws.audit_entries() if e.action == "pack.create"][-1]
    assert created.details["item_requests"] == {
        str(a): {"action": "restrict", "priority": "urgent", "deadline": normalized,
                 "policy": "legal"}}


def test_an_item_of_another_priority_gets_that_priority_s_deadline(
        ws: Workspace, template: Template, tmp_path: Path) -> None:
    a, b, _c = template.captures
    pack = ws.packs.build(template.tiktok_age, [a, b], items={a: ItemRequest(priority="urgent")})
    with _members(pack.file, template, tmp_path) as z:
        manifest = json.loads(z.read("manifest.json"))
    created = datetime.fromisoformat(manifest["created_utc"].replace("Z", "+00:00"))
    urgent = datetime.fromisoformat(manifest["items"][0]["deadline_utc"].replace("Z", "+00:00"))
    normal = datetime.fromisoformat(manifest["items"][1]["deadline_utc"].replace("Z", "+00:00"))
    assert urgent - created == timedelta(hours=24) and normal - created == timedelta(hours=72)
    # "Copy for web form" rebuilds the rows from the record: the same deadlines
    with _members(pack.file, template, tmp_path) as z:
        sheet = list(csv.DictReader(io.StringIO(z.read("portal.csv").decode("utf-8"))))
    copied = sealed_pack_rows(ws.packs.get(pack.ref), ws.captures.by_ids([a, b]))
    assert [(r.capture_id, r.priority, r.deadline_utc) for r in copied] == [
        (int(r["capture_id"]), r["priority"], r["deadline_utc"]) for r in sheet]
    assert [r.deadline_utc for r in copied] == [i["deadline_utc"] for i in manifest["items"]]


def test_a_deadline_typed_equal_to_the_pack_s_is_kept_with_another_priority(
        ws: Workspace, template: Template, tmp_path: Path) -> None:
    a, b, _c = template.captures
    first = ws.packs.build(template.tiktok_age, [a])
    with _members(first.file, template, tmp_path) as z:
        typed = json.loads(z.read("manifest.json"))["requested_action"]["deadline_utc"]
    # An urgent item whose analyst typed a time that happens to be a normal pack's
    # deadline keeps that time (not created + 24 h).
    pack = ws.packs.build(template.tiktok_age, [a, b],
                          items={a: ItemRequest(priority="urgent", deadline=typed)})
    with _members(pack.file, template, tmp_path / "second") as z:
        manifest = json.loads(z.read("manifest.json"))
    default = manifest["requested_action"]["deadline_utc"]
    want = datetime.fromisoformat(typed.replace("Z", "+00:00"))
    got = datetime.fromisoformat(manifest["items"][0]["deadline_utc"].replace("Z", "+00:00"))
    assert manifest["items"][0]["priority"] == "urgent"
    assert got == want and abs(got - datetime.fromisoformat(default.replace("Z", "+00:00"))) \
        < timedelta(minutes=5)


@pytest.mark.parametrize(("request_", "expected"), [
    (ItemRequest(action="delete"), "unknown action 'delete'"),
    (ItemRequest(priority="asap"), "unknown priority 'asap'"),
    (ItemRequest(policy="no-such-clause"), "tiktok has no policy 'no-such-clause'"),
    (ItemRequest(deadline="next tuesday"), "deadline 'next tuesday' is not a time"),
    (ItemRequest(deadline="2020-01-01T00:00Z"), "is already past"),
])
def test_a_bad_item_request_is_refused_naming_the_item(
        ws: Workspace, template: Template, request_: ItemRequest, expected: str) -> None:
    a, b, _c = template.captures
    with pytest.raises(PackError) as refused:
        ws.packs.build(template.tiktok_age, [a, b], items={b: request_})
    message = str(refused.value)
    assert message.startswith(f"Capture #{b}: ") and expected in message
    assert "\n" not in message
    assert ws.packs.all() == []  # nothing recorded


def test_a_request_for_a_capture_not_in_the_pack_is_refused(
        ws: Workspace, template: Template) -> None:
    a, b, c = template.captures
    with pytest.raises(PackError, match=f"capture #{c} which is not in the pack"):
        ws.packs.build(template.tiktok_age, [a, b], items={c: ItemRequest(action="restrict")})


def test_an_item_a_platform_cannot_find_needs_a_reason(
        ws: Workspace, template: Template, tmp_path: Path) -> None:
    a, b, _c = template.captures
    ws.captures.edit(b, source_url="", content_id="")
    assert ws.captures.get(b).content_id is None
    readiness = {r.capture_id: r for r in ws.packs.readiness([a, b], template.tiktok_age)}
    assert readiness[b].no_locator and not readiness[a].no_locator
    assert "no source URL or content id" in readiness[b].checks

    with pytest.raises(PackError) as refused:
        ws.packs.build(template.tiktok_age, [a, b])
    assert str(refused.value).startswith(f"Capture #{b} has no URL and no content id")
    assert "--allow-no-url" in str(refused.value) and ws.packs.all() == []

    reason = "Post deleted before its URL was noted; the account is in the screenshot"
    pack = ws.packs.build(template.tiktok_age, [a, b],
                          items={a: ItemRequest(no_locator_reason="not needed"),
                                 b: ItemRequest(no_locator_reason=reason)})
    stored = {i.capture_id: i.request for i in ws.packs.get(pack.ref).items}
    assert stored[b] == ItemRequest(no_locator_reason=reason)
    assert stored[a] == ItemRequest()  # a has a URL: no reason kept
    with _members(pack.file, template, tmp_path) as z:
        manifest = json.loads(z.read("manifest.json"))
        readme = z.read("README.txt").decode()
    assert manifest["items"][1]["no_locator_reason"] == reason
    assert manifest["items"][1]["url"] is None
    assert f"sent because: {reason}" in readme
    created = [e for e in ws.audit_entries() if e.action == "pack.create"][-1]
    assert created.details["item_requests"] == {str(b): {"no_locator_reason": reason}}


def test_a_content_id_is_enough_to_find_an_item(ws: Workspace, template: Template) -> None:
    a, b, _c = template.captures
    ws.captures.edit(b, source_url="", content_id="9911")
    readiness = {r.capture_id: r for r in ws.packs.readiness([a, b], template.tiktok_age)}
    assert not readiness[b].no_locator and "no source URL" in readiness[b].checks
    assert ws.packs.build(template.tiktok_age, [a, b]).state == "sealed"


def test_the_observed_time_source_is_known_and_a_file_time_flagged(
        ws: Workspace, template: Template, tmp_path: Path) -> None:
    a, b, _c = template.captures
    ws.captures.edit(a, captured_at="2026-11-30T10:00:00Z")
    readiness = {r.capture_id: r for r in ws.packs.readiness([a, b], template.tiktok_age)}
    assert readiness[a].observed_source == "analyst" and not readiness[a].weak_time
    assert readiness[b].observed_source == "file" and readiness[b].weak_time
    pack = ws.packs.build(template.tiktok_age, [a, b])
    with _members(pack.file, template, tmp_path) as z:
        manifest = json.loads(z.read("manifest.json"))
        report = z.read("report.html").decode()
    assert [i["observed_time_source"] for i in manifest["items"]] == ["analyst", "file"]
    assert report.count("only the file's time") == 1


def test_cli_item_requests_no_url_reasons_and_warnings(template: Template,
                                                       tmp_path: Path) -> None:
    ws = copy_ws(template, tmp_path / "ws")
    a, b, _c = template.captures
    run_cli("edit", str(b), "--url", "", "--content-id", "", workspace=ws, check=True)
    common = ["pack", "build", "--contact", str(template.tiktok_age), "--captures", f"{a},{b}",
              "--passphrase-env", PASS_ENV]

    refused = run_cli(*common, "-o", str(tmp_path), workspace=ws, env=CLI_ENV)
    assert refused.returncode != 0
    error = [line for line in refused.stderr.splitlines() if line.strip()][-1]
    assert f"#{b} has no URL and no content id" in error and "Traceback" not in refused.stderr

    bad = run_cli(*common, "--item", f"{a}:action=delete", "-o", str(tmp_path),
                  "--allow-no-url", f"{b}:gone", workspace=ws, env=CLI_ENV)
    assert bad.returncode != 0 and f"Capture #{a}: unknown action 'delete'" in bad.stderr
    malformed = run_cli(*common, "--item", f"{a}:colour=red", "-o", str(tmp_path),
                        workspace=ws, env=CLI_ENV)
    assert malformed.returncode != 0 and "KEY one of action, priority" in malformed.stderr

    deadline = _tomorrow_noon()
    built = run_cli(*common, "--item", f"{a}:action=preserve,priority=urgent,deadline={deadline}",
                    "--allow-no-url", f"{b}:deleted before the URL was noted", "-o",
                    str(tmp_path), "--json", workspace=ws, env=CLI_ENV)
    assert built.returncode == 0, built.stderr
    assert f"warning: the observed time of capture #{a}, #{b} is only the file's" in built.stderr
    pack = json.loads(built.stdout)
    requests = {i["capture_id"]: i["request"] for i in pack["items"]}
    assert requests[a]["action"] == "preserve" and requests[a]["priority"] == "urgent"
    assert requests[b] == {"no_locator_reason": "deleted before the URL was noted"}
    shown = run_cli("pack", "show", pack["ref"], workspace=ws, check=True).stdout
    assert "[action preserve, priority urgent, deadline " in shown
    assert "[no URL or content id: deleted before the URL was noted]" in shown

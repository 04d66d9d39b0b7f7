"""Exhibit references (``ws.exhibits``): AB/1 from the analyst's initials, assigned once
per capture, never reused, audited; optionally at import."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from workstation.errors import NotFound
from workstation.evidence.exhibits import ExhibitError, check_ref, initials
from workstation.models import CaptureMeta
from workstation.workspace import Workspace


def _import(ws: Workspace, image_file: Callable[..., Path], n: int,
            case: str | None = None) -> list[int]:
    return [ws.intake.import_file(image_file(), CaptureMeta(case=case)).id for _ in range(n)]


@pytest.mark.parametrize(("name", "expected"), [
    ("Alice Brown", "AB"), ("alice brown", "AB"), ("Mary Jane Smith", "MJS"),
    ("alice", "AL"), ("  Bob  ", "BO"), ("O'Neil Smith", "OS"), ("محمد علي", "مع"),
    ("ሰላም", "ሰላ"), ("", "X"), ("123 456", "X"), ("x", "X"),
])
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


@pytest.mark.parametrize("ref", ["AB/1", "ab-12.3", "7", "X" * 32, "مع/4"])
def test_sane_references_are_accepted(ref: str) -> None:
    assert check_ref(f" {ref} ") == ref


@pytest.mark.parametrize("ref", ["", " ", "/AB", "AB 1", "AB_1", "X" * 33, "AB;1", "a\nb",
                                 "-1", "AB/1'"])
def test_malformed_references_are_refused(ref: str) -> None:
    with pytest.raises(ExhibitError, match="not a valid exhibit reference"):
        check_ref(ref)


def test_default_refs_number_per_initials_and_are_audited(
        ws: Workspace, image_file: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    a, b, c, d = _import(ws, image_file, 4)
    assert ws.exhibits.ref_for(a) is None
    assert ws.exhibits.assign(a) == "AB/1"
    assert ws.exhibits.assign(b) == "AB/2"
    assert ws.exhibits.assign(a) == "AB/1"  # idempotent: no second entry
    monkeypatch.setenv("WORKSTATION_ANALYST", "Carol Davies")
    assert ws.exhibits.assign(c) == "CD/1"
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    assert ws.exhibits.assign(d) == "AB/3"
    assert ws.exhibits.refs_for([a, b, c, d, 999]) == {a: "AB/1", b: "AB/2", c: "CD/1",
                                                        d: "AB/3"}
    entries = [e for e in ws.audit.entries() if e.action == "exhibit.assign"]
    assert [(e.subject, e.details["ref"], e.analyst) for e in entries] == [
        (f"capture:{a}", "AB/1", "Alice Brown"), (f"capture:{b}", "AB/2", "Alice Brown"),
        (f"capture:{c}", "CD/1", "Carol Davies"), (f"capture:{d}", "AB/3", "Alice Brown")]
    assert ws.verify().ok


def test_given_refs_must_be_free_and_never_change(
        ws: Workspace, image_file: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    a, b, c = _import(ws, image_file, 3)
    assert ws.exhibits.assign(a, "AB/7") == "AB/7"
    # the next default continues after the highest number used with those initials
    assert ws.exhibits.assign(b) == "AB/8"
    with pytest.raises(ExhibitError, match=r"already has the exhibit reference AB/7"):
        ws.exhibits.assign(a, "AB/9")
    assert ws.exhibits.assign(a, "ab/7") == "AB/7"  # the same reference: no change
    with pytest.raises(ExhibitError, match=r"ab/8 is already used \(by capture #"):
        ws.exhibits.assign(c, "ab/8")  # compared without case
    with pytest.raises(ExhibitError, match="not a valid"):
        ws.exhibits.assign(c, "AB 10")
    with pytest.raises(NotFound, match="no capture #999"):
        ws.exhibits.assign(999)
    assert ws.exhibits.ref_for(c) is None
    assert len([e for e in ws.audit.entries() if e.action == "exhibit.assign"]) == 2


def test_a_number_is_never_reused_even_if_its_row_were_gone(
        ws: Workspace, image_file: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    a, b = _import(ws, image_file, 2)
    assert ws.exhibits.assign(a) == "AB/1"
    ws.conn.execute("DELETE FROM exhibits")  # tampering outside the application
    assert ws.exhibits.assign(b) == "AB/2"
    with pytest.raises(ExhibitError, match="a capture no longer present"):
        ws.exhibits.assign(a, "AB/1")


def test_concurrent_assignments_give_distinct_refs(
        ws: Workspace, image_file: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    ids = _import(ws, image_file, 8)
    got: dict[int, str] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(ids))

    def worker(cid: int) -> None:
        try:
            start.wait()
            got[cid] = ws.exhibits.assign(cid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(cid,)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got.values(), key=lambda r: int(r.split("/")[1])) == [
        f"AB/{n}" for n in range(1, 9)]
    assert ws.exhibits.refs_for(ids) == got


def test_assignment_at_capture_when_the_setting_is_on(
        ws: Workspace, image_file: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    (before,) = _import(ws, image_file, 1)
    assert ws.exhibits.ref_for(before) is None
    ws.set_setting("exhibit_at_capture", "on")
    a, b = _import(ws, image_file, 2)
    assert ws.exhibits.refs_for([before, a, b]) == {a: "AB/1", b: "AB/2"}
    seqs = {e.action: e.seq for e in ws.audit.entries([f"capture:{a}"])}
    assert seqs["exhibit.assign"] > seqs["capture.import"]
    ws.set_setting("exhibit_at_capture", "off")
    (after,) = _import(ws, image_file, 1)
    assert ws.exhibits.ref_for(after) is None
    assert ws.verify().ok


def test_verify_finds_references_changed_outside_the_application(
        ws: Workspace, image_file: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    a, b, c = _import(ws, image_file, 3)
    ws.exhibits.assign(a)
    ws.exhibits.assign(b)
    assert ws.verify().ok
    ws.conn.execute("UPDATE exhibits SET ref = 'AB/9' WHERE capture_id = ?", (a,))
    ws.conn.execute("DELETE FROM exhibits WHERE capture_id = ?", (b,))
    ws.conn.execute("INSERT INTO exhibits VALUES (?, 'ZZ/1', '2026-01-01T00:00:00Z', 'x')",
                    (c,))
    messages = sorted(p.message for p in ws.verify().problems)
    assert messages == [
        f"exhibit reference 'AB/2' of capture #{b} is missing",
        f"exhibit reference 'ZZ/1' of capture #{c} has no audit entry",
        f"exhibit reference of capture #{a} is 'AB/9' but 'AB/1' according to the audit trail",
    ]

"""Case bundles between two (three) real workspaces with real keys: export -> import ->
export again gives the same evidence and metadata; a second import changes nothing;
tampered, truncated, re-signed, wrong-recipient and re-addressed bundles are refused
with a named cause and change nothing; conflicts are reported, never written over."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pyrage
import pytest

from tests.core.exchange.conftest import Opener, add_captures, introduce
from workstation.crypto.age import load_identities
from workstation.exchange.bundle import SUMS
from workstation.exchange.opening import BundleRefused, OpenedBundle, open_bundle
from workstation.exchange.records import CAPTURE_FIELDS, RUN_FIELDS
from workstation.packs.format.spec import compact_fingerprint
from workstation.packs.trail import key_fingerprint
from workstation.workspace import Workspace

CASE = "Op Tide"


def _prepared(analysts: Opener, tmp_path: Path, *, read: bool = False,
              ) -> tuple[Workspace, Workspace, int, int]:
    """Alice's workspace with a redacted and exhibited case (with ``read``: read by OCR
    and reviewed too); Bob's, empty; each the other's colleague.  (alice, bob, bob's id
    at alice, alice's id at bob)"""
    alice = analysts("alice", "Alice Brown")
    bob = analysts("bob", "Bob Carter")
    to_bob = introduce(alice, bob, "Bob Carter")
    to_alice = introduce(bob, alice, "Alice Brown")
    ids = add_captures(alice, tmp_path / "adverts", CASE, ["+44 7700 900123", "+44 7700 900456"])
    if read:
        list(alice.reading.run_ocr(ids, lang="eng", jobs=1))
        phones = [i for i in alice.reading.indicators(ids[0]) if i.kind == "phone"]
        assert phones, "Tesseract read no phone number from the advert"
        alice.review.confirm(ids[0], "phone", phones[0].normalized)
    alice.exhibits.assign(ids[0])
    alice.redactions.redact(ids[0], [_box(10, 10, 80, 40, "face")])
    alice.captures.edit(ids[1], notes="second advert, same number format")
    return alice, bob, to_bob, to_alice


def _box(x: int, y: int, w: int, h: int, reason: str) -> Any:
    from workstation.redaction.model import Box
    return Box(x, y, w, h, reason)


def _open(ws: Workspace, path: Path) -> OpenedBundle:
    """Open a bundle as ``ws`` would, without merging."""
    own = ws.keys.archive_recipient()
    mine = {compact_fingerprint(key_fingerprint(own))}

    def trusted(key_id: str) -> Any:
        colleague = ws.colleagues.by_minisign_id(key_id)
        return colleague.public_key() if colleague else None

    return open_bundle(path, load_identities([ws.keys.archive_identity()]), mine, trusted)


def _comparable(opened: OpenedBundle) -> dict[str, Any]:
    """What must survive a round trip: the evidence and its metadata."""
    captures = {}
    for c in opened.records["captures"]:
        captures[c["sha256"]] = {
            **{k: c[k] for k in CAPTURE_FIELDS}, "tags": c["tags"],
            "exhibit": (c["exhibit"] or {}).get("ref"),
            "ocr_runs": [{k: r[k] for k in RUN_FIELDS} for r in c["ocr_runs"]],
            "indicators": sorted((i["kind"], i["normalized"], i["status"])
                                 for i in c["indicators"]),
            "reviews": [(r["kind"], r["normalized"], r["verdict"]) for r in c["reviews"]],
            "redactions": [(r["sha256"], r["log_sha256"], r["boxes"]) for r in c["redactions"]],
            "evidence": opened.digests[c["file"]].sha256,
        }
    return {"case": opened.records["case"]["name"], "captures": captures}


def _state(ws: Workspace) -> tuple[int, int, int]:
    return ws.audit.count(), len(ws.captures.all()), len(ws.exchange.imports())


def test_round_trip_gives_the_same_evidence_and_metadata(analysts: Opener,
                                                         tmp_path: Path) -> None:
    alice, bob, to_bob, to_alice = _prepared(analysts, tmp_path, read=True)
    first = tmp_path / "first.casebundle.age"
    exported = alice.exchange.export_case(CASE, first, [to_bob])
    assert exported.captures == 2 and first.stat().st_size == exported.size

    summary = bob.exchange.import_case(first)
    assert (summary.case, summary.sender, summary.colleague) == (CASE, "Alice Brown",
                                                                 "Alice Brown")
    assert summary.case_created and len(summary.added) == 2 and not summary.conflicts
    assert (summary.ocr_runs, summary.verdicts, summary.exhibits, summary.redactions) == \
        (2, 1, 1, 1)
    report = bob.verify()
    assert report.ok, report.problems
    entry = [e for e in bob.audit.entries() if e.action == "case.import"][-1]
    head = alice.audit.head()
    assert head is not None
    # continuity across workspaces: who sent it, the bundle, the sender's chain head
    assert entry.details["bundle_sha256"] == exported.sha256
    assert entry.details["sender"] == "Alice Brown"
    assert entry.details["foreign_head"]["hash"] in {e.hash for e in alice.audit.entries()}
    redacted = [e for e in bob.audit.entries() if e.action == "capture.redact"]
    assert [e.details["received"]["from"] for e in redacted] == ["Alice Brown"]
    assert redacted[0].details["received"]["created_by"] == "Alice Brown"

    second = tmp_path / "second.casebundle.age"
    bob.exchange.export_case(CASE, second, [to_alice])
    one, two = _open(bob, first), _open(alice, second)
    try:
        assert _comparable(one) == _comparable(two)
        # the second bundle carries Bob's import entry and Alice's chain is named in it
        actions = [e["action"] for e in two.records["audit"]["entries"]]
        assert "case.import" in actions
    finally:
        one.close()
        two.close()


def test_importing_twice_changes_nothing_the_second_time(analysts: Opener,
                                                        tmp_path: Path) -> None:
    alice, bob, to_bob, _ = _prepared(analysts, tmp_path)
    bundle = tmp_path / "b.casebundle.age"
    alice.exchange.export_case(CASE, bundle, [to_bob])
    bob.exchange.import_case(bundle)
    before = _state(bob)
    again = bob.exchange.import_case(bundle)
    assert again.already_imported and not again.added
    assert _state(bob) == before
    # the import's record is replayed by verify: a sender changed behind its back shows
    assert bob.verify().ok
    bob.conn.execute("UPDATE case_imports SET sender = 'Someone Else'")
    problems = bob.verify().problems
    assert [p.kind for p in problems] == ["record-altered"] and "sender" in problems[0].message


def _refused(ws: Workspace, path: Path, cause: str) -> None:
    before = _state(ws)
    with pytest.raises(BundleRefused) as caught:
        ws.exchange.import_case(path)
    assert caught.value.cause == cause, str(caught.value)
    assert "Nothing was changed" in str(caught.value)
    assert _state(ws) == before
    assert not list((ws.root / "evidence").glob("*/*/*"))


def test_tampered_and_truncated_bundles_are_refused(analysts: Opener, tmp_path: Path) -> None:
    alice, bob, to_bob, _ = _prepared(analysts, tmp_path)
    bundle = tmp_path / "b.casebundle.age"
    alice.exchange.export_case(CASE, bundle, [to_bob])
    data = bundle.read_bytes()
    tampered = tmp_path / "tampered.casebundle.age"
    middle = len(data) // 2
    tampered.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:])
    _refused(bob, tampered, "damaged")
    truncated = tmp_path / "truncated.casebundle.age"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    _refused(bob, truncated, "damaged")


def test_a_bundle_for_other_colleagues_is_refused(analysts: Opener, tmp_path: Path) -> None:
    alice, bob, _, _ = _prepared(analysts, tmp_path)
    carol = analysts("carol", "Carol Diaz")
    to_carol = introduce(alice, carol, "Carol Diaz")
    bundle = tmp_path / "for-carol.casebundle.age"
    alice.exchange.export_case(CASE, bundle, [to_carol])
    _refused(bob, bundle, "wrong-recipient")


def test_a_bundle_signed_by_someone_not_a_colleague_is_refused(analysts: Opener,
                                                               tmp_path: Path) -> None:
    _alice, bob, _, _ = _prepared(analysts, tmp_path)
    mallory = analysts("mallory", "Mallory")
    to_bob = introduce(mallory, bob, "Bob Carter")  # Bob never added Mallory
    add_captures(mallory, tmp_path / "m", CASE, ["+44 7700 900999"])
    bundle = tmp_path / "mallory.casebundle.age"
    mallory.exchange.export_case(CASE, bundle, [to_bob])
    _refused(bob, bundle, "unknown-signer")


def _rewrite(source: Path, identity: str, recipient: str, dest: Path,
             change: Any = None) -> None:
    """Decrypt ``source``, optionally change one member, and encrypt the ZIP again to
    ``recipient`` (what someone holding one recipient's key could do)."""
    plain = pyrage.decrypt(source.read_bytes(), load_identities([identity]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if change is not None:
                data = change(info.filename, data)
            zout.writestr(info.filename, data)
    dest.write_bytes(pyrage.encrypt(out.getvalue(), [pyrage.x25519.Recipient.from_str(
        recipient)]))


def test_a_changed_or_re_encrypted_bundle_is_refused(analysts: Opener, tmp_path: Path) -> None:
    alice, bob, to_bob, _ = _prepared(analysts, tmp_path)
    carol = analysts("carol", "Carol Diaz")
    introduce(carol, alice, "Alice Brown")
    bundle = tmp_path / "b.casebundle.age"
    alice.exchange.export_case(CASE, bundle, [to_bob])
    bob_identity = bob.keys.archive_identity()

    def notes(name: str, data: bytes) -> bytes:
        return data.replace(b"seen on a public group", b"seen on a private group") \
            if name == "case.json" else data

    changed = tmp_path / "changed.casebundle.age"
    _rewrite(bundle, bob_identity, bob.keys.archive_recipient(), changed, notes)
    _refused(bob, changed, "changed-file")

    def sums(name: str, data: bytes) -> bytes:  # the listing changed to match: signature
        return data + b"0" * 64 + b"  extra\n" if name == SUMS else data

    resigned = tmp_path / "sums.casebundle.age"
    _rewrite(bundle, bob_identity, bob.keys.archive_recipient(), resigned, sums)
    _refused(bob, resigned, "signature")

    # Bob passes Alice's bundle on to Carol: it was not addressed to her
    forwarded = tmp_path / "forwarded.casebundle.age"
    _rewrite(bundle, bob_identity, carol.keys.archive_recipient(), forwarded)
    _refused(carol, forwarded, "not-addressed")


def test_metadata_conflicts_are_shown_and_nothing_is_overwritten(analysts: Opener,
                                                                 tmp_path: Path) -> None:
    alice, bob, to_bob, _ = _prepared(analysts, tmp_path)
    # Bob already holds the first advert (same bytes), with his own notes, in no case
    original = alice.captures.get(alice.captures.all()[0].id)
    copy = tmp_path / "same.png"
    copy.write_bytes(alice.store.read_verified(original.sha256))
    from workstation.models import CaptureMeta
    mine = next(bob.intake.import_paths([copy], CaptureMeta(notes="Bob's own notes")))
    bundle = tmp_path / "b.casebundle.age"
    alice.exchange.export_case(CASE, bundle, [to_bob])
    summary = bob.exchange.import_case(bundle)
    assert summary.present == [mine.id] and len(summary.added) == 1
    fields = {c.field for c in summary.conflicts}
    assert {"notes", "tags", "case", "source_url"} <= fields
    assert bob.captures.get(mine.id).notes == "Bob's own notes"
    assert bob.captures.get(mine.id).case is None
    assert bob.verify().ok
    row = bob.exchange.imports(CASE)[0]
    assert row["bundle_sha256"] == summary.bundle_sha256


DAMAGES = ("tags-not-a-list", "run-not-an-object", "bad-platform", "negative-box",
           "capture-twice", "not-a-time")


def test_signed_records_of_the_wrong_shape_are_refused(analysts: Opener,
                                                       tmp_path: Path) -> None:
    """Signed by a colleague, still input: a value of the wrong type is named, nothing
    merged, never a traceback."""
    from workstation.exchange.bundle import write_bundle
    from workstation.exchange.caseuco import case_uco_document
    from workstation.exchange.records import Gatherer

    alice, bob, to_bob, _ = _prepared(analysts, tmp_path)
    case = alice.cases.get(CASE)
    captures = alice.captures.all()
    key = alice.keys.signing_key()
    gatherer = Gatherer(alice.ctx, alice.exchange._repo, alice.reading, alice.redactions)
    for damage in DAMAGES:
        gathered = gatherer.gather(case, captures, key.key_id_hex)
        jsonld = case_uco_document(gathered.records)
        first = gathered.records["captures"][0]
        if damage == "tags-not-a-list":
            first["tags"] = "boat"
        elif damage == "run-not-an-object":
            first["ocr_runs"] = ["text"]
        elif damage == "bad-platform":
            first["platform"] = "myspace"
        elif damage == "negative-box":
            first["redactions"][0]["boxes"][0]["x"] = -5
        elif damage == "capture-twice":
            gathered.records["captures"].append(dict(first))
        elif damage == "not-a-time":
            first["captured_at"] = "last Tuesday"
        bundle = tmp_path / f"{damage}.casebundle.age"
        write_bundle(gathered, jsonld, key, alice.exchange.recipients_for([to_bob]), bundle)
        _refused(bob, bundle, "records")

"""Case bundles that pass the signature but say something malformed or false.

A colleague's key may be stolen, or their workspace may have a bug: a bundle correctly
signed by a colleague is still checked before anything is merged.  Whatever is wrong in
``case.json`` (a wrong JSON type anywhere, a capture given twice, an exhibit reference of
a form this workspace refuses, an MD5 that is not the original's) must be refused with
:class:`BundleRefused` -- one sentence, not a ``TypeError`` -- or kept out of the
records, and must leave nothing behind: no row, no audit entry, no file under
``evidence/``, ``thumbs/``, ``redacted/`` or ``tmp/``.  And a merge that fails at its very
end (the import row cannot be written) leaves nothing either.

The bundles are re-signed with the sender's own key after the change, as a stolen key or
a faulty sender would; each import runs on a fresh copy of the same receiving workspace."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest
from PIL import Image

from tests.core.exchange.conftest import PASS_ENV, add_captures, introduce
from workstation.crypto import signing
from workstation.crypto.age import load_identities
from workstation.errors import WorkstationError
from workstation.evidence.exhibits import REF_RE
from workstation.exchange.bundle import MANIFEST, RECORDS, SUMS, SUMS_SIG, json_bytes
from workstation.exchange.opening import BundleRefused
from workstation.redaction.model import Box
from workstation.storage.exchange_repo import ExchangeRepo
from workstation.workspace import Workspace

CASE = "Op Tide"
Change = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class World:
    """Alice's bundle for Bob, what re-signing it needs, and Bob's workspace before."""

    folder: Path
    bundle: Path
    bob: Path                   # Bob's workspace as it was before any import (a copy)
    bob_identity: str
    bob_recipient: str
    alice_key: signing.SigningKey


def _open(path: Path, analyst: str) -> Workspace:
    new = not path.exists()
    ws = Workspace.open(path)
    ws.keys.use_secrets(passphrase_env=PASS_ENV)
    if new:
        ws.set_setting("analyst", analyst)
        ws.keys.init()
    return ws


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, "correct horse battery staple")
        mp.setenv("WORKSTATION_SECRET_BACKEND", "file")
        mp.delenv("WORKSTATION_ANALYST", raising=False)
        folder = tmp_path_factory.mktemp("hostile")
        alice = _open(folder / "alice", "Alice Brown")
        bob = _open(folder / "bob", "Bob Carter")
        try:
            to_bob = introduce(alice, bob, "Bob Carter")
            introduce(bob, alice, "Alice Brown")
            ids = add_captures(alice, folder / "adverts", CASE,
                               ["+44 7700 900123", "+44 7700 900456"])
            alice.exhibits.assign(ids[0])
            alice.redactions.redact(ids[0], [Box(10, 10, 80, 40, "face")])
            bundle = folder / "b.casebundle.age"
            alice.exchange.export_case(CASE, bundle, [to_bob])
            identity, recipient = bob.keys.archive_identity(), bob.keys.archive_recipient()
            key = alice.keys.signing_key()
        finally:
            bob.close()
            alice.close()
        pristine = folder / "bob-before"
        shutil.copytree(folder / "bob", pristine)
        yield World(folder, bundle, pristine, identity, recipient, key)


@pytest.fixture
def bob(world: World, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh copy of Bob's workspace as it was before any import."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, "correct horse battery staple")
        mp.setenv("WORKSTATION_SECRET_BACKEND", "file")
        mp.delenv("WORKSTATION_ANALYST", raising=False)
        path = tmp_path / "bob"
        shutil.copytree(world.bob, path)
        ws = _open(path, "Bob Carter")
        try:
            yield ws
        finally:
            ws.close()


def _resigned(world: World, change: Change, dest: Path) -> Path:
    """The bundle with ``case.json`` changed, listed, signed with Alice's key and
    encrypted to Bob again: what a stolen key (or a faulty sender) could make."""
    plain = pyrage.decrypt(world.bundle.read_bytes(), load_identities([world.bob_identity]))
    with zipfile.ZipFile(io.BytesIO(plain)) as zin:
        members = {info.filename: zin.read(info) for info in zin.infolist()}
    records = json.loads(members[RECORDS])
    change(records)
    members[RECORDS] = json_bytes(records)
    manifest = json.loads(members[MANIFEST])
    for entry in manifest["files"]:
        if entry["name"] == RECORDS:
            entry["size"] = len(members[RECORDS])
            entry["sha256"] = hashlib.sha256(members[RECORDS]).hexdigest()
    members[MANIFEST] = json_bytes(manifest)
    listed = [n for n in members if n not in (SUMS, SUMS_SIG)]
    members[SUMS] = "".join(f"{hashlib.sha256(members[n]).hexdigest()}  {n}\n"
                            for n in listed).encode("utf-8")
    comment = next(line.split(": ", 1)[1]
                   for line in members[SUMS_SIG].decode("utf-8").splitlines()
                   if line.startswith("trusted comment: "))
    hasher = signing.minisign_hasher()
    hasher.update(members[SUMS])
    members[SUMS_SIG] = signing.sign_digest(
        world.alice_key, hasher.digest(), comment,
        untrusted_comment="re-signed by the test").encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    dest.write_bytes(pyrage.encrypt(out.getvalue(), [
        pyrage.x25519.Recipient.from_str(world.bob_recipient)]))
    return dest


def _files(ws: Workspace) -> list[str]:
    return sorted(str(p.relative_to(ws.root)) for sub in ("evidence", "thumbs", "redacted",
                                                          "tmp")
                  for p in (ws.root / sub).rglob("*") if p.is_file())


def _state(ws: Workspace) -> tuple[int, int, int, list[str]]:
    return ws.audit.count(), len(ws.captures.all()), len(ws.exchange.imports()), _files(ws)


def _refused_unchanged(ws: Workspace, path: Path) -> BundleRefused:
    before = _state(ws)
    try:
        ws.exchange.import_case(path)
    except BundleRefused as exc:
        refused = exc
    except Exception as exc:  # what this test is about: not a one-sentence refusal
        after = _state(ws)
        pytest.fail(f"{type(exc).__name__} instead of BundleRefused: {exc}"
                    + ("" if after == before else f"; and it changed {before} -> {after}"))
    else:
        pytest.fail("the bundle was imported")
    assert "Nothing was changed" in str(refused)
    assert _state(ws) == before
    return refused


def _first(records: dict[str, Any]) -> dict[str, Any]:
    capture: dict[str, Any] = records["captures"][0]
    return capture


def _last(records: dict[str, Any]) -> dict[str, Any]:
    capture: dict[str, Any] = records["captures"][-1]
    return capture


def _run(**fields: Any) -> dict[str, Any]:
    run = {"engine": "tesseract", "engine_version": "5", "languages": "eng", "params": {},
           "text": "Call +44 7700 900456", "words": [], "confidence": 90.0, "duration": 1.0,
           "created_at": "2026-12-06T10:00:00.000Z", "analyst": "Alice Brown",
           "advert_languages": "", "coverage": 1.0, "unread": []}
    return {**run, **fields}


MALFORMED: dict[str, Change] = {
    "tags-as-text": lambda r: _last(r).update(tags="boat"),
    "exhibit-not-an-object": lambda r: _first(r).update(exhibit="AB/1"),
    "redaction-not-an-object": lambda r: _first(r)["redactions"].append("redacted"),
    "ocr-runs-as-text": lambda r: _last(r).update(ocr_runs="none"),
    "ocr-run-text-a-number": lambda r: _last(r).update(ocr_runs=[_run(text=5)]),
    "ocr-run-duration-text": lambda r: _last(r).update(ocr_runs=[_run(duration="slow")]),
    "review-without-kind": lambda r: _last(r).update(reviews=[{"verdict": "confirmed"}]),
    "notes-an-object": lambda r: _last(r).update(notes={"text": "x"}),
    "unknown-capture-method": lambda r: _last(r).update(capture_method="teleport"),
    "capture-given-twice": lambda r: r["captures"].append(copy.deepcopy(_last(r))),
    "timestamp-file-a-list": lambda r: r.update(timestamps=[{"file": []}]),
    "audit-entry-without-hash": lambda r: r["audit"]["entries"][0].pop("hash"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_records_are_refused_and_change_nothing(world: World, bob: Workspace,
                                                          tmp_path: Path, name: str) -> None:
    bundle = _resigned(world, MALFORMED[name], tmp_path / f"{name}.casebundle.age")
    _refused_unchanged(bob, bundle)


def test_the_control_bundle_imports(world: World, bob: Workspace, tmp_path: Path) -> None:
    """Re-signing as the tests do, with nothing changed, gives a bundle Bob takes: the
    refusals above are about what was changed."""
    bundle = _resigned(world, lambda r: None, tmp_path / "same.casebundle.age")
    summary = bob.exchange.import_case(bundle)
    assert len(summary.added) == 2 and not summary.conflicts
    assert bob.verify().ok


def test_the_md5_and_image_facts_recorded_are_the_originals(world: World, bob: Workspace,
                                                           tmp_path: Path) -> None:
    """The receiver records the MD5, format and size in pixels of the bytes it holds, or
    refuses a bundle that says otherwise -- never the sender's word for them."""
    def change(records: dict[str, Any]) -> None:
        _last(records).update(md5="0" * 32, width=3, height=2, format="GIF")

    bundle = _resigned(world, change, tmp_path / "md5.casebundle.age")
    try:
        summary = bob.exchange.import_case(bundle)
    except BundleRefused:
        return
    for capture_id in summary.added:
        capture = bob.captures.get(capture_id)
        data = bob.store.read_verified(capture.sha256)
        with Image.open(io.BytesIO(data)) as image:
            facts = (str(image.format).lower(), image.width, image.height)
        assert capture.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert (str(capture.format).lower(), capture.width, capture.height) == facts


def test_an_exhibit_reference_of_a_refused_form_is_not_recorded(world: World, bob: Workspace,
                                                               tmp_path: Path) -> None:
    bad = "AB/1\n" + "9" * 4000

    def change(records: dict[str, Any]) -> None:
        _first(records)["exhibit"]["ref"] = bad

    bundle = _resigned(world, change, tmp_path / "ref.casebundle.age")
    try:
        summary = bob.exchange.import_case(bundle)
    except BundleRefused:
        return
    refs = [bob.exhibits.ref_for(cid) for cid in summary.added]
    assert bad not in refs
    assert all(ref is None or REF_RE.match(ref) for ref in refs), refs


def test_a_merge_failing_at_its_end_leaves_nothing(world: World, bob: Workspace,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything is written but the import's own row: the failure there must leave no
    capture, no audit entry and no file -- the redacted copy remade from the received
    original included."""
    def fail(self: ExchangeRepo, row: dict[str, Any]) -> int:
        raise WorkstationError("the import row cannot be written (test)")

    monkeypatch.setattr(ExchangeRepo, "insert_import", fail)
    before = _state(bob)
    with pytest.raises(WorkstationError, match="cannot be written"):
        bob.exchange.import_case(world.bundle)
    assert _state(bob) == before


def test_a_failure_caught_inside_a_write_is_not_committed(bob: Workspace) -> None:
    """``Context.write()`` joins an open transaction: an inner write that fails after
    changing something, caught by its caller, must not have its half-done change
    committed by the outer write (a savepoint rolls it back, or the outer write refuses
    to commit)."""
    ctx = bob.ctx
    before = bob.audit.count()
    try:
        with ctx.write():
            try:
                with ctx.write():
                    ctx.audit.append(ctx.analyst, "test.half", "test:1", {})
                    raise WorkstationError("the inner write failed")
            except WorkstationError:
                pass  # a caller that carries on
    except WorkstationError:
        pass  # refusing to commit is one acceptable answer
    assert [e.action for e in bob.audit.entries(after=before)] == []

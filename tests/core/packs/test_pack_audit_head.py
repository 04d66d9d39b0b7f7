"""Every sealed pack's manifest records the issuing workspace's audit head, so a later
rollback of the workspace below a sent pack is provable from the pack."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.core.packs import support as support
from tests.core.packs.support import Sealed, Template, copy_ws
from workstation.crypto.age import decrypt_file
from workstation.workspace import Workspace

sealed = support.sealed  # fixture
template = support.template  # fixture


def _manifest(pack: Sealed, tmp_path: Path) -> dict:
    plain = tmp_path / "pack.zip"
    decrypt_file(pack.file, plain, pack.template.age_key)
    with zipfile.ZipFile(plain) as zf:
        return dict(json.loads(zf.read("manifest.json")))


def test_the_manifest_records_the_audit_head_at_sealing(sealed: Sealed, tmp_path: Path) -> None:
    head = _manifest(sealed, tmp_path)["audit_head"]
    assert set(head) == {"seq", "sha256"} and len(head["sha256"]) == 64
    with Workspace.open(sealed.ws, readonly=True) as ws:
        created = [e for e in ws.audit_entries() if e.action == "pack.create"
                   and e.subject == f"pack:{sealed.ref}"]
        assert [(e.seq, e.hash) for e in created] == [(head["seq"], head["sha256"])]
        assert ws.verify().ok


def test_a_rollback_below_a_sealed_pack_is_provable_from_it(
        sealed: Sealed, template: Template, tmp_path: Path) -> None:
    """The workspace as it was before the pack (the template it was copied from): its
    trail has no entry at the manifest's sequence with the manifest's hash."""
    head = _manifest(sealed, tmp_path)["audit_head"]
    with Workspace.open(copy_ws(template, tmp_path / "older"), readonly=True) as ws:
        entries = {e.seq: e.hash for e in ws.audit_entries()}
    assert entries.get(head["seq"]) != head["sha256"]
    assert max(entries) < head["seq"]

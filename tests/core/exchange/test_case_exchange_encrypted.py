"""Case bundles from and into a workspace encrypted at rest: the originals leave
byte-exact (decrypted as they stream), and what arrives is stored encrypted."""

from __future__ import annotations

from pathlib import Path

from tests.core.exchange.conftest import PASS_ENV, Opener
from tests.core.exchange.test_case_exchange import CASE, _prepared
from workstation.evidence.encryption import encrypt_workspace
from workstation.workspace import Workspace

PNG = b"\x89PNG\r\n\x1a\n"


def _plain_files(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and PNG in p.read_bytes()]


def _reopen_encrypted(ws: Workspace) -> Workspace:
    root = ws.root
    ws.close()
    encrypt_workspace(root, "alice's disk passphrase")
    again = Workspace.open(root)  # unlocked in this process by the conversion
    again.keys.use_secrets(passphrase_env=PASS_ENV)
    return again


def test_a_case_goes_from_an_encrypted_workspace_and_comes_back_into_it(
        analysts: Opener, tmp_path: Path) -> None:
    alice, bob, to_bob, to_alice = _prepared(analysts, tmp_path)
    alice = _reopen_encrypted(alice)
    try:
        assert alice.encrypted and _plain_files(alice.root) == []
        bundle = tmp_path / "to-bob.casebundle.age"
        alice.exchange.export_case(CASE, bundle, [to_bob])
        summary = bob.exchange.import_case(bundle)
        assert len(summary.added) == 2 and summary.redactions == 1
        assert bob.verify().ok
        sent = {c.sha256: alice.captures.original(c) for c in alice.captures.all()}
        assert {c.sha256: bob.captures.original(c) for c in bob.captures.all()} == sent

        # Bob notes a capture and sends the case back into the encrypted workspace
        bob.captures.edit(bob.captures.all()[0].id, notes="checked by Bob")
        back = tmp_path / "to-alice.casebundle.age"
        bob.exchange.export_case(CASE, back, [to_alice])
        returned = alice.exchange.import_case(back)
        assert returned.conflicts  # Bob's note differs: shown, never written over
        report = alice.verify()
        assert report.ok, report.problems
        assert _plain_files(alice.root) == []
    finally:
        alice.close()

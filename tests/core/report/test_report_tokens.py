"""A signed case report claims only trusted timestamps that verify: a token altered
behind the application's back is not listed for its exhibits."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import require_tool
from tests.imagegen import make_image
from tests.tsa import LoopbackTSA, make_pki
from workstation.report.gather import Gatherer
from workstation.storage.report_repo import ReportRepo
from workstation.storage.repositories import CaptureRepo
from workstation.workspace import Workspace


def _stamps(ws: Workspace, cid: int) -> list[dict[str, object]]:
    gatherer = Gatherer(ws, ReportRepo(ws.conn), CaptureRepo(ws.conn), [cid])
    return [dict(t) for t in next(iter(gatherer.exhibits())).timestamps]


def test_a_token_that_no_longer_verifies_is_not_claimed(ws: Workspace, tmp_path: Path
                                                        ) -> None:
    require_tool("openssl")
    pki = make_pki(tmp_path / "pki")
    imported = ws.intake.import_bytes(make_image(seed=5))
    assert imported.id is not None
    with LoopbackTSA(pki) as tsa:
        ws.timestamps.add_authority(tsa.url, pki.ca_pem.read_text())
        tid = ws.timestamps.queue_audit_head()
        assert ws.timestamps.send().stamped == [tid]
    assert [t["id"] for t in _stamps(ws, imported.id)] == [tid]
    broken = bytearray(ws.timestamps.get(tid).response or b"")
    broken[-5] ^= 1
    with ws.ctx.write():  # behind the application's back
        ws.conn.execute("UPDATE timestamps SET response = ? WHERE id = ?", (bytes(broken), tid))
    assert _stamps(ws, imported.id) == []

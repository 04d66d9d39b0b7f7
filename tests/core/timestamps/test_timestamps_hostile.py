"""Hostile input to the timestamp commands: malformed TSA URLs (a broken IPv6 literal, a
bad port, spaces, credentials that would land in the audit trail), a server that does
not speak HTTP, and an export into a folder that already holds files."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.tsa import LoopbackTSA
from workstation.timestamps import transport
from workstation.timestamps.tokens import TimestampError
from workstation.workspace import Workspace

DIGEST = hashlib.sha256(b"hostile").hexdigest()


@pytest.mark.parametrize("url", [
    "http://[::1", "http://127.0.0.1:99999/", "http://127.0.0.1:abc/", "http://a b/",
    "http://tsa.example/\nx", "http://tsa.example/\x00", ""])
def test_malformed_urls_are_refused_in_one_line(url: str) -> None:
    with pytest.raises(TimestampError, match="is not an http"):
        transport.check_url(url)


def test_a_url_with_credentials_is_refused_and_never_stored(ws: Workspace,
                                                           ca_text: str) -> None:
    with pytest.raises(TimestampError, match="user name or password"):
        ws.timestamps.add_authority("https://alice:s3cret-pw@tsa.example/ts", ca_text)
    assert ws.timestamps.authorities() == []
    assert not any("s3cret-pw" in str(e.to_dict()) for e in ws.audit.entries())
    assert transport.check_url(" https://tsa.example:8443/ts ") == "https://tsa.example:8443/ts"


def test_cli_tsa_add_with_a_broken_url_is_one_line(tmp_path: Path, ca_text: str) -> None:
    ws = tmp_path / "ws"
    run_cli("init", workspace=ws, check=True)
    ca = tmp_path / "ca.pem"
    ca.write_text(ca_text)
    done = run_cli("tsa", "add", "http://[::1", "--ca", str(ca), workspace=ws)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "workstation: error: 'http://[::1' is not an http:// or https:// URL of a TSA."]


@pytest.fixture
def not_http() -> Iterator[str]:
    """A loopback server that answers every connection with two lines that are not HTTP."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"NOT HTTP AT ALL\r\nsecond line\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/tsa"
    finally:
        stop.set()
        thread.join()
        server.close()


def test_an_answer_that_is_not_http_is_a_one_line_error(ws: Workspace, ca_text: str,
                                                       not_http: str) -> None:
    ws.timestamps.add_authority(not_http, ca_text)
    tid = ws.timestamps.queue("report", "report:x", DIGEST)
    error = ws.timestamps.send().failed[tid]
    assert "network error" in error and "\n" not in error and "\r" not in error
    assert ws.timestamps.get(tid).state == "queued"


def test_export_never_writes_over_files(ws: Workspace, tsa: LoopbackTSA, ca_text: str,
                                        tmp_path: Path) -> None:
    ws.timestamps.add_authority(tsa.url, ca_text)
    tid = ws.timestamps.queue("report", "report:e", DIGEST)
    assert ws.timestamps.send().stamped == [tid]
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "README.txt"
    mine.write_text("the analyst's own notes")
    with pytest.raises(TimestampError, match="already exists; nothing was written"):
        ws.timestamps.export(tid, out)
    assert mine.read_text() == "the analyst's own notes"
    assert sorted(p.name for p in out.iterdir()) == ["README.txt"]
    fresh = tmp_path / "fresh"
    assert len(ws.timestamps.export(tid, fresh)) == 4
    assert not [p for p in fresh.iterdir() if p.name.endswith(".tmp")]


def test_a_token_that_no_longer_verifies_is_left_out_of_a_pack(
        ws: Workspace, tsa: LoopbackTSA, ca_text: str) -> None:
    from tests.imagegen import make_image
    from workstation.timestamps.packing import pack_files

    imported = ws.intake.import_bytes(make_image(seed=3))
    assert imported.id is not None
    cid = imported.id
    ws.timestamps.add_authority(tsa.url, ca_text)
    tid = ws.timestamps.queue_audit_head()
    assert ws.timestamps.send().stamped == [tid]
    assert f"timestamps/{tid}.tsr" in [name for name, _ in pack_files(ws.timestamps, [cid])]
    broken = bytearray(ws.timestamps.get(tid).response or b"")
    broken[-5] ^= 1
    with ws.ctx.write():  # behind the application's back
        ws.conn.execute("UPDATE timestamps SET response = ? WHERE id = ?", (bytes(broken), tid))
    assert pack_files(ws.timestamps, [cid]) == []

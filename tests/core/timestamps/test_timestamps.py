"""Trusted timestamps against a real TSA on loopback: queued offline, sent, verified;
tokens for other data, under a wrong CA, or tampered with are refused."""

from __future__ import annotations

import hashlib
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.tsa import PKI, LoopbackTSA, free_url, make_pki, reply
from workstation.errors import NotFound
from workstation.timestamps import tokens
from workstation.timestamps.tokens import TimestampError, build_request, parse_request
from workstation.workspace import Workspace

DIGEST = hashlib.sha256(b"the evidence").hexdigest()


def test_request_is_built_offline_over_the_digest() -> None:
    der, nonce = build_request(DIGEST)
    parsed = parse_request(der)
    assert parsed.message_imprint.message == bytes.fromhex(DIGEST)
    assert parsed.message_imprint.hash_algorithm.dotted_string == "2.16.840.1.101.3.4.2.1"
    assert parsed.nonce == nonce and parsed.cert_req and parsed.version == 1
    assert build_request(DIGEST)[1] != nonce  # a fresh random nonce each time
    with pytest.raises(TimestampError, match="not a SHA-256"):
        build_request("abc")


def test_queue_is_offline_and_idempotent(ws: Workspace) -> None:
    first = ws.timestamps.queue("report", f"report:{DIGEST}", DIGEST)
    assert ws.timestamps.queue("report", f"report:{DIGEST}", DIGEST.upper()) == first
    record = ws.timestamps.get(first)
    assert record.state == "queued" and record.response is None
    assert parse_request(record.request).nonce == record.nonce
    entries = [e for e in ws.audit.entries() if e.action == "timestamp.queue"]
    assert len(entries) == 1 and entries[0].details["of"] == f"report:{DIGEST}"


def test_audit_head_digest_is_the_head_hash(ws: Workspace) -> None:
    head = ws.audit.head()
    assert head is not None
    tid = ws.timestamps.queue_audit_head()
    record = ws.timestamps.get(tid)
    assert record.subject == f"audit:{head.seq}" and record.digest == head.sha256
    # nothing but timestamp bookkeeping since: the same request
    assert ws.timestamps.queue_audit_head() == tid
    ws.set_setting("analyst", "Someone Else")
    assert ws.timestamps.queue_audit_head() != tid


def test_offline_stays_queued_then_send_and_verify(ws: Workspace, pki: PKI, ca_text: str
                                                   ) -> None:
    down = free_url()
    ws.timestamps.add_authority(down, ca_text)
    tid = ws.timestamps.queue_audit_head()
    summary = ws.timestamps.send()
    assert summary.stamped == [] and tid in summary.failed
    record = ws.timestamps.get(tid)
    assert record.state == "queued"
    assert record.last_error is not None and "connection refused" in record.last_error
    assert "\n" not in record.last_error
    with LoopbackTSA(pki) as tsa:
        ws.timestamps.add_authority(tsa.url, ca_text)   # tried after the one that is down
        summary = ws.timestamps.send()
    assert summary.stamped == [tid] and not summary.failed
    record = ws.timestamps.get(tid)
    assert record.stamped and record.tsa_url == tsa.url and record.last_error is None
    assert record.gen_time and record.gen_time.endswith("Z")
    assert record.verifier == "rfc3161-client"
    result = ws.timestamps.verify(record)
    assert result.ok and result.verifier == "rfc3161-client", result
    stamped = [e for e in ws.audit.entries() if e.action == "timestamp.stamped"]
    assert stamped[0].details["tsa"] == tsa.url
    assert stamped[0].details["response_sha256"] == hashlib.sha256(
        record.response or b"").hexdigest()
    # covers the entries up to its head, not later ones
    seq = int(record.subject.split(":")[1])
    assert ws.timestamps.covering_audit_seq(seq) == record
    assert ws.timestamps.covering_audit_seq(1) == record
    assert ws.timestamps.covering_audit_seq(seq + 1) is None


def test_token_for_other_data_refused(ws: Workspace, tsa: LoopbackTSA, ca_text: str) -> None:
    ws.timestamps.add_authority(tsa.url, ca_text)
    other = hashlib.sha256(b"something else").hexdigest()
    der, _ = build_request(other)
    foreign = reply(tsa.pki, der)          # a valid token, over other data
    tid = ws.timestamps.queue("report", "report:x", DIGEST)
    tsa.mangle = lambda _body: foreign
    summary = ws.timestamps.send()
    assert tid in summary.failed
    assert "imprint" in summary.failed[tid] or "Mismatch" in summary.failed[tid]
    assert ws.timestamps.get(tid).state == "queued"


def test_wrong_nonce_refused(ws: Workspace, tsa: LoopbackTSA, ca_text: str) -> None:
    ws.timestamps.add_authority(tsa.url, ca_text)
    tid = ws.timestamps.queue("report", "report:x", DIGEST)
    replay = reply(tsa.pki, build_request(DIGEST)[0])  # same data, another request's nonce
    tsa.mangle = lambda _body: replay
    summary = ws.timestamps.send()
    assert "nonce" in summary.failed[tid].lower()


def test_wrong_ca_refused(ws: Workspace, tsa: LoopbackTSA, tmp_path: Path) -> None:
    wrong = make_pki(tmp_path / "other", name="Other").ca_pem.read_text()
    ws.timestamps.add_authority(tsa.url, wrong)
    tid = ws.timestamps.queue("report", "report:x", DIGEST)
    summary = ws.timestamps.send()
    assert tid in summary.failed and "certificate" in summary.failed[tid]
    assert ws.timestamps.get(tid).response is None


def test_tampered_token_refused(ws: Workspace, tsa: LoopbackTSA, ca_text: str) -> None:
    ws.timestamps.add_authority(tsa.url, ca_text)
    tid = ws.timestamps.queue("report", "report:x", DIGEST)
    ws.timestamps.send()
    record = ws.timestamps.get(tid)
    assert record.response is not None
    response = bytearray(record.response)
    # flip a byte of the TSA's signature (the last bytes of the token)
    response[-5] ^= 0x01
    with pytest.raises(TimestampError):
        tokens.verify_token(bytes(response), record.digest, record.nonce, ca_text)
    # the stored token altered behind the application's back: verify says so
    ws.conn.execute("UPDATE timestamps SET response = ? WHERE id = ?", (bytes(response), tid))
    result = ws.timestamps.verify(ws.timestamps.get(tid))
    assert not result.ok and result.error
    assert "rfc3161-client" in result.error and "openssl" in result.error


def test_openssl_fallback_keeps_the_raw_response(ws: Workspace, tmp_path: Path) -> None:
    """A TSA whose token lists its certificates out of DER order: rfc3161-client refuses
    to parse it, OpenSSL accepts it; the raw answer is kept, verified by OpenSSL."""
    unsorted = make_pki(tmp_path / "unsorted", name="Unsorted", der_sorted=False)
    ca_text = unsorted.ca_pem.read_text()
    with LoopbackTSA(unsorted) as tsa:
        ws.timestamps.add_authority(tsa.url, ca_text)
        tid = ws.timestamps.queue("report", "report:y", DIGEST)
        answered: list[bytes] = []
        tsa.mangle = lambda body: answered.append(body) or body
        summary = ws.timestamps.send()
    assert summary.stamped == [tid]
    record = ws.timestamps.get(tid)
    assert record.response == answered[0] and record.verifier == "openssl"
    with pytest.raises(TimestampError, match=r"rfc3161-client|time-stamp response"):
        tokens.verify_inapp(answered[0], DIGEST, record.nonce, ca_text)
    result = ws.timestamps.verify(record)
    assert result.ok and result.verifier == "openssl" and result.gen_time == record.gen_time


def test_printed_openssl_command_verifies(ws: Workspace, tsa: LoopbackTSA, ca_text: str,
                                         tmp_path: Path) -> None:
    ws.timestamps.add_authority(tsa.url, ca_text)
    tid = ws.timestamps.queue("report", "report:z", DIGEST)
    ws.timestamps.send()
    out = tmp_path / "export"
    written = ws.timestamps.export(tid, out)
    assert {p.name for p in written} == {"request.tsq", "response.tsr", "ca.pem", "README.txt"}
    command = ws.timestamps.openssl_command(ws.timestamps.get(tid))
    assert command in (out / "README.txt").read_text()
    done = subprocess.run(shlex.split(command), cwd=out, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    # and the request file matches the response
    done = subprocess.run(["openssl", "ts", "-verify", "-in", "response.tsr", "-queryfile",
                           "request.tsq", "-CAfile", "ca.pem"], cwd=out, capture_output=True,
                          text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stderr


def test_authorities_audited_and_checked(ws: Workspace, ca_text: str) -> None:
    with pytest.raises(TimestampError, match="http"):
        ws.timestamps.add_authority("ftp://tsa.example", ca_text)
    with pytest.raises(TimestampError, match="no PEM certificate"):
        ws.timestamps.add_authority("https://tsa.example/", "not a cert")
    ws.timestamps.add_authority("https://tsa.example/", ca_text)
    with pytest.raises(TimestampError, match="already configured"):
        ws.timestamps.add_authority("https://tsa.example/", ca_text)
    ws.timestamps.remove_authority("https://tsa.example/")
    assert ws.timestamps.authorities() == []
    with pytest.raises(NotFound):
        ws.timestamps.remove_authority("https://tsa.example/")
    actions = [e.action for e in ws.audit.entries() if e.action.startswith("tsa.")]
    assert actions == ["tsa.add", "tsa.remove"]
    with pytest.raises(TimestampError, match="No time-stamping authority"):
        ws.timestamps.send()


def test_send_to_a_new_tsa_with_its_ca_and_cancel(ws: Workspace, tsa: LoopbackTSA,
                                                  ca_text: str) -> None:
    from workstation.errors import Cancelled
    from workstation.progress import CancelToken
    ws.timestamps.queue("report", "report:a", DIGEST)
    with pytest.raises(TimestampError, match="not configured"):
        ws.timestamps.send(tsa.url)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        ws.timestamps.send(tsa.url, cancel=token, ca_pem=ca_text)
    seen: list[int] = []
    summary = ws.timestamps.send(tsa.url, progress=lambda p: seen.append(p.done))
    assert len(summary.stamped) == 1 and seen[-1] == 1 and tsa.requests == 1


def test_http_error_and_garbage_answers_stay_queued(ws: Workspace, tsa: LoopbackTSA,
                                                    ca_text: str) -> None:
    ws.timestamps.add_authority(tsa.url, ca_text)
    tid = ws.timestamps.queue("report", "report:h", DIGEST)
    tsa.status = 503
    assert "HTTP error 503" in ws.timestamps.send().failed[tid]
    tsa.status = None
    tsa.mangle = lambda _body: b"<html>captive portal</html>"
    error = ws.timestamps.send().failed[tid]
    assert "Not a time-stamp response" in error and "\n" not in error
    assert ws.timestamps.get(tid).last_error == error
    tsa.mangle = lambda _body: b"0" * (tokens.MAX_RESPONSE + 10)
    assert "larger than" in ws.timestamps.send().failed[tid]
    tsa.mangle = None
    assert ws.timestamps.send().stamped == [tid]
    assert ws.timestamps.get(tid).last_error is None

"""RFC 3161 requests and responses, offline: building a request over a SHA-256 digest,
reading a response, and checking a token with the two verifiers (in-app with
``rfc3161-client``, else ``openssl ts -verify``).

A request's message imprint *is* the digest queued (SHA-256, never hashed again), so the
court-facing check is ``openssl ts -verify -digest DIGEST -in RESPONSE -CAfile CA``.
``rfc3161-client`` builds requests only by hashing data itself, so the request is
encoded here (DER, a few fixed fields) and read back with ``rfc3161-client`` before it
is used.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from rfc3161_client import (
    PKIStatus,
    TimeStampRequest,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)
from rfc3161_client import _rust as _rfc

from workstation.errors import WorkstationError
from workstation.timeutil import format_utc

SHA256_OID_DER = bytes.fromhex("0609608648016503040201")  # 2.16.840.1.101.3.4.2.1
#: the most a TSA's answer may be (tokens with a certificate chain are a few KiB)
MAX_RESPONSE = 256 * 1024
OPENSSL_TIMEOUT = 60


class TimestampError(WorkstationError):
    """A time-stamp request, response or token was refused (one line, the reason)."""


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return _der(0x02, body)


def check_digest(digest_hex: str) -> str:
    """The digest as lower-case hex; refused unless it is a SHA-256."""
    digest = digest_hex.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise TimestampError(f"{digest_hex!r} is not a SHA-256 (64 hexadecimal digits).")
    return digest


def build_request(digest_hex: str) -> tuple[bytes, int]:
    """A DER TimeStampReq (version 1, SHA-256 imprint = the digest, a random 64-bit nonce,
    certReq true) and its nonce; read back with ``rfc3161-client`` to check it."""
    digest = bytes.fromhex(check_digest(digest_hex))
    nonce = secrets.randbits(63) | (1 << 62)
    algorithm = _der(0x30, SHA256_OID_DER + b"\x05\x00")
    imprint = _der(0x30, algorithm + _der(0x04, digest))
    request = _der(0x30, _der_int(1) + imprint + _der_int(nonce) + b"\x01\x01\xff")
    parsed = parse_request(request)
    if parsed.message_imprint.message != digest or parsed.nonce != nonce or not parsed.cert_req:
        raise TimestampError("The time-stamp request could not be built (read back wrong).")
    return request, nonce


def parse_request(der: bytes) -> TimeStampRequest:
    try:
        return _rfc.parse_timestamp_request(der)
    except Exception as exc:  # the parser raises ValueError and its own types
        raise TimestampError(f"Not a time-stamp request: {exc}") from None


def parse_response(der: bytes) -> TimeStampResponse:
    """The response, refused unless it parses and its status is granted."""
    try:
        response = decode_timestamp_response(der)
    except Exception as exc:  # the parser raises ValueError and its own types
        raise TimestampError(f"Not a time-stamp response ({str(exc)[:120]}).") from None
    status = PKIStatus(response.status)
    if status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        text = "; ".join(response.status_string) if response.status_string else status.name
        raise TimestampError(f"The TSA refused the request ({text}).")
    return response


def gen_time(response: TimeStampResponse) -> str:
    """The TSA's time (UTC, ISO 8601)."""
    return format_utc(response.tst_info.gen_time)


def load_ca(ca_pem: str) -> list[x509.Certificate]:
    """The CA certificate(s) in ``ca_pem``; refused when there are none."""
    try:
        certs = x509.load_pem_x509_certificates(ca_pem.encode("ascii", "replace"))
    except ValueError:
        certs = []
    if not certs:
        raise TimestampError("The CA file holds no PEM certificate.")
    return certs


@dataclass(frozen=True, slots=True)
class Verdict:
    """A token that verified: by which verifier, and the TSA's time."""

    verifier: str   # 'rfc3161-client' | 'openssl'
    gen_time: str


def verify_inapp(response_der: bytes, digest_hex: str, nonce: int | None,
                 ca_pem: str) -> Verdict:
    """Verify with ``rfc3161-client``: signature and chain to one of the CA certificates
    (valid at the TSA's time), critical timeStamping EKU, nonce, and the imprint."""
    response = parse_response(response_der)
    certs = load_ca(ca_pem)
    builder = VerifierBuilder()
    for cert in certs:
        builder = builder.add_root_certificate(cert)
    if nonce is not None:
        builder = builder.nonce(nonce)
    try:
        builder.build().verify(response, bytes.fromhex(check_digest(digest_hex)))
    except VerificationError as exc:
        raise TimestampError(f"rfc3161-client: {exc}") from None
    except Exception as exc:  # malformed tokens surface as ValueError etc.
        raise TimestampError(f"rfc3161-client: {str(exc)[:160]}") from None
    return Verdict("rfc3161-client", gen_time(response))


def openssl_argv(response: Path, digest_hex: str, ca: Path) -> list[str]:
    """The documented, court-facing check (for a token whose imprint is the digest)."""
    return ["openssl", "ts", "-verify", "-in", str(response), "-digest",
            check_digest(digest_hex), "-CAfile", str(ca)]


def verify_openssl(response_der: bytes, digest_hex: str, ca_pem: str,
                   nonce: int | None = None) -> Verdict:
    """Verify with ``openssl ts -verify`` (signature, chain to the CA, the imprint), then
    the nonce here; the TSA's time read with ``openssl ts -reply -text``."""
    exe = shutil.which("openssl")
    if exe is None:
        raise TimestampError("openssl is not installed (needed for `openssl ts -verify`).")
    load_ca(ca_pem)
    with tempfile.TemporaryDirectory(prefix="ws-ts-") as tmp:
        resp, ca = Path(tmp) / "response.tsr", Path(tmp) / "ca.pem"
        resp.write_bytes(response_der)
        ca.write_text(ca_pem)
        argv = openssl_argv(resp, digest_hex, ca)
        argv[0] = exe
        done = _run(argv)
        if done.returncode != 0 or "Verification: OK" not in done.stdout:
            raise TimestampError(f"openssl ts -verify: {_last_line(done.stderr or done.stdout)}")
        text = _run([exe, "ts", "-reply", "-in", str(resp), "-text"]).stdout
    when = re.search(r"^Time stamp: (.+)$", text, re.M)
    got_nonce = re.search(r"^Nonce: (0x[0-9A-Fa-f]+|\d+)", text, re.M)
    if nonce is not None and (got_nonce is None or int(got_nonce.group(1), 0) != nonce):
        raise TimestampError("openssl ts -verify: the token's nonce is not the request's.")
    return Verdict("openssl", _openssl_time(when.group(1).strip()) if when else "")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=OPENSSL_TIMEOUT,
                              env={**os.environ, "LC_ALL": "C"}, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TimestampError(f"openssl could not run: {exc}") from None


def _last_line(text: str) -> str:
    """OpenSSL's reason from its error lines (``…:error:CODE:LIB:FUNC:REASON:FILE:LINE:…``)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if "error" in line.lower()] or lines
    if not useful:
        return "verification failed"
    line = useful[-1]
    found = re.search(r"error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+):[^:]*:\d+:(.*)$", line)
    if found:
        line = found.group(1) + (f" ({found.group(2)})" if found.group(2) else "")
    return line[:200]


def _openssl_time(text: str) -> str:
    """``Dec  5 13:20:01 2026 GMT`` (maybe with fractions) as ISO 8601 UTC."""
    import datetime as dt
    cleaned = re.sub(r"\.\d+", "", text.replace(" GMT", "")).split()
    try:
        moment = dt.datetime.strptime(" ".join(cleaned), "%b %d %H:%M:%S %Y")
    except ValueError:
        return text
    return format_utc(moment.replace(tzinfo=dt.UTC))


def verify_token(response_der: bytes, digest_hex: str, nonce: int | None,
                 ca_pem: str) -> Verdict:
    """In-app first; when ``rfc3161-client`` refuses, ``openssl ts -verify``.  Refused
    (both reasons in one line) when neither accepts."""
    try:
        return verify_inapp(response_der, digest_hex, nonce, ca_pem)
    except TimestampError as inapp:
        try:
            return verify_openssl(response_der, digest_hex, ca_pem, nonce)
        except TimestampError as ossl:
            raise TimestampError(f"{inapp}; {ossl}") from None

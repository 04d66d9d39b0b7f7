"""A real RFC 3161 time-stamping authority on loopback, for tests.

:func:`make_pki` writes a test CA and a TSA certificate (extendedKeyUsage critical
timeStamping) with ``cryptography`` into a folder, plus an ``openssl ts`` config;
:class:`LoopbackTSA` runs an HTTP server thread whose handler pipes each request to
``openssl ts -reply`` and answers with the DER response it made.
"""

from __future__ import annotations

import datetime as dt
import http.server
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class PKI:
    """The files of one test TSA."""

    dir: Path
    ca_pem: Path
    tsa_pem: Path
    tsa_key: Path
    config: Path


def _name(common: str, unit: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test TSA")]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit.strip()))
    return x509.Name([*parts, x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_pki(folder: Path, *, eku_critical: bool = True, name: str = "Test",
             der_sorted: bool = True) -> PKI:
    """A CA and a TSA certificate signed by it, in ``folder`` (made).

    ``openssl ts -reply -chain`` lists the signer's certificate, then the CA's; DER wants
    a SET OF sorted by encoding, which holds when the CA's certificate encodes larger
    (``der_sorted``: a long organisational unit in the CA's name sees to it).  With
    ``der_sorted=False`` the token's certificate set is out of order: ``rfc3161-client``
    refuses to parse it while OpenSSL accepts it (the fallback's case)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    later = now + dt.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{name} Root CA", "Certification authority for tests " * 4
                    if der_sorted else None)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (x509.CertificateBuilder().subject_name(_name(f"{name} TSA")).issuer_name(ca_name)
           .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now).not_valid_after(later)
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                        False), critical=True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                          critical=eku_critical)
           .add_extension(x509.SubjectKeyIdentifier.from_public_key(tsa_key.public_key()),
                          critical=False)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
               ca_ski), critical=False)
           .sign(ca_key, hashes.SHA256()))
    pki = PKI(folder, folder / "ca.pem", folder / "tsa.pem", folder / "tsa.key",
              folder / "tsa.cnf")
    pki.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.tsa_pem.write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    pki.tsa_key.write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    pki.config.write_text(CONFIG.format(dir=folder))
    return pki


def reply(pki: PKI, query: bytes) -> bytes:
    """``openssl ts -reply`` for one DER query: the DER response."""
    qfile = pki.dir / "query.tsq"
    rfile = pki.dir / "reply.tsr"
    qfile.write_bytes(query)
    subprocess.run(["openssl", "ts", "-reply", "-config", str(pki.config),
                    "-queryfile", str(qfile), "-inkey", str(pki.tsa_key),
                    "-signer", str(pki.tsa_pem), "-chain", str(pki.ca_pem),
                    "-out", str(rfile)], check=True, capture_output=True)
    return rfile.read_bytes()


class LoopbackTSA:
    """A TSA answering on ``http://127.0.0.1:PORT/tsa`` (``url``) until :meth:`stop`.

    ``requests`` counts the queries answered; ``mangle`` (if set) rewrites each
    response before it goes out (tests of refused tokens)."""

    def __init__(self, pki: PKI) -> None:
        self.pki = pki
        self.requests = 0
        self.mangle: object = None
        #: answer every request with this HTTP error status instead (tests of failures)
        self.status: int | None = None
        self._lock = threading.Lock()
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                query = self.rfile.read(length)
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                if tsa.status is not None:
                    self.send_error(tsa.status)
                    return
                with tsa._lock:
                    body = reply(tsa.pki, query)
                    tsa.requests += 1
                if callable(tsa.mangle):
                    body = tsa.mangle(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/tsa"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackTSA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_url() -> str:
    """A loopback URL nothing listens on (a port just closed)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"

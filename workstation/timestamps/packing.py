"""The trusted timestamps a pack carries (``timestamps/`` in the ZIP): the stamped
audit-head tokens covering its items' ``capture.import`` entries, the CA certificate(s)
they verify against, and a README with the OpenSSL command for each."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from workstation.timestamps.models import TimestampRecord
from workstation.timestamps.service import TimestampService

log = logging.getLogger(__name__)

FOLDER = "timestamps"

README_HEAD = """\
TRUSTED TIMESTAMPS (RFC 3161)

Each token below was issued by a time-stamping authority (TSA) over the hash of an entry
of the sending workstation's audit trail (a SHA-256 hash chain).  It proves that the entry,
and so every earlier one, existed at the TSA's time; each capture listed was imported at
an earlier entry of that chain.  Check a token with OpenSSL (it prints "Verification: OK"):
"""


def pack_files(service: TimestampService, capture_ids: Sequence[int]
               ) -> list[tuple[str, bytes]]:
    """``timestamps/<id>.tsr`` per token covering the captures, ``timestamps/ca.pem`` and
    ``timestamps/README.txt``; nothing when no capture is covered yet."""
    covered: dict[int, tuple[TimestampRecord, list[int]]] = {}
    verified: dict[int, bool] = {}
    for capture_id in capture_ids:
        record = service.for_capture(capture_id)
        if record is None or record.response is None:
            continue
        if record.id not in verified:  # a signed pack never carries a token unchecked
            result = service.verify(record)
            verified[record.id] = result.ok
            if not result.ok:
                log.warning("timestamp #%s left out of the pack: %s", record.id, result.error)
        if verified[record.id]:
            covered.setdefault(record.id, (record, []))[1].append(capture_id)
    if not covered:
        return []
    files: list[tuple[str, bytes]] = []
    cas: list[str] = []
    lines = [README_HEAD]
    for record, captures in covered.values():
        name = f"{FOLDER}/{record.id}.tsr"
        files.append((name, record.response or b""))
        ca = service.authority_ca(record)
        if ca not in cas:
            cas.append(ca)
        lines += [
            f"{name}: {record.subject} (SHA-256 {record.digest})",
            f"  time {record.gen_time} by {record.tsa_url}",
            f"  covers capture(s) {', '.join(f'#{c}' for c in captures)}",
            f"  {service.openssl_command(record, name, f'{FOLDER}/ca.pem')}",
            "",
        ]
    files.append((f"{FOLDER}/ca.pem", "".join(c if c.endswith("\n") else c + "\n"
                                              for c in cas).encode("ascii")))
    files.append((f"{FOLDER}/README.txt", "\n".join(lines).encode("utf-8")))
    return files

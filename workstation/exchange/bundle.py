"""Writing a case bundle (docs/case-exchange.md), streaming: each original is read once
in chunks, checked against its SHA-256, zipped, age-encrypted and written -- no
plaintext on disk and flat memory whatever the size, like an alert pack
(:mod:`workstation.packs.format.sealing`, whose ZIP and age writers it uses)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workstation.crypto import signing
from workstation.crypto.age import EncryptingWriter, HashingWriter
from workstation.crypto.vault import Vault
from workstation.exchange.records import FORMAT, Gathered
from workstation.files import AtomicFile
from workstation.packs.format.safezip import ZipPackWriter
from workstation.packs.format.spec import PackError, zip_time
from workstation.progress import CancelToken, ProgressCallback, report

SUFFIX = ".casebundle.age"
RECORDS = "case.json"
JSONLD = "case.jsonld"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
SUMS_SIG = "SHA256SUMS.minisig"
REQUIRED = (RECORDS, JSONLD, MANIFEST, SUMS, SUMS_SIG)


@dataclass(frozen=True, slots=True)
class BundleRecipient:
    """Who can open the bundle: a colleague (``role`` "colleague") or this workspace's
    own archive key ("archive")."""

    recipient: str
    fingerprint: str
    role: str
    name: str


@dataclass(frozen=True, slots=True)
class BundleResult:
    path: Path
    size: int
    sha256: str
    members: int
    evidence_bytes: int


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def trusted_comment(records: dict[str, Any], recipients: Sequence[BundleRecipient]) -> str:
    """The signed comment: the format, the case, who sent it and to whom (tab-separated
    ``key:value`` fields, like minisign's own)."""
    to = ",".join(r.fingerprint for r in recipients if r.role == "colleague")
    archive = ",".join(r.fingerprint for r in recipients if r.role == "archive")
    case = " ".join(str(records["case"]["name"]).split())[:200]
    sender = " ".join(str(records["exported_by"]).split())[:100]
    return (f"casebundle:{FORMAT}\tcase:{case}\tfrom:{sender}"
            f"\tworkspace:{records['workspace']['id']}\tcreated:{records['exported_at']}"
            f"\tto:{to}\tarchive:{archive}\tfile:{SUMS}")


def write_bundle(gathered: Gathered, jsonld: dict[str, Any], key: signing.SigningKey,
                 recipients: Sequence[BundleRecipient], dest: Path, *,
                 cancel: CancelToken | None = None,
                 progress: ProgressCallback | None = None,
                 vault: Vault | None = None) -> BundleResult:
    """Write the encrypted bundle at ``dest`` (atomically: nothing there unless whole);
    the workspace's files are read through ``vault`` (encrypted at rest, or plain).

    Every original is checked against its SHA-256 while it is copied; a difference
    raises :class:`~workstation.packs.format.safezip.EvidenceChanged` and leaves no
    output."""
    records = gathered.records
    if not recipients:
        raise PackError("A case bundle needs at least one recipient.")
    try:
        out = AtomicFile(dest, 0o600, buffering=1 << 20, make_parents=False,
                         folder_sync_required=False)
    except OSError as exc:
        raise PackError(f"Cannot create the bundle: {exc.strerror} ({exc.filename}).") \
            from None
    out_sha = hashlib.sha256()
    total = gathered.evidence_bytes
    try:
        with (
            EncryptingWriter(HashingWriter(out.file, out_sha),
                             [r.recipient for r in recipients]) as enc,
            ZipPackWriter(enc, compression="auto", date_time=zip_time(records["exported_at"]),
                          cancel=cancel) as zw,
        ):
            zw.add_bytes(RECORDS, json_bytes(records))
            zw.add_bytes(JSONLD, json_bytes(jsonld))
            done = 0
            for member in gathered.files:
                report(progress, done, total, member.name)
                # Stored, not deflated: images are compressed already (deflating them
                # was 85 % of an export's time for 0.1 % of its size).
                zw.add_file(member.path, member.name, expected_sha256=member.sha256,
                            md5=False, compress=False, vault=vault)
                done += member.size
            for name, data in gathered.blobs:
                zw.add_bytes(name, data)
            manifest = {
                "format": FORMAT, "case": records["case"]["name"],
                "exported_at": records["exported_at"], "exported_by": records["exported_by"],
                "workspace": records["workspace"]["id"],
                "recipients": [{"fingerprint": r.fingerprint, "role": r.role, "name": r.name}
                               for r in recipients],
                "files": [{"name": m.name, "size": m.size, "sha256": m.sha256}
                          for m in zw.members],
            }
            zw.add_bytes(MANIFEST, json_bytes(manifest))
            sums = zw.sha256sum_manifest().encode("utf-8")
            zw.add_bytes(SUMS, sums)
            hasher = signing.minisign_hasher()
            hasher.update(sums)
            sig = signing.sign_digest(
                key, hasher.digest(), trusted_comment(records, recipients),
                untrusted_comment=f"signature of a case bundle {SUMS} by agency key "
                                  f"{key.key_id_hex}")
            zw.add_bytes(SUMS_SIG, sig.encode("utf-8"))
            count = len(zw.members)
        report(progress, total, total, dest.name)
        out.commit()
    except BaseException:
        out.discard()
        raise
    return BundleResult(dest, dest.stat().st_size, out_sha.hexdigest(), count, total)

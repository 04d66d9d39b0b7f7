"""Sealing a pack, streaming: evidence is read once in 1 MiB chunks, hashed and checked
against the SHA-256 recorded at capture, zipped, age-encrypted and written to the
output file(s) -- no plaintext copy on disk and flat memory whatever the size."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from workstation.crypto import signing
from workstation.crypto.age import (
    EncryptingWriter,
    HashingWriter,
)
from workstation.crypto.vault import Vault
from workstation.files import AtomicFile
from workstation.packs.format.members import (
    build_manifest,
    indicators_csv,
    outcome_template_csv,
    readme_text,
)
from workstation.packs.format.misp import misp_event
from workstation.packs.format.portal import portal_csv, portal_rows
from workstation.packs.format.report import report_html
from workstation.packs.format.safezip import (
    EvidenceChanged,
    ZipPackWriter,
)
from workstation.packs.format.spec import (
    MANIFEST,
    SUMS,
    SUMS_SIG,
    PackError,
    PackItem,
    PackSpec,
    SealResult,
    _sha256,
    json_bytes,
    trusted_comment,
    zip_time,
)
from workstation.packs.format.stix import stix_bundle
from workstation.progress import CancelToken, ProgressCallback, report


class _IterReader:
    """A ``read(n)`` file object over an iterator of byte strings."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buffer) < n:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if n < 0 or n >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
            return out
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out


class _FilesSink:
    """Writes the same bytes to each destination (:class:`AtomicFile`): all are moved
    into place on commit, or all removed on discard."""

    def __init__(self, destinations: Sequence[Path], modes: Sequence[int]) -> None:
        self._files: list[AtomicFile] = []
        self.size = 0
        try:
            for dest, mode in zip(destinations, modes, strict=True):
                self._files.append(AtomicFile(dest, mode, buffering=1 << 20,
                                              make_parents=False, folder_sync_required=False))
        except OSError as exc:
            self.discard()
            raise PackError(f"Cannot create the pack file: {exc.strerror} ({exc.filename}).") \
                from None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        for out in self._files:
            out.file.write(data)
        n = len(data)
        self.size += n
        return n

    def flush(self) -> None:
        """Bytes are flushed on commit."""

    def commit(self) -> None:
        try:
            for out in self._files:
                out.commit()
        except BaseException:
            self.discard()
            raise
        self._files = []

    def discard(self) -> None:
        for out in self._files:
            out.discard()
        self._files = []


class _PreviewSpool:
    """Makes the report's previews in worker threads while the evidence streams.

    Pillow releases the GIL while decoding and resizing, so this overlaps with
    the hashing and encryption.  Previews are spooled to files in a private
    folder (next to the pack, inside the workspace) so memory stays flat.
    """

    def __init__(self, items: Sequence[PackItem], folder: Path, workers: int,
                 vault: Vault) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._vault = vault
        self._dir = Path(tempfile.mkdtemp(prefix=".previews-", dir=folder))
        self._stop = False
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="pack-preview")
        self._futures = {item.position: self._pool.submit(self._make, item)
                         for item in items if item.preview is not None}

    def _make(self, item: PackItem) -> Path | None:
        if self._stop or item.preview is None:
            return None
        data = item.preview()
        if not data:
            return None
        path = self._dir / f"{item.position}.jpg"
        self._vault.write_bytes(path, data, mode=0o600, durable=False)
        return path

    def get(self, item: PackItem) -> bytes | None:
        future = self._futures.get(item.position)
        if future is None:
            return None
        path = future.result()
        return self._vault.read_bytes(path) if path is not None else None

    def close(self) -> None:
        self._stop = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._dir, ignore_errors=True)


def _late_members(spec: PackSpec, items: Sequence[PackItem]) -> list[tuple[str, bytes]]:
    """The members made from the items' details alone (STIX, MISP, the CSV sheets): pure
    Python, a few tenths of a second for a few hundred items (pymisp's objects most of
    it).  Written after the evidence, so that they are made while the previews' worker
    threads finish decoding (which needs no GIL).  Made in a thread beside the stream
    they slowed it by more than their own time: each time one of the stream's threads
    comes back from hashing, encrypting or writing, it waits for the GIL they hold
    (measured: a 1 GB seal 0.5-0.7 s slower, ``bench/pack_bench.py``)."""
    return [
        ("stix.json", stix_bundle(spec, items).encode("utf-8")),
        ("misp.json", misp_event(spec, items).encode("utf-8")),
        ("indicators.csv", indicators_csv(spec, items)),
        ("portal.csv", portal_csv(portal_rows(spec, items))),
        ("outcome-template.csv", outcome_template_csv(spec, items)),
    ]


def _add_evidence(zw: ZipPackWriter, items: Sequence[PackItem],
                  progress: ProgressCallback | None, vault: Vault | None) -> None:
    """Stream each original into the ZIP, checked against the SHA-256 recorded at capture."""
    for done, item in enumerate(items):
        report(progress, done, len(items), item.evidence_name)
        digest = zw.add_file(item.evidence_path, item.evidence_name,
                             expected_sha256=item.sha256,
                             # The SHA-256 check proves these are the captured
                             # bytes, so the MD5 recorded at capture holds:
                             # no second MD5 pass (~30% CPU per byte).
                             md5=False, vault=vault)
        if digest.md5 and digest.md5 != item.md5.lower():
            raise EvidenceChanged(
                f"Evidence of capture #{item.capture_id} has an MD5 of {digest.md5}, not "
                f"the {item.md5} recorded at capture. The pack was not created.")


def seal(
    spec: PackSpec,
    items: Sequence[PackItem],
    key: signing.SigningKey,
    destinations: Sequence[Path],
    *,
    modes: Sequence[int] | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    vault: Vault | None = None,
) -> SealResult:
    """Write the encrypted pack to every path in ``destinations`` (atomically, one pass).

    Evidence is checked against its recorded SHA-256 (and MD5) while it is
    copied; any difference aborts the pack and leaves no output.  ``vault``: how the
    workspace's files are read (a workspace encrypted at rest); the previews spooled
    meanwhile are written through it too.
    """
    if not destinations:
        raise PackError("No destination for the pack.")
    if key.key_id_hex != spec.signing_key_id:
        raise PackError("The signing key does not match the pack's signing key id.")
    recipients = [r.recipient for r in spec.recipients]
    manifest = json_bytes(build_manifest(spec, items))
    comment = trusted_comment(spec)
    sink = _FilesSink(destinations, modes or [0o644] * len(destinations))
    out_sha = hashlib.sha256()
    previews: _PreviewSpool | None = None
    try:
        # Every core: the evidence streams in a few seconds a GB, while decoding the
        # originals for the report's previews is most of a seal's work (a core left to
        # the stream would idle once it is done, the previews still running).
        previews = _PreviewSpool(items, destinations[0].parent,
                                 workers=min(4, os.cpu_count() or 2), vault=vault or Vault())
        with (
            EncryptingWriter(HashingWriter(sink, out_sha), recipients) as enc,
            ZipPackWriter(enc, compression="auto", date_time=zip_time(spec.created_at),
                          cancel=cancel) as zw,
        ):
            zw.add_bytes(MANIFEST, manifest)
            zw.add_bytes("README.txt", readme_text(spec, items).encode("utf-8"))
            for item in items:
                ocr = item.ocr_bytes()
                if ocr is not None:
                    zw.add_bytes(item.ocr_name, ocr)
            _add_evidence(zw, items, progress, vault)
            for name, data in [*_late_members(spec, items), *spec.timestamp_files]:
                zw.add_bytes(name, data)
            report(progress, len(items), len(items), "report.html")
            zw.add_stream(_IterReader(report_html(spec, items, previews.get)), "report.html")
            sums = zw.sha256sum_manifest().encode("utf-8")
            zw.add_bytes(SUMS, sums)
            hasher = signing.minisign_hasher()
            hasher.update(sums)
            sig = signing.sign_digest(
                key, hasher.digest(), comment,
                untrusted_comment=f"signature of {spec.ref} {SUMS} by agency key "
                                  f"{key.key_id_hex}")
            zw.add_bytes(SUMS_SIG, sig.encode("utf-8"))
            members = list(zw.members)
        sink.commit()
    except BaseException:
        sink.discard()
        raise
    finally:
        if previews is not None:
            previews.close()
    return SealResult(size=sink.size, sha256=out_sha.hexdigest(), manifest_sha256=_sha256(manifest),
                      sums_sha256=_sha256(sums), members=members, trusted_comment=comment)

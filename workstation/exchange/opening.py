"""Opening a case bundle: everything is checked before anything is merged.

A bundle is hostile until proven otherwise.  It is decrypted into an unlinked temporary
file (hashing the encrypted bytes as received); the ZIP's table of contents is checked;
the signature over ``SHA256SUMS`` must be by a colleague's key; every member must be
listed there, read within the size the signed manifest declares and match its SHA-256;
the bundle must be addressed to this workspace; ``case.json`` must describe only
members that are present (each original under the SHA-256 of its bytes); and the audit
segment it carries must hash entry by entry into one unbroken chain ending at the
sender's signed head.  The first failure raises :class:`BundleRefused`, naming its cause.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from workstation.crypto import signing
from workstation.crypto.age import DecryptionFailed, WrongKey, decrypt_stream
from workstation.errors import Cancelled, WorkstationError
from workstation.exchange.bundle import (
    MANIFEST,
    RECORDS,
    REQUIRED,
    SUMS,
    SUMS_SIG,
)
from workstation.exchange.records import FORMAT, evidence_name, redacted_name
from workstation.exchange.schema import ShapeError, check_shape
from workstation.packs.format.packlisting import parse_sums, unsigned_members
from workstation.packs.format.safezip import ArchiveError, ExtractLimits, MemberDigest
from workstation.packs.format.spec import parse_trusted_comment
from workstation.packs.format.zipextract import check_archive, stream_member
from workstation.progress import CancelToken, ProgressCallback, report
from workstation.storage.audit import GENESIS, canonical_json, entry_hash

#: The most read of the small members (signature, sums, manifest, records).
MAX_SIGNATURE = 16 << 10
MAX_SUMS = 32 << 20
MAX_TEXT = 256 << 20
#: The most a ZIP's central directory may take (read whole by ``zipfile``).
MAX_DIRECTORY = 64 << 20
#: The most a timestamp token may be.
MAX_TOKEN = 256 << 10
#: A bundle may be larger than an alert pack: a whole case.
LIMITS = ExtractLimits(max_members=200_000, max_member_size=1 << 32,
                       max_total_size=1 << 40, max_archive_size=1 << 40)


_TOKEN_NAME = re.compile(r"timestamps/[0-9]{1,12}\.tsr")


class BundleRefused(WorkstationError):
    """A case bundle failed a check; nothing was changed.  ``cause`` names the check."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(f"The case bundle was refused ({cause}): {detail}. Nothing was "
                         "changed.")
        self.cause = cause
        self.detail = detail


@dataclass(slots=True)
class OpenedBundle:
    """A verified bundle, its plaintext ZIP held in an unlinked temporary file until
    :meth:`close`."""

    path: Path
    sha256: str
    size: int
    signer_key_id: str
    comment: dict[str, str]
    records: dict[str, Any]
    manifest: dict[str, Any]
    digests: dict[str, MemberDigest] = field(default_factory=dict)
    _zip: zipfile.ZipFile | None = None
    _plain: IO[bytes] | None = None

    def member(self, name: str, out: IO[bytes]) -> MemberDigest:
        """Copy a verified member to ``out``, checking it again as it is read."""
        assert self._zip is not None
        want = self.digests[name]
        got = stream_member(self._zip, self._zip.getinfo(name), want.size, out, md5=False)
        if got.sha256 != want.sha256:
            raise BundleRefused("changed-file", f"{name} changed while it was read")
        return got

    def open_member(self, name: str) -> BinaryIO:
        """A verified member as a stream (the caller checks what it reads: the
        originals are staged under the SHA-256 they must have)."""
        assert self._zip is not None
        return cast(BinaryIO, self._zip.open(self._zip.getinfo(name)))

    def read(self, name: str) -> bytes:
        buffer = io.BytesIO()
        self.member(name, buffer)
        return buffer.getvalue()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        if self._plain is not None:
            self._plain.close()
            self._plain = None


class _HashingReader:
    """The encrypted file as read, hashed on the way."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self.sha256.update(memoryview(buffer)[:n])
            self.size += n
        return int(n or 0)

    def readable(self) -> bool:
        return True


class _Sink:
    """Where the plaintext goes: stops when cancelled; remembers a write error."""

    def __init__(self, raw: IO[bytes], cancel: CancelToken | None) -> None:
        self._raw = raw
        self._cancel = cancel
        self.error: OSError | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._cancel is not None and self._cancel.cancelled:
            raise Cancelled("Opening the case bundle was stopped; nothing was changed.")
        try:
            return self._raw.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self._raw.flush()


def open_bundle(path: str | os.PathLike[str], identities: list[Any], mine: set[str],
                trusted: Callable[[str], signing.PublicKey | None], *,
                scratch: Path | None = None, cancel: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> OpenedBundle:
    """Decrypt and verify the bundle at ``path`` with this workspace's age
    ``identities`` (whose recipients' fingerprints are ``mine``); ``trusted`` gives the
    colleague key for a minisign key id, or ``None``.  Raises :class:`BundleRefused`."""
    source = Path(path)
    if not source.is_file():
        raise BundleRefused("input", f"{os.fspath(path)!r} does not exist or is not a file")
    plain = tempfile.TemporaryFile(dir=scratch)  # noqa: SIM115 - kept by the result
    try:
        sha256, size = _decrypt(source, plain, identities, cancel)
        _check_directory(plain)
        try:
            zf = zipfile.ZipFile(plain)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError,
                OSError) as exc:
            raise BundleRefused("damaged", f"the decrypted bundle is not a ZIP archive "
                                           f"({exc})") from None
        opened = OpenedBundle(source, sha256, size, "", {}, {}, {}, _zip=zf, _plain=plain)
        try:
            _verify(opened, zf, mine, trusted, cancel, progress)
        except BaseException:
            opened.close()
            raise
        return opened
    except BaseException:
        plain.close()
        raise


def _decrypt(source: Path, plain: IO[bytes], identities: list[Any],
             cancel: CancelToken | None) -> tuple[str, int]:
    sink = _Sink(plain, cancel)
    try:
        with open(source, "rb") as raw:
            reader = _HashingReader(raw)
            decrypt_stream(reader, sink, identities,  # type: ignore[arg-type]
                           origin=repr(os.fspath(source)))
            while reader.read(1 << 20):  # the rest of the file, if any, is hashed too
                pass
        plain.flush()
        plain.seek(0)
    except WrongKey:
        raise BundleRefused("wrong-recipient", "none of this workspace's keys can open it "
                            "(it was encrypted to other colleagues)") from None
    except (DecryptionFailed, OSError) as exc:
        if cancel is not None and cancel.cancelled:
            raise Cancelled("Opening the case bundle was stopped; nothing was changed.") \
                from None
        if sink.error is not None:
            if sink.error.errno == errno.ENOSPC:
                raise BundleRefused("disk-full", "no space left to decrypt it") from None
            raise BundleRefused("output", f"cannot write the decrypted bundle: "
                                          f"{sink.error.strerror}") from None
        raise BundleRefused("damaged", f"the encrypted file is damaged, truncated or "
                                       f"altered ({exc})") from None
    return reader.sha256.hexdigest(), reader.size


def _check_directory(plain: IO[bytes]) -> None:
    """Refuse a ZIP whose table of contents is too large to read (``zipfile`` reads it
    whole into memory), from the end records alone."""
    plain.seek(0, os.SEEK_END)
    end = plain.tell()
    tail_size = min(end, (64 << 10) + 22 + 20)
    plain.seek(end - tail_size)
    tail = plain.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise BundleRefused("damaged", "the decrypted bundle is not a ZIP archive")
    entries, directory = struct.unpack("<HI", tail[at + 10:at + 16])
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if locator >= 0 and len(tail) - locator >= 20:  # ZIP64: the sizes are in its record
        (offset,) = struct.unpack("<Q", tail[locator + 8:locator + 16])
        if 0 <= offset <= end - 56:
            plain.seek(offset)
            record = plain.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack("<QQ", record[32:48])
    plain.seek(0)
    if entries > LIMITS.max_members or directory > MAX_DIRECTORY:
        raise BundleRefused("unsafe-archive", f"its table of contents lists {entries} "
                            f"members in {directory} bytes, more than a bundle may hold")


def _verify(opened: OpenedBundle, zf: zipfile.ZipFile, mine: set[str],
            trusted: Callable[[str], signing.PublicKey | None],
            cancel: CancelToken | None, progress: ProgressCallback | None) -> None:
    infos = zf.infolist()
    try:
        check_archive(infos, LIMITS)
    except ArchiveError as exc:
        raise BundleRefused("unsafe-archive", str(exc)) from None
    files = {info.filename: info for info in infos if not info.is_dir()}
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise BundleRefused("contents", f"missing {', '.join(missing)}")
    sums = _small(zf, files[SUMS], MAX_SUMS)
    sig_text = _small(zf, files[SUMS_SIG], MAX_SIGNATURE).decode("utf-8", "replace")
    comment = _check_signature(opened, sums, sig_text, trusted)
    try:
        listed = parse_sums(sums)
    except ValueError as exc:
        raise BundleRefused("checksums", str(exc)) from None
    unsigned = unsigned_members(infos, listed)
    if unsigned:
        raise BundleRefused("unsigned-file", f"not listed in {SUMS}: "
                                             f"{', '.join(unsigned[:10])}")
    absent = sorted(set(listed) - set(files))
    if absent:
        raise BundleRefused("truncated", f"listed in {SUMS} but absent: "
                                         f"{', '.join(absent[:10])}")
    opened.manifest = _json(_checked(opened, zf, files[MANIFEST], listed, MAX_TEXT), MANIFEST)
    declared = _declared(opened.manifest)
    total = sum(declared.get(n, files[n].file_size) for n in listed)
    done = 0
    for name in listed:
        if name in opened.digests:
            continue
        report(progress, done, total, name)
        size = declared.get(name)
        if size is None or files[name].file_size != size:
            raise BundleRefused("changed-file", f"{name} is not the size the signed "
                                                f"{MANIFEST} declares")
        digest = _stream(zf, files[name], size, cancel)
        if digest.sha256 != listed[name]:
            raise BundleRefused("changed-file", f"{name}: SHA-256 differs from {SUMS}")
        opened.digests[name] = digest
        done += size
    report(progress, total, total, RECORDS)
    _check_addressed(comment, mine)
    opened.comment = comment
    if opened.digests[RECORDS].size > MAX_TEXT:
        raise BundleRefused("records", f"{RECORDS} is larger than {MAX_TEXT >> 20} MB")
    opened.records = _json(opened.read(RECORDS), RECORDS)
    check_records(opened)


def _small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    buffer = io.BytesIO()
    try:
        stream_member(zf, info, limit, buffer, md5=False)
    except ArchiveError as exc:
        raise BundleRefused("damaged", str(exc)) from None
    return buffer.getvalue()


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int,
            cancel: CancelToken | None) -> MemberDigest:
    try:
        return stream_member(zf, info, size, md5=False, cancel=cancel)
    except ArchiveError as exc:
        raise BundleRefused("damaged", str(exc)) from None


def _checked(opened: OpenedBundle, zf: zipfile.ZipFile, info: zipfile.ZipInfo,
             listed: dict[str, str], limit: int) -> bytes:
    data = _small(zf, info, limit)
    digest = MemberDigest(info.filename, len(data), hashlib.sha256(data).hexdigest(), "")
    if digest.sha256 != listed.get(info.filename):
        raise BundleRefused("changed-file", f"{info.filename}: SHA-256 differs from {SUMS}")
    opened.digests[info.filename] = digest
    return data


def _json(data: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise BundleRefused("records", f"{name} cannot be read ({exc})") from None
    if not isinstance(value, dict):
        raise BundleRefused("records", f"{name} is not a JSON object")
    return value


def _declared(manifest: dict[str, Any]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    entries = manifest.get("files")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) \
                and isinstance(entry.get("size"), int) and entry["size"] >= 0:
            sizes[entry["name"]] = entry["size"]
    return sizes


def _check_signature(opened: OpenedBundle, sums: bytes, sig_text: str,
                     trusted: Callable[[str], signing.PublicKey | None]) -> dict[str, str]:
    try:
        sig = signing.parse_signature(sig_text)
    except WorkstationError as exc:
        raise BundleRefused("signature", f"{SUMS_SIG} cannot be read ({exc})") from None
    key = trusted(sig.key_id_hex)
    if key is None:
        raise BundleRefused("unknown-signer", f"it is signed with key {sig.key_id_hex}, which "
                            "is not a colleague's key (add the sender with `colleague add`, "
                            "after checking the fingerprint with them)")
    hasher = signing.minisign_hasher()
    hasher.update(sums)
    try:
        comment = signing.verify_digest(key, hasher.digest(), sig_text)
    except WorkstationError as exc:
        raise BundleRefused("signature", f"{SUMS} does not match its signature: the bundle "
                            f"was altered after it was signed ({exc})") from None
    opened.signer_key_id = key.key_id_hex
    fields = parse_trusted_comment(comment)
    if fields.get("casebundle") != FORMAT:
        raise BundleRefused("format", "the signed comment does not name this bundle format "
                            f"({FORMAT})")
    return fields


def _check_addressed(comment: dict[str, str], mine: set[str]) -> None:
    listed = {fp for key in ("to", "archive") for fp in comment.get(key, "").split(",") if fp}
    if not listed & mine:
        raise BundleRefused("not-addressed", "the sender signed it for other recipients "
                            f"({', '.join(sorted(listed)) or 'nobody'}); it was re-encrypted "
                            "for this workspace by someone else")


def check_records(opened: OpenedBundle) -> None:
    """``case.json`` against the verified members and the signed comment."""
    records = opened.records
    if records.get("format") != FORMAT:
        raise BundleRefused("format", f"{RECORDS} is not {FORMAT}")
    try:
        check_shape(records)
    except ShapeError as exc:
        raise BundleRefused("records", f"{RECORDS}: {exc}") from None
    case, captures = records["case"], records["captures"]
    if " ".join(case["name"].split())[:200] != opened.comment.get("case"):
        raise BundleRefused("records", f"{RECORDS} names another case than the signature")
    for capture in captures:
        sha = capture.get("sha256") if isinstance(capture, dict) else None
        if not isinstance(sha, str) or capture.get("file") != evidence_name(sha):
            raise BundleRefused("records", f"{RECORDS} describes a capture badly")
        digest = opened.digests.get(evidence_name(sha))
        if digest is None or digest.sha256 != sha or digest.size != capture.get("size"):
            raise BundleRefused("changed-file", f"the original {sha} is missing or is not "
                                                "the bytes its SHA-256 names")
        for redaction in capture.get("redactions") or []:
            name = redacted_name(str(redaction.get("sha256")))
            got = opened.digests.get(name)
            if got is None or got.sha256 != redaction.get("sha256"):
                raise BundleRefused("changed-file", f"the redacted copy {name} is missing")
    for stamp in records.get("timestamps") or []:
        name = stamp.get("file")
        if not isinstance(name, str) or _TOKEN_NAME.fullmatch(name) is None \
                or name not in opened.digests or opened.digests[name].size > MAX_TOKEN:
            raise BundleRefused("records", "a timestamp token named in case.json is missing "
                                           "or is not a token")
    check_segment(records)


def check_segment(records: dict[str, Any]) -> None:
    """The audit segment: each entry hashes to what it says and sits in one unbroken
    chain of hashes ending at the sender's head."""
    audit = records.get("audit")
    head = (records.get("workspace") or {}).get("audit_head")
    if not isinstance(audit, dict) or not isinstance(head, dict):
        raise BundleRefused("audit-chain", "the bundle carries no audit segment")
    chain = audit.get("chain")
    if not isinstance(chain, list) or not chain:
        raise BundleRefused("audit-chain", "the audit chain is empty")
    hashes: dict[int, str] = {}
    for position, link in enumerate(chain, start=1):
        if not (isinstance(link, list) and len(link) == 2 and link[0] == position
                and isinstance(link[1], str)):
            raise BundleRefused("audit-chain", f"the audit chain breaks at entry {position}")
        hashes[position] = link[1]
    if [len(chain), hashes[len(chain)]] != [head.get("seq"), head.get("hash")]:
        raise BundleRefused("audit-chain", "the audit chain does not end at the signed head")
    for entry in audit.get("entries") or []:
        _check_entry(entry, hashes)


def _check_entry(entry: Any, hashes: dict[int, str]) -> None:
    try:
        seq = int(entry["seq"])
        digest = entry_hash(seq, entry["at"], entry["analyst"], entry["action"],
                            entry["subject"], canonical_json(entry["details"]),
                            entry["prev_hash"])
        stated, prev_hash = entry["hash"], entry["prev_hash"]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BundleRefused("audit-chain", "an audit entry is malformed") from None
    prev = hashes.get(seq - 1, GENESIS if seq == 1 else None)
    if digest != stated or hashes.get(seq) != digest or prev_hash != prev:
        raise BundleRefused("audit-chain", f"audit entry {seq} does not hash into the "
                                           "sender's chain")

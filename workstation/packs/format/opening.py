"""Opening a pack as its recipient would: what ``age -d``, ``unzip``, ``minisign -V`` and
``sha256sum -c`` do, plus the checks only this tool can make (the recipient list in
the signed comment, the manifest's digests and sizes).  Needs no workspace.

A pack is hostile until proven otherwise, so nothing is written before it is proven:
the plaintext ZIP is an unlinked temporary file; its table of contents is checked;
the signature over ``SHA256SUMS`` is verified; every member must be listed there
(directories only as the folders of listed files) and is read -- not written -- within
the size the signed manifest declares (others within the limits), its SHA-256 checked.
Only then, with ``-o``, are the verified members written into a staging folder beside
the output (:mod:`~workstation.packs.format.staging`), renamed into place at the end.
Every file read (identity, trusted keys, manifest, signature) is bounded.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from workstation.crypto import signing
from workstation.crypto.age import (
    DecryptionFailed,
    InvalidIdentity,
    WrongKey,
    decrypt_stream,
    load_identities,
    read_identity_file,
)
from workstation.crypto.recipients import InvalidRecipient, fingerprint_of, parse_recipient
from workstation.errors import Cancelled, WorkstationError
from workstation.packs.format.packlisting import (
    declared_sizes,
    load_manifest,
    manifest_problems,
    member_digest,
    parse_sums,
    unsigned_members,
)
from workstation.packs.format.safezip import ArchiveError, ExtractLimits, MemberDigest
from workstation.packs.format.spec import (
    MANIFEST,
    REQUIRED_FILES,
    SUMS,
    SUMS_SIG,
    compact_fingerprint,
    parse_trusted_comment,
)
from workstation.packs.format.staging import OutputError, Staging
from workstation.packs.format.zipextract import check_archive, open_new_file, stream_member
from workstation.progress import CancelToken

#: The most read of a trusted-key file (minisign ``.pub`` files, a few of them).
MAX_KEY_FILE = 64 << 10
#: The most read of ``SHA256SUMS.minisig`` (four lines; the trusted comment <= 4 KiB).
MAX_SIGNATURE = 16 << 10
#: The most read of ``SHA256SUMS`` (one line per file, at most ``max_members`` files).
MAX_SUMS = 16 << 20
#: The most read of ``manifest.json``.
MAX_MANIFEST = 64 << 20


@dataclass(slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class OpenReport:
    """The verdict of :func:`open_pack`."""

    file: str
    checks: list[Check] = field(default_factory=list)
    ref: str | None = None
    platform: str | None = None
    signer_key_id: str | None = None
    trusted_comment: str | None = None
    items: int | None = None
    files: int | None = None
    extracted_to: str | None = None
    reply_to: str | None = None  # where outcomes go (signed manifest, version 2)
    reply_recipient: str | None = None  # the age1... recipient outcomes are encrypted to

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failure(self) -> str | None:
        for check in self.checks:
            if not check.ok:
                return f"{check.name}: {check.detail}"
        return None

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "valid": self.valid,
            "verdict": "valid" if self.valid else "INVALID", "failure": self.failure,
            "ref": self.ref, "platform": self.platform, "signer_key_id": self.signer_key_id,
            "trusted_comment": self.trusted_comment, "items": self.items, "files": self.files,
            "extracted_to": self.extracted_to, "reply_to": self.reply_to,
            "reply_recipient": self.reply_recipient,
            "checks": [asdict(c) for c in self.checks],
        }



def identity_fingerprints(path: str | os.PathLike[str]) -> dict[str, str]:
    """Compact fingerprint → recipient text, for every identity in an identity file."""
    data = read_identity_file(path)
    found: dict[str, str] = {}
    if data.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
        from cryptography.hazmat.primitives import serialization

        try:
            private = serialization.load_ssh_private_key(data, password=None)
        except (ValueError, TypeError):
            raise InvalidIdentity(f"The SSH private key in {os.fspath(path)!r} cannot be read "
                                  "(passphrase-protected keys are not supported).") from None
        public = private.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
        try:
            recipient = parse_recipient(public)
        except InvalidRecipient as exc:
            raise InvalidIdentity(f"{os.fspath(path)!r}: {exc}") from None
        found[compact_fingerprint(recipient.fingerprint)] = recipient.text
        return found
    import pyrage

    for ident in load_identities([data]):
        if isinstance(ident, pyrage.x25519.Identity):
            text = str(ident.to_public())
            found[compact_fingerprint(fingerprint_of(text))] = text
    return found


def parse_trusted_keys(text: str) -> list[signing.PublicKey]:
    """One or more minisign public keys (``.pub`` files concatenated, or base64 lines)."""
    keys: list[signing.PublicKey] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("untrusted comment:", "#")):
            continue
        keys.append(signing.parse_public_key(stripped))
    if not keys:
        raise signing.MalformedKey("The trusted key file holds no minisign public key.")
    return keys


def read_trusted_keys(path: str | os.PathLike[str]) -> list[signing.PublicKey]:
    """The minisign public keys of a trusted-key file, reading at most :data:`MAX_KEY_FILE`."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise signing.MalformedKey(f"cannot read {os.fspath(path)!r}: "
                                   f"{exc.strerror or exc}.") from None
    if len(data) > MAX_KEY_FILE:
        raise signing.MalformedKey(f"{os.fspath(path)!r} is larger than {MAX_KEY_FILE} bytes: "
                                   "not a minisign public key file.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise signing.MalformedKey(f"{os.fspath(path)!r} is not a text file.") from None
    return parse_trusted_keys(text)


@dataclass(slots=True)
class _Inputs:
    identities: list[Any]
    mine: dict[str, str]
    trusted: list[signing.PublicKey]


def _read_inputs(result: OpenReport, pack: str | os.PathLike[str],
                 identity: str | os.PathLike[str],
                 trust: str | os.PathLike[str]) -> _Inputs | None:
    path = Path(pack)
    if not path.exists() or path.is_dir():
        result.add("inputs", False, f"{os.fspath(pack)!r} does not exist or is not a file")
        return None
    try:
        identities = load_identities(identity)
        mine = identity_fingerprints(identity)
    except WorkstationError as exc:
        result.add("inputs", False, str(exc))
        return None
    try:
        trusted = read_trusted_keys(trust)
    except WorkstationError as exc:
        result.add("inputs", False, f"trusted key file: {exc}")
        return None
    if not mine:
        result.add("inputs", False, "The identity file holds no usable private key.")
        return None
    result.add("inputs", True, f"{len(mine)} identity key(s), {len(trusted)} trusted "
                               f"agency key(s)")
    return _Inputs(identities, mine, trusted)


def open_pack(
    pack: str | os.PathLike[str],
    identity: str | os.PathLike[str],
    trust: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    limits: ExtractLimits | None = None,
    cancel: CancelToken | None = None,
) -> OpenReport:
    """Decrypt and verify a pack as its recipient; never raises for a bad pack.

    With ``out_dir`` the verified files are left there; an invalid pack leaves
    nothing behind, and nothing is written before the signature, the listing and
    every member's size and SHA-256 have been checked.  Raises
    :class:`~workstation.errors.Cancelled` (after removing everything) when ``cancel``
    is set, e.g. by a SIGTERM handler.
    """
    result = OpenReport(file=os.fspath(pack))
    limits = limits or ExtractLimits()
    inputs = _read_inputs(result, pack, identity, trust)
    if inputs is None:
        return result
    with contextlib.ExitStack() as stack:
        staging: Staging | None = None
        try:
            if out_dir is not None:
                staging = Staging(Path(out_dir))
                stack.callback(staging.discard)
                plain = stack.enter_context(staging.temporary_file())
            else:
                plain = stack.enter_context(tempfile.TemporaryFile())
        except (OutputError, OSError) as exc:
            result.add("output", False, str(exc))
            return result
        if not _decrypt(result, Path(pack), plain, inputs.identities, limits, cancel):
            return result
        try:
            zf = stack.enter_context(zipfile.ZipFile(plain))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError,
                OSError) as exc:
            result.add("extract", False, f"the decrypted pack is not a valid ZIP archive "
                                         f"({exc})")
            return result
        verified = _verify(result, zf, inputs, limits, cancel)
        if verified is not None and result.valid and staging is not None:
            _extract(result, zf, verified, staging, cancel)
    return result


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else \
            str(exc.strerror or exc)
    return str(exc)


class _BoundedWriter:
    """Where the plaintext goes: stops past ``limit`` bytes, or when cancelled, and
    remembers a write error (disk full) so it is reported as such."""

    def __init__(self, raw: IO[bytes], limit: int, cancel: CancelToken | None) -> None:
        self._raw = raw
        self._limit = limit
        self._cancel = cancel
        self.written = 0
        self.overflow = False
        self.error: OSError | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._cancel is not None and self._cancel.cancelled:
            raise Cancelled("Opening the pack was stopped; nothing was kept.")
        n = len(data)
        if self.written + n > self._limit:
            self.overflow = True
            raise OSError(errno.EFBIG, "the decrypted pack is too large")
        try:
            self._raw.write(data)
        except OSError as exc:
            self.error = exc
            raise
        self.written += n
        return n

    def flush(self) -> None:
        self._raw.flush()


def _decrypt(result: OpenReport, pack: Path, plain: IO[bytes], identities: list[Any],
             limits: ExtractLimits, cancel: CancelToken | None) -> bool:
    sink = _BoundedWriter(plain, limits.max_archive_size, cancel)
    try:
        src = open(pack, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        return result.add("decrypt", False, f"cannot read the pack: {_describe(exc)}")
    try:
        with src:
            decrypt_stream(src, sink, identities, origin=repr(os.fspath(pack)))
        plain.flush()
        plain.seek(0)
    except WrongKey:
        return result.add("decrypt", False, "wrong identity: none of your keys can open this "
                                            "pack (it was encrypted to other recipients)")
    except (DecryptionFailed, OSError) as exc:
        if cancel is not None and cancel.cancelled:
            raise Cancelled("Opening the pack was stopped; nothing was kept.") from None
        if sink.overflow:
            return result.add("decrypt", False, f"the decrypted pack is larger than "
                                                f"{limits.max_archive_size} bytes; decryption "
                                                "stopped")
        if sink.error is not None:
            return result.add("decrypt", False, f"cannot write the decrypted pack: "
                                                f"{_describe(sink.error)}")
        return result.add("decrypt", False, f"the encrypted file is damaged, truncated or "
                                            f"altered ({_describe(exc)})")
    return result.add("decrypt", True, "age decryption authenticated every chunk")


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    buffer = io.BytesIO()
    stream_member(zf, info, limit, buffer, md5=False)
    return buffer.getvalue()


def _verify(result: OpenReport, zf: zipfile.ZipFile, inputs: _Inputs, limits: ExtractLimits,
            cancel: CancelToken | None) -> list[tuple[zipfile.ZipInfo, MemberDigest]] | None:
    """Every check but the writing; returns the verified members (in ZIP order)."""
    infos = zf.infolist()
    try:
        check_archive(infos, limits)
    except ArchiveError as exc:
        result.add("extract", False, str(exc))
        return None
    files = {info.filename: info for info in infos if not info.is_dir()}
    result.files = len(files)
    result.add("extract", True, f"{len(files)} files: names, types and declared sizes are "
                                "safe")
    missing = [name for name in REQUIRED_FILES if name not in files]
    if not result.add("contents", not missing,
                      f"missing {', '.join(missing)}" if missing else "all required files present"):
        return None
    signed = _check_signature(result, zf, files, inputs.trusted)
    if signed is None:
        return None
    sums, sig, comment = signed
    members = _check_members(result, zf, infos, sums, limits, cancel)
    if members is None:
        return None
    digests, manifest = members
    digests[SUMS] = member_digest(SUMS, sums)
    digests[SUMS_SIG] = member_digest(SUMS_SIG, sig)
    fields = parse_trusted_comment(comment)
    if not _check_recipient(result, fields, inputs.mine):
        return None
    _check_manifest(result, manifest, digests, fields)
    return [(info, digests[info.filename]) for info in infos if info.filename in digests]


def _check_signature(result: OpenReport, zf: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo],
                     trusted: list[signing.PublicKey]) -> tuple[bytes, bytes, str] | None:
    """Verify the signature over ``SHA256SUMS`` (both read within their limits)."""
    try:
        sig_bytes = _read_small(zf, files[SUMS_SIG], MAX_SIGNATURE)
        sums = _read_small(zf, files[SUMS], MAX_SUMS)
    except ArchiveError as exc:
        result.add("signature", False, str(exc))
        return None
    sig_text = sig_bytes.decode("utf-8", "replace")
    try:
        sig = signing.parse_signature(sig_text)
        key = signing.find_public_key(trusted, sig.key_id)
        if key is None:
            known = ", ".join(k.key_id_hex for k in trusted) or "none"
            raise signing.WrongSigningKey(
                f"The signature was made with key {sig.key_id_hex}, which is not among the "
                f"known keys ({known}).")
        hasher = signing.minisign_hasher()
        hasher.update(sums)
        comment = signing.verify_digest(key, hasher.digest(), sig_text)
    except WorkstationError as exc:
        result.add("signature", False, f"{SUMS}: {exc}")
        return None
    result.signer_key_id = key.key_id_hex
    result.trusted_comment = comment
    result.add("signature", True, f"{SUMS} signed by agency key {key.key_id_hex}")
    return sums, sig_bytes, comment


def _check_members(result: OpenReport, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                   sums: bytes, limits: ExtractLimits, cancel: CancelToken | None,
                   ) -> tuple[dict[str, MemberDigest], dict[str, Any] | str] | None:
    """Only signed members, each read within its declared size and matching its SHA-256."""
    try:
        listed = parse_sums(sums)
    except ValueError as exc:
        result.add("checksums", False, str(exc))
        return None
    unsigned = unsigned_members(infos, listed)
    if unsigned:
        result.add("checksums", False, f"not listed in {SUMS} (nothing unsigned is accepted): "
                                       f"{', '.join(unsigned[:20])}")
        return None
    files = {info.filename: info for info in infos if not info.is_dir()}
    absent = sorted(set(listed) - set(files))
    if absent:
        result.add("checksums", False, f"missing file(s) listed in {SUMS}: {', '.join(absent)}")
        return None
    try:
        manifest_bytes = _read_small(zf, files[MANIFEST], MAX_MANIFEST)
    except ArchiveError as exc:
        result.add("checksums", False, str(exc))
        return None
    digests = {MANIFEST: member_digest(MANIFEST, manifest_bytes)}
    if digests[MANIFEST].sha256 != listed[MANIFEST]:
        result.add("checksums", False, f"changed file(s): {MANIFEST} (SHA-256 differs from "
                                       f"{SUMS})")
        return None
    manifest = load_manifest(manifest_bytes)
    declared = declared_sizes(manifest)
    total = digests[MANIFEST].size
    for info in infos:
        name = info.filename
        if name not in listed or name in digests:
            continue
        size = declared.get(name)
        if size is not None and info.file_size != size:
            result.add("checksums", False, f"{name} is {info.file_size} bytes in the archive but "
                                           f"{size} in the signed {MANIFEST}; nothing was read")
            return None
        limit = min(limits.max_member_size if size is None else size,
                    max(0, limits.max_total_size - total))
        try:
            digest = stream_member(zf, info, limit, cancel=cancel)
        except ArchiveError as exc:
            result.add("checksums", False, str(exc))
            return None
        total += digest.size
        if digest.sha256 != listed[name]:
            result.add("checksums", False, f"changed file(s): {name} (SHA-256 differs from "
                                           f"{SUMS})")
            return None
        digests[name] = digest
    result.add("checksums", True, f"{len(listed)} files match {SUMS}, each within its "
                                  "declared size")
    return digests, manifest


def _check_recipient(result: OpenReport, fields: dict[str, str], mine: dict[str, str]) -> bool:
    result.ref = fields.get("alertpack")
    result.platform = fields.get("platform")
    listed = {fp for key in ("to", "archive") for fp in fields.get(key, "").split(",") if fp}
    ours = sorted(set(mine) & listed)
    if not result.ref:
        return result.add("recipient", False, "the signed comment names no pack reference")
    return result.add(
        "recipient", bool(ours),
        f"addressed to your key {ours[0]}" if ours else
        "this pack was not addressed to your key: the agency sealed it for "
        f"{', '.join(sorted(listed)) or 'nobody'}, and it was re-encrypted for you by someone "
        "else",
    )


def _check_manifest(result: OpenReport, manifest: dict[str, Any] | str,
                    digests: dict[str, MemberDigest], fields: dict[str, str]) -> None:
    if isinstance(manifest, str):
        result.add("manifest", False, manifest)
        return
    problems, items = manifest_problems(manifest, digests, fields)
    result.items = items
    reporting = manifest.get("outcome_reporting")
    if not problems and isinstance(reporting, dict):  # shown only from a verified manifest
        result.reply_to = _text_or_none(reporting.get("send_to"))
        result.reply_recipient = _text_or_none(reporting.get("reply_recipient"))
    result.add("manifest", not problems,
               "; ".join(problems) if problems else
               f"{items} item(s); every file matches its SHA-256 and MD5")


def _extract(result: OpenReport, zf: zipfile.ZipFile,
             verified: list[tuple[zipfile.ZipInfo, MemberDigest]], staging: Staging,
             cancel: CancelToken | None) -> None:
    """Write the verified members into the staging folder, then move it into place."""
    root = staging.files
    try:
        root.mkdir(mode=0o700)
        for info, digest in verified:
            dest = root.joinpath(*info.filename.split("/"))
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with os.fdopen(open_new_file(dest), "wb") as out:
                got = stream_member(zf, info, digest.size, out, md5=False, cancel=cancel)
            if got.sha256 != digest.sha256:
                raise OutputError(f"{info.filename} changed while it was extracted")
        staging.commit()
    except (OutputError, ArchiveError) as exc:
        result.add("output", False, str(exc))
        return
    except OSError as exc:
        result.add("output", False, f"cannot write the verified files: {_describe(exc)}")
        return
    result.extracted_to = os.fspath(staging.target)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

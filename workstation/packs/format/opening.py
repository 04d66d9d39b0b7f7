"""Opening a pack as its recipient would: what ``age -d``, ``unzip``, ``minisign -V`` and
``sha256sum -c`` do, plus the checks only this tool can make (the recipient list in
the signed comment, the manifest's digests).  Needs no workspace."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workstation.crypto import signing
from workstation.crypto.age import (
    DecryptionFailed,
    InvalidIdentity,
    WrongKey,
    decrypt_file,
    load_identities,
)
from workstation.crypto.recipients import InvalidRecipient, fingerprint_of, parse_recipient
from workstation.errors import WorkstationError
from workstation.packs.format.safezip import (
    ArchiveError,
    ExtractLimits,
    MemberDigest,
    safe_extract,
)
from workstation.packs.format.spec import (
    _SUMS_LINE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    REQUIRED_FILES,
    SUMS,
    SUMS_SIG,
    compact_fingerprint,
    parse_trusted_comment,
)


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
            "extracted_to": self.extracted_to, "checks": [asdict(c) for c in self.checks],
        }


def identity_fingerprints(path: str | os.PathLike[str]) -> dict[str, str]:
    """Compact fingerprint → recipient text, for every identity in an identity file."""
    data = Path(path).read_bytes()
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

    for ident in load_identities(path):
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


def open_pack(
    pack: str | os.PathLike[str],
    identity: str | os.PathLike[str],
    trust: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    limits: ExtractLimits | None = None,
) -> OpenReport:
    """Decrypt, extract safely, and verify a pack as its recipient; never raises for a bad pack.

    With ``out_dir`` the verified files are left there; an invalid pack leaves
    nothing behind (what was extracted is removed again).
    """
    result = OpenReport(file=os.fspath(pack))
    if not Path(pack).is_file():
        result.add("inputs", False, f"{os.fspath(pack)!r} does not exist or is not a file")
        return result
    try:
        identities = load_identities(identity)
        mine = identity_fingerprints(identity)
        keys_text = Path(trust).read_text(encoding="utf-8")
    except (WorkstationError, OSError, UnicodeDecodeError) as exc:
        result.add("inputs", False, _message(exc))
        return result
    try:
        trusted = parse_trusted_keys(keys_text)
    except WorkstationError as exc:
        result.add("inputs", False, f"trusted key file: {exc}")
        return result
    if not mine:
        result.add("inputs", False, "The identity file holds no usable private key.")
        return result
    result.add("inputs", True, f"{len(mine)} identity key(s), {len(trusted)} trusted "
                               f"agency key(s)")

    target = Path(out_dir) if out_dir is not None else None
    created_target = False
    if target is not None:
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            result.add("output", False, f"{os.fspath(target)!r} exists and is not an empty folder")
            return result
        created_target = not target.exists()
        work_parent: Path | None = target.absolute().parent
        target.absolute().parent.mkdir(parents=True, exist_ok=True)
    else:
        work_parent = None
    work = Path(tempfile.mkdtemp(prefix=".alertpack-open-", dir=work_parent))
    extract_to = target if target is not None else work / "pack"
    try:
        _open_into(result, Path(pack), identities, mine, trusted, work, extract_to, limits)
    finally:
        with contextlib.suppress(OSError):
            (work / "pack.zip").unlink()
        shutil.rmtree(work, ignore_errors=True)
        if target is not None and not result.valid:
            _remove_extracted(target, created_target)
    if target is not None and result.valid:
        result.extracted_to = os.fspath(target)
    return result


def _remove_extracted(target: Path, created: bool) -> None:
    if not target.exists() or target.is_symlink():
        return
    if created:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                child.unlink()


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)
    return str(exc)


def _open_into(
    result: OpenReport,
    pack: Path,
    identities: list[Any],
    mine: dict[str, str],
    trusted: list[signing.PublicKey],
    work: Path,
    target: Path,
    limits: ExtractLimits | None,
) -> None:
    plain = work / "pack.zip"
    try:
        decrypt_file(pack, plain, identities)
    except WrongKey:
        result.add("decrypt", False, "wrong identity: none of your keys can open this pack "
                                     "(it was encrypted to other recipients)")
        return
    except (DecryptionFailed, OSError) as exc:
        result.add("decrypt", False, f"the encrypted file is damaged, truncated or altered "
                                     f"({_message(exc)})")
        return
    result.add("decrypt", True, "age decryption authenticated every chunk")

    try:
        members = safe_extract(plain, target, limits=limits)
    except ArchiveError as exc:
        result.add("extract", False, str(exc))
        return
    except WorkstationError as exc:
        result.add("extract", False, str(exc))
        return
    digests = {m.name: m for m in members}
    result.files = len(members)
    result.add("extract", True, f"{len(members)} files extracted safely")

    missing = [name for name in REQUIRED_FILES if name not in digests]
    if not result.add("contents", not missing,
                      f"missing {', '.join(missing)}" if missing else "all required files present"):
        return

    sig_text = (target / SUMS_SIG).read_text(encoding="utf-8", errors="replace")
    try:
        signer, comment = signing.verify_file_with_keys(trusted, target / SUMS, sig_text)
    except WorkstationError as exc:
        result.add("signature", False, f"{SUMS}: {exc}")
        return
    result.signer_key_id = signer.key_id_hex
    result.trusted_comment = comment
    result.add("signature", True, f"{SUMS} signed by agency key {signer.key_id_hex}")

    if not _check_sums(result, (target / SUMS).read_text(encoding="utf-8", errors="replace"),
                       digests):
        return

    fields = parse_trusted_comment(comment)
    result.ref = fields.get("alertpack")
    result.platform = fields.get("platform")
    listed = {fp for key in ("to", "archive") for fp in fields.get(key, "").split(",") if fp}
    ours = sorted(set(mine) & listed)
    if not result.ref:
        result.add("recipient", False, "the signed comment names no pack reference")
        return
    if not result.add(
        "recipient", bool(ours),
        f"addressed to your key {ours[0]}" if ours else
        "this pack was not addressed to your key: the agency sealed it for "
        f"{', '.join(sorted(listed)) or 'nobody'}, and it was re-encrypted for you by someone "
        "else",
    ):
        return
    _check_manifest(result, target, digests, fields)


def _check_sums(result: OpenReport, text: str, digests: dict[str, MemberDigest]) -> bool:
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            return result.add("checksums", False, f"{SUMS} line {number} is malformed")
        listed[match.group(2)] = match.group(1)
    bad = sorted(name for name, digest in listed.items()
                 if name in digests and digests[name].sha256 != digest)
    absent = sorted(name for name in listed if name not in digests)
    unlisted = sorted(set(digests) - set(listed) - {SUMS, SUMS_SIG})
    if bad:
        return result.add("checksums", False, f"changed file(s): {', '.join(bad)} (SHA-256 "
                                              f"differs from {SUMS})")
    if absent:
        return result.add("checksums", False, f"missing file(s) listed in {SUMS}: "
                                              f"{', '.join(absent)}")
    if unlisted:
        return result.add("checksums", False, f"file(s) not listed in {SUMS}: "
                                              f"{', '.join(unlisted)}")
    return result.add("checksums", True, f"{len(listed)} files match {SUMS}")


def _check_manifest(result: OpenReport, target: Path, digests: dict[str, MemberDigest],
                    fields: dict[str, str]) -> None:
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        result.add("manifest", False, f"{MANIFEST} cannot be read ({exc})")
        return
    problems: list[str] = []
    if manifest.get("format") != FORMAT:
        problems.append("not an alert pack manifest")
    elif manifest.get("format_version") != FORMAT_VERSION:
        problems.append(f"format version {manifest.get('format_version')} is not supported "
                        f"(this tool reads version {FORMAT_VERSION})")
    if manifest.get("pack_ref") != fields.get("alertpack"):
        problems.append(f"pack_ref {manifest.get('pack_ref')!r} differs from the signed "
                        f"reference {fields.get('alertpack')!r}")
    keys = {compact_fingerprint(k.get("fingerprint", ""))
            for k in manifest.get("recipient", {}).get("keys", [])}
    listed = {fp for key in ("to", "archive") for fp in fields.get(key, "").split(",") if fp}
    if keys != listed:
        problems.append("the recipient keys differ from the signed recipient list")
    items = manifest.get("items", [])
    for item in items:
        for f in item.get("files", []):
            got = digests.get(f.get("path"))
            if got is None:
                problems.append(f"item {item.get('item')}: {f.get('path')} is missing")
            elif got.sha256 != f.get("sha256") or got.md5 != f.get("md5"):
                problems.append(f"item {item.get('item')}: {f.get('path')} differs from its "
                                "SHA-256/MD5 in the manifest")
    result.items = len(items)
    result.add("manifest", not problems,
               "; ".join(problems) if problems else
               f"{len(items)} item(s); every file matches its SHA-256 and MD5")

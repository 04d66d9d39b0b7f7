"""``workstation report --check FILE --trust PUBFILE``: whether a case report is the one
the agency signed (``FILE.minisig``, minisign's format) and still reads as its format.
Needs no workspace: anyone given the report and the agency's public key can check it
(``minisign -Vm FILE -p PUBFILE`` checks the same signature)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workstation.crypto import signing

#: The most bytes of a public key file or signature read.
_SMALL = 64 * 1024


@dataclass(frozen=True, slots=True)
class CheckResult:
    valid: bool
    message: str
    key_id: str | None = None
    trusted_comment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _read_small(path: Path, what: str) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(_SMALL + 1)
    except OSError as exc:
        raise signing.SignatureError(f"Cannot read the {what} {os.fspath(path)!r}: "
                                     f"{exc.strerror}.") from None
    if len(data) > _SMALL:
        raise signing.SignatureError(f"The {what} {os.fspath(path)!r} is too large.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise signing.SignatureError(f"The {what} {os.fspath(path)!r} is not text.") from None


def _parses(path: Path) -> str | None:
    """Why ``path`` does not read as a PDF or HTML report, else ``None``."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
            fh.seek(max(0, path.stat().st_size - 1024))
            tail = fh.read()
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if head.startswith(b"%PDF-"):
        if b"%%EOF" not in tail or b"startxref" not in tail:
            return "the PDF is truncated (no trailer)"
        return None
    if head.lstrip().lower().startswith(b"<!doctype html") and b"</html>" in tail.lower():
        return None
    return "it is neither a complete PDF nor a complete HTML report"


def check_report(file: str | os.PathLike[str], trust: str | os.PathLike[str],
                 signature: str | os.PathLike[str] | None = None) -> CheckResult:
    """Verify ``file`` against ``file.minisig`` (or ``signature``) with the minisign
    public key(s) in ``trust``; then that it reads as a PDF or HTML report."""
    path = Path(file)
    sig_path = Path(signature) if signature is not None else path.with_name(path.name
                                                                             + ".minisig")
    try:
        keys_text = _read_small(Path(trust), "public key file")
        keys = [signing.parse_public_key(line) for line in _key_lines(keys_text)]
        if not keys:
            raise signing.MalformedKey("The public key file holds no minisign public key.")
        sig_text = _read_small(sig_path, "signature")
        if not path.is_file():
            raise signing.SignatureError(f"There is no report {os.fspath(path)!r}.")
        key, comment = signing.verify_file_with_keys(keys, path, sig_text)
    except signing.SignatureError as exc:
        return CheckResult(False, f"INVALID: {exc}")
    problem = _parses(path)
    if problem is not None:
        return CheckResult(False, f"INVALID: the signature matches but {problem}.",
                           key.key_id_hex, comment)
    return CheckResult(True, f"VALID: signed by agency key {key.key_id_hex}; trusted comment: "
                             f"{comment}", key.key_id_hex, comment)


def _key_lines(text: str) -> list[str]:
    """The base64 key lines of a minisign ``.pub`` file (one or several keys)."""
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lower().startswith("untrusted comment:")]

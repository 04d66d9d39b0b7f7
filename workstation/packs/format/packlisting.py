"""What ``pack open`` reads from a pack's signed files: ``SHA256SUMS`` (what is signed,
and so the only members accepted), the sizes the manifest declares (the most read of
each member), and the manifest's agreement with the signature and the members."""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import Any

from workstation.packs.format.spec import (
    _SUMS_LINE,
    FORMAT,
    MANIFEST,
    SUMS,
    SUMS_SIG,
    SUPPORTED_FORMAT_VERSIONS,
    compact_fingerprint,
)
from workstation.packs.format.zipbase import MemberDigest, name_key


def member_digest(name: str, data: bytes) -> MemberDigest:
    return MemberDigest(name, len(data), hashlib.sha256(data).hexdigest(),
                        hashlib.md5(data, usedforsecurity=False).hexdigest())


def parse_sums(data: bytes) -> dict[str, str]:
    """``SHA256SUMS`` as name → SHA-256; raises ValueError saying what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{SUMS} is not UTF-8 text") from None
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            raise ValueError(f"{SUMS} line {number} is malformed")
        if match.group(2) in listed:
            raise ValueError(f"{SUMS} lists {match.group(2)!r} twice")
        listed[match.group(2)] = match.group(1)
    return listed


def unsigned_members(infos: list[zipfile.ZipInfo], listed: dict[str, str]) -> list[str]:
    """Members the signature does not cover: files not listed in ``SHA256SUMS``, and
    folder entries that are not a folder of a listed file."""
    folders: set[str] = set()
    for name in listed:
        parts = name_key(name).split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    unsigned = []
    for info in infos:
        if info.is_dir():
            if name_key(info.filename) not in folders:
                unsigned.append(info.filename)
        elif info.filename not in listed and info.filename not in (SUMS, SUMS_SIG):
            unsigned.append(info.filename)
    return unsigned


def declared_sizes(manifest: Any) -> dict[str, int]:
    """Path → size of every item file the (signed) manifest declares."""
    sizes: dict[str, int] = {}
    items = manifest.get("items") if isinstance(manifest, dict) else None
    for item in items if isinstance(items, list) else []:
        files = item.get("files") if isinstance(item, dict) else None
        for entry in files if isinstance(files, list) else []:
            if not isinstance(entry, dict):
                continue
            path, size = entry.get("path"), entry.get("size")
            if isinstance(path, str) and isinstance(size, int) and not isinstance(size, bool) \
                    and size >= 0:
                sizes[path] = size
    return sizes


def load_manifest(data: bytes) -> dict[str, Any] | str:
    """The manifest, or why it cannot be read."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        return f"{MANIFEST} cannot be read ({exc})"
    if not isinstance(manifest, dict):
        return f"{MANIFEST} is not a JSON object"
    return manifest


#: Members every pack of a format version has beyond ``REQUIRED_FILES`` (which version 1
#: packs have): checked once the manifest says which version the pack is.
MEMBERS_SINCE = {2: ("misp.json", "portal.csv")}


def missing_members(manifest: dict[str, Any], digests: dict[str, MemberDigest]) -> list[str]:
    """The members the pack's format version requires that are not among the signed
    members read (``misp.json`` and ``portal.csv`` since version 2)."""
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return []
    return [f"{name} is missing (required since format version {since})"
            for since, names in sorted(MEMBERS_SINCE.items()) if version >= since
            for name in names if name not in digests]


def manifest_problems(manifest: dict[str, Any], digests: dict[str, MemberDigest],
                      fields: dict[str, str]) -> tuple[list[str], int]:
    """What is wrong with the manifest given the signed comment and the members read;
    and the number of items."""
    problems: list[str] = []
    if manifest.get("format") != FORMAT:
        problems.append("not an alert pack manifest")
    elif manifest.get("format_version") not in SUPPORTED_FORMAT_VERSIONS:
        problems.append(f"format version {manifest.get('format_version')} is not supported "
                        f"(this tool reads versions "
                        f"{', '.join(map(str, SUPPORTED_FORMAT_VERSIONS))})")
    if manifest.get("pack_ref") != fields.get("alertpack"):
        problems.append(f"pack_ref {manifest.get('pack_ref')!r} differs from the signed "
                        f"reference {fields.get('alertpack')!r}")
    recipient = manifest.get("recipient")
    keys_list = recipient.get("keys") if isinstance(recipient, dict) else None
    keys = {compact_fingerprint(str(k.get("fingerprint", "")))
            for k in (keys_list if isinstance(keys_list, list) else []) if isinstance(k, dict)}
    listed = {fp for key in ("to", "archive") for fp in fields.get(key, "").split(",") if fp}
    if keys != listed:
        problems.append("the recipient keys differ from the signed recipient list")
    items = manifest.get("items")
    items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    for item in items:
        files = item.get("files")
        for f in files if isinstance(files, list) else []:
            path = f.get("path") if isinstance(f, dict) else None
            got = digests.get(path) if isinstance(path, str) else None
            if got is None:
                problems.append(f"item {item.get('item')}: {path} is missing")
            elif got.sha256 != f.get("sha256") or got.md5 != f.get("md5"):
                problems.append(f"item {item.get('item')}: {path} differs from its "
                                "SHA-256/MD5 in the manifest")
    problems += missing_members(manifest, digests)
    return problems, len(items)

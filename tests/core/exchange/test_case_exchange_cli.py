"""Case exchange through the real CLI between two workspaces (docs/case-exchange.md):
``key export`` -> ``colleague add`` both ways -> ``case export`` -> ``case import`` ->
``verify``; the bundle opened as a colleague would, with age, unzip (Python's zipfile),
minisign and sha256sum; its ``case.jsonld`` checked with ``case_validate``; and the
refusals, each one line on stderr, exit status 1, the audit trail unchanged.

The two workspaces are built once for the module (through the CLI); each test reads the
state it compares before it acts, so the tests do not depend on their order."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.conftest import require_tool, run_cli
from tests.core.exchange.test_caseuco import run_case_validate
from tests.issuer import ISSUER_FLAGS
from workstation.crypto import signing

PASS_ENV = "WS_TEST_CASE_EXCHANGE_CLI_PASSPHRASE"
PASSPHRASE = "correct horse battery staple"
#: The file secret store (never a developer's keyring), unlocked with a passphrase.
BASE_ENV = {PASS_ENV: PASSPHRASE, "WORKSTATION_SECRET_BACKEND": "file"}
ALICE, BOB = "Alice Brown", "Bob Carter"
CASE = "Op Tide"
FORMAT = "analyst-workstation-case/1"


@dataclass(frozen=True)
class Pair:
    """Alice's workspace (a case of two captures) and Bob's, each the other's colleague."""

    folder: Path
    a: Path
    b: Path
    a_pub: Path            # Alice's `key export --minisign`
    bob_at_a: int          # Bob's colleague id in Alice's workspace
    bob_fingerprint: str   # of his age recipient, as `colleague add` showed it
    alice_at_b: int
    captures: list[str]    # the SHA-256 of Alice's two originals


ANALYST: dict[str, str] = {}


def _cli(ws: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The CLI on ``ws`` as that workspace's analyst; the passphrase never shown."""
    env = {**BASE_ENV, "WORKSTATION_ANALYST": ANALYST[str(ws)]}
    result = run_cli(*args, workspace=ws, env=env, check=check)
    assert PASSPHRASE not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _json(ws: Path, *args: str) -> Any:
    return json.loads(_cli(ws, *args, "--json").stdout)


def _refused(ws: Path, *args: str) -> str:
    """The one line of a refused command: exit status 1, no traceback."""
    result = _cli(ws, *args, check=False)
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("workstation: error: "), lines[0]
    return lines[0]


def _workspace(path: Path, analyst: str) -> Path:
    ANALYST[str(path)] = analyst
    _cli(path, "init")
    _cli(path, "key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS)
    return path


def _export_keys(ws: Path, folder: Path, name: str) -> tuple[str, Path]:
    """``key export --age`` (one line) and ``key export --minisign`` (a .pub file)."""
    age_line = _cli(ws, "key", "export", "--age").stdout
    assert len(age_line.splitlines()) == 1 and age_line.startswith("age1")
    pub = folder / f"{name}.pub"
    pub.write_text(_cli(ws, "key", "export", "--minisign").stdout, encoding="utf-8")
    return age_line.strip(), pub


def _add_colleague(ws: Path, name: str, recipient: str, pub: Path) -> dict[str, Any]:
    added: dict[str, Any] = _json(ws, "colleague", "add", "--name", name, "--recipient",
                                  recipient, "--minisign", str(pub))
    assert (added["name"], added["recipient"], added["removed"]) == (name, recipient, False)
    return added


def _images(folder: Path) -> list[Path]:
    """Two different PNG images, made with Pillow."""
    folder.mkdir()
    paths = []
    for n, colour in enumerate([(200, 30, 30), (30, 90, 200)]):
        image = Image.new("RGB", (320, 200), (250, 250, 250))
        draw = ImageDraw.Draw(image)
        draw.rectangle((20 + 40 * n, 30, 200 + 20 * n, 150), fill=colour)
        draw.text((30, 170), f"advert {n}", fill="black")
        path = folder / f"advert{n}.png"
        image.save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    folder = tmp_path_factory.mktemp("exchange-cli")
    a = _workspace(folder / "alice", ALICE)
    b = _workspace(folder / "bob", BOB)
    a_age, a_pub = _export_keys(a, folder, "alice")
    b_age, b_pub = _export_keys(b, folder, "bob")
    bob = _add_colleague(a, BOB, b_age, b_pub)
    alice_at_b = int(_add_colleague(b, ALICE, a_age, a_pub)["id"])
    imported = _cli(a, "import", "--case", CASE, "--note", "seen on a public group",
                    "--tag", "boat", "--json", *map(str, _images(folder / "images"))).stdout
    results = [json.loads(line) for line in imported.splitlines()]  # one object a file
    shas = sorted(r["sha256"] for r in results if r["status"] == "imported")
    assert len(shas) == 2, imported
    return Pair(folder, a, b, a_pub, int(bob["id"]), bob["fingerprint"], alice_at_b, shas)


@pytest.fixture(scope="module")
def bundle_for_bob(pair: Pair) -> tuple[Path, dict[str, Any]]:
    """Alice's case exported to Bob (``case export --json``)."""
    dest = pair.folder / "to-bob.casebundle.age"
    exported = _json(pair.a, "case", "export", CASE, "-o", str(dest), "--to",
                     str(pair.bob_at_a), "--passphrase-env", PASS_ENV)
    return dest, exported


def _audit(ws: Path) -> list[dict[str, Any]]:
    entries = _json(ws, "audit")
    assert isinstance(entries, list)
    return entries


def _files(ws: Path) -> list[str]:
    """Every file under the folders an import may write to."""
    return sorted(str(p.relative_to(ws)) for sub in ("evidence", "thumbs", "redacted", "tmp")
                  for p in (ws / sub).rglob("*") if p.is_file())


def test_a_case_goes_from_one_workspace_to_another(
        pair: Pair, bundle_for_bob: tuple[Path, dict[str, Any]]) -> None:
    dest, exported = bundle_for_bob
    assert exported["path"] == str(dest) and dest.is_file()
    assert (exported["case"], exported["captures"]) == (CASE, 2)
    assert exported["size"] == dest.stat().st_size
    assert re.fullmatch(r"[0-9a-f]{64}", exported["sha256"])
    # case.json, case.jsonld, two originals, manifest.json, SHA256SUMS, its signature
    assert exported["members"] == 7
    originals = sum((pair.a / "evidence" / s[:2] / s[2:4] / s).stat().st_size
                    for s in pair.captures)
    assert exported["evidence_bytes"] == originals
    roles = sorted((r["role"], r["name"]) for r in exported["recipients"])
    assert roles == [("archive", ALICE), ("colleague", BOB)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["fingerprint"]) for r in exported["recipients"])
    to_bob = next(r for r in exported["recipients"] if r["role"] == "colleague")
    assert to_bob["fingerprint"] == pair.bob_fingerprint.replace(" ", "").lower()
    export_entry = [e for e in _audit(pair.a) if e["action"] == "case.export"][-1]
    assert export_entry["analyst"] == ALICE
    assert export_entry["details"]["sha256"] == exported["sha256"]

    summary = _json(pair.b, "case", "import", str(dest), "--passphrase-env", PASS_ENV)
    assert (summary["case"], summary["sender"], summary["colleague"]) == (CASE, ALICE, ALICE)
    assert summary["bundle_sha256"] == exported["sha256"]
    assert summary["case_created"] and not summary["already_imported"]
    assert len(summary["added"]) == 2 and summary["present"] == []
    assert summary["conflicts"] == []

    verified = _cli(pair.b, "verify", "--json", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["problems"] == []

    # continuity: Bob's case.import names Alice, the bundle and Alice's audit head
    entry = [e for e in _audit(pair.b) if e["action"] == "case.import"][-1]
    assert entry["analyst"] == BOB
    details = entry["details"]
    assert details["bundle_sha256"] == exported["sha256"]
    assert details["sender"] == ALICE and details["colleague"] == pair.alice_at_b
    assert sorted(details["added"]) == pair.captures
    alice_hashes = {e["hash"] for e in _audit(pair.a)}
    assert details["foreign_head"]["hash"] in alice_hashes

    # the same bundle again changes nothing
    before = len(_audit(pair.b))
    again = _json(pair.b, "case", "import", str(dest), "--passphrase-env", PASS_ENV)
    assert again["already_imported"] and again["added"] == []
    assert len(_audit(pair.b)) == before


@dataclass(frozen=True)
class Opened:
    """A bundle exported to a colleague whose age identity ``age-keygen`` made, decrypted
    with ``age`` and extracted."""

    folder: Path
    trusted_comment: str


def _run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd, timeout=120,
                          check=False)


@pytest.fixture(scope="module")
def opened_with_tools(pair: Pair) -> Opened:
    age, age_keygen = require_tool("age"), require_tool("age-keygen")
    minisign, sha256sum = require_tool("minisign"), require_tool("sha256sum")
    work = pair.folder / "carol"
    work.mkdir()
    identity = work / "id.txt"
    made = _run(age_keygen, "-o", str(identity))
    assert made.returncode == 0, made.stderr
    recipient = _run(age_keygen, "-y", str(identity))
    assert recipient.returncode == 0, recipient.stderr
    carol_pub = work / "carol.pub"  # any valid minisign key that is not a colleague's yet
    carol_pub.write_text(signing.generate_key().public_key().minisign_text(), encoding="utf-8")
    carol = _add_colleague(pair.a, "Carol Diaz", recipient.stdout.strip(), carol_pub)["id"]

    bundle = work / "to-carol.casebundle.age"
    exported = _json(pair.a, "case", "export", CASE, "-o", str(bundle), "--to", str(carol),
                     "--passphrase-env", PASS_ENV)
    assert exported["captures"] == 2
    plain = work / "b.zip"
    decrypted = _run(age, "-d", "-i", str(identity), "-o", str(plain), str(bundle))
    assert decrypted.returncode == 0, decrypted.stderr
    extracted = work / "bundle"
    with zipfile.ZipFile(plain) as zf:
        assert zf.testzip() is None
        zf.extractall(extracted)
    checked = _run(minisign, "-Vm", "SHA256SUMS", "-p", str(pair.a_pub), cwd=extracted)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    comment = next((line.split(":", 1)[1].strip() for line in checked.stdout.splitlines()
                    if line.startswith("Trusted comment:")), "")
    sums = _run(sha256sum, "-c", "SHA256SUMS", cwd=extracted)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    ok = [line for line in sums.stdout.splitlines() if line.endswith(": OK")]
    assert len(ok) == 5, sums.stdout  # every member but SHA256SUMS and its signature
    return Opened(extracted, comment)


def test_the_bundle_opens_with_standard_tools(pair: Pair, opened_with_tools: Opened) -> None:
    folder = opened_with_tools.folder
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert names == sorted(["case.json", "case.jsonld", "manifest.json", "SHA256SUMS",
                            "SHA256SUMS.minisig",
                            *(f"evidence/{s}" for s in pair.captures)])
    for sha in pair.captures:  # each original byte-exact, named by its SHA-256
        original = pair.a / "evidence" / sha[:2] / sha[2:4] / sha
        assert (folder / "evidence" / sha).read_bytes() == original.read_bytes()
    fields = dict(part.split(":", 1) for part in opened_with_tools.trusted_comment.split("\t"))
    assert fields["casebundle"] == FORMAT and fields["case"] == CASE
    assert fields["from"] == ALICE and fields["file"] == "SHA256SUMS"
    records = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    assert records["format"] == FORMAT and records["exported_by"] == ALICE
    assert sorted(c["sha256"] for c in records["captures"]) == pair.captures
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert sorted((r["role"], r["name"]) for r in manifest["recipients"]) == \
        [("archive", ALICE), ("colleague", "Carol Diaz")]


def test_case_jsonld_passes_case_validate(opened_with_tools: Opened) -> None:
    result = run_case_validate(opened_with_tools.folder / "case.jsonld")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms: True" in result.stdout
    assert "NonExistentCDOConcept" not in result.stderr


def test_refusals_are_one_line_and_change_nothing(
        pair: Pair, bundle_for_bob: tuple[Path, dict[str, Any]]) -> None:
    dest, _exported = bundle_for_bob
    folder = pair.folder / "refusals"
    folder.mkdir()
    a_before, b_before = len(_audit(pair.a)), len(_audit(pair.b))
    a_files, b_files = _files(pair.a), _files(pair.b)

    # import: a truncated bundle, a file that is not there, a file that is not age
    data = dest.read_bytes()
    truncated = folder / "truncated.casebundle.age"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    line = _refused(pair.b, "case", "import", str(truncated), "--passphrase-env", PASS_ENV)
    assert "refused (damaged)" in line and "Nothing was changed" in line
    missing = folder / "missing.casebundle.age"
    line = _refused(pair.b, "case", "import", str(missing), "--passphrase-env", PASS_ENV)
    assert "refused (input)" in line and "missing.casebundle.age" in line
    noise = folder / "noise.casebundle.age"
    noise.write_bytes(os.urandom(4096))
    line = _refused(pair.b, "case", "import", str(noise), "--passphrase-env", PASS_ENV)
    assert "refused (damaged)" in line

    # export: to no such colleague, an unknown case, over an existing file
    out = folder / "out.casebundle.age"
    line = _refused(pair.a, "case", "export", CASE, "-o", str(out), "--to", "99",
                    "--passphrase-env", PASS_ENV)
    assert "#99" in line and not out.exists()
    line = _refused(pair.a, "case", "export", "No Such Case", "-o", str(out), "--to",
                    str(pair.bob_at_a), "--passphrase-env", PASS_ENV)
    assert "No Such Case" in line and not out.exists()
    existing = folder / "existing.casebundle.age"
    existing.write_bytes(b"keep me")
    line = _refused(pair.a, "case", "export", CASE, "-o", str(existing), "--to",
                    str(pair.bob_at_a), "--passphrase-env", PASS_ENV)
    assert "already exists" in line
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["truncated.casebundle.age", "noise.casebundle.age", "existing.casebundle.age"])

    assert (len(_audit(pair.a)), len(_audit(pair.b))) == (a_before, b_before)
    assert (_files(pair.a), _files(pair.b)) == (a_files, b_files)

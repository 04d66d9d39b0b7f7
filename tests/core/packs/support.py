"""Shared fixtures for the alert pack tests (keys, contacts, a sealed pack, real CLIs).

Unlocking the passphrase-encrypted secret store costs about 1.7 s of scrypt per
operation, so one template workspace (keys, captures, contacts) is made per
session and copied; one sealed pack is shared by the read-only tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest

from tests.imagegen import make_image, make_screenshot
from tests.issuer import set_issuer
from workstation.models import CaptureMeta
from workstation.workspace import Workspace

PASS_ENV = "WS_TEST_PACK_PASSPHRASE"
PASSPHRASE = "correct horse battery staple"
#: The environment for CLI runs: file secret store (never a developer's keyring).
CLI_ENV = {PASS_ENV: PASSPHRASE, "WORKSTATION_SECRET_BACKEND": "file",
           "WORKSTATION_ANALYST": "Test Analyst"}
ARABIC_TEXT = "رحلة آمنة إلى بريطانيا\nواتساب +44 7700 900456\nالسعر 1500 يورو"


def tool(name: str) -> str:
    """Path of a CLI the tests need; a failure in CI, a skip elsewhere."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (scripts/bootstrap installs it)")
        pytest.skip(f"{name} is not installed")
    return path


@dataclass(frozen=True)
class FakeOcr:
    """An OCR result as the engine hands it over: ``languages`` the models tried,
    ``advert`` the language(s) the advert was identified as (empty: a run made before
    languages were identified); ``coverage`` and ``unread`` what was read of the page."""

    text: str
    languages: tuple[str, ...]
    advert: tuple[str, ...] = ()
    coverage: float | None = None
    unread: tuple[tuple[int, int, int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "languages": list(self.languages), "words": [],
                "engine": "tesseract", "engine_version": "test", "mean_confidence": 88.0,
                "duration_s": 0.1, "parameters": {}, "advert_languages": list(self.advert),
                "coverage": self.coverage, "unread": [list(b) for b in self.unread]}


@dataclass(frozen=True)
class Template:
    root: Path                 # the template workspace (copy it before changing it)
    age_key: Path              # contact identity file (age-keygen format)
    age_recipient: str
    ssh_key: Path              # contact OpenSSH private key (unencrypted)
    ssh_recipient: str
    captures: tuple[int, ...]  # A (tiktok, Arabic OCR), B (tiktok, shares A's phone), C (facebook)
    tiktok_age: int            # contact ids
    tiktok_ssh: int
    facebook: int


def write_age_identity(path: Path) -> str:
    """An age identity file like age-keygen writes; returns the recipient."""
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    path.write_text(f"# created: test\n# public key: {recipient}\n{identity}\n")
    path.chmod(0o600)
    return recipient


def open_ws(path: Path) -> Workspace:
    ws = Workspace.open(path)
    ws.keys.use_secrets(passphrase_env=PASS_ENV, backend="file")
    return ws


def copy_ws(template: Template, dest: Path) -> Path:
    shutil.copytree(template.root, dest)
    return dest


#: Session fixtures are made once per session even though each test module binds them
#: (a fixture defined in several modules would otherwise be made once per module).
_MADE: dict[tuple[str, str], Any] = {}


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    key = ("template", str(tmp_path_factory.getbasetemp()))
    if key not in _MADE:
        _MADE[key] = _make_template(tmp_path_factory)
    made: Template = _MADE[key]
    return made


def _make_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    base = tmp_path_factory.mktemp("pack-template")
    age_key = base / "contact-age.txt"
    age_recipient = write_age_identity(age_key)
    ssh_key = base / "contact_ed25519"
    subprocess.run([tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", "ts@example",
                    "-f", str(ssh_key)], check=True)
    ssh_recipient = (base / "contact_ed25519.pub").read_text().strip()
    images = base / "images"
    images.mkdir()
    (images / "a.png").write_bytes(make_screenshot(width=540, height=1170, seed=1,
                                                   text="boat UK"))
    (images / "b.jpg").write_bytes(make_image(fmt="JPEG", seed=2))
    (images / "c.png").write_bytes(make_image(seed=3))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, PASSPHRASE)
        mp.setenv("WORKSTATION_ANALYST", "Test Analyst")
        ws = open_ws(base / "ws")
        try:
            set_issuer(ws)  # required before sealing
            ws.keys.init()
            a = ws.intake.import_file(images / "a.png", CaptureMeta(
                source_url="https://www.tiktok.com/@boats_uk/video/7301", case="op-sea",
                notes="WhatsApp +44 7700 900123")).id
            b = ws.intake.import_file(images / "b.jpg", CaptureMeta(
                source_url="https://www.tiktok.com/@crossings.now/video/9911", case="op-sea",
                notes="call +44 7700 900123 <script>alert(1)</script>")).id
            c = ws.intake.import_file(images / "c.png", CaptureMeta(
                source_url="https://www.facebook.com/people.mover/posts/5551",
                case="op-sea")).id
            assert a and b and c
            # as `workstation ocr` does
            ws.reading._store_ocr(a, FakeOcr(ARABIC_TEXT, ("ara", "eng"), ("ara",)))
            t_age = ws.contacts.add("tiktok", "Trust & Safety <Escalations>", "ts@tiktok.example",
                                   [age_recipient], organisation="TikTok UK", role="T&S lead").id
            t_ssh = ws.contacts.add("tiktok", "SSH user", "ssh@tiktok.example",
                                   [ssh_recipient]).id
            fb = ws.contacts.add("facebook", "Meta LE", "le@meta.example", [age_recipient]).id
        finally:
            ws.close()
    return Template(base / "ws", age_key, age_recipient, ssh_key, ssh_recipient, (a, b, c),
                    t_age, t_ssh, fb)


@dataclass(frozen=True)
class Sealed:
    ws: Path
    file: Path          # the -o copy
    ref: str
    agency_pub: Path    # minisign .pub text of the agency key
    template: Template


@pytest.fixture(scope="session")
def sealed(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    """One pack (captures A and B, to the age contact), shared read-only."""
    key = ("sealed", str(tmp_path_factory.getbasetemp()))
    if key not in _MADE:
        _MADE[key] = _make_sealed(template, tmp_path_factory)
    made: Sealed = _MADE[key]
    return made


def _make_sealed(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    base = tmp_path_factory.mktemp("sealed")
    ws_dir = copy_ws(template, base / "ws")
    out = base / "pack.alertpack.age"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PASS_ENV, PASSPHRASE)
        mp.setenv("WORKSTATION_ANALYST", "Test Analyst")
        with open_ws(ws_dir) as ws:
            pack = ws.packs.build(template.tiktok_age, template.captures[:2],
                                 reason="Adverts for Channel crossings", priority="urgent",
                                 output=out)
            pub = base / "agency.pub"
            pub.write_text(ws.keys.export_public_key())
    out.chmod(0o444)
    return Sealed(ws_dir, out, pack.ref, pub, template)

"""A wheel built from the working tree works installed as files, not editable.

The wheel is built without build isolation (no network: setuptools>=77 and wheel
come with the ``dev`` extra) from a copy of the working tree, so the build writes
no ``build/`` or ``*.egg-info`` into the checkout.  It is installed ``--no-deps``
into a fresh virtual environment, which sees the project's dependencies through a
``.pth`` file naming the main ``.venv``'s site-packages: a directory added that
way has its own ``.pth`` files ignored, so the editable install's mapping of
``workstation`` to the checkout is not used.  The installed console scripts then
run from a folder outside the checkout: import, OCR, agency keys, a contact, an
alert pack, verify, and the window started and closed offscreen.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pyrage
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import ROOT, require_tool
from tests.issuer import ISSUER_FLAGS

pytestmark = pytest.mark.slow

PASS_ENV = "WS_WHEEL_PASSPHRASE"
#: What .gitignore leaves out of the checkout, and the repository itself.
_NOT_SOURCES = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache",
                ".mypy_cache", ".ruff_cache"}


def _ignore(_folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in _NOT_SOURCES or n.endswith((".egg-info", ".so", ".pyd"))
            or n.startswith("workspace-")}


def advert_png() -> bytes:
    """A clean advert Tesseract reads reliably: a phone number in large type."""
    image = Image.new("RGB", (900, 160), "white")
    font = ImageFont.load_default(size=40)
    ImageDraw.Draw(image).text((20, 50), "Boat to UK call +44 7700 900123", font=font,
                               fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build_wheel(dest: Path) -> Path:
    source = dest / "source"
    shutil.copytree(ROOT, source, ignore=_ignore, symlinks=True)
    wheels = dest / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", str(wheels), str(source)],
        capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, (
        "pip wheel failed (setuptools>=77 and wheel come with the dev extra)\n"
        + built.stdout + built.stderr)
    [wheel] = wheels.glob("analyst_workstation-*.whl")
    return wheel


def fresh_venv(dest: Path, wheel: Path) -> Path:
    venv = dest / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "main-venv-dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", "-q", str(wheel)],
        capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    require_tool("tesseract")
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = sorted(p.name for p in (ROOT / "workstation/storage/migrations").glob("*.sql"))
    assert migrations and all(f"workstation/storage/migrations/{m}" in names for m in migrations)
    resources = [p.relative_to(ROOT).as_posix() for p in
                 (ROOT / "workstation/resources").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    assert "workstation/resources/icons/analyst-workstation.svg" in resources
    assert "workstation/resources/lexicon/en.json" in resources
    assert set(resources) <= names
    assert {"cli/__init__.py", "cli/main.py", "ui/__init__.py", "ui/app.py"} <= names
    compiled = bool(list((ROOT / "workstation/storage").glob("_awrank*.so")))
    if compiled:  # built for the checkout: so in the wheel
        assert any(n.startswith("workstation/storage/_awrank") and n.endswith(".so")
                   for n in names)
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any("phonenumberslite" in r for r in requires)
    assert not any(r.split()[1].lower() == "phonenumbers" for r in requires)
    assert all("extra ==" in r for r in requires if "sqlite-utils" in r)

    venv = fresh_venv(tmp_path, wheel)
    bindir = venv / "bin"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "WORKSTATION_HOME", "PYTHONSAFEPATH"}}
    env.update({PASS_ENV: "a wheel-test passphrase", "WORKSTATION_SECRET_BACKEND": "file",
                "WORKSTATION_ANALYST": "Wheel Tester",
                "WORKSTATION_LOG_DIR": str(tmp_path / "logs")})

    where = subprocess.run(
        [str(bindir / "python"), "-c",
         "import json, cli, ui, workstation; from workstation.resources import migrations_dir;"
         "print(json.dumps([workstation.__file__, cli.__file__, ui.__file__,"
         " str(migrations_dir())]))"],
        cwd=outside, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr
    for path in json.loads(where.stdout):
        assert Path(path).is_relative_to(venv), path
        assert not Path(path).is_relative_to(ROOT), path

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(bindir / "workstation"), "--workspace", "ws", *args],
                              cwd=outside, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"workstation {args}: {done.returncode}\n" \
                                     f"{done.stdout}\n{done.stderr}"
        return done

    (outside / "advert.png").write_bytes(advert_png())
    cli("import", "advert.png", "--url", "https://www.tiktok.com/@boats/video/1")
    cli("ocr", "--lang", "eng")
    shown = json.loads(cli("show", "1", "--json").stdout)
    assert "+447700900123" in {i["normalized"] for i in shown["indicators"]}  # phonenumberslite
    cli("key", "init", "--passphrase-env", PASS_ENV, *ISSUER_FLAGS)
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    contact = json.loads(cli("contact", "add", "--platform", "tiktok", "--name", "T&S",
                             "--email", "ts@tiktok.example", "--recipient", recipient,
                             "--json").stdout)
    cli("pack", "build", "--contact", str(contact["id"]), "--captures", "1", "-o",
        "out.alertpack.age", "--passphrase-env", PASS_ENV)
    assert (outside / "out.alertpack.age").stat().st_size > 0
    assert "OK:" in cli("verify").stdout
    status = json.loads(cli("status", "--json").stdout)
    assert status["captures"] == 1
    if compiled:
        assert "compiled aw_bm25" in status["search_ranking"]

    gui_env = {**env, "QT_QPA_PLATFORM": "offscreen", "WORKSTATION_GUI_QUIT_AFTER_MS": "1500"}
    gui = subprocess.run([str(bindir / "workstation-gui"), "--workspace", "ws"], cwd=outside,
                         env=gui_env, capture_output=True, text=True, timeout=120)
    assert gui.returncode == 0, gui.stdout + gui.stderr
    assert (tmp_path / "logs" / "gui.log").is_file()
    assert "command: pack build" in (tmp_path / "logs" / "cli.log").read_text()

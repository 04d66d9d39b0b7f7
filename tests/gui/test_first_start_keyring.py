"""The first-start setup's OS keyring branch, on a real gnome-keyring Secret Service
in a private D-Bus session (``dbus-run-session``): the window's test runs there in its
own pytest, as ``tests/core/crypto/test_secretstore.py`` runs the store's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.guiutil import GUI_MARKS

pytestmark = GUI_MARKS
ROOT = Path(__file__).resolve().parents[2]


def test_first_start_setup_with_the_os_keyring(tmp_path: Path) -> None:
    dbus_run = shutil.which("dbus-run-session")
    daemon = shutil.which("gnome-keyring-daemon")
    if not dbus_run or not daemon:
        pytest.skip("dbus-run-session / gnome-keyring-daemon are not installed")
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(ROOT),
           "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    inner = (f"printf test-login | {daemon} --unlock --components=secrets >/dev/null 2>&1; "
             f"exec {sys.executable} -m pytest -q -p no:cacheprovider -p no:randomly "
             f"--basetemp={tmp_path / 'inner'} tests/gui/keyring_setup_case.py")
    result = subprocess.run([dbus_run, "--", "sh", "-c", inner], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "1 passed" in result.stdout, \
        result.stdout[-4000:] + result.stderr[-2000:]

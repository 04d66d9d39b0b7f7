"""Run by ``test_first_start_keyring.py`` inside a private D-Bus session with a real
gnome-keyring Secret Service (not collected on its own: the name has no ``test_``).

The first-start setup offers the OS keyring, chosen already, and the agency keys
made there leave no secret file in the workspace and open without a passphrase."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.guiutil import GUI_MARKS, prefs, wait_idle, window  # noqa: F401
from tests.gui.test_first_start import open_setup, page_is, press, typed
from tests.issuer import TEST_ISSUER
from ui.common.prefs import Preferences
from ui.common.session import Session
from ui.main.mainwindow import MainWindow
from workstation.packs.issuer import ISSUER_KEYS
from workstation.workspace import Workspace

pytestmark = GUI_MARKS


@pytest.fixture
def session(ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """As the suite's session, but with the secret store left to find the keyring."""
    monkeypatch.delenv("WORKSTATION_ANALYST", raising=False)
    monkeypatch.delenv("WORKSTATION_SECRET_BACKEND", raising=False)
    s = Session.open(ws_path)
    yield s
    s.close()


def test_the_setup_keeps_the_keys_in_the_os_keyring(
        qtbot: QtBot, window: MainWindow, prefs: Preferences) -> None:  # noqa: F811
    wizard = open_setup(qtbot, window, prefs)
    typed(qtbot, "Dana Analyst")
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupIssuer")
    for index, key in enumerate(ISSUER_KEYS):
        if index:
            press(qtbot, Qt.Key.Key_Tab)
        typed(qtbot, TEST_ISSUER[key])
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)

    page_is(qtbot, wizard, "setupKeys")
    keys = wizard.keys
    assert keys.uses_keyring and keys.keyring.isVisible() and keys.keyring.isChecked()
    assert keys.keyring.text() == "Keep them in the OS &keyring (SecretService Keyring)"
    assert not keys.passphrase.isVisible()  # nothing to type: the keyring holds them
    press(qtbot, Qt.Key.Key_Return)
    page_is(qtbot, wizard, "setupReading")
    wizard.done(0)
    wait_idle(qtbot, window)

    signing = [k for k in window.session.reader.keys.all() if k.kind == "signing"]
    assert len(signing) == 1
    secrets = window.session.path / "secrets"
    assert not secrets.exists() or not any(secrets.iterdir())  # no secret on disk
    window.session.close()
    with Workspace.open(window.session.path) as ws:  # no passphrase asked or given
        assert ws.keys.signing_key().key_id_hex == signing[0].key_id

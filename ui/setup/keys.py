"""Step 3 of the first-start setup (optional): the agency's keys.

Alert packs are signed with the agency's Ed25519 key and a copy of each is encrypted to
its archive key; ``ws.keys.init`` creates both.  Their secret halves go to the OS
keyring where a secure one exists, otherwise to files encrypted with a passphrase,
which this page asks for (twice) instead of the passphrase dialog.  Where they will go
is asked of the writer when the page is made (probing the keyring may take a moment);
the keys are created on the writer when Next is pressed, the page waits (Next disabled)
and moves on by itself once they exist; a failure is shown on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QLineEdit,
    QRadioButton,
    QWidget,
)
from shiboken6 import isValid

from ui.common.operations import Operations
from ui.common.passphrase import MIN_NEW_PASSPHRASE
from ui.common.qtutil import buddy_label
from ui.contacts.contactdialogs import spoken
from ui.contacts.contacts import KEYS_CREATED
from ui.setup.base import IN_CONTACTS, SetupPage
from workstation.crypto.secretstore import PassphraseRequest, PassphraseUnavailable
from workstation.packs.models import AgencyKey
from workstation.workspace import Workspace

KEYS_LATER = f"Create them later in {IN_CONTACTS}: packs cannot be sealed without them."


class ChosenPassphrase:
    """A passphrase provider for the writer's secret store: the passphrase chosen on the
    page, given once, for a store that has no secret yet; any other request goes to
    ``fallback`` (the window's passphrase dialog)."""

    def __init__(self, chosen: str,
                 fallback: Callable[[PassphraseRequest], str] | None) -> None:
        self._chosen: str | None = chosen
        self._fallback = fallback

    def __call__(self, request: PassphraseRequest) -> str:
        if request.creating and self._chosen:
            chosen, self._chosen = self._chosen, None
            return chosen
        if self._fallback is None:
            raise PassphraseUnavailable("No passphrase was given; nothing was changed.")
        return self._fallback(request)

    def forget(self) -> None:
        self._chosen = None


def store_of(ws: Workspace) -> tuple[bool, str]:
    """Whether the workspace's secret store uses the OS keyring, and where it keeps
    secrets in words (run on the writer)."""
    store = ws.keys.secret_store
    return store.uses_keyring, store.keyring_name() or store.backend_description()


class KeysPage(SetupPage):
    """The agency keys: create them now (the default) or later.

    Attributes:
        make_now, skip: the two choices (``setupKeysCreate``, ``setupKeysSkip``).
        keyring, files: where the secrets go, shown only when a secure OS keyring exists
            (``setupKeysInKeyring``, ``setupKeysInFiles``).
        passphrase, again: the new passphrase, twice (``setupPassphrase``,
            ``setupPassphraseAgain``), shown when the secrets go to files.
        existing: the keys the workspace holds already (then nothing is asked).
        store_known: whether the writer said where secrets are kept.
        creating: whether the keys are being created now.
        created: the keys created here.
    """

    def __init__(self, reader: Workspace, ops: Operations,
                 passphrases: Callable[[PassphraseRequest], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(
            "setupKeys", "The agency's keys",
            "Alert packs are signed with the agency's key so platforms can check they come "
            "from you, and a copy of each is encrypted to the agency's archive key.\n\nYou "
            "can skip this: " + KEYS_LATER[0].lower() + KEYS_LATER[1:], parent)
        self.ops = ops
        self.passphrases = passphrases
        self.existing = [k for k in reader.keys.all()
                         if k.kind == "signing" and not k.retired_at]
        self.store_known = False
        self.uses_keyring = False
        self.creating = False
        self.created: list[AgencyKey] = []
        self._provider: ChosenPassphrase | None = None
        self._build()
        if self.existing:
            self.outcome = self._created_sentence(self.existing, "exist already")
            for widget in (self.make_now, self.skip, self.passphrase, self.again):
                widget.setEnabled(False)
            self.say(self.outcome)
            return
        self.say("Checking where the keys will be kept…")
        ops.run("Checking where the agency keys are kept", lambda ws, _t: store_of(ws),
                on_done=self._store_found, on_error=self._store_failed)

    def _build(self) -> None:
        def radio(text: str, name: str, description: str) -> QRadioButton:
            button = QRadioButton(text, self)
            button.setObjectName(name)
            button.setAccessibleName(text.replace("&", ""))
            button.setAccessibleDescription(description)
            return button

        self.make_now = radio("&Create the agency keys now", "setupKeysCreate",
                            "Recommended: packs cannot be sealed without them")
        self.skip = radio("&Skip: create them later", "setupKeysSkip", KEYS_LATER)
        self.keyring = radio("Keep them in the OS &keyring", "setupKeysInKeyring",
                             "The system's secure keyring holds the secret keys")
        self.files = radio("Keep them in f&iles protected by a passphrase",
                           "setupKeysInFiles",
                           "Typed when packs are sealed; it cannot be recovered")
        choice = QButtonGroup(self)
        choice.addButton(self.make_now)
        choice.addButton(self.skip)
        where = QButtonGroup(self)
        where.addButton(self.keyring)
        where.addButton(self.files)
        self.make_now.setChecked(True)
        self.files.setChecked(True)
        self.passphrase = QLineEdit(self)
        self.passphrase.setObjectName("setupPassphrase")
        self.again = QLineEdit(self)
        self.again.setObjectName("setupPassphraseAgain")
        for field, name in ((self.passphrase, "Passphrase"), (self.again, "Passphrase again")):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setAccessibleName(name)
            field.setAccessibleDescription(f"At least {MIN_NEW_PASSPHRASE} characters; it "
                                           "cannot be recovered")
        self.form = QFormLayout()
        self.form.addRow(self.make_now)
        self.form.addRow(self.skip)
        self.form.addRow(self.keyring)
        self.form.addRow(self.files)
        self.form.addRow(buddy_label("&Passphrase:", self, self.passphrase), self.passphrase)
        self.form.addRow(buddy_label("&Again:", self, self.again), self.again)
        self.body.addLayout(self.form)
        for first, second in ((self.make_now, self.skip), (self.skip, self.keyring),
                              (self.keyring, self.files), (self.files, self.passphrase),
                              (self.passphrase, self.again)):
            QWidget.setTabOrder(first, second)
        for button in (self.make_now, self.skip, self.keyring, self.files):
            button.toggled.connect(lambda _on: self._follow())
        self._follow()

    def _follow(self) -> None:
        """Show what the choices need: where the keys go (only when a keyring exists) and
        the passphrase (only when they go to files)."""
        now = self.make_now.isChecked() and not self.existing
        for button in (self.keyring, self.files):
            self.form.setRowVisible(button, now and self.uses_keyring)
        for field in (self.passphrase, self.again):
            self.form.setRowVisible(field, self.wants_passphrase())

    def wants_passphrase(self) -> bool:
        """Whether the keys are to be made now, in passphrase-protected files."""
        return (self.make_now.isChecked() and not self.existing and self.store_known
                and (self.files.isChecked() or not self.uses_keyring))

    def _store_found(self, found: tuple[bool, str]) -> None:
        if not isValid(self):
            return
        self.uses_keyring, where = found
        self.store_known = True
        self.keyring.setChecked(self.uses_keyring)
        self.files.setChecked(not self.uses_keyring)
        self.keyring.setText(f"Keep them in the OS &keyring ({where})" if self.uses_keyring
                             else "Keep them in the OS &keyring")
        self.clear_problem()
        self._follow()
        wizard = self.wizard()
        if wizard is not None and wizard.currentPage() is self and self.wants_passphrase():
            self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def _store_failed(self, message: str) -> None:
        if isValid(self):
            self.store_known = True  # the keys cannot be made now; skipping still works
            self.skip.setChecked(True)
            self._follow()  # no passphrase asked for keys that cannot be made
            self.refuse(self.skip, message)

    def initializePage(self) -> None:
        if self.existing:
            return
        target = (self.passphrase if self.wants_passphrase()
                  else self.make_now if self.make_now.isChecked() else self.skip)
        self.focus_on(target)

    def isComplete(self) -> bool:
        return not self.creating

    # ------------------------------------------------------------- creating
    def validatePage(self) -> bool:
        if self.existing or self.created:
            return True
        if self.creating:
            return False
        if self.skip.isChecked():
            self.passphrase.clear()  # typed, then skipped: not kept in a hidden field
            self.again.clear()
            self.skipped = True
            self.outcome = "Agency keys: skipped. " + KEYS_LATER
            self.clear_problem()
            return True
        if not self.store_known:
            return self.refuse(None, "Still checking where the keys will be kept; press "
                                     "Next again in a moment.")
        to_files = self.files.isChecked() or not self.uses_keyring
        if to_files:
            text = self.passphrase.text()
            if len(text) < MIN_NEW_PASSPHRASE:
                return self.refuse(self.passphrase, "Choose a passphrase of at least "
                                                    f"{MIN_NEW_PASSPHRASE} characters.")
            if self.again.text() != text:
                self.again.clear()
                return self.refuse(self.again, "The two passphrases differ; type it again.")
        self._start(to_files)
        return False  # moved on by _created once the keys exist

    def _start(self, to_files: bool) -> None:
        self.creating = True
        self.completeChanged.emit()
        for widget in (self.make_now, self.skip, self.keyring, self.files, self.passphrase,
                       self.again):
            widget.setEnabled(False)
        self.say("Creating the agency keys…")
        if to_files and self.uses_keyring:  # the analyst chose files over the keyring
            self.ops.set_setting("secret_backend", "file")
        if to_files:
            self._provider = ChosenPassphrase(self.passphrase.text(), self.passphrases)
            self.ops.use_passphrases(self._provider)
        self.passphrase.clear()
        self.again.clear()
        self.ops.run("Creating the agency keys", lambda ws, _t: ws.keys.init(),
                     on_done=self._created, on_error=self._failed,
                     changed=(self.ops.contactsChanged,))

    def _created(self, keys: Any) -> None:
        if self._provider is not None:  # unused when the store asked for its own
            self._provider.forget()
        if not isValid(self):
            return
        self.created = [k for k in keys if k.kind == "signing"] or list(keys)
        self.creating = False
        self.skipped = False
        self.outcome = self._created_sentence(self.created, "created")
        self.say(KEYS_CREATED)
        self.completeChanged.emit()
        wizard = self.wizard()
        if wizard is not None and wizard.currentPage() is self:
            wizard.next()

    def _failed(self, message: str) -> None:
        if self._provider is not None:
            self._provider.forget()
        if not isValid(self):
            return
        self.creating = False
        for widget in (self.make_now, self.skip, self.keyring, self.files, self.passphrase,
                       self.again):
            widget.setEnabled(True)
        self.completeChanged.emit()
        self.refuse(self.passphrase if self.wants_passphrase() else self.make_now,
                    f"The keys were not created: {message}")

    @staticmethod
    def _created_sentence(keys: list[AgencyKey], what: str) -> str:
        if not keys:
            return f"Agency keys: {what}."
        return (f"Agency keys: {what}; the signing key's fingerprint is "
                f"{spoken(keys[0].fingerprint)} (read it to platforms; export the public key "
                f"in {IN_CONTACTS}).")

"""The first-start setup: a short wizard shown over the main window the first time a
workspace is opened (while the analyst's name is not known).

Steps (page object names in brackets, stable for tests and screenshots):

1. the analyst's name (``setupAnalyst``, required);
2. the agency's identity and reply address packs name (``setupIssuer``, may be skipped);
3. the agency's keys, in the OS keyring or passphrase-protected files (``setupKeys``,
   may be skipped);
4. the OCR languages and phone region hints (``setupReading``);
5. where the workspace lives and the folder for the next start (``setupWorkspace``);
6. a summary of what was set and what was skipped, and where to change it
   (``setupSummary``).

Each step is checked by the core's own rules when Next is pressed (a refusal is shown
on the page) and stored then, through the writer, so every change is audited; the key
creation runs on the writer while the page waits.  Keyboard: Enter or Alt+N goes on,
Alt+B goes back, every field has an Alt+letter label, Escape asks "Set up later?"
(what was stored stays; without a name, the setup comes back at the next start).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ui.common.operations import Operations
from ui.common.prefs import Preferences
from ui.common.qtutil import emit
from ui.common.session import Session
from ui.setup.base import IN_CONTACTS, IN_SETTINGS, SetupPage
from ui.setup.keys import KeysPage
from ui.setup.pages import AnalystPage, IssuerPage, WorkspacePage
from ui.setup.reading import ReadingPage
from workstation.crypto.secretstore import PassphraseRequest

LATER = (f"What you have set so far is kept. Your name, the OCR languages and the region "
         f"hints can be set at any time in {IN_SETTINGS}; the agency's identity and keys "
         f"in {IN_CONTACTS}.")


class SummaryPage(QWizardPage):
    """What the setup did: each step's sentence, the skipped ones marked (``setupSummary``).

    Attributes:
        text: the summary (``setupSummaryText``), focusable so a screen reader reads it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setupSummary")
        self.setTitle("Ready")
        self.setAccessibleName("Summary")
        self.text = QLabel(self)
        self.text.setObjectName("setupSummaryText")
        self.text.setAccessibleName("What was set up")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addStretch(1)

    def initializePage(self) -> None:
        wizard = self.wizard()
        steps = [wizard.page(i) for i in wizard.pageIds()] if wizard is not None else []
        done = [p for p in steps if isinstance(p, SetupPage) and p.outcome and not p.skipped]
        later = [p for p in steps if isinstance(p, SetupPage) and p.outcome and p.skipped]
        lines = ["Set up:"] + [f"• {p.outcome}" for p in done]
        if later:
            lines += ["", "Skipped (set it up later):"] + [f"• {p.outcome}" for p in later]
        lines += ["", f"Everything here can be changed later: your name, the OCR languages "
                      f"and region hints and the workspace folder in {IN_SETTINGS}; the "
                      f"agency's identity and keys in {IN_CONTACTS}."]
        text = "\n".join(lines)
        self.text.setText(text)
        self.text.setAccessibleDescription(text)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)


class FirstStartWizard(QWizard):
    """The first-start setup (``firstStartWizard``).

    Signals:
        setUp(list): the summary sentences, once Finish was pressed.

    Attributes:
        analyst, issuer, keys, reading, workspace: the steps.
        summary: the last page.
        later_box: the "Set up later?" question, while it is shown (``setupLaterBox``).
    """

    setUp = Signal(list)

    def __init__(self, session: Session, ops: Operations, prefs: Preferences, *,
                 passphrases: Callable[[PassphraseRequest], str] | None = None,
                 parent: QWidget | None = None) -> None:
        """``passphrases``: the window's passphrase dialog, for a secret store that
        already holds secrets (a new one takes the passphrase chosen on the keys page)."""
        super().__init__(parent)
        self.setObjectName("firstStartWizard")
        self.setWindowTitle("Set up Analyst Workstation")
        self.setAccessibleName("First-start setup")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)  # mnemonics on every system
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        for which, text in ((QWizard.WizardButton.NextButton, "&Next >"),
                            (QWizard.WizardButton.BackButton, "< &Back"),
                            (QWizard.WizardButton.FinishButton, "&Finish"),
                            (QWizard.WizardButton.CancelButton, "Set up later…")):
            self.setButtonText(which, text)
            button = self.button(which)
            button.setAccessibleName(text.replace("&", "").strip("<> ."))
        reader = session.reader
        self.analyst = AnalystPage(reader, ops, self)
        self.issuer = IssuerPage(reader, ops, self)
        self.keys = KeysPage(reader, ops, passphrases, self)
        self.reading = ReadingPage(reader, ops, self)
        self.workspace = WorkspacePage(session.path, prefs, self)
        self.summary = SummaryPage(self)
        for page in (self.analyst, self.issuer, self.keys, self.reading, self.workspace,
                     self.summary):
            self.addPage(page)
        self.later_box: QMessageBox | None = None
        self._leaving = False
        self.setMinimumSize(640, 520)

    def summary_lines(self) -> list[str]:
        return [p.outcome for p in (self.analyst, self.issuer, self.keys, self.reading,
                                    self.workspace) if p.outcome]

    def accept(self) -> None:
        emit(self.setUp, self.summary_lines())
        super().accept()

    def reject(self) -> None:
        """Escape, "Set up later…" or closing the window: ask first; on the summary,
        where everything is stored already, it finishes the setup."""
        if self.currentPage() is self.summary:
            self.accept()  # everything is stored: closing the summary finishes the setup
            return
        if self._leaving:
            super().reject()
            return
        if self.keys.creating or self.later_box is not None:
            return  # the keys are being made: the page moves on by itself
        box = QMessageBox(QMessageBox.Icon.Question, "Set up later?",
                          "Set up the rest later?", QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("setupLaterBox")
        named = self.analyst.outcome != ""
        box.setInformativeText(LATER + ("" if named else " As your name is not set yet, "
                                        "this setup is shown again at the next start."))
        later = box.addButton("Set up &later", QMessageBox.ButtonRole.YesRole)
        later.setObjectName("setupLaterYes")
        stay = box.addButton("&Continue the setup", QMessageBox.ButtonRole.NoRole)
        stay.setObjectName("setupLaterNo")
        box.setDefaultButton(later)
        box.setEscapeButton(stay)

        def answered(button: object) -> None:
            self.later_box = None
            if button is later:
                self._leaving = True
                self.reject()
            else:  # back to the step, where the cursor was
                self.activateWindow()

        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.later_box = box
        box.open()


def show_first_start(session: Session, ops: Operations, prefs: Preferences, *,
                     passphrases: Callable[[PassphraseRequest], str] | None = None,
                     notify: Callable[[str], None] | None = None,
                     parent: QWidget | None = None) -> FirstStartWizard:
    """Open the first-start setup over ``parent`` (window-modal, not blocking); ``notify``
    gets a sentence once it is finished or left for later."""
    wizard = FirstStartWizard(session, ops, prefs, passphrases=passphrases, parent=parent)
    if notify is not None:
        wizard.accepted.connect(lambda: notify(
            "The setup is done; change any of it in Workspace → Settings or Contacts and "
            "keys."))
        wizard.rejected.connect(lambda: notify("Setup left for later: " + LATER))
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.open()
    return wizard

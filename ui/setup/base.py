"""What every step of the first-start setup shares (:class:`SetupPage`): an introduction
that says whether the step may be skipped, an inline line for the core's refusal, and
the sentence the summary page shows about what the step did."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget, QWizardPage
from shiboken6 import isValid

#: Where each thing set here can be changed later (the summary and the pages say so).
IN_SETTINGS = "Workspace → Settings (Ctrl+,)"
IN_CONTACTS = "Workspace → Contacts and keys (Ctrl+Shift+K)"


class SetupPage(QWizardPage):
    """One step.

    Attributes:
        intro: what the step is for, and whether it may be skipped (``NAMEIntro``).
        problem: why the value was refused, hidden until then (``NAMEProblem``).
        outcome: one sentence for the summary: what was set, or that it was skipped.
        skipped: whether the step was left for later.
        body: the layout the step adds its fields to.
    """

    def __init__(self, name: str, title: str, intro: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setTitle(title)
        self.setAccessibleName(title)
        self.intro = QLabel(intro, self)
        self.intro.setObjectName(f"{name}Intro")
        self.intro.setWordWrap(True)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem = QLabel(self)
        self.problem.setObjectName(f"{name}Problem")
        self.problem.setAccessibleName("Problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("font-weight: bold;")
        self.problem.setVisible(False)
        self.outcome = ""
        self.skipped = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        self.body = QVBoxLayout()
        layout.addLayout(self.body)
        layout.addStretch(1)
        layout.addWidget(self.problem)

    def refuse(self, field: QWidget | None, message: str) -> bool:
        """Show ``message`` on the page and put the cursor on ``field``; ``False`` (the
        step is not left)."""
        self.problem.setText(message)
        self.problem.setAccessibleDescription(message)
        self.problem.setVisible(True)
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(field, QLineEdit):
                field.selectAll()
        return False

    def focus_on(self, field: QWidget) -> None:
        """Put the cursor on ``field`` once the page is shown (the wizard focuses the
        page's first field after ``initializePage``; this comes after it)."""
        def focus() -> None:
            wizard = self.wizard() if isValid(self) else None
            if wizard is not None and wizard.currentPage() is self and isValid(field):
                field.setFocus(Qt.FocusReason.OtherFocusReason)
                if isinstance(field, QLineEdit):
                    field.selectAll()

        QTimer.singleShot(0, self, focus)

    def say(self, message: str) -> None:
        """Show a sentence in the problem line that is not a refusal (work in progress)."""
        self.problem.setText(message)
        self.problem.setAccessibleDescription(message)
        self.problem.setVisible(bool(message))

    def clear_problem(self) -> None:
        self.problem.clear()
        self.problem.setVisible(False)

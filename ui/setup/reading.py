"""Step 4 of the first-start setup: the OCR languages and the phone region hints.

The same two workspace settings as Settings → Reading (``ocr_languages``,
``region_hints``), checked by the core's rule and stored through the writer when they
changed.  The languages offered are the Tesseract languages installed on this machine,
listed off the GUI thread (``tesseract --list-langs`` may take a moment); "Automatic"
(the default) lets the reading code detect the writing system and choose.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)
from shiboken6 import isValid

from ui.common.background import Background
from ui.common.errors import message_for
from ui.common.operations import Operations
from ui.common.qtutil import buddy_label
from ui.setup.base import IN_SETTINGS, SetupPage
from workstation.errors import WorkstationError
from workstation.reading.ocr.languages import SCRIPT_PACKAGE_CODES, installed_languages
from workstation.reading.summary import LANGUAGE_NAMES
from workstation.settings import SETTINGS, SettingSource, check, get_text

#: Installed traineddata that are not languages an advert is written in.
NOT_LANGUAGES = {"osd", "equ", "snum"}


def reading_languages() -> list[str]:
    """The installed Tesseract languages an analyst can choose (script models and the
    orientation data left out); [] when Tesseract's data is missing."""
    try:
        names = installed_languages()
    except WorkstationError:
        return []
    return [n for n in names if n not in NOT_LANGUAGES and "/" not in n
            and n not in SCRIPT_PACKAGE_CODES]


def language_label(code: str) -> str:
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


class ReadingPage(SetupPage):
    """OCR languages (automatic, or the ticked ones) and phone region hints.

    Attributes:
        automatic, chosen: the two ways of choosing (``setupOcrAuto``, ``setupOcrChosen``).
        languages: a check box per installed language (``setupLang_CODE``), filled once
            they are listed (``languages_listed``).
        region_hints: the country codes tried for numbers without +country code
            (``setupRegionHints``).
    """

    def __init__(self, reader: SettingSource, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(
            "setupReading", "Reading the adverts",
            "Which languages the adverts are read in, and which countries a phone number "
            "written without its +country code is tried for. The defaults suit most "
            f"adverts; you can change both later in {IN_SETTINGS}.", parent)
        self.ops = ops
        self._stored = {key: get_text(reader, key) for key in ("ocr_languages",
                                                               "region_hints")}
        self.languages: dict[str, QCheckBox] = {}
        self.languages_listed = False
        self.automatic = QRadioButton("&Automatic: detect the writing system and choose",
                                      self)
        self.automatic.setObjectName("setupOcrAuto")
        self.chosen = QRadioButton("Onl&y the languages ticked below", self)
        self.chosen.setObjectName("setupOcrChosen")
        for button in (self.automatic, self.chosen):
            button.setAccessibleName(button.text().replace("&", ""))
        group = QButtonGroup(self)
        group.addButton(self.automatic)
        group.addButton(self.chosen)
        auto = self._stored["ocr_languages"] == "auto"
        self.automatic.setChecked(auto)
        self.chosen.setChecked(not auto)
        self.box = QGroupBox("Installed languages", self)
        self.box.setObjectName("setupLanguages")
        self.box.setAccessibleName("Installed OCR languages")
        self.grid = QGridLayout(self.box)
        self.listing = QLabel("Listing the installed languages…", self.box)
        self.grid.addWidget(self.listing, 0, 0)
        self.region_hints = QLineEdit(self._stored["region_hints"], self)
        self.region_hints.setObjectName("setupRegionHints")
        self.region_hints.setAccessibleName("Phone region hints")
        self.region_hints.setAccessibleDescription(
            "Two-letter country codes, tried in order for numbers without +country code")
        self.region_hints.setPlaceholderText("default: " + SETTINGS["region_hints"].default)
        form = QFormLayout()
        form.addRow(self.automatic)
        form.addRow(self.chosen)
        form.addRow(self.box)
        form.addRow(buddy_label("Phone region &hints:", self, self.region_hints),
                    self.region_hints)
        hint = QLabel("Two-letter country codes such as GB, FR, IQ, tried in order.", self)
        hint.setWordWrap(True)
        form.addRow("", hint)
        self.body.addLayout(form)
        self.chosen.toggled.connect(lambda on: self.box.setEnabled(on))
        self.box.setEnabled(not auto)
        self._lister = Background(1, self)
        self._lister.call(reading_languages, self._listed,
                          lambda exc: self._listed([]))

    def _listed(self, codes: list[str]) -> None:
        if not isValid(self):
            return
        self.listing.setVisible(not codes)
        self.listing.setText("No Tesseract languages are installed; install Tesseract with "
                             "its English data to read adverts.")
        ticked = set(self._stored["ocr_languages"].split("+"))
        previous: QWidget = self.chosen
        for index, code in enumerate(codes):
            box = QCheckBox(language_label(code), self.box)
            box.setObjectName(f"setupLang_{code}")
            box.setAccessibleName(f"Read {language_label(code)}")
            box.setChecked(code in ticked)
            self.grid.addWidget(box, 1 + index // 3, index % 3)
            self.languages[code] = box
            QWidget.setTabOrder(previous, box)
            previous = box
        QWidget.setTabOrder(previous, self.region_hints)
        self.languages_listed = True

    def initializePage(self) -> None:
        self.focus_on(self.automatic if self.automatic.isChecked() else self.chosen)

    def value(self) -> str:
        """The ``ocr_languages`` value chosen ("auto", or codes joined by +)."""
        if self.automatic.isChecked():
            return "auto"
        return "+".join(code for code, box in self.languages.items() if box.isChecked())

    def validatePage(self) -> bool:
        chosen = self.value()
        if not chosen:
            first = next(iter(self.languages.values()), None)
            return self.refuse(first or self.automatic, "Tick at least one language, or "
                                                        "choose Automatic.")
        try:
            languages = check("ocr_languages", chosen)
        except WorkstationError as exc:
            return self.refuse(self.automatic, message_for(exc))
        try:
            hints = check("region_hints", self.region_hints.text())
        except WorkstationError as exc:
            return self.refuse(self.region_hints, message_for(exc))
        self.clear_problem()
        for key, value in (("ocr_languages", languages), ("region_hints", hints)):
            if value != self._stored[key]:
                self.ops.set_setting(key, value)
                self._stored[key] = value
        said = ("automatic" if languages == "auto"
                else ", ".join(language_label(c) for c in languages.split("+")))
        self.outcome = f"OCR languages: {said}. Phone region hints: {hints.replace(',', ', ')}."
        return True

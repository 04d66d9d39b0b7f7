"""The OCR text, selectable, with each paragraph laid out in its own direction.

Adverts mix Arabic or Persian lines (right to left) with phone numbers and
English lines (left to right).  Each line gets the direction of its first
strong character (the Unicode bidi rule for paragraphs), so an Arabic line
starts at the right edge while the English line under it starts at the left.
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCursor, QTextDocument, QTextOption
from PySide6.QtWidgets import QTextEdit, QWidget


def paragraph_direction(text: str) -> Qt.LayoutDirection:
    """Right to left if the first strong character is Arabic/Hebrew script, left to right
    if it is any other strong letter, automatic when there is none (digits, symbols)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return Qt.LayoutDirection.RightToLeft
        if kind == "L":
            return Qt.LayoutDirection.LeftToRight
    return Qt.LayoutDirection.LayoutDirectionAuto


class OcrTextPanel(QTextEdit):
    """Read-only, selectable OCR text with per-paragraph direction."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ocrText")
        self.setAccessibleName("Text read")
        self.setAccessibleDescription("The text OCR read from the capture")
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        option = QTextOption()
        option.setTextDirection(Qt.LayoutDirection.LayoutDirectionAuto)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.document().setDefaultTextOption(option)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.setFont(font)
        self.setPlaceholderText("No OCR text yet.")

    def set_text(self, text: str) -> None:
        """Show ``text``; each line is a paragraph with its own direction."""
        self.setPlainText(text.strip("\n"))
        block = self.document().begin()
        cursor = QTextCursor(self.document())
        while block.isValid():
            direction = paragraph_direction(block.text())
            fmt = block.blockFormat()
            fmt.setLayoutDirection(direction)
            fmt.setAlignment(Qt.AlignmentFlag.AlignLeading)
            cursor.setPosition(block.position())
            cursor.setBlockFormat(fmt)
            block = block.next()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def directions(self) -> list[tuple[str, Qt.LayoutDirection]]:
        """Each paragraph's text and the direction it is laid out in (tests)."""
        out = []
        block = self.document().begin()
        while block.isValid():
            out.append((block.text(), block.textDirection()))
            block = block.next()
        return out

    def find_word(self, word: str) -> bool:
        """Select the first occurrence of ``word`` (after a word box was clicked)."""
        self.moveCursor(QTextCursor.MoveOperation.Start)
        found = self.find(word, QTextDocument.FindFlag.FindCaseSensitively)
        if found:
            self.ensureCursorVisible()
        return found

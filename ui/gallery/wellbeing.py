"""Wellbeing: distressing images are shown blurred or greyscale until revealed.

Analysts look at hundreds of adverts, some with upsetting pictures.  By
default every thumbnail and image is blurred; the analyst reveals all of them
for a while (a toggle) or one image at a time (in the viewer).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from ui.common.prefs import WELLBEING_MODES, Preferences
from ui.common.qtutil import emit

#: Longest side, in pixels, an image is shrunk to before being blown up again (blur).
BLUR_DETAIL = 28


def treat(image: QImage, mode: str) -> QImage:
    """``image`` blurred (``blur``), in greyscale (``grey``) or as it is (``off``).

    Safe to call off the GUI thread (``QImage`` only).
    """
    if image.isNull() or mode == "off":
        return image
    if mode == "grey":
        return image.convertToFormat(QImage.Format.Format_Grayscale8)
    w, h = image.width(), image.height()
    scale = BLUR_DETAIL / max(w, h)
    if scale >= 1:
        return image
    small = image.scaled(max(1, round(w * scale)), max(1, round(h * scale)),
                         Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    return small.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)


class Wellbeing(QObject):
    """Which images are shown as they are.

    Signals:
        changed(): the mode, the global reveal or a per-image reveal changed.

    Attributes:
        mode: ``blur``, ``grey`` or ``off`` (from the preferences).
        reveal_all: every image shown as it is, until toggled back.
    """

    changed = Signal()

    def __init__(self, prefs: Preferences, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self.mode = prefs.wellbeing
        self.reveal_all = False
        self._revealed: set[int] = set()

    def treatment(self, capture_id: int) -> str:
        """The treatment for a capture's image right now."""
        if self.reveal_all or capture_id in self._revealed:
            return "off"
        return self.mode

    def is_revealed(self, capture_id: int) -> bool:
        return self.treatment(capture_id) == "off"

    def set_mode(self, mode: str) -> None:
        if mode not in WELLBEING_MODES:
            raise ValueError(mode)
        if mode != self.mode:
            self.mode = mode
            self._prefs.wellbeing = mode
            emit(self.changed)

    def set_reveal_all(self, on: bool) -> None:
        if on != self.reveal_all:
            self.reveal_all = on
            emit(self.changed)

    def set_revealed(self, capture_id: int, on: bool) -> None:
        if on == (capture_id in self._revealed):
            return
        if on:
            self._revealed.add(capture_id)
        else:
            self._revealed.discard(capture_id)
        emit(self.changed)

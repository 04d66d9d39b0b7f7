"""Per-user interface preferences (window layout, wellbeing, automation), in ``QSettings``.

These are the analyst's own display choices, not evidence: they stay out of
the workspace and its audit trail.  Tests pass a ``QSettings`` backed by a
temporary INI file so nothing leaks into the real user configuration.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

WELLBEING_MODES = ("blur", "grey", "off")


class Preferences:
    """Typed access to the UI's settings.

    Attributes:
        settings: the underlying ``QSettings``.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings if settings is not None else QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope,
            "analyst-workstation", "analyst-workstation-ui")

    @classmethod
    def at(cls, path: str) -> Preferences:
        """Preferences kept in the INI file ``path`` (tests, portable installs)."""
        return cls(QSettings(path, QSettings.Format.IniFormat))

    def _bool(self, key: str, default: bool) -> bool:
        value = self.settings.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def _str(self, key: str, default: str) -> str:
        value = self.settings.value(key, default)
        return str(value) if value is not None else default

    # -------------------------------------------------------------- wellbeing
    @property
    def wellbeing(self) -> str:
        """How images are shown until revealed: ``blur`` (default), ``grey`` or ``off``."""
        mode = self._str("wellbeing/mode", "blur")
        return mode if mode in WELLBEING_MODES else "blur"

    @wellbeing.setter
    def wellbeing(self, mode: str) -> None:
        if mode not in WELLBEING_MODES:
            raise ValueError(mode)
        self.settings.setValue("wellbeing/mode", mode)

    # -------------------------------------------------------------- automation
    @property
    def auto_ocr(self) -> bool:
        """Start OCR in the background after every capture (default on)."""
        return self._bool("capture/auto_ocr", True)

    @auto_ocr.setter
    def auto_ocr(self, value: bool) -> None:
        self.settings.setValue("capture/auto_ocr", value)

    @property
    def ask_details(self) -> bool:
        """Show the details form (URL, handle, case, notes) after a capture (default on)."""
        return self._bool("capture/ask_details", True)

    @ask_details.setter
    def ask_details(self, value: bool) -> None:
        self.settings.setValue("capture/ask_details", value)

    @property
    def watch_folder(self) -> str:
        """A folder whose new images are imported automatically ("" = none)."""
        return self._str("capture/watch_folder", "")

    @watch_folder.setter
    def watch_folder(self, value: str) -> None:
        self.settings.setValue("capture/watch_folder", value)

    # -------------------------------------------------------------- workspace
    @property
    def workspace_location(self) -> str:
        """The workspace folder to open at the next start when none is given on the
        command line or in ``$WORKSTATION_HOME`` ("" = the per-user default)."""
        return self._str("workspace/location", "")

    @workspace_location.setter
    def workspace_location(self, value: str) -> None:
        self.settings.setValue("workspace/location", value)

    # ----------------------------------------------------------------- layout
    @property
    def view_mode(self) -> str:
        """``gallery`` or ``table``."""
        mode = self._str("window/view", "gallery")
        return mode if mode in ("gallery", "table") else "gallery"

    @view_mode.setter
    def view_mode(self, value: str) -> None:
        self.settings.setValue("window/view", value)

    @property
    def gallery_order(self) -> str:
        """What the gallery is sorted by: ``date``, ``platform``, ``case`` or ``state``."""
        order = self._str("window/order", "date")
        return order if order in ("date", "platform", "case", "state") else "date"

    @gallery_order.setter
    def gallery_order(self, value: str) -> None:
        self.settings.setValue("window/order", value)

    @property
    def gallery_grouped(self) -> bool:
        """Whether the gallery shows its captures in groups (of the sort order)."""
        return self._bool("window/grouped", False)

    @gallery_grouped.setter
    def gallery_grouped(self, value: bool) -> None:
        self.settings.setValue("window/grouped", bool(value))

    def state(self, key: str) -> QByteArray | None:
        """A saved ``QByteArray`` (geometry, window state, splitter state)."""
        value = self.settings.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_state(self, key: str, value: QByteArray) -> None:
        self.settings.setValue(f"window/{key}", value)

    def sync(self) -> None:
        self.settings.sync()

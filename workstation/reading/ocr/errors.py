"""Errors specific to OCR, all user-facing (:class:`~workstation.errors.WorkstationError`).

A missing language pack is reported with the shared
:class:`~workstation.errors.MissingDependency`; an unreadable image with
:class:`~workstation.errors.RejectedInput`.  The classes here cover the rest.
"""

from __future__ import annotations

from workstation.errors import WorkstationError


class OcrError(WorkstationError):
    """Base class of the OCR-specific errors."""


class InvalidLanguage(OcrError):
    """A language string is not of the form ``eng`` / ``ara+eng`` / ``auto``."""


class OcrFailed(OcrError):
    """Tesseract failed, timed out or crashed on one image."""

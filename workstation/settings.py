"""Checking a workspace setting before it is saved.

``Workspace.set_setting`` stores any text; the code that later reads a setting
refuses a bad one only when it is used (an OCR run, a send).  :func:`check_setting`
applies those same rules up front, so ``workstation config`` and the desktop
Settings dialog refuse a bad value with a sentence instead of storing it:

* ``analyst`` — a name, not empty;
* ``ocr_languages`` — ``auto`` or installed Tesseract languages joined by ``+``
  (``ara+eng``), the rule OCR applies;
* ``ocr_jobs`` — worker processes for OCR, ``0`` for one per core;
* ``region_hints`` — ISO 3166 codes libphonenumber knows (``GB,FR,IQ``), empty
  for the default list;
* ``smtp_host``, ``smtp_port``, ``smtp_security`` (``starttls`` | ``ssl``),
  ``smtp_user``, ``smtp_from`` — what :mod:`workstation.packs.transports` needs; empty
  values mean "not set".

Other keys are stored as given (stripped).  The SMTP password is never a
setting: it goes to the secret store (``Workspace.set_smtp_password``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from workstation.errors import WorkstationError

__all__ = ["MAX_OCR_JOBS", "SMTP_SECURITY", "InvalidSetting", "check_setting"]

SMTP_SECURITY = ("starttls", "ssl")
MAX_OCR_JOBS = 64
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?)$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class InvalidSetting(WorkstationError, ValueError):
    """A setting's value would not work where it is used."""


def _analyst(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidSetting("The analyst's name must not be empty; it is recorded with "
                             "every change.")
    if len(name) > 100:
        raise InvalidSetting("The analyst's name is too long (at most 100 characters).")
    return name


def _ocr_languages(value: str) -> str:
    if not value or value.lower() == "auto":
        return "auto"
    from workstation.reading.ocr.languages import require_installed, split_languages

    names = split_languages(value)
    require_installed(names)
    return "+".join(names)


def _ocr_jobs(value: str) -> str:
    if not value:
        return "0"
    if not value.isdigit() or int(value) > MAX_OCR_JOBS:
        raise InvalidSetting(f"OCR jobs must be a whole number from 0 (one per core) to "
                             f"{MAX_OCR_JOBS}, not {value!r}.")
    return str(int(value))


def _region_hints(value: str) -> str:
    from workstation.reading.indicators import check_region_hints

    parts = [p for p in re.split(r"[\s,;]+", value) if p]
    return ",".join(check_region_hints(parts)) if parts else ""


def _smtp_host(value: str) -> str:
    if value and (len(value) > 253 or not _HOST_RE.match(value)):
        raise InvalidSetting(f"{value!r} is not a server name; give the SMTP server's host "
                             "name, such as smtp.example.org.")
    return value


def _smtp_port(value: str) -> str:
    if not value:
        return ""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise InvalidSetting(f"The SMTP port must be a number from 1 to 65535 (usually 587 "
                             f"for STARTTLS or 465 for SSL), not {value!r}.")
    return str(int(value))


def _smtp_security(value: str) -> str:
    mode = value.lower() or "starttls"
    if mode not in SMTP_SECURITY:
        raise InvalidSetting(f"smtp_security must be starttls or ssl, not {value!r}.")
    return mode


def _smtp_user(value: str) -> str:
    if _CONTROL_RE.search(value) or len(value) > 254:
        raise InvalidSetting("The SMTP user name contains control characters or is too long.")
    return value


def _smtp_from(value: str) -> str:
    if not value:
        return ""
    from workstation.packs.service import _check_email

    try:
        return _check_email(value)
    except WorkstationError:
        raise InvalidSetting(f"The sender address {value!r} is not an e-mail address "
                             "(alerts@example.org).") from None


_CHECKS: dict[str, Callable[[str], str]] = {
    "analyst": _analyst,
    "ocr_languages": _ocr_languages,
    "ocr_jobs": _ocr_jobs,
    "region_hints": _region_hints,
    "smtp_host": _smtp_host,
    "smtp_port": _smtp_port,
    "smtp_security": _smtp_security,
    "smtp_user": _smtp_user,
    "smtp_from": _smtp_from,
}


def check_setting(key: str, value: str) -> str:
    """``value`` as it should be stored for ``key``, or a ``WorkstationError`` (a
    sentence saying what is wrong) when it would not work."""
    return _CHECKS.get(key, lambda text: text)(value.strip())

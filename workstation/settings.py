"""Every workspace setting, in one table: its type, default, allowed values, help
text, the group it is shown under, and whether it is a secret.

:data:`SETTINGS` is the one place a setting is declared.  ``Workspace.set_setting``
stores a value only through :func:`check`, so ``workstation config`` and the
desktop Settings dialog accept and refuse the same values; the code that uses a
setting reads it with :func:`get_text`, :func:`get_int`, :func:`get_optional_int`
or :func:`get_list`, which give the table's default when the setting is unset, or
when an older workspace holds a value that is no longer valid.

* :func:`check` — the value as it will be stored, or :class:`InvalidSetting` with
  one sentence: an unknown key (naming close matches), a secret (naming the
  command that stores it), a value of the wrong type, out of range, or one that
  would not work where it is used (a Tesseract language that is not installed);
* an empty value means the default (and "not set" where the default is empty),
  except for the analyst's name, which is required;
* a secret (the SMTP password) is never a setting: it lives in the secret store.

This module imports nothing from the rest of the core at import time; the checks
that need the reading code (languages, phone regions) import it when they run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from workstation.errors import WorkstationError

__all__ = [
    "GROUPS",
    "SETTINGS",
    "SMTP_PORTS",
    "InvalidSetting",
    "Setting",
    "SettingSource",
    "check",
    "check_email",
    "describe",
    "get_int",
    "get_list",
    "get_optional_int",
    "get_text",
    "lookup",
    "read",
]

#: The usual SMTP port for each security mode (used when ``smtp_port`` is not set).
SMTP_PORTS = {"starttls": 587, "ssl": 465}
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?)$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_REF_PREFIX_RE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
_SMTP_PASSWORD_COMMAND = "workstation key smtp-password"


class InvalidSetting(WorkstationError, ValueError):
    """A setting's key or value is refused (the message says why, in one sentence)."""


class SettingSource(Protocol):
    """Anything that reads a stored setting (``Workspace``, its feature mix-ins)."""

    def setting(self, key: str, /) -> str | None: ...


# --------------------------------------------------------------------- rules
def check_email(value: str) -> str:
    """``value`` normalised when it is an e-mail address (name@example.org), else
    :class:`InvalidSetting` (the one rule: :func:`workstation.addresses.check_email`)."""
    from workstation.addresses import InvalidAddress
    from workstation.addresses import check_email as check_address

    try:
        return check_address(value, example="name@example.org")
    except InvalidAddress as exc:
        raise InvalidSetting(str(exc)) from None


def _analyst(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidSetting("The analyst's name must not be empty; it is recorded with "
                             "every change.")
    if len(name) > 100:
        raise InvalidSetting("The analyst's name is too long (at most 100 characters).")
    return name


def _ocr_languages(value: str) -> str:
    if value.lower() == "auto":
        return "auto"
    from workstation.reading.ocr.languages import split_languages

    return "+".join(split_languages(value))


def _languages_installed(value: str) -> None:
    if value != "auto":
        from workstation.reading.ocr.languages import require_installed

        require_installed(value.split("+"))


def _region_hints(value: str) -> str:
    from workstation.reading.indicators import check_region_hints

    return ",".join(check_region_hints([p for p in re.split(r"[\s,;]+", value) if p]))


def _host(value: str) -> str:
    if len(value) > 253 or not _HOST_RE.match(value):
        raise InvalidSetting(f"{value!r} is not a server name; give the SMTP server's host "
                             "name, such as smtp.example.org.")
    return value


def _email_rule(what: str, example: str) -> Callable[[str], str]:
    """A rule for an e-mail address setting, whose refusal names the setting and an example."""

    def rule(value: str) -> str:
        try:
            return check_email(value)
        except InvalidSetting:
            raise InvalidSetting(f"The {what} {value!r} is not an e-mail address "
                                 f"({example}).") from None

    return rule


_sender = _email_rule("sender address", "alerts@example.org")
_reply_to = _email_rule("reply address", "outcomes@example.org")


def _issuer_name(value: str) -> str:
    """A name in a pack's issuer block: words, at least two characters, at most 120."""
    name = " ".join(value.split())
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        raise InvalidSetting(f"{value!r} is not a name; give the name in words, such as "
                             "Online Referrals Unit.")
    if len(name) > 120:
        raise InvalidSetting("The name is too long (at most 120 characters).")
    return name


def _phone(value: str) -> str:
    """A phone number with its country code, stored in E.164 form (+442079460000)."""
    import phonenumbers

    example = "such as +44 20 7946 0000"
    if not value.lstrip().startswith(("+", "00")):
        raise InvalidSetting(f"The phone number {value!r} needs its country code, {example}.")
    try:
        number = phonenumbers.parse("+" + value.lstrip()[2:] if value.lstrip().startswith("00")
                                    else value, None)
    except phonenumbers.NumberParseException:
        raise InvalidSetting(f"{value!r} is not a phone number; give it with its country "
                             f"code, {example}.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidSetting(f"{value!r} is not a valid phone number for its country; "
                             f"check the digits ({example}).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ref_prefix(value: str) -> str:
    if not _REF_PREFIX_RE.match(value):
        raise InvalidSetting(f"pack_ref_prefix {value!r} must be 1 to 20 letters, digits "
                             "and '-'.")
    return value


# --------------------------------------------------------------------- table
@dataclass(frozen=True, slots=True)
class Setting:
    """One setting.

    ``type``: ``str``, ``int``, ``choice``, ``list`` (comma-separated) or
    ``secret``.  ``default``: the value in effect when unset, as stored text
    (``""``: not set).  ``minimum``/``maximum``: an ``int``'s range;
    ``choices``: a ``choice``'s values.  ``help``: one line.  ``group``: where
    ``workstation config`` and the Settings dialog show it.  ``what``: how a
    refusal names it.  ``required``: an empty value is refused.
    ``max_length``: a ``str``'s limit.  ``rule``: the value's own form, returns
    it normalized (cheap: also applied when reading).  ``installed``: a check of
    this machine (Tesseract languages), applied only when the value is set.
    """

    key: str
    type: str
    default: str
    help: str
    group: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    what: str = ""
    required: bool = False
    max_length: int = 200
    rule: Callable[[str], str] | None = None
    installed: Callable[[str], None] | None = None

    @property
    def secret(self) -> bool:
        return self.type == "secret"

    @property
    def allowed(self) -> str:
        """The allowed values in words: ``0-64``, ``starttls|ssl``, or ``""``."""
        if self.type == "int":
            return f"{self.minimum}-{self.maximum}"
        if self.type == "choice":
            return "|".join(self.choices)
        return ""


GROUPS = ("General", "Import", "Reading", "E-mail", "Alert packs")

_TABLE = (
    # ------------------------------------------------------------- General
    Setting("analyst", "str", "", "your name, recorded with every change "
            "($WORKSTATION_ANALYST wins; unset: the OS user)", "General",
            required=True, rule=_analyst),
    Setting("secret_backend", "choice", "auto", "where keys and passwords are kept: auto (the "
            "OS keyring if a secure one exists, else files), keyring or file", "General",
            choices=("auto", "keyring", "file")),
    # -------------------------------------------------------------- Import
    Setting("max_pixels", "int", "100000000", "images above this many pixels are refused "
            "(a possible decompression bomb)", "Import", minimum=1_000, maximum=1_000_000_000),
    Setting("max_file_mb", "int", "512", "files above this many MB are refused", "Import",
            minimum=1, maximum=10_240),
    Setting("exhibit_at_capture", "choice", "off", "on: every new capture gets its exhibit "
            "reference (your initials and a number, AB/1) as it is imported; off: only "
            "when asked for", "Import", choices=("off", "on")),
    # ------------------------------------------------------------- Reading
    Setting("ocr_languages", "str", "auto", "auto (detect the script and choose), or "
            "Tesseract languages joined by + such as ara+eng", "Reading",
            rule=_ocr_languages, installed=_languages_installed),
    Setting("ocr_jobs", "int", "0", "OCR worker processes; 0: one per core", "Reading",
            minimum=0, maximum=64, what="ocr_jobs (OCR worker processes, 0: one per core)"),
    Setting("region_hints", "list", "GB,FR,IQ,TR,AL,VN,IR,AF,ER,IT,DE", "two-letter country "
            "codes tried in order for phone numbers written without +country code",
            "Reading", max_length=1000, rule=_region_hints),
    # -------------------------------------------------------------- E-mail
    Setting("smtp_host", "str", "", "the SMTP server that sends alert packs, such as "
            "smtp.example.org (empty: no e-mail)", "E-mail", max_length=253, rule=_host),
    Setting("smtp_port", "int", "", "the SMTP port (empty: 587 for starttls, 465 for ssl)",
            "E-mail", minimum=1, maximum=65535, what="The SMTP port"),
    Setting("smtp_security", "choice", "starttls", "starttls (usually port 587) or ssl "
            "(TLS from the start, usually port 465)", "E-mail", choices=tuple(SMTP_PORTS)),
    Setting("smtp_user", "str", "", "the SMTP login name (empty: no login)", "E-mail",
            max_length=254),
    Setting("smtp_from", "str", "", "the sender address of alert packs, such as "
            "alerts@example.org", "E-mail", max_length=254, rule=_sender),
    Setting("smtp_cafile", "str", "", "a CA bundle to trust for the SMTP server (empty: the "
            "system's)", "E-mail", max_length=4096),
    Setting("smtp_timeout", "int", "30", "seconds to wait for the SMTP server", "E-mail",
            minimum=1, maximum=600),
    Setting("smtp_max_mb", "int", "25", "packs larger than this many MB are not e-mailed "
            "(deliver them with --via folder)", "E-mail", minimum=1, maximum=2048),
    Setting("smtp_password", "secret", "", f"use `{_SMTP_PASSWORD_COMMAND}`", "E-mail"),
    # --------------------------------------------------------- Alert packs
    # The issuer: never defaulted (a pack names who sent it and how to reach them); all
    # required before anything is sealed (workstation/packs/issuer.py).
    Setting("agency_name", "str", "", "the agency named as a pack's issuer, such as "
            "Example Police Service (required before sealing)", "Alert packs",
            what="agency_name (the issuing agency)", rule=_issuer_name),
    Setting("issuing_unit", "str", "", "the unit named as a pack's issuer, such as Online "
            "Referrals Unit (required before sealing)", "Alert packs",
            what="issuing_unit (the issuing unit)", rule=_issuer_name),
    Setting("contact_24x7_name", "str", "", "the 24/7 contact named in every pack, such as "
            "Control Room (required before sealing)", "Alert packs",
            what="contact_24x7_name (the 24/7 contact)", rule=_issuer_name),
    Setting("contact_24x7_phone", "str", "", "the 24/7 contact's phone number with its "
            "country code, such as +44 20 7946 0000; stored as +442079460000 (required "
            "before sealing)", "Alert packs", max_length=40, rule=_phone),
    Setting("contact_24x7_email", "str", "", "the 24/7 contact's e-mail address (required "
            "before sealing)", "Alert packs", max_length=254, rule=check_email),
    Setting("reply_to", "str", "", "the e-mail address platforms send their outcomes to "
            "(a pack's send_to; required before sealing)", "Alert packs", max_length=254,
            rule=_reply_to),
    Setting("handling_marking", "str", "OFFICIAL-SENSITIVE", "the handling marking on every "
            "pack and e-mail subject", "Alert packs", max_length=100),
    Setting("pack_ref_prefix", "str", "NCA-AP", "the start of pack references "
            "(NCA-AP-2025-000001): letters, digits and -", "Alert packs", max_length=20,
            rule=_ref_prefix),
    Setting("deadline_hours_urgent", "int", "24", "hours the platform is asked to act "
            "within, for an urgent pack", "Alert packs", minimum=1, maximum=720),
    Setting("deadline_hours_normal", "int", "72", "hours the platform is asked to act "
            "within, for a normal pack", "Alert packs", minimum=1, maximum=2160),
    Setting("preservation_days", "int", "90", "days the platform is asked to preserve the "
            "account's data", "Alert packs", minimum=1, maximum=3650),
    Setting("report_preview", "choice", "thumbnail", "the picture in a pack's report.html: "
            "thumbnail, or full (decoded from the original, slower)", "Alert packs",
            choices=("thumbnail", "full")),
)

#: Every setting, by key, in the order shown.
SETTINGS: dict[str, Setting] = {s.key: s for s in _TABLE}


# ----------------------------------------------------------------- checking
def lookup(key: str) -> Setting:
    """The declared setting ``key`` (secrets included), or :class:`InvalidSetting`
    naming close matches."""
    found = SETTINGS.get(key)
    if found is None:
        close = difflib.get_close_matches(key, list(SETTINGS), n=3, cutoff=0.6)
        hint = f": did you mean {', '.join(close)}?" if close else "."
        raise InvalidSetting(f"Unknown setting {key!r}{hint} ({{how}} lists them all)",
                             how="config")
    return found


def _secret(setting: Setting) -> InvalidSetting:
    return InvalidSetting(f"{setting.key} is a secret and never stored as a setting: use "
                          f"{{how}}.", how="key smtp-password")


def _normalize(setting: Setting, raw: str) -> str:
    """The stored form of ``raw`` (type, range and form checked; not the machine)."""
    if setting.secret:
        raise _secret(setting)
    text = raw.strip()
    if not text and not setting.required:
        return setting.default
    what = setting.what or setting.key
    if setting.type == "int":
        low, high = setting.minimum or 0, setting.maximum or 0
        if not text.isdigit() or not low <= int(text) <= high:
            raise InvalidSetting(f"{what} must be a number from {setting.minimum} to "
                                 f"{setting.maximum}, not {text!r}.")
        return str(int(text))
    if setting.type == "choice":
        if text.lower() not in setting.choices:
            options = ", ".join(setting.choices[:-1]) + f" or {setting.choices[-1]}"
            raise InvalidSetting(f"{what} must be {options}, not {text!r}.")
        return text.lower()
    if _CONTROL_RE.search(text) or len(text) > setting.max_length:
        raise InvalidSetting(f"{what} contains control characters or is too long (at most "
                             f"{setting.max_length} characters).")
    if setting.rule is None:
        return text
    try:
        return setting.rule(text)
    except InvalidSetting:
        raise
    except WorkstationError as exc:  # the reading code's own refusal (a language, a region)
        raise InvalidSetting(str(exc)) from None


def check(key: str, raw: str) -> str:
    """``raw`` as it is to be stored for ``key``; :class:`InvalidSetting` (one sentence)
    for an unknown key, a secret, or a value that is refused."""
    setting = lookup(key)
    value = _normalize(setting, raw)
    if setting.installed is not None and value:
        try:
            setting.installed(value)
        except WorkstationError as exc:
            raise InvalidSetting(str(exc)) from None
    return value


def read(key: str, stored: str | None) -> str | None:
    """What a stored value reads as: normalized, or ``None`` when it is unset or no longer
    valid (an older workspace).  An undeclared key or a secret is a programming error
    (:class:`InvalidSetting`)."""
    setting = lookup(key)
    if setting.secret:
        raise _secret(setting)
    if stored is None:
        return None
    try:
        return _normalize(setting, stored)
    except WorkstationError:
        return None


# ------------------------------------------------------------------ reading
def get_text(source: SettingSource, key: str) -> str:
    """The setting's value in effect: the stored one, else the table's default."""
    value = source.setting(key)
    return lookup(key).default if value is None else value


def get_int(source: SettingSource, key: str) -> int:
    """An ``int`` setting in effect (its default when unset)."""
    value = get_optional_int(source, key)
    if value is None:
        raise InvalidSetting(f"{key} has no default; read it with get_optional_int.")
    return value


def get_optional_int(source: SettingSource, key: str) -> int | None:
    """An ``int`` setting in effect, or ``None`` when it is unset and has no default."""
    if lookup(key).type != "int":
        raise InvalidSetting(f"{key} is not a number setting.")
    text = get_text(source, key)
    return int(text) if text else None


def get_list(source: SettingSource, key: str) -> tuple[str, ...]:
    """A ``list`` setting in effect (its default when unset), split at commas."""
    return tuple(p for p in get_text(source, key).split(",") if p)


def describe(source: SettingSource) -> Iterator[dict[str, Any]]:
    """Every setting with its value in effect, for ``workstation config``: key, group,
    type, value (``None`` for a secret), default, whether it is set, allowed values, help."""
    for setting in SETTINGS.values():
        stored = None if setting.secret else source.setting(setting.key)
        yield {"key": setting.key, "group": setting.group, "type": setting.type,
               "value": None if setting.secret else (setting.default if stored is None
                                                     else stored),
               "default": setting.default, "set": stored is not None,
               "allowed": setting.allowed, "help": setting.help, "secret": setting.secret}

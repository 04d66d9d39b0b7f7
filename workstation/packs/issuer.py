"""The issuer identity a pack names: the agency, its unit, the 24/7 contact and the
address outcomes go to.  Never defaulted (a pack must not borrow a real agency's name
or phone number): all of it is set up by the analyst (``workstation key init``, the
window's setup dialog, or ``workstation config KEY VALUE``) and required before
anything is sealed.  The values are the settings of :mod:`workstation.settings`,
checked there; this module says which are missing."""

from __future__ import annotations

from collections.abc import Mapping

from workstation.errors import WorkstationError
from workstation.settings import InvalidSetting, SettingSource, check

__all__ = ["ISSUER_KEYS", "ISSUER_LABELS", "IssuerNotSet", "check_issuer", "issuer_values",
           "missing_issuer", "require_issuer"]

#: The issuer settings, in the order they are asked for.
ISSUER_KEYS = ("agency_name", "issuing_unit", "contact_24x7_name", "contact_24x7_phone",
               "contact_24x7_email", "reply_to")

#: How each is named to the analyst (a form's label, a refusal).
ISSUER_LABELS = {
    "agency_name": "agency name",
    "issuing_unit": "issuing unit",
    "contact_24x7_name": "24/7 contact's name",
    "contact_24x7_phone": "24/7 contact's phone",
    "contact_24x7_email": "24/7 contact's e-mail",
    "reply_to": "reply address for outcomes",
}


class IssuerNotSet(WorkstationError):
    """Sealing refused: the issuer identity is incomplete.  ``missing``: the setting keys
    not set (in :data:`ISSUER_KEYS` order).  The message names them in words, never a
    command: the CLI adds its commands, the window shows a setup dialog."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = [k for k in ISSUER_KEYS if k in missing]
        names = ", ".join(f"{ISSUER_LABELS[k]} ({k})" for k in self.missing)
        super().__init__(f"The issuer identity is not set up, so no pack can be sealed: "
                         f"missing {names}.")


def missing_issuer(source: SettingSource) -> list[str]:
    """The issuer settings that are not set (or no longer valid), in asking order."""
    return [key for key in ISSUER_KEYS if not source.setting(key)]


def require_issuer(source: SettingSource) -> None:
    """:class:`IssuerNotSet` unless every issuer setting is set."""
    missing = missing_issuer(source)
    if missing:
        raise IssuerNotSet(missing)


def issuer_values(source: SettingSource) -> dict[str, str]:
    """The issuer settings as set (``""`` where not set)."""
    return {key: source.setting(key) or "" for key in ISSUER_KEYS}


def check_issuer(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` (some issuer settings) as they would be stored, every one checked before
    any is stored; :class:`workstation.settings.InvalidSetting` for the first refused
    (an empty value is refused: the issuer is never left unset on purpose)."""
    checked = {}
    for key, raw in values.items():
        if key not in ISSUER_KEYS:
            raise WorkstationError(f"{key} is not an issuer setting.")
        value = check(key, raw)
        if not value:
            raise InvalidSetting(f"The {ISSUER_LABELS[key]} must not be empty.")
        checked[key] = value
    return checked

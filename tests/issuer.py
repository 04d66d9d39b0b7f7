"""The issuer identity every test workspace that seals packs sets (``pack build`` is refused
until it is set: workstation/packs/issuer.py).  Fictional: an Ofcom drama number and
``.example`` addresses."""

from __future__ import annotations

from typing import Protocol

#: The issuer settings, as ``workstation config KEY VALUE`` stores them.
TEST_ISSUER = {
    "agency_name": "Test Police Service",
    "issuing_unit": "Online Referrals Test Unit",
    "contact_24x7_name": "Test Control Room",
    "contact_24x7_phone": "+442079460000",
    "contact_24x7_email": "control@police.example",
    "reply_to": "outcomes@police.example",
}

#: ``workstation key init`` flags that set the same identity.
ISSUER_FLAGS = ["--agency-name", TEST_ISSUER["agency_name"],
                "--issuing-unit", TEST_ISSUER["issuing_unit"],
                "--contact-name", TEST_ISSUER["contact_24x7_name"],
                "--contact-phone", TEST_ISSUER["contact_24x7_phone"],
                "--contact-email", TEST_ISSUER["contact_24x7_email"],
                "--reply-to", TEST_ISSUER["reply_to"]]


class _Settable(Protocol):
    def set_setting(self, key: str, value: str) -> str: ...


def set_issuer(ws: _Settable) -> None:
    """Set :data:`TEST_ISSUER` on an open, writable workspace (audited like `config`)."""
    for key, value in TEST_ISSUER.items():
        ws.set_setting(key, value)

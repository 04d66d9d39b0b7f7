"""E-mail addresses: one rule (email-validator, syntax only, offline) for contacts, the
24/7 desk and the sender, each refusal one sentence naming the address."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest

from workstation.addresses import InvalidAddress, check_email
from workstation.errors import WorkstationError
from workstation.packs.models import ContactError
from workstation.settings import InvalidSetting, check
from workstation.workspace import Workspace


@pytest.mark.parametrize(("value", "expected"), [
    ("jo@platform.example", "jo@platform.example"),
    ("  le@meta.example \n", "le@meta.example"),
    ("Jo.Smith+alerts@Platform.EXAMPLE", "Jo.Smith+alerts@platform.example"),
    ("alerts@agency.gov.uk", "alerts@agency.gov.uk"),
    ("ünï@exämple.org", "ünï@exämple.org"),
])
def test_valid_addresses_come_back_normalised(value: str, expected: str) -> None:
    assert check_email(value) == expected


@pytest.mark.parametrize("value", [
    "a@b",                         # no period in the domain
    "\"x y\"@example.com",         # quoted local part
    "name@example.com<script>",
    "Name <name@example.com>",     # a display name
    "name@example.com, b@example.com",
    "desk",
    "a b@example.com",
    "a..b@example.com",
    "name@[192.0.2.1]",
    "name@printer.local",          # special-use domain
    "x" * 250 + "@example.com",    # too long
    "",
])
def test_invalid_addresses_are_refused_in_one_sentence(value: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        check_email(value)
    assert isinstance(info.value, WorkstationError) and isinstance(info.value, ValueError)
    assert str(info.value) == f"{value.strip()!r} is not an e-mail address (name@example.com)."
    assert "\n" not in str(info.value)


def test_the_message_names_the_address_and_its_expected_form() -> None:
    with pytest.raises(InvalidAddress, match=r"^The sender address 'a@b' is not an e-mail "
                                             r"address \(alerts@example\.org\)\.$"):
        check_email("a@b", "The sender address", example="alerts@example.org")


def test_settings_and_contacts_use_the_same_rule(tmp_path: Path) -> None:
    assert check("contact_24x7_email", " Desk@NCA.Example ") == "Desk@nca.example"
    with pytest.raises(InvalidSetting, match=r"^'a@b' is not an e-mail address "
                                             r"\(name@example\.org\)\.$"):
        check("contact_24x7_email", "a@b")
    with pytest.raises(InvalidSetting, match=r"^The sender address 'x y@example\.com' is "
                                             r"not an e-mail address"):
        check("smtp_from", "x y@example.com")

    recipient = str(pyrage.x25519.Identity.generate().to_public())
    with Workspace.open(tmp_path / "ws") as ws:
        contact = ws.contacts.add("tiktok", "T&S", "TS@TikTok.Example", [recipient])
        assert contact.email == "TS@tiktok.example"
        with pytest.raises(ContactError) as info:
            ws.contacts.add("tiktok", "T&S", "name@example.com<script>", [recipient])
        assert str(info.value) == ("'name@example.com<script>' is not an e-mail address "
                                   "(name@example.com).")

"""E-mail addresses: the one rule for a contact's, the 24/7 desk's and the sender's address.

The syntax is checked by the ``email-validator`` library (RFC 5321/5322 with the usual
restrictions: no quoted local part, no IP-address domain, no display name, a domain
with a period that is not a special-use name such as ``.local`` or ``.invalid``).  It
never looks the domain up (``check_deliverability=False``): the workstation works
offline.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from workstation.errors import WorkstationError

__all__ = ["InvalidAddress", "check_email"]


class InvalidAddress(WorkstationError, ValueError):
    """An e-mail address is refused (one sentence, naming the address)."""


def check_email(value: str | None, what: str = "", *,
                example: str = "name@example.com") -> str:
    """``value`` as a normalised e-mail address (surrounding spaces removed, the domain in
    lower case), or :class:`InvalidAddress`.

    ``what`` names the address at the start of the message ("The sender address"), and
    ``example`` shows the expected form: ``"The sender address 'x' is not an e-mail
    address (alerts@example.org)."``; without ``what``: ``"'x' is not an e-mail address
    (name@example.com)."``.
    """
    text = (value or "").strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        subject = f"{what} {text!r}" if what else repr(text)
        raise InvalidAddress(f"{subject} is not an e-mail address ({example}).") from None
    return str(checked.normalized)

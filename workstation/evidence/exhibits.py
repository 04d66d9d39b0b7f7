"""Exhibit references (``ws.exhibits``): the convention of witness statements, the
analyst's initials and a number (``AB/1``), assigned once per capture, never changed,
never reused, audited (``exhibit.assign``, subject ``capture:ID``).

The default reference is ``<initials>/<n>``: the initials of the analyst's name
(``Alice Brown`` -> ``AB``; one word: its first two letters; letters of other scripts
kept as they are; ``X`` when the name has no letter) and ``n`` one more than the highest
number ever used with those initials — in the table or, should a row ever be gone, in
the audit trail.  A reference given by the analyst must be free (compared without
case) and of a sane form (letters, digits, ``/``, ``-``, ``.``; 1-32 characters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from workstation.context import Context
from workstation.errors import NotFound, WorkstationError
from workstation.models import Problem
from workstation.storage.exhibits_repo import ExhibitsRepo
from workstation.timeutil import utc_now

#: The form of a reference: starts with a letter or digit; letters, digits, / - . after.
REF_RE = re.compile(r"^[^\W_](?:[^\W_]|[/.\-]){0,31}$")


class ExhibitError(WorkstationError):
    """An exhibit reference refused: malformed, taken, or the capture already has one."""


class ExhibitService:
    """Assign and read exhibit references; every assignment audited."""

    def __init__(self, ctx: Context, repo: ExhibitsRepo) -> None:
        self._ctx = ctx
        self._repo = repo

    def ref_for(self, capture_id: int) -> str | None:
        """The capture's reference, or ``None`` when it has none yet."""
        return self._repo.ref_for(capture_id)

    def refs_for(self, ids: Iterable[int]) -> dict[int, str]:
        """capture id -> reference, for those of ``ids`` that have one."""
        return self._repo.refs_for(ids)

    def all(self) -> dict[int, str]:
        return self._repo.all_refs()

    def assign(self, capture_id: int, ref: str | None = None) -> str:
        """The capture's reference, assigning it first when it has none: ``ref`` when
        given (checked, free), else the next ``<initials>/<n>``.  A capture that has a
        reference keeps it: giving another one is refused."""
        if ref is not None:
            ref = check_ref(ref)
        with self._ctx.write():
            return self.assign_within(capture_id, ref)

    def assign_many(self, capture_ids: Iterable[int]) -> dict[int, str]:
        """Default references for several captures, in one transaction (those that have
        one keep it); capture id -> reference."""
        with self._ctx.write():
            return {cid: self.assign_within(cid, None) for cid in capture_ids}

    def assign_within(self, capture_id: int, ref: str | None = None) -> str:
        """:meth:`assign`, inside a write the caller holds (the import, when the setting
        ``exhibit_at_capture`` is on)."""
        if not self._repo.capture_exists(capture_id):
            raise NotFound(f"There is no capture #{capture_id}.")
        current = self._repo.ref_for(capture_id)
        if current is not None:
            if ref is not None and ref.casefold() != current.casefold():
                raise ExhibitError(
                    f"Capture #{capture_id} already has the exhibit reference {current}; "
                    "a reference is never changed.")
            return current
        if ref is None:
            ref = self.next_ref()
        else:
            holder = self._repo.ref_holder(ref)
            if holder is not None:
                whose = "a capture no longer present" if holder < 0 else f"capture #{holder}"
                raise ExhibitError(
                    f"The exhibit reference {ref} is already used (by {whose}); "
                    "references are never reused.")
        assigned_at = utc_now()
        self._repo.insert(capture_id, ref, assigned_at, self._ctx.analyst)
        self._ctx.audit.append(self._ctx.analyst, "exhibit.assign", f"capture:{capture_id}",
                               {"ref": ref, "assigned_at": assigned_at})
        return ref

    def next_ref(self) -> str:
        """The reference the next default assignment would get."""
        prefix = initials(self._ctx.analyst) + "/"
        used = [_number_after(prefix, r) for r in self._repo.refs_starting(prefix)]
        return f"{prefix}{max((n for n in used if n is not None), default=0) + 1}"


def check_exhibits(repo: ExhibitsRepo) -> list[Problem]:
    """``verify``: every exhibit reference as the audit trail recorded its assignment
    (none added, altered or removed outside the application)."""
    problems: list[Problem] = []
    audited = repo.audited_refs()
    for cid, ref in sorted(repo.all_refs().items()):
        want = audited.pop(cid, None)
        if want is None:
            problems.append(Problem("record-unaudited", f"exhibit reference {ref!r} of capture "
                                    f"#{cid} has no audit entry", capture_id=cid))
        elif want != ref:
            problems.append(Problem("record-altered", f"exhibit reference of capture #{cid} "
                                    f"is {ref!r} but {want!r} according to the audit trail",
                                    capture_id=cid))
    for cid, ref in sorted(audited.items()):
        problems.append(Problem("record-deleted", f"exhibit reference {ref!r} of capture "
                                f"#{cid} is missing", capture_id=cid))
    return problems


def initials(name: str) -> str:
    """The initials of an analyst's name: the first letter of each word, upper case
    (``Alice Brown`` -> ``AB``); one word: its first two letters (``alice`` -> ``AL``);
    letters of other scripts as they are; ``X`` when there is no letter."""
    words = [[ch for ch in word if ch.isalpha()] for word in name.split()]
    words = [w for w in words if w]
    if not words:
        return "X"
    letters = words[0][:2] if len(words) == 1 else [w[0] for w in words[:5]]
    return "".join(letters).upper()


def check_ref(ref: str) -> str:
    """``ref`` stripped, when it is of the allowed form; else :class:`ExhibitError`."""
    cleaned = ref.strip()
    if not REF_RE.match(cleaned):
        raise ExhibitError(
            f"{ref!r} is not a valid exhibit reference: use 1-32 letters, digits, '/', '-' "
            "or '.', starting with a letter or digit (such as AB/1).")
    return cleaned


def _number_after(prefix: str, ref: str) -> int | None:
    rest = ref[len(prefix):]
    return int(rest) if rest.isascii() and rest.isdigit() else None

"""Cases: named groups of captures, open or closed (``ws.cases``)."""

from __future__ import annotations

from workstation.context import Context
from workstation.errors import NotFound, WorkstationError
from workstation.models import Case
from workstation.storage.repositories import CaseRepo
from workstation.timeutil import utc_now


class CaseService:
    """Create, list, close and reopen cases; every change audited."""

    def __init__(self, ctx: Context, repo: CaseRepo) -> None:
        self._ctx = ctx
        self._repo = repo

    def all(self) -> list[Case]:
        return self._repo.all_cases()

    def get(self, name: str) -> Case:
        found = self._repo.by_name(name)
        if found is None:
            raise NotFound(f"There is no case named {name!r}.")
        return found

    def create(self, name: str) -> Case:
        name = clean_name(name, "case name")
        with self._ctx.write():
            if self._repo.by_name(name) is not None:
                raise WorkstationError(f"A case named {name!r} already exists.")
            case_id = self._create(name)
        return self.by_id(case_id)

    def _create(self, name: str) -> int:
        case_id = self._repo.create(name, utc_now())
        self._ctx.audit.append(self._ctx.analyst, "case.create", f"case:{case_id}", {"name": name})
        return case_id

    def by_id(self, case_id: int) -> Case:
        found = self._repo.by_id(case_id)
        if found is None:
            raise NotFound(f"There is no case #{case_id}.")
        return found

    def set_status(self, name: str, status: str) -> Case:
        if status not in ("open", "closed"):
            raise ValueError(status)
        with self._ctx.write():
            case = self.get(name)
            if case.status != status:
                self._repo.set_status(case.id, status)
                self._ctx.audit.append(
                    self._ctx.analyst, "case.close" if status == "closed" else "case.reopen",
                    f"case:{case.id}", {"name": case.name, "old": case.status, "new": status},
                )
        return self.get(name)

    def id_for(self, name: str | None, *, create: bool) -> int | None:
        """Inside a write: the id of case ``name``, created (audited) if missing."""
        if not name:
            return None
        name = clean_name(name, "case name")
        case = self._repo.by_name(name)
        if case is None:
            if not create:
                raise NotFound(f"There is no case named {name!r}.")
            return self._create(name)
        if case.status == "closed":
            raise WorkstationError(
                f"The case {name!r} is closed; reopen it (`workstation case reopen`) to add to it."
            )
        return case.id

    def check_open(self, name: str) -> None:
        case = self._repo.by_name(name.strip())
        if case is not None and case.status == "closed":
            raise WorkstationError(
                f"The case {case.name!r} is closed; reopen it (`workstation case reopen`) "
                "to add to it."
            )


def clean_name(name: str, what: str) -> str:
    """``name`` with runs of white space folded; refused when empty or over 200 characters."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise WorkstationError(f"The {what} must not be empty.")
    if len(cleaned) > 200:
        raise WorkstationError(f"The {what} is too long (at most 200 characters).")
    return cleaned

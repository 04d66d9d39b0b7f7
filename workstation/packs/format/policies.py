"""The platforms' policy clauses a pack cites (``resources/policies/*.json``)."""

from __future__ import annotations

import json
from typing import Any

from workstation.packs.format.spec import PackError
from workstation.resources import resources_dir


def load_policies(platform: str) -> dict[str, Any]:
    """The policy table of ``platform`` (``resources/policies/<platform>.json``)."""
    path = resources_dir() / "policies" / f"{platform}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"There is no policy table for {platform!r} ({path}).") from None
    except (OSError, ValueError) as exc:
        raise PackError(f"The policy table {path} cannot be read: {exc}") from None
    return data


def choose_basis(platform: str, policy_id: str | None = None) -> dict[str, Any]:
    """The terms clause (or legal basis) a pack cites: the platform's default or ``policy_id``."""
    table = load_policies(platform)
    entries: list[dict[str, Any]] = list(table.get("policies", []))
    if policy_id == "legal":
        table = load_policies("legal")
        entries = list(table.get("policies", []))
        chosen = entries[0]
    elif policy_id:
        matches = [e for e in entries if e.get("id") == policy_id]
        if not matches:
            known = ", ".join(str(e.get("id")) for e in entries)
            raise PackError(
                f"{platform} has no policy {policy_id!r}; choose one of {known}, or 'legal'."
            )
        chosen = matches[0]
    else:
        defaults = [e for e in entries if e.get("default")] or entries
        if not defaults:
            raise PackError(f"The policy table for {platform} lists no policy.")
        chosen = defaults[0]
    basis = {k: v for k, v in chosen.items() if k != "default"}
    basis["kind"] = "legal" if policy_id == "legal" else "terms"
    basis["platform"] = platform
    basis["operator"] = table.get("operator", "")
    return basis

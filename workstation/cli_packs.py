"""CLI commands for keys, contacts and alert packs (in progress)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser,
             add: Callable[..., argparse.ArgumentParser]) -> set[str]:
    """Add the key/contact/pack subcommands; return the names of read-only commands."""
    return set()

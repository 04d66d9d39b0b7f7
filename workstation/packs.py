"""Alert packs, keys, contacts and the outbox, as part of the Workspace façade (in progress)."""

from __future__ import annotations


class PackFeatures:
    """Keys, contacts, packs and the outbox (mixed into ``Workspace``)."""

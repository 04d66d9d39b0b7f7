"""Pack test fixtures.  The shared workspaces (support.py: ``template``, ``sealed``) have
the issuer identity set, which sealing requires; a test that makes its own workspace sets
it with :func:`tests.issuer.set_issuer` (or ``key init`` with :data:`tests.issuer.ISSUER_FLAGS`)."""

from __future__ import annotations

import pytest

from tests.issuer import TEST_ISSUER


@pytest.fixture
def issuer() -> dict[str, str]:
    """The issuer settings the shared workspaces hold (a copy)."""
    return dict(TEST_ISSUER)

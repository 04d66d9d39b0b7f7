"""A real TSA on loopback (``openssl ts -reply`` behind an HTTP handler, its own CA)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.tsa import PKI, LoopbackTSA, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    require_tool("openssl")
    return make_pki(tmp_path_factory.mktemp("tsa"))


@pytest.fixture
def tsa(pki: PKI) -> Iterator[LoopbackTSA]:
    with LoopbackTSA(pki) as server:
        yield server


@pytest.fixture
def ca_text(pki: PKI) -> str:
    return pki.ca_pem.read_text()


def other_pki(tmp: Path, **kwargs: object) -> PKI:
    return make_pki(tmp, name="Other", **kwargs)  # type: ignore[arg-type]

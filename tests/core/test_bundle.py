"""The PyInstaller bundle builds, and its CLI and GUI work (scripts/build-bundle)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_bundle_builds_and_passes_its_smoke_test() -> None:
    result = subprocess.run([str(ROOT / "scripts" / "build-bundle")], cwd=ROOT,
                            capture_output=True, text=True, timeout=1500)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "smoke: CLI import + OCR + search (compiled ranker) OK" in output
    assert "smoke: GUI started and closed offscreen OK" in output
    size_line = next(line for line in output.splitlines() if line.startswith("bundle size:"))
    print(size_line)

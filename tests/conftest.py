"""Shared fixtures.  Qt runs offscreen: set once here, before any Qt import."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.imagegen import make_image
from workstation.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _test_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The CLI runs and app starts of the tests log (workstation/logs.py) into a
    temporary folder, never into the user's log folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKSTATION_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
        # The per-user copies of the audit anchors (workstation/storage/anchor.py) too.
        mp.setenv("WORKSTATION_ANCHOR_DIR", str(tmp_path_factory.mktemp("anchors")))
        yield


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def ws(ws_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(ws_path)
    yield workspace
    workspace.close()


@pytest.fixture
def image_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a real image made with Pillow; returns its path."""
    counter = iter(range(1_000_000))

    def factory(name: str | None = None, fmt: str = "PNG", **kwargs: object) -> Path:
        n = next(counter)
        ext = {"JPEG": "jpg", "TIFF": "tif"}.get(fmt, fmt.lower())
        path = tmp_path / "images" / (name or f"img{n}.{ext}")
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("seed", n)
        path.write_bytes(make_image(fmt=fmt, **kwargs))  # type: ignore[arg-type]
        return path

    return factory


def interruptible() -> None:
    """``preexec_fn`` for a child that a test interrupts with SIGINT (Ctrl-C): a shell
    starts background jobs with SIGINT ignored, and Python keeps it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def require_tool(name: str) -> str:
    """The path of a CLI tool the test needs (age, minisign ...): skipped where missing,
    except in CI, where scripts/bootstrap installs it and a missing tool is a failure."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (scripts/bootstrap installs it)")
        pytest.skip(f"{name} is not installed")
    return path


def run_cli(*args: str, workspace: Path | None = None, check: bool = False,
            env: dict[str, str] | None = None, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    argv = [sys.executable, "-m", "cli"]
    if workspace is not None:
        argv += ["--workspace", str(workspace)]
    full_env = dict(os.environ)
    full_env.pop("WORKSTATION_HOME", None)
    full_env.update(env or {})
    result = subprocess.run(argv + list(args), capture_output=True, text=True, cwd=ROOT,
                            env=full_env, timeout=timeout, input=input)
    if check and result.returncode != 0:
        raise AssertionError(
            f"CLI {args} exited {result.returncode}\nstdout:{result.stdout}\nstderr:{result.stderr}"
        )
    return result

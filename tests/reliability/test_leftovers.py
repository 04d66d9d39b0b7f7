"""A killed ``pack build`` leaves its temporary file beside ``-o``; the next build into
that folder removes it (and only what is ours)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli
from tests.core.packs.support import (  # noqa: F401 - session fixture used by name
    CLI_ENV,
    PASS_ENV,
    Template,
    copy_ws,
    template,
)
from workstation.files import AtomicFile


def _abandoned(path: Path, data: bytes) -> str:
    """The temporary file a writer killed half-way leaves: AtomicFile's own name."""
    out = AtomicFile(path)
    out.file.write(data)
    out.file.close()  # as SIGKILL leaves it: neither committed nor discarded
    names = [p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.")]
    assert len(names) == 1
    return names[0]


def test_the_next_build_removes_what_a_killed_build_left(template: Template,  # noqa: F811
                                                         tmp_path: Path) -> None:
    ws_dir = copy_ws(template, tmp_path / "ws")
    out_dir = tmp_path / "usb"
    out_dir.mkdir()
    sealed = _abandoned(out_dir / "earlier.alertpack.age",
                        b"age-encryption.org/v1\n-> X25519 abc\n" + b"\x00" * 4096)
    empty = _abandoned(out_dir / "killed-early.alertpack.age", b"")
    theirs = [_abandoned(out_dir / "notes.txt", b"someone else's work"),
              _abandoned(out_dir / "other.bin", b"")]
    (out_dir / "keep.alertpack.age").write_bytes(b"age-encryption.org/v1\nfinished")

    built = run_cli("pack", "build", "--contact", str(template.tiktok_age), "--captures",
                    str(template.captures[0]), "-o", str(out_dir / "new.alertpack.age"),
                    "--passphrase-env", PASS_ENV, workspace=ws_dir, env=CLI_ENV)

    assert built.returncode == 0, built.stderr
    names = {p.name for p in out_dir.iterdir()}
    assert sealed not in names and empty not in names
    assert set(theirs) <= names  # not ours: left alone
    assert {"keep.alertpack.age", "new.alertpack.age"} <= names
    assert names == {*theirs, "keep.alertpack.age", "new.alertpack.age"}

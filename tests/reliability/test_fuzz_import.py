"""The import path fuzzed with Hypothesis: random bytes, truncated and bit-flipped real
images of every accepted format, fake headers.  Each input gives an ``ImportResult`` —
never an exception — and the store holds nothing half-written: no staged copy, no
evidence file without its capture, and ``verify`` passes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.imagegen import make_image
from workstation.models import ImportResult
from workstation.workspace import Workspace

REAL = [make_image(width=64, height=48, fmt=fmt, seed=n)
        for n, fmt in enumerate(("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF"))]
HEADERS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP",
           b"BM", b"II*\x00", b"MM\x00*", b"\x00\x00\x00\x18ftypheic"]


@st.composite
def inputs(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "truncated", "flipped", "header"]))
    if kind == "random":
        return draw(st.binary(max_size=4096))
    if kind == "header":
        return draw(st.sampled_from(HEADERS)) + draw(st.binary(max_size=512))
    data = bytearray(draw(st.sampled_from(REAL)))
    if kind == "truncated":
        return bytes(data[:draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


NAMES = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(
    ["a\x1b[2Jb.png", "\u202egnp.exe", "x\nimported #999 y.png", "\udcff.png"]))


def _unreferenced(ws: Workspace) -> set[str]:
    referenced = {c.sha256 for c in ws.captures.all()}
    return set(ws.store.all_hashes()) - referenced


def test_fuzzed_image_bytes_always_give_a_result_and_leave_nothing_half_written(
        tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:

        @settings(max_examples=400, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(data=inputs(), name=NAMES, method=st.sampled_from(["paste", "screen", "import"]))
        def fuzz(data: bytes, name: str | None, method: str) -> None:
            result = ws.intake.import_bytes(data, method=method, original_filename=name)
            assert isinstance(result, ImportResult)
            assert result.status in ("imported", "duplicate", "rejected"), result
            if result.status == "rejected":
                assert result.error and "\n" not in result.error, result
            else:
                assert result.id is not None and result.sha256
            assert list(ws.store.tmp.iterdir()) == []
            assert _unreferenced(ws) == set()

        fuzz()
        report = ws.verify()
        assert report.ok, report.summary()
        assert report.unreferenced_files == 0


def test_fuzzed_files_on_disk_go_through_the_same_checks(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    with Workspace.open(tmp_path / "ws") as ws:

        @settings(max_examples=150, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(data=inputs())
        def fuzz(data: bytes) -> None:
            path = src / "input.bin"
            path.write_bytes(data)
            result = ws.intake.import_file(path)
            assert isinstance(result, ImportResult)
            if not data:
                assert result.status == "rejected" and result.error == "file is empty"
            assert list(ws.store.tmp.iterdir()) == []
            assert _unreferenced(ws) == set()

        fuzz()
        assert ws.verify().ok

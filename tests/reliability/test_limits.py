"""Resource limits checked before any work: OCR worker processes capped like the
``ocr_jobs`` setting, pack ranges counted before they are expanded."""

from __future__ import annotations

import argparse
import tracemalloc

import pytest

from cli.packs import _capture_ids
from workstation.packs.compose import MAX_PACK_ITEMS
from workstation.reading.ocr.pool import MAX_JOBS, OcrPool
from workstation.settings import SETTINGS


def test_the_pool_caps_its_workers_like_the_setting() -> None:
    assert SETTINGS["ocr_jobs"].maximum == MAX_JOBS
    pool = OcrPool(jobs=100_000)  # workers start on first use: none started here
    try:
        assert pool.jobs == MAX_JOBS
    finally:
        pool.close()


def test_a_huge_range_is_refused_before_it_is_expanded() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(argparse.ArgumentTypeError, match="more than 10,000 captures"):
            _capture_ids("1-100000000")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # nothing the size of the range was allocated
    assert len(_capture_ids(f"1-{MAX_PACK_ITEMS}")) == MAX_PACK_ITEMS
    assert _capture_ids("#3, 1-2,7") == [3, 1, 2, 7]
    for bad in ("5-1", "1-", "x", "99999999999999999999", "1-99999999999999999999", ","):
        with pytest.raises(argparse.ArgumentTypeError):
            _capture_ids(bad)

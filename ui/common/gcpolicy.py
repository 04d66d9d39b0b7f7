"""Keep the GIL-holding work that is not ours from stalling the window.

Two things showed up as 50–160 ms GUI stalls during the first OCR run:

* Python's cyclic garbage collector.  A full (generation 2) collection walks
  every container object alive — with PySide6, the core and 10,000 captures
  loaded, 50–160 ms with the GIL held, on whichever thread triggers it.  Objects
  alive once the window is up live as long as the app, so they are moved out of
  the collector's reach with ``gc.freeze()`` (as CPython's documentation
  suggests for long-lived processes); after each finished task the young
  garbage is collected and the survivors frozen too, so full collections stay
  a few ms.
* The first import of the OCR and indicator modules (numpy, tesserocr ...),
  which the core does lazily, on the writer thread, when the first OCR starts;
  C-level module initialisation holds the GIL for tens of ms.  ``warm_up``
  imports them in the background right after start-up instead.

A shorter GIL switch interval (0.5 ms instead of 5) lets the GUI thread in
sooner while the writer thread runs Python code: PySide6 releases the GIL
around every call into Qt, so a GUI slot making 20 Qt calls could wait 20
switch intervals (measured: the longest result-handling slot went from 57 ms
to 23 ms during a 500-image OCR run).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys

#: Core modules imported lazily by OCR and indicator extraction.
WARM_MODULES = ("workstation.reading.ocr", "workstation.reading.indicators",
                "workstation.reading.lexicon")
SWITCH_INTERVAL_S = 0.0005


def warm_up() -> None:
    """Import the modules the first OCR run would import (call off the GUI thread)."""
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def settle_heap(young_first: bool = False) -> int:
    """Freeze every object alive now (after collecting the young generations if
    ``young_first``); returns how many objects are frozen."""
    if young_first:
        gc.collect(1)
    gc.freeze()
    return gc.get_freeze_count()


def favour_gui_thread() -> None:
    """Hand the GIL over more often, so the GUI thread waits less for the writer."""
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

"""A lexicon term said several times in an advert is stored as one keyword hit (the
database's size per capture: about 15 % of the keyword rows were repeats)."""

from __future__ import annotations

from pathlib import Path

from tests.imagegen import make_image
from workstation.models import CaptureMeta
from workstation.workspace import Workspace


def test_a_term_said_twice_is_one_keyword_hit(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        notes = "Calais to the UK tonight. UK guaranteed, Calais every week, WhatsApp"
        cid = ws.intake.import_bytes(make_image(seed=3), CaptureMeta(notes=notes),
                                     method="paste").id
        assert cid is not None
        hits = [(h["term"], h["category"], h["language"], h["source"])
                for h in ws.reading.keyword_hits(cid)]
        assert ("UK", "destination", "en", "notes") in hits
        assert ("Calais", "destination", "en", "notes") in hits
        assert len(hits) == len(set(hits)), hits
        flagged, score = ws.reading._repo.flags([cid])[cid]
        assert flagged and score > 0  # the verdict still counts what was said

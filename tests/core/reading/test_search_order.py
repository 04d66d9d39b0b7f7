"""The order of search results: best match first (bm25) when few captures match, the
newest first when more match than are ranked (``storage.ranking.CANDIDATES``) — on a real
workspace, compared with SQLite's own bm25."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.imagegen import make_image
from workstation.models import CaptureMeta
from workstation.reading.searchquery import parse
from workstation.storage import ranking
from workstation.workspace import Workspace

#: Notes of the captures, oldest first: every one mentions a boat; "zodiac" is in three,
#: the best match (said twice, in few words) the oldest of them.
NOTES = [
    "zodiac zodiac boat tonight",
    "boat to England, places limited, call now for the price and the day",
    "a boat every week from Calais, safe and guaranteed, ask for the captain",
    "boat",
    "zodiac boat with an experienced captain and life jackets for everyone aboard",
    "bateau chaque nuit",
    "قارب إلى بريطانيا",
    "zodiac and a boat, the price for a family of four, children travel free, ask",
]
BOATS = len(NOTES)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, list[int]]]:
    root: Path = tmp_path_factory.mktemp("order") / "ws"
    with Workspace.open(root, create=True) as ws:
        ids = []
        for seed, notes in enumerate(NOTES):
            found = ws.intake.import_bytes(make_image(seed=300 + seed), CaptureMeta(notes=notes),
                                           method="paste").id
            assert found is not None
            ids.append(found)
        yield ws, ids


def _bm25(ws: Workspace, query: str) -> list[int]:
    """The matches as SQLite's own bm25 ranks them all (best first, then by id)."""
    return [r[0] for r in ws.conn.execute(
        f"SELECT rowid FROM search_index WHERE search_index MATCH ? "
        f"ORDER BY {ranking.BUILTIN}, rowid", (parse(query).match,))]


def test_few_matches_are_ranked_best_first_as_bm25_ranks_them(
        workspace: tuple[Workspace, list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    ws, ids = workspace
    monkeypatch.setattr(ranking, "CANDIDATES", 4)
    hits = ws.reading.search("zodiac")  # 3 matches: not more than are ranked
    assert [h.capture_id for h in hits] == _bm25(ws, "zodiac")
    assert hits[0].capture_id == ids[0]  # the best match, though the oldest
    ranks = [h.rank for h in hits]
    assert None not in ranks and ranks == sorted(ranks)  # type: ignore[type-var]
    # With the default bound, every query here is ranked whole, as before.
    monkeypatch.undo()
    assert len(_bm25(ws, "boat")) == BOATS <= ranking.CANDIDATES
    assert [h.capture_id for h in ws.reading.search("boat")] == _bm25(ws, "boat")
    assert [h.capture_id for h in ws.reading.search("boat", limit=3)] == _bm25(ws, "boat")[:3]


def test_more_matches_than_are_ranked_list_the_newest_first_unranked(
        workspace: tuple[Workspace, list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    ws, ids = workspace
    monkeypatch.setattr(ranking, "CANDIDATES", 4)
    newest = sorted(ids, reverse=True)
    hits = ws.reading.search("boat", limit=4)  # 8 matches (every script): more than 4
    assert [h.capture_id for h in hits] == newest[:4]
    assert {h.rank for h in hits} == {None}
    assert _bm25(ws, "boat")[:4] != newest[:4]  # bm25 would have ordered them otherwise
    assert [h.capture_id for h in ws.reading.search("boat", limit=2)] == newest[:2]
    # The snippets are made as for ranked hits: the matches marked as written.
    snippets = {h.capture_id: h.snippet for h in hits}
    assert snippets[ids[6]] == "[قارب] إلى بريطانيا"
    assert snippets[ids[5]] == "[bateau] chaque nuit"
    # A limit above the bound ranks up to the limit (the window asks for 500 hits).
    ranked = ws.reading.search("boat", limit=BOATS)
    assert [h.capture_id for h in ranked] == _bm25(ws, "boat")
    assert None not in {h.rank for h in ranked}
    # Exactly as many matches as are ranked: still ranked.
    monkeypatch.setattr(ranking, "CANDIDATES", BOATS)
    assert [h.capture_id for h in ws.reading.search("boat", limit=4)] == _bm25(ws, "boat")[:4]


def test_the_newest_first_order_follows_new_captures(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranking, "CANDIDATES", 1)
    with Workspace.open(tmp_path / "ws", create=True) as ws:
        found = []
        for seed, notes in enumerate(["boat boat", "a boat, the best", "boat"]):
            found.append(ws.intake.import_bytes(make_image(seed=seed), CaptureMeta(notes=notes),
                                                method="paste").id)
            assert [h.capture_id for h in ws.reading.search("boat", limit=1)] == [found[-1]]
        assert [h.capture_id for h in ws.reading.search("boat", limit=3)] == _bm25(ws, "boat")
        assert _bm25(ws, "boat")[0] == found[0]  # the word twice: bm25's best, not the newest


@pytest.mark.parametrize("query", ["boat", "zodiac boat", "zodiac OR boat", "boat OR england",
                                   "bo*", "zodiac"])
def test_the_compiled_ranker_counts_a_common_word_only_to_half_and_scores_as_bm25(
        workspace: tuple[Workspace, list[int]], query: str) -> None:
    """A word in half the captures or more gets bm25's IDF floor, so the compiled ranker
    stops counting its rows there: the scores stay bm25's to the last bit or two."""
    if ranking.extension_path() is None:
        pytest.skip("the compiled ranker is not built")
    ws, _ids = workspace
    match = parse(query).match

    def scores(expression: str) -> list[tuple[int, float]]:
        return [(r[0], r[1]) for r in ws.conn.execute(
            f"SELECT rowid, {expression} AS r FROM search_index WHERE search_index MATCH ? "
            "ORDER BY r, rowid", (match,))]

    native, builtin = scores(ranking.NATIVE), scores(ranking.BUILTIN)
    assert [i for i, _ in native] == [i for i, _ in builtin] and native
    for (_, a), (_, b) in zip(native, builtin, strict=True):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)

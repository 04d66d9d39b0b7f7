"""Reposts found whatever the crop (``workstation/reading/reposts.py``): the status bar cut
off, 5-15 % crops, rescaled and recompressed copies are found by ``similar`` and
``links``, by a part of the image or by the same words, while distinct adverts drawn
in the same app template, and blank images, are never linked.

Real adverts (``tests/adverts.py``), real PDQ, a real workspace, real Tesseract."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests import adverts as A
from tests.conftest import run_cli
from tests.core.storage.test_migrations import FIXTURES, copy_fixture
from workstation.evidence.images import working_copy
from workstation.reading import reposts as R
from workstation.storage.reposts_repo import RepostsRepo
from workstation.workspace import Workspace


def _add(ws: Workspace, data: bytes) -> int:
    capture_id = ws.intake.import_bytes(data, method="paste").id
    assert capture_id is not None
    return capture_id


def _import(ws: Workspace, name: str) -> int:
    return _add(ws, A.advert(name).data)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _regions(advert: A.Advert) -> list[tuple[bytes, int]]:
    image = Image.open(io.BytesIO(advert.data))
    return [(r.pdq, r.quality) for r in R.region_hashes(working_copy(image))]


def _whole_distance(ws: Workspace, a: int, b: int) -> int:
    pa, pb = ws.reading.pdq_of(a), ws.reading.pdq_of(b)
    assert pa is not None and pb is not None
    return (int(pa[0], 16) ^ int(pb[0], 16)).bit_count()


def test_cut_cropped_and_rescaled_reposts_are_found_without_ocr(ws: Workspace) -> None:
    ids = {n: _import(ws, n) for n in ("eng_fb", "eng_fb~nostatus", "eng_fb~crop10",
                                       "eng_fb~small_jpeg", "eng_fb_twin", "ara_fb",
                                       "ara_fb~nostatus", "ara_fb~sides_jpeg", "ara_fb_twin")}
    found = {s.capture_id: s for s in ws.reading.similar(ids["eng_fb"])}
    assert set(found) == {ids["eng_fb~nostatus"], ids["eng_fb~crop10"], ids["eng_fb~small_jpeg"]}
    # Cutting the status bar defeats the whole-image hash; the content region survives it.
    assert _whole_distance(ws, ids["eng_fb"], ids["eng_fb~nostatus"]) > 31
    cut = found[ids["eng_fb~nostatus"]]
    assert cut.reason == "region" and cut.distance is None
    assert cut.score is not None and cut.score <= R.REGION_MAX_DISTANCE
    assert "part of the image" in cut.to_dict()["why"]
    small = found[ids["eng_fb~small_jpeg"]]
    assert small.reason == "image" and small.distance is not None and small.distance <= 31
    # Found from either side, and in the links with why.
    assert ids["eng_fb"] in [s.capture_id for s in ws.reading.similar(ids["eng_fb~crop10"])]
    links = {link.capture_id: link.to_dict() for link in ws.reading.links(ids["eng_fb"])}
    assert links[ids["eng_fb~crop10"]]["near_duplicate"] is True
    assert links[ids["eng_fb~crop10"]]["near_duplicate_reason"] == "region"
    assert links[ids["eng_fb~small_jpeg"]]["pdq_distance"] == small.distance
    arabic = {s.capture_id for s in ws.reading.similar(ids["ara_fb"])}
    assert arabic == {ids["ara_fb~nostatus"], ids["ara_fb~sides_jpeg"]}
    # The same template with other words: never linked, from either side.
    for twin, original in (("eng_fb_twin", "eng_fb"), ("ara_fb_twin", "ara_fb")):
        assert ws.reading.similar(ids[twin]) == []
        assert ids[twin] not in {link.capture_id for link in ws.reading.links(ids[original])}


def test_the_advert_set_reposts_by_image_alone_and_no_distinct_pair() -> None:
    """Every repost of the set against its original by region hashes alone (no OCR), and
    every pair of distinct adverts (same-template twins included) kept apart."""
    hashes = {a.name: _regions(a) for a in A.all_adverts()}
    adverts = {a.name: a for a in A.all_adverts()}
    linked = [r.name for r in A.reposts()
              if (d := R.best_region_distance(hashes[r.advert_id], hashes[r.name])) is not None
              and d <= R.REGION_MAX_DISTANCE]
    assert len(linked) >= 0.9 * len(A.reposts()), sorted(set(hashes) - set(linked))
    names = sorted(hashes)
    false_links = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
                   if adverts[a].advert_id != adverts[b].advert_id
                   and (d := R.best_region_distance(hashes[a], hashes[b])) is not None
                   and d <= R.REGION_MAX_DISTANCE]
    assert false_links == []


def test_the_same_words_link_a_crop_the_image_misses_and_keep_twins_apart(
        ws: Workspace) -> None:
    original = A.advert("eng_fb").image
    w, h = original.size
    inset = original.crop((round(w * .08), round(h * .12), w - round(w * .08),
                           h - round(h * .08)))
    ids = {"eng_fb": _import(ws, "eng_fb"), "eng_fb_twin": _import(ws, "eng_fb_twin"),
           "inset": _add(ws, _png(inset))}
    # Cropped into the text on every side: no part of the image is where it was.
    assert ws.reading.similar(ids["inset"]) == []
    outcomes = list(ws.reading.run_ocr(ids.values(), lang="eng", jobs=1))
    assert [o.status for o in outcomes] == ["done"] * 3
    found = ws.reading.similar(ids["inset"])
    assert [(s.capture_id, s.reason) for s in found] == [(ids["eng_fb"], "text")]
    assert found[0].score is not None and found[0].score >= R.TEXT_MIN_CONTAINMENT
    assert found[0].distance is None and "same text" in found[0].why
    assert ids["eng_fb_twin"] not in {s.capture_id for s in ws.reading.similar(ids["eng_fb"])}
    assert ws.reading.similar(ids["eng_fb_twin"]) == []
    before = {cid: ws.reading.similar(cid) for cid in ids.values()}
    # An older workspace's captures get their region hashes and sketches on upgrade.
    with ws.ctx.write():
        ws.conn.execute("DELETE FROM image_region_hashes")
        ws.conn.execute("DELETE FROM text_sketches")
    assert ws.reading.similar(ids["inset"]) == []
    ws.reading.backfill_derived()
    assert {cid: ws.reading.similar(cid) for cid in ids.values()} == before


def test_clearly_different_words_overrule_an_image_match() -> None:
    """Two adverts of one template can share a layout (or a stock photo) closely enough
    for a hash; their words say they are not one advert."""
    one = R.text_sketch(A.advert("eng_fb").truth_text)
    other = R.text_sketch(A.advert("eng_fb_twin").truth_text)
    same = R.text_sketch(A.advert("eng_fb~crop10").truth_text)
    assert one is not None and other is not None and same is not None
    rows = R.sketch_rows([(2, other), (3, same)])
    assert set(R.text_matches(one, *rows)) == {3}  # only the same text
    texts = R.text_matches(one, *rows, ask={2})  # unless asked about
    assert texts[2].different and not texts[2].same
    assert texts[3].same
    near = R.decide(1, {2: (20, 90), 3: (24, 90)}, {}, texts)
    assert [(n.capture_id, n.reason) for n in near] == [(3, "image")]
    near = R.decide(1, {}, {2: (10, 80)}, texts)
    assert near == [R.Near(3, "text", None, 0, round(texts[3].containment, 3))]


def test_too_little_text_links_nothing() -> None:
    """The platform's own words are on every advert of an app: alone they are not enough."""
    chrome = "Groups Travel Services 2h Like Comment Share"
    sketch = R.text_sketch(chrome)
    assert sketch is not None and len(sketch) == 5 + R.SKETCH_HASHES
    assert R.text_similarity(sketch, sketch) is None
    assert R.text_matches(sketch, *R.sketch_rows([(2, sketch)])) == {}
    assert R.text_sketch("") is None and R.text_sketch(" … ") is None
    body = A.advert("fra_fb").truth_text
    assert R.text_sketch(body) == R.text_sketch(body)  # the same bytes every time


def test_blank_images_have_no_region_hashes_and_no_links(ws: Workspace) -> None:
    blank = [Image.new("RGB", (1080, 1920), colour) for colour in ("white", (40, 40, 40))]
    bar = Image.new("RGB", (1080, 1920), "white")
    bar.paste(Image.new("RGB", (1080, 70), "black"))
    ids = [_add(ws, _png(image)) for image in (*blank, bar)]
    advert = _import(ws, "eng_fb")
    for image in (*blank, bar):
        assert R.region_hashes(working_copy(image)) == []
    for cid in ids:
        assert ws.reading.similar(cid) == []
    assert not set(ids) & {s.capture_id for s in ws.reading.similar(advert)}


def test_content_region_drops_the_bars() -> None:
    """The content region of a screenshot and of the same screenshot without its status
    and navigation bars is the same part of the advert (in the original's pixels, to
    within a pixel of the working copies)."""
    original = A.advert("eng_fb").image
    w, h = original.size

    def box_of(image: Image.Image, dy: int) -> tuple[float, ...]:
        small = working_copy(image)
        box = R.content_box(small)
        assert box is not None
        scale = image.width / small.width
        return tuple(v * scale + (dy if i % 2 else 0) for i, v in enumerate(box))

    left, top, right, bottom = box_of(original, 0)
    assert top > A.STATUS_H and bottom < h - A.NAV_H
    cut = box_of(original.crop((0, A.STATUS_H, w, h - A.NAV_H)), A.STATUS_H)
    tolerance = 2 * w / working_copy(original).width
    assert all(abs(a - b) <= tolerance for a, b in zip(cut, (left, top, right, bottom),
                                                         strict=True)), (cut, top)


def test_the_hashes_held_in_memory_follow_every_change(ws: Workspace) -> None:
    """Region hashes are held in memory between calls: a new capture, a capture hashed
    again and a write rolled back are all seen at once."""
    first = _import(ws, "eng_fb")
    assert ws.reading.similar(first) == []
    repost = _import(ws, "eng_fb~nostatus")
    assert [s.capture_id for s in ws.reading.similar(first)] == [repost]
    blank = _add(ws, _png(Image.new("RGB", (1080, 1920), "white")))  # no region hashes
    repo = RepostsRepo(ws.conn)
    mine = [pdq for _region, pdq, _quality in repo.regions(first)]
    assert set(repo.nearest_regions(mine, R.REGION_MAX_DISTANCE)) == {first, repost}
    with pytest.raises(KeyboardInterrupt), ws.ctx.write():
        repo.set_regions(first, [])
        assert repo.nearest_regions(mine, R.REGION_MAX_DISTANCE).keys() == {repost}
        raise KeyboardInterrupt
    assert set(repo.nearest_regions(mine, R.REGION_MAX_DISTANCE)) == {first, repost}
    with pytest.raises(KeyboardInterrupt), ws.ctx.write():
        repo.set_regions(blank, [(0, mine[0], 90)])
        assert set(repo.nearest_regions(mine, R.REGION_MAX_DISTANCE)) == {first, repost, blank}
        raise KeyboardInterrupt
    assert set(repo.nearest_regions(mine, R.REGION_MAX_DISTANCE)) == {first, repost}


def test_an_older_workspace_gets_region_hashes_on_request(tmp_path: Path) -> None:
    """Opening an upgraded workspace does not decode every original (hours at 100k
    captures); `workstation rehash` does, with progress, and `similar` says so until then."""
    copy = copy_fixture(FIXTURES / "v4", tmp_path / "v4")
    with Workspace.open(copy) as ws:
        captures = ws.captures.all()
        assert ws.reading.regions_pending() == [c.id for c in captures]
    similar = run_cli("similar", str(captures[0].id), workspace=copy)
    assert similar.returncode == 0 and "workstation rehash" in similar.stderr
    done = run_cli("rehash", "--json", workspace=copy)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"hashed": len(captures), "pending": 0}
    with Workspace.open(copy) as ws:
        assert ws.reading.regions_pending() == []
        for capture in captures:
            assert ws.conn.execute(
                "SELECT count(*) FROM image_region_hashes WHERE capture_id = ?",
                (capture.id,)).fetchone()[0] > 0
        assert ws.verify().ok
    again = run_cli("similar", str(captures[0].id), workspace=copy)
    assert "rehash" not in again.stderr
    shutil.rmtree(copy)


def _short(name: str, phone: str, dark: bool, photo: int) -> bytes:
    """A short advert: the template's chrome and two lines, the second a number."""
    return A.render(A.AdvertSpec(name, "eng", "Latin", "facebook", "Safe Travel UK",
                                 ("Boat to UK every week from Dunkirk", f"Call now: {phone}"),
                                 dark=dark, photo=photo)).data


def test_alike_words_do_not_link_short_adverts_with_other_contacts(ws: Workspace) -> None:
    """A short advert is mostly its template's chrome: two with the same words but other
    numbers are two adverts (the text alone would link them); with the same number, one."""
    ids = {"one": _add(ws, _short("one", "+44 7700 900123", False, 1)),
           "other": _add(ws, _short("other", "+44 7700 900456", True, 5)),
           "again": _add(ws, _short("again", "+44 7700 900123", True, 7))}
    outcomes = list(ws.reading.run_ocr(ids.values(), lang="eng", jobs=1))
    assert [o.status for o in outcomes] == ["done"] * 3
    phones = {n: {i.normalized for i in ws.reading.indicators(c) if i.kind == "phone"}
              for n, c in ids.items()}
    assert phones == {"one": {"+447700900123"}, "other": {"+447700900456"},
                      "again": {"+447700900123"}}
    repo = RepostsRepo(ws.conn)
    one, other = repo.sketch(ids["one"]), repo.sketch(ids["other"])
    assert one is not None and other is not None
    match = R.text_similarity(one, other)
    assert match is not None and match.same  # the words alone would link them
    assert [(s.capture_id, s.reason) for s in ws.reading.similar(ids["one"])] == \
        [(ids["again"], "text")]
    assert [s.capture_id for s in ws.reading.similar(ids["again"])] == [ids["one"]]
    assert ws.reading.similar(ids["other"]) == []
    # The analyst rejects the other's number as a misreading: only the words are left.
    ws.review.reject(ids["other"], "phone", "+447700900456")
    assert {s.capture_id for s in ws.reading.similar(ids["other"])} == {ids["one"], ids["again"]}


def test_contacts_veto_only_a_link_by_words_alone() -> None:
    """Both sides must give contacts and share none; an image match is not vetoed."""
    same = R.TextMatch(0.9, 0.95, 120.0)
    texts = {2: same, 3: same, 4: same, 5: same}
    contacts = {1: {"+447700900123", "@safe"}, 2: {"+447700900456"}, 3: {"@safe"}, 5: set()}
    near = R.decide(1, {}, {}, texts, contacts)
    assert [n.capture_id for n in near] == [3, 4, 5]  # 2: other contacts only
    assert [n.capture_id for n in R.decide(1, {2: (10, 90)}, {}, texts, contacts)] == \
        [2, 3, 4, 5]
    assert [n.capture_id for n in R.decide(1, {}, {}, texts, {2: {"+447700900456"}})] == \
        [2, 3, 4, 5]

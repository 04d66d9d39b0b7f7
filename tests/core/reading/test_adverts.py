"""The multilingual advert set (tests/adverts.py): deterministic, its ground truth
where the pixels are, every language present, reposts really changed and tied to
their originals.  No OCR here: the reading tests use the set, this checks the set."""

from __future__ import annotations

import io
from itertools import pairwise
from pathlib import Path

import phonenumbers
import pytest
from PIL import Image, ImageChops, ImageStat

from tests import adverts
from tests.adverts import (
    ADVERTS,
    LANGUAGES,
    REPOSTS,
    STATUS_H,
    TWINS,
    advert_named,
    all_adverts,
    line_cer,
    line_recall,
    normalise,
    originals,
    render,
)
from workstation.reading.indicators.phones import e164_of


def test_the_same_call_gives_the_same_bytes() -> None:
    """Rendering afresh (not from the cache) gives byte-identical files."""
    for spec in (ADVERTS[0], ADVERTS[3], ADVERTS[12]):
        assert render(spec).data == render(spec).data == advert_named(spec.name).data
    repost = REPOSTS[2]
    assert advert_named.__wrapped__(repost.name).data == advert_named(repost.name).data


def test_every_language_and_script_is_present_with_its_variants() -> None:
    langs = {a.language for a in originals()}
    assert langs == set(LANGUAGES)
    assert {a.script for a in originals()} == {"Latin", "Arabic", "Ethiopic"}
    assert len(originals()) >= 16
    variants = " ".join(a.variant for a in all_adverts())
    for word in ("dark", "light", "status bar cut", "crop", "scaled", "JPEG"):
        assert word in variants
    assert sum(any(ln.banner for ln in a.lines) for a in originals()) >= 4
    assert {a.template for a in originals()} == {"facebook", "instagram", "telegram"}


def test_files_decode_to_the_image_and_truth_boxes_lie_inside_it() -> None:
    for a in all_adverts():
        decoded = Image.open(io.BytesIO(a.data))
        assert decoded.format == a.fmt
        assert decoded.size == a.image.size
        if a.fmt == "PNG":
            assert ImageChops.difference(decoded.convert("RGB"), a.image).getbbox() is None
        w, h = a.image.size
        assert a.text_lines, a.name
        for ln in a.lines:
            x, y, bw, bh = ln.box
            assert 0 <= x < x + bw <= w and 0 <= y < y + bh <= h, (a.name, ln)


def test_truth_boxes_hold_ink_and_the_gaps_between_lines_do_not() -> None:
    """Each recorded box covers drawn text (its pixels vary), and the strip between
    one body line's box and the next is plain background: the boxes are the ink."""
    gaps = 0
    for a in originals():
        for ln in a.lines:
            x, y, bw, bh = ln.box
            assert max(ImageStat.Stat(a.image.crop((x, y, x + bw, y + bh))).stddev) > 20, \
                (a.name, ln.text)
        if a.image.size[0] != 1080:
            continue  # resampled: edges blur into the gap
        body = [ln for ln in a.text_lines if not ln.banner]
        for upper, lower in pairwise(body):
            top, bottom = upper.box[1] + upper.box[3] + 1, lower.box[1] - 1
            if not 3 <= bottom - top <= 40:  # not adjacent lines of the post
                continue
            left = min(upper.box[0], lower.box[0])
            right = max(upper.box[0] + upper.box[2], lower.box[0] + lower.box[2])
            strip = a.image.crop((left, top, right, bottom))
            assert len(strip.getcolors(1 << 16) or ()) == 1, (a.name, upper.text, lower.text)
            gaps += 1
    assert gaps > 40


def test_arabic_script_is_drawn_right_aligned_and_latin_left() -> None:
    authors = {spec.author for spec in ADVERTS}
    for a in originals():
        w = a.image.size[0]
        for ln in a.text_lines:
            if ln.banner or ln.text in authors or a.template == "telegram":
                continue
            x, _, bw, _ = ln.box
            if a.script == "Arabic":
                assert abs((x + bw) - (w - round(44 * w / 1080))) <= 3, (a.name, ln.text)
            else:
                assert abs(x - round(44 * w / 1080)) <= 3, (a.name, ln.text)


def test_phones_are_valid_e164_and_wrapped_ones_span_two_lines() -> None:
    wrapped = 0
    for a in originals():
        assert a.phones, a.name
        for number in a.phones:
            assert e164_of(number) == number, number
            assert phonenumbers.parse(number).country_code
        for c in a.contacts:
            assert all(t in {ln.text for ln in a.lines} for t in c.on), (a.name, c)
            if c.kind in ("phone", "whatsapp") and len(c.on) == 2:
                wrapped += 1
                first, second = (next(ln for ln in a.lines if ln.text == t) for t in c.on)
                assert second.box[1] > first.box[1] + first.box[3]  # the next line down
    assert wrapped >= 4


def test_a_whatsapp_link_in_one_advert_names_the_headline_number_of_another() -> None:
    urls = {c.value: a.name for a in originals() for c in a.contacts if c.kind == "url"}
    assert "wa.me/447700900123" in urls
    headline = advert_named("eng_fb")
    assert "+447700900123" in headline.phones
    assert urls["wa.me/447700900123"] != "eng_fb"


def test_arabic_script_adverts_embed_latin_contacts() -> None:
    for a in originals():
        if a.script == "Arabic":
            assert any(ln.script == "Latin" for ln in a.text_lines), a.name
            assert a.given_lang == f"{a.language}+eng"
    assert advert_named("vie_fb").given_lang == "vie"
    assert "Đi Anh an toàn bằng xuồng" in advert_named("vie_fb").truth_text


def test_reposts_share_the_advert_id_and_twins_do_not() -> None:
    for r in REPOSTS:
        a = advert_named(r.name)
        assert a.advert_id == r.original and a.is_repost
        assert a.language == advert_named(r.original).language
    for left, right in TWINS:
        x, y = advert_named(left), advert_named(right)
        assert x.advert_id != y.advert_id and x.template == y.template
        assert not set(x.phones) & set(y.phones)
        assert {c.value for c in x.contacts}.isdisjoint(c.value for c in y.contacts)
        assert set(x.truth_text.splitlines()).isdisjoint(y.truth_text.splitlines())


@pytest.mark.parametrize("repost", REPOSTS, ids=lambda r: r.name)
def test_reposts_really_change_the_image(repost: adverts.RepostSpec) -> None:
    original, copy = advert_named(repost.original), advert_named(repost.name)
    ow, oh = original.image.size
    cw, ch = copy.image.size
    assert copy.data != original.data
    kinds = [op[0] for op in repost.ops]
    if "scale" not in kinds:
        if "nostatus" in kinds:
            assert oh - ch >= STATUS_H * ow // 1080
        if "crop" in kinds:
            share = 1 - (cw * ch) / (ow * oh)
            assert 0.05 <= share <= 0.25, share
        if kinds == ["jpeg"]:
            assert (cw, ch) == (ow, oh)
    if "jpeg" in kinds:
        assert copy.fmt == "JPEG" and copy.data[:2] == b"\xff\xd8"
    # Lines that survived the crop keep their text, and their boxes moved with it.
    kept = {ln.text for ln in copy.lines}
    assert kept <= {ln.text for ln in original.lines}
    assert len(copy.text_lines) >= 3


def test_a_cropped_repost_keeps_the_pixels_under_each_line() -> None:
    original, copy = advert_named("vie_fb"), advert_named("vie_fb~crop_top")
    boxes = {ln.text: ln.box for ln in original.lines}
    for ln in copy.text_lines:
        x, y, w, h = ln.box
        ox, oy, _, _ = boxes[ln.text]
        a = original.image.crop((ox, oy, ox + w, oy + h))
        b = copy.image.crop((x, y, x + w, y + h))
        assert ImageChops.difference(a, b).getbbox() is None


def test_the_status_bar_cut_drops_only_chrome() -> None:
    original, copy = advert_named("eng_fb"), advert_named("eng_fb~nostatus")
    lost = {ln.text for ln in original.lines} - {ln.text for ln in copy.lines}
    assert lost == {"21:47"}
    assert copy.phones == original.phones


def test_a_crop_that_cuts_a_contact_line_drops_the_contact() -> None:
    a = advert_named("eng_fb")
    lines = [ln for ln in a.lines if ln.text != "900123"]
    assert adverts._keep_contacts(a.contacts, lines) == [
        c for c in a.contacts if c.kind == "handle"]


def test_line_cer_finds_the_line_inside_the_read_text() -> None:
    read = "21:47\nBoat to UK every week from Dunkirk and more\nPrice £2500 per person"
    assert line_cer(read, "Boat to UK every week from Dunkirk") == 0.0
    assert line_cer(read, "Price £2500 per  person") == 0.0  # whitespace normalised
    assert line_cer("Price £2S00 per person", "Price £2500 per person") == pytest.approx(1 / 22)
    assert line_cer("", "UK 100% SAFE") == 1.0
    assert line_cer("nothing alike", "+44 7700 900123") > 0.5
    # A line the reader split in two still counts, joined.
    assert line_cer("+44 7700\n900123", "+44 7700 900123") == 0.0
    # Vietnamese without its diacritics is an error per letter lost.
    assert line_cer("Di Anh an toan bang xuong", "Đi Anh an toàn bằng xuồng") == 4 / 25
    assert normalise("رحلات\u200f  آمنة") == "رحلات آمنة"


def test_line_recall_lists_the_lines_missed() -> None:
    a = advert_named("eng_fb")
    recall, missed = line_recall(a.truth_text, a.text_lines)
    assert recall == 1.0 and missed == []
    without_banner = "\n".join(ln.text for ln in a.text_lines if not ln.banner)
    recall, missed = line_recall(without_banner, a.text_lines)
    assert missed == ["UK 100% SAFE"]
    assert recall == pytest.approx(1 - 1 / len(a.text_lines))


def test_write_all_writes_each_file_once(tmp_path: Path) -> None:
    chosen = ["eng_fb", "eng_fb~small_jpeg"]
    paths = adverts.write_all(tmp_path, chosen)
    assert set(paths) == set(chosen)
    assert paths["eng_fb~small_jpeg"].suffix == ".jpg"
    for name, path in paths.items():
        assert path.read_bytes() == advert_named(name).data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())

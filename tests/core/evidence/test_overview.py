"""``ws.overview``: what the gallery's tiles tell, read in bulk from a real workspace —
the first words read, the flag reasons, and the pack state (sealed, sent, answered)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.core.packs.support import (
    PASS_ENV,
    PASSPHRASE,
    Sealed,
    open_ws,
    sealed,  # noqa: F401 (a fixture)
    template,  # noqa: F401 (a fixture)
)
from tests.imagegen import make_image
from workstation.evidence.overview import (
    NOT_SENT,
    PACK_STATES,
    CaptureOverview,
    PackMark,
    first_line,
    pack_marks,
    pack_state_label,
)
from workstation.models import CaptureMeta


def test_the_latest_answer_wins_else_the_latest_pack() -> None:
    marks = pack_marks([
        (1, "P-1", "closed", "removed"), (2, "P-1", "closed", "no_violation"),
        (1, "P-2", "draft", "pending"),           # answered earlier: the answer wins
        (2, "P-3", "sent", "restricted"),          # a later answer replaces an earlier one
        (3, "P-2", "draft", "pending"),
        (4, "P-1", "closed", "pending"), (4, "P-4", "sealed", "pending"),
    ])
    assert marks[1] == PackMark("removed", "P-1", sent=True)
    assert marks[2] == PackMark("restricted", "P-3", sent=True)
    assert marks[3] == PackMark("draft", "P-2", sent=False)
    assert marks[4] == PackMark("sealed", "P-4", sent=True)
    assert 5 not in marks
    assert [m.label for m in (marks[1], marks[3], NOT_SENT)] == [
        "answered: removed", "in pack (draft)", "not sent"]
    assert pack_state_label("no_violation") == "answered: no violation"
    assert NOT_SENT.rank < marks[3].rank < marks[1].rank == PACK_STATES.index("removed")


def test_first_line() -> None:
    assert first_line("\n  \n  Boat   to UK\nWhatsApp +44") == "Boat to UK"
    assert first_line("") == "" and len(first_line("x" * 500)) == 160


def test_first_line_passes_over_a_phone_status_bar() -> None:
    assert first_line("21:47 ull 4G @ 87%\nBoats to UK every week") == "Boats to UK every week"
    assert first_line("9.05 VoLTE 5G 100%\n\nCalais -> Dover") == "Calais -> Dover"
    assert first_line("21:47 Boats leave tonight") == "21:47 Boats leave tonight"
    assert first_line("21:47 4G") == "21:47 4G"  # nothing else read: still shown
    assert first_line("21:47 4G\nfacebook 000\nSafe boats") == "Safe boats"  # the app bar
    assert first_line("Instagram\nCrossings to the UK") == "Crossings to the UK"
    assert first_line("Instagram: @boats.uk") == "Instagram: @boats.uk"  # a handle, kept


def test_overview_of_a_workspace(sealed: Sealed, tmp_path: Path,  # noqa: F811
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    monkeypatch.setenv("WORKSTATION_ANALYST", "Alice Brown")
    a, b, c = sealed.template.captures
    ws_dir = tmp_path / "ws"
    shutil.copytree(sealed.ws, ws_dir)
    with open_ws(ws_dir) as ws:
        d = ws.intake.import_bytes(make_image(seed=9), CaptureMeta(
            notes="Calais to the UK tonight. UK guaranteed, Calais every week, WhatsApp"),
            method="paste").id
        assert d is not None
        before = ws.overview.captures()
        assert before[a].read and before[a].first_words == "رحلة آمنة إلى بريطانيا"
        assert (before[a].pack.state, before[a].pack.ref, before[a].pack.sent) == (
            "sealed", sealed.ref, False)
        assert before[b].pack.state == "sealed" and not before[b].read
        assert c not in before  # nothing to tell: never read, not flagged, in no pack
        assert "destination" in before[d].flag_reasons
        assert before[d].pack == NOT_SENT

        ws.outbox.send(sealed.ref, via="folder", to=str(tmp_path))
        assert {cid: m.label for cid, m in ws.overview.pack_marks().items()} == {
            a: "sent", b: "sent"}
        answer = tmp_path / "answer.csv"
        answer.write_text(f"pack_ref,capture_id,outcome,time,comment\r\n"
                          f"{sealed.ref},{a},removed,,account banned\r\n"
                          f"{sealed.ref},{b},pending,,\r\n")
        ws.outcomes.import_file(answer)
        after = ws.overview.captures()
        assert after[a].pack == PackMark("removed", sealed.ref, sent=True)
        assert after[a].pack.label == "answered: removed"
        assert after[b].pack == PackMark("acknowledged", sealed.ref, sent=True)
        # asked for some captures only: the same answers, nothing else
        some = ws.overview.captures([a, c, d])
        assert set(some) == {a, d} and some[a] == after[a] and some[d] == after[d]
        assert ws.overview.captures([]) == {}
        assert CaptureOverview(c).pack == NOT_SENT

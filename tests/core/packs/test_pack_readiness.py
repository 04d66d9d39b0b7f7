"""Pack readiness, computed in the core: the composer's per-item checks and the one
platform rule that ``pack build`` enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.packs import support as support
from tests.core.packs.support import PASS_ENV, PASSPHRASE, Template, copy_ws, open_ws
from workstation.packs.format.spec import PackError
from workstation.packs.readiness import fits, platform_mismatch

template = support.template  # fixture


def test_platform_rule() -> None:
    assert platform_mismatch("tiktok", "facebook") == "from tiktok, not facebook"
    assert platform_mismatch("tiktok", "tiktok") is None
    assert platform_mismatch(None, "tiktok") is None  # no platform recorded: the analyst decides
    assert platform_mismatch("tiktok", "other") is None  # "other" contacts take anything


def test_readiness_lists_what_stands_in_the_way(template: Template, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASS_ENV, PASSPHRASE)
    ws_dir = copy_ws(template, tmp_path / "ws")
    a, b, c = template.captures  # a, b from TikTok (a read by OCR), c from Facebook
    with open_ws(ws_dir) as ws:
        ws.captures.edit(b, source_url="")
        items = ws.packs.readiness([c, a, b], template.tiktok_age)
        assert [i.capture_id for i in items] == [c, a, b]  # the order asked for
        by_id = {i.capture_id: i for i in items}
        # a: its number typed in the notes is confirmed; what OCR read is not yet
        assert by_id[a].indicators >= 1 and by_id[a].unconfirmed >= 1
        assert by_id[a].checks == (f"{by_id[a].unconfirmed} indicator"
                                   f"{'s' if by_id[a].unconfirmed > 1 else ''} not confirmed",)
        assert not by_id[a].blocking
        ws.review.confirm_all(a)
        (now,) = ws.packs.readiness([a], template.tiktok_age)
        assert now.ok and now.unconfirmed == 0
        assert now.indicators == by_id[a].indicators + by_id[a].unconfirmed
        assert by_id[c].checks == ("from facebook, not tiktok", "not OCR'd yet")
        assert by_id[c].blocking
        assert "no source URL" in by_id[b].checks and not by_id[b].blocking
        # No contact chosen yet: no platform check, the other checks still shown.
        assert ws.packs.readiness([c], None)[0].checks == ("not OCR'd yet",)
        captures = ws.captures.by_ids([a, c])
        assert fits(captures, "other") and not fits(captures, "tiktok")
        # `pack build` refuses by the same rule, and nothing is written.
        with pytest.raises(PackError, match="is from facebook but contact"):
            ws.packs.build(template.tiktok_age, [a, c])
        assert ws.packs.all() == []

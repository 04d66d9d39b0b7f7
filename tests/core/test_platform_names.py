"""Platforms are named the way they write their own names, and have a short mark."""

from __future__ import annotations

from workstation.platforms import PLATFORMS, platform_label, platform_mark


def test_proper_names() -> None:
    assert [platform_label(p) for p in PLATFORMS] == [
        "Facebook", "Instagram", "TikTok", "YouTube", "X", "Telegram", "WhatsApp", "Other"]
    assert platform_label("TIKTOK") == "TikTok"
    assert platform_label(" whatsapp ") == "WhatsApp"
    assert platform_label("twitter") == "X"
    assert platform_label("mastodon") == "Mastodon"  # unknown: as given, capitalised
    assert platform_label(None) == "" and platform_label("", "unknown platform") == (
        "unknown platform")


def test_marks() -> None:
    assert [platform_mark(p) for p in PLATFORMS] == [
        "FB", "IG", "TT", "YT", "X", "TG", "WA", "?"]
    assert platform_mark(None) == "?" and platform_mark("mastodon") == "MA"
    assert all(1 <= len(platform_mark(p)) <= 2 for p in PLATFORMS)

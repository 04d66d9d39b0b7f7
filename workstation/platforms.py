"""Platforms, and what a source URL tells about the platform, account and content.

``parse_source_url("https://www.tiktok.com/@boats_uk/video/7301")`` gives the
platform ``tiktok``, the handle ``boats_uk`` and the content id ``7301``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

PLATFORMS = ("facebook", "instagram", "tiktok", "youtube", "x", "telegram", "whatsapp", "other")

#: How each platform writes its own name (``platform_label``).
PLATFORM_LABELS = {
    "facebook": "Facebook", "instagram": "Instagram", "tiktok": "TikTok",
    "youtube": "YouTube", "x": "X", "telegram": "Telegram", "whatsapp": "WhatsApp",
    "other": "Other",
}

#: A platform's short mark (one or two letters) for badges drawn beside its name.
PLATFORM_MARKS = {
    "facebook": "FB", "instagram": "IG", "tiktok": "TT", "youtube": "YT", "x": "X",
    "telegram": "TG", "whatsapp": "WA", "other": "?",
}


def platform_label(key: str | None, default: str = "") -> str:
    """The platform's proper name (``tiktok`` -> ``TikTok``, ``x`` -> ``X``); an unknown
    key is shown as given (capitalised), no platform as ``default``."""
    name = (key or "").strip()
    if not name:
        return default
    lowered = name.lower()
    if lowered == "twitter":
        lowered = "x"
    return PLATFORM_LABELS.get(lowered) or name[:1].upper() + name[1:]


def platform_mark(key: str | None) -> str:
    """One or two letters standing for the platform (``TT`` for TikTok, ``?`` for none)."""
    lowered = (key or "").strip().lower()
    if lowered == "twitter":
        lowered = "x"
    if lowered in PLATFORM_MARKS:
        return PLATFORM_MARKS[lowered]
    return lowered[:2].upper() or "?"


_HOSTS = {
    "facebook": ("facebook.com", "fb.com", "fb.watch", "fb.me", "messenger.com"),
    "instagram": ("instagram.com", "instagr.am"),
    "tiktok": ("tiktok.com",),
    "youtube": ("youtube.com", "youtu.be", "youtube-nocookie.com"),
    "x": ("x.com", "twitter.com", "t.co"),
    "telegram": ("t.me", "telegram.me", "telegram.org", "telegram.dog"),
    "whatsapp": ("wa.me", "whatsapp.com", "whatsapp.net"),
}

_RESERVED = {
    "p", "reel", "reels", "tv", "stories", "explore", "watch", "shorts", "channel", "c",
    "user", "status", "i", "video", "photo", "photos", "posts", "groups", "share", "hashtag",
    "search", "home", "login", "permalink.php", "story.php", "profile.php", "events", "s",
    "embed", "live", "playlist", "send", "tag", "intent", "messages",
}


@dataclass(frozen=True, slots=True)
class SourceInfo:
    platform: str | None
    handle: str | None = None
    content_id: str | None = None


def normalize_platform(value: str) -> str:
    """Validate a platform name given by a person (``twitter`` is accepted for ``x``)."""
    name = value.strip().lower()
    if name == "twitter":
        name = "x"
    if name not in PLATFORMS:
        raise ValueError(f"unknown platform {value!r}; choose one of {', '.join(PLATFORMS)}")
    return name


def platform_for_host(host: str) -> str | None:
    host = host.lower().rstrip(".")
    for platform, domains in _HOSTS.items():
        for domain in domains:
            if host == domain or host.endswith("." + domain):
                return platform
    return None


def parse_source_url(url: str) -> SourceInfo:
    """Infer platform, account handle and content id from a URL (best effort)."""
    text = url.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    platform = platform_for_host(host)
    if platform is None:
        return SourceInfo("other" if host else None)
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    handle: str | None = None
    content: str | None = None

    if platform == "tiktok":
        if segments and segments[0].startswith("@"):
            handle = segments[0][1:]
        if len(segments) >= 3 and segments[1] in ("video", "photo"):
            content = segments[2]
    elif platform == "instagram":
        if len(segments) >= 2 and segments[0] in ("p", "reel", "reels", "tv"):
            content = segments[1]
        elif len(segments) >= 3 and segments[0] == "stories":
            handle, content = segments[1], segments[2]
        elif segments and segments[0] not in _RESERVED:
            handle = segments[0]
    elif platform == "x":
        if segments and segments[0] not in _RESERVED:
            handle = segments[0]
        if len(segments) >= 3 and segments[1] == "status":
            content = segments[2]
    elif platform == "youtube":
        if host.endswith("youtu.be") and segments:
            content = segments[0]
        elif "v" in query:
            content = query["v"][0]
        elif len(segments) >= 2 and segments[0] in ("shorts", "live", "embed"):
            content = segments[1]
        if segments and segments[0].startswith("@"):
            handle = segments[0][1:]
        elif len(segments) >= 2 and segments[0] in ("c", "user", "channel"):
            handle = segments[1]
    elif platform == "facebook":
        if "story_fbid" in query:
            content = query["story_fbid"][0]
        elif "v" in query:
            content = query["v"][0]
        elif "fbid" in query:
            content = query["fbid"][0]
        if "id" in query and segments[:1] == ["profile.php"]:
            handle = query["id"][0]
        elif segments and segments[0] not in _RESERVED:
            handle = segments[0]
            if len(segments) >= 3 and segments[1] in ("posts", "videos", "photos"):
                content = segments[2]
        elif len(segments) >= 2 and segments[0] in ("reel", "watch", "share"):
            content = content or segments[-1]
        if len(segments) >= 4 and segments[0] == "groups" and segments[2] in ("posts", "permalink"):
            handle, content = segments[1], segments[3]
    elif platform == "telegram":
        first = segments[0] if segments else ""
        if first and first not in ("s", "joinchat", "c") and not first.startswith("+"):
            handle = segments[0]
            if len(segments) >= 2 and segments[1].isdigit():
                content = segments[1]
        elif len(segments) >= 3 and segments[0] == "s":
            handle, content = segments[1], segments[2]
    elif platform == "whatsapp":
        if host.endswith("wa.me") and segments:
            handle = segments[0]
        elif "phone" in query:
            handle = query["phone"][0]
        elif host.startswith("chat.") and segments:
            content = segments[0]
    return SourceInfo(platform, handle or None, content or None)

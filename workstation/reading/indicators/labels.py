"""Which platform an advert's text names for a handle or link: ``Instagram: @x``
written in a Facebook post is an Instagram account, and must reach Instagram, not
Facebook.  Labels in the advert languages (``انستغرام``, ``اینستاگرام``, ``تلگرام`` ...)
count as the English ones."""

from __future__ import annotations

import re

WHATSAPP_LABELS = ("whatsapp", "whatsap", "watsapp", "watsap", "wattsapp", "واتساب",
                   "واتسآب", "واتساپ", "واتسپ", "وتساب", "واتس", "واټساپ", "واتسب", "ዋትስኣፕ",
                   "ዋትሳፕ")


TELEGRAM_LABELS = ("telegram", "telegramm", "telegrami", "tg", "تلگرام", "تلغرام", "تليجرام",
                   "تيليجرام", "تيليغرام", "تلجرام", "ټیلیګرام", "تێلێگرام", "ቴሌግራም")


#: Platform → the words that name it (case-folded, spaces removed: "tik tok" is
#: "tiktok").  A single word such as "x" or "ig" only counts as a whole word.
PLATFORM_LABELS: dict[str, tuple[str, ...]] = {
    "instagram": ("instagram", "instagramm", "insta", "ig", "انستغرام", "انستقرام", "انستگرام",
                  "انستا", "انستاغرام", "اینستاگرام", "اینستا", "انستاگرام", "ئینستاگرام",
                  "انسټاګرام"),
    "telegram": TELEGRAM_LABELS,
    "tiktok": ("tiktok", "تيكتوك", "تیکتاک", "تیکتوک", "ټیکټاک"),
    "facebook": ("facebook", "fb", "فيسبوك", "فیسبوک", "فيسبوک", "فەیسبووک"),
    "x": ("x", "twitter", "تويتر", "توییتر", "تویتر"),
    "snapchat": ("snapchat", "snap", "سنابشات", "سناب", "اسنپچت", "اسنپ"),
    "whatsapp": WHATSAPP_LABELS,
}


_PLATFORM_BY_LABEL = {label: platform for platform, labels in PLATFORM_LABELS.items()
                      for label in labels}


#: Link hosts (``www.`` removed) → platform.
PLATFORM_HOSTS = {
    "instagram.com": "instagram", "instagr.am": "instagram", "facebook.com": "facebook",
    "m.facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook",
    "tiktok.com": "tiktok", "vm.tiktok.com": "tiktok", "t.me": "telegram",
    "telegram.me": "telegram", "telegram.dog": "telegram", "wa.me": "whatsapp",
    "api.whatsapp.com": "whatsapp", "chat.whatsapp.com": "whatsapp",
    "whatsapp.com": "whatsapp", "web.whatsapp.com": "whatsapp", "x.com": "x",
    "twitter.com": "x", "snapchat.com": "snapchat",
}


#: The last one or two words before a handle, with nothing but punctuation, spaces,
#: emoji and at most one line break after them ("IG: @x", "Tik Tok 👉 @x").
_LABEL_BEFORE = re.compile(r"(?<![^\W\d_])(?:([^\W\d_]+)[ ]+)?([^\W\d_]+)[^\w\n]*\n?[^\w\n]*$")


def platform_before(text: str, start: int) -> str | None:
    """The platform named right before ``text[start:]`` (``"Instagram: @x"``), if any."""
    m = _LABEL_BEFORE.search(text, max(0, start - 48), start)
    if m is None:
        return None
    last = m.group(2).casefold()
    if m.group(1):
        two = _PLATFORM_BY_LABEL.get(m.group(1).casefold() + last)
        if two:
            return two
    return _PLATFORM_BY_LABEL.get(last)


def platform_of_url(normalized: str) -> str | None:
    """The platform a normalised link belongs to, from its host."""
    host = normalized.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return PLATFORM_HOSTS.get(host.removeprefix("www."))

"""Search benchmark: p50/p95 latency of ``Workspace.search`` at 10k and 100k captures.

    .venv/bin/python bench/search_bench.py [--sizes 10000,100000] [--queries 30] [--rebuild]

Target: p95 ≤ 20 ms at 100,000 captures (with ``Workspace.search``'s default limit,
the call the CLI's ``search`` makes; the GUI asks for up to 500 hits, also measured
unless ``--limits`` says otherwise).

The workspaces are built through the façade, as the application fills them:

* each capture is a tiny distinct generated PNG imported with
  ``Workspace.import_bytes`` (evidence store, PDQ, thumbnail, audit, index);
* its OCR result is an :class:`~workstation.reading.ocr.result.OcrResult` with words and
  boxes, stored by ``Workspace._store_ocr`` — the method ``run_ocr`` calls for
  every result a worker sends back — so the run is kept and audited, indicators
  are extracted from it (``phonenumbers`` and all) and the capture is re-indexed
  and flagged exactly as after real OCR.  Only Tesseract itself is skipped.

The text is generated advert text in English, French, Turkish, Arabic (some with
harakat), Persian (some read with Arabic letter forms, as the ``ara`` model does),
Kurdish (Kurmanji and Sorani), Albanian and Vietnamese: crossing, boat, lorry,
price, guarantee and WhatsApp/Telegram wording, phone numbers drawn from a pool of
valid numbers (so several adverts share a number, some written in Arabic-Indic or
Persian digits), prices, @handles, t.me/wa.me links, platform chrome ("Like
Comment Share", view counts, times) and a little OCR noise.  Capture ``i`` always
gets the same image and text, so a workspace is cached in the temp folder
(``aw-bench-search-<size>``) and reused until ``--rebuild``; a larger one starts
as a copy of the largest smaller one cached and is extended.

Each advert is 60-150 words (about 97 on average): the post, platform chrome and a few
comments under it, the words with boxes and confidences as Tesseract gives them, stored
through ``ReadingRepo.insert_run`` (compact word boxes since 0005); after the first
size is measured the database's size per capture is broken down table by table
(``dbstat``; target ≤ 4 KB a capture at 100,000 with every run kept).

Queries are a fixed realistic mix of kinds: common and rare single words, Arabic
words with and without harakat, Persian words in Persian and in Arabic letter
forms, ``word*`` prefixes, phone numbers (E.164, as printed with spaces, in
Arabic-Indic digits, and one that is in no advert), @handles, two-word queries, and
what people type as they go (partial words, synonyms in another script,
``lang:fas``).  Each query is run once untimed (its first run is reported separately,
as "first") and then ``--queries`` times; p50/p95/max are over all timed runs,
per kind and overall.  The CPU time of the same runs is given too: on a machine
other work shares, the wall-clock times grow with its load, the CPU time much less.
The index size is read from SQLite's ``dbstat``.

A query matching more than ``storage.ranking.CANDIDATES`` (1,000) captures lists the
newest matches first, unranked (FTS5 walks the matches newest first and stops); one
matching fewer is ranked whole by bm25.  So most of the queries here (``boat`` is in
88 % of the adverts) cost the same at 1,000,000 captures as at 100,000; the "ranked"
column counts, per kind, the queries that were ranked by bm25.

``--copies`` makes the sizes after the first from copies of the first (see
:func:`build_by_copies`): ``--sizes 100000,1000000 --copies`` measures a million
captures without the hours a façade build would take.

The first line says which ranking function ran: the compiled ``aw_bm25``
(``workstation/storage/native/awrank.c``) or, where it is not built or
``WORKSTATION_NATIVE_RANKER=0``, SQLite's ``bm25`` — run the bench both ways to
compare them on the same workspaces.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_note  # noqa: E402

#: Bump when the generated content changes, so cached workspaces are rebuilt.
GENERATOR_VERSION = 3
GUI_SEARCH_LIMIT = 500  # ui/main/mainwindow.py SEARCH_LIMIT

# ------------------------------------------------------------------ text
#: Advert sentences per language; {phone}, {price}, {handle}, {link}, {place} are filled in.
TEMPLATES: dict[str, list[str]] = {
    "en": [
        "Safe crossing to the UK by boat every week",
        "Boat to England leaving tonight from {place}, limited places",
        "Price {price} per person, children travel free",
        "Contact on WhatsApp {phone}",
        "Call or text {phone} for more information",
        "100% guaranteed trip, no police, no danger",
        "Lorry to UK from {place} every night, pay on arrival",
        "Follow {handle} for new departures",
        "Small boat with life jackets and an experienced captain",
        "Documents and passports also available, message me {link}",
        "Going to UK this week, who wants to join? {price}",
        "Channel crossing with a good engine, family groups welcome",
    ],
    "fr": [
        "Passage en Angleterre par bateau chaque nuit",
        "Traversée de la Manche garantie, départ de {place} ce soir",
        "Prix {price} par personne, paiement à l'arrivée",
        "Contactez-moi sur WhatsApp {phone}",
        "Bateau pneumatique avec gilets de sauvetage, places limitées",
        "Camion pour l'Angleterre depuis {place}, sans risque",
        "Appelez le {phone} pour réserver votre place",
        "Passeur sérieux, déjà plus de 200 personnes passées {handle}",
    ],
    "tr": [
        "İngiltere'ye botla geçiş her gece, güvenli yolculuk",
        "Fransa'dan İngiltere'ye tır ile geçiş, fiyat {price}",
        "Kişi başı {price}, çocuklar ücretsiz",
        "WhatsApp'tan yazın {phone}",
        "Can yeleği verilir, kaptan tecrübeli, garanti",
        "Bilgi için arayın {phone} veya {handle}",
        "Bu gece {place} çıkışlı sürat teknesi, yer sınırlı",
    ],
    "ar": [
        "رحلة آمنة إلى بريطانيا بالقارب كل ليلة",
        "قارب إلى بريطانيا من {place}، الأماكن محدودة",
        "السعر {price} للشخص الواحد، الأطفال مجانا",
        "للتواصل واتساب {phone}",
        "عبور المانش مضمون ١٠٠٪ بدون شرطة",
        "شاحنة إلى بريطانيا كل يوم، الدفع عند الوصول",
        "رِحْلَةٌ آمِنَةٌ إِلَى بَرِيطَانِيَا مَعَ قَارِبٍ سَرِيعٍ",
        "قَارِبٌ جَدِيدٌ وَسُتْرَةُ نَجَاةٍ لِكُلِّ شَخْصٍ",
        "تابعونا على تلغرام {handle} {link}",
        "سترات نجاة وقائد محترف، اتصل على {phone}",
        "مهرب موثوق، أكثر من ٣٠٠ شخص وصلوا إلى لندن",
    ],
    "fa": [
        "قایق به انگلیس هر شب از {place}، جا محدود است",
        "عبور از کانال مانش با ضمانت صد در صد",
        "قیمت برای هر نفر {price}",
        "برای اطلاعات بیشتر در واتساپ پیام بدهید {phone}",
        "کامیون به انگلیس، پرداخت بعد از رسیدن",
        "کشتی و جلیقه نجات، ناخدای با تجربه",
        "کانال تلگرام ما {handle}",
        "اعزام به انگلیس برای خانواده‌ها و مجردها",
    ],
    "ku": [
        "Derbasbûn bo Îngilîstanê bi belem her şev",
        "Qaçaxî ji Fransa bo Brîtanya, biha {price}",
        "Li WhatsApp peyam bişînin {phone}",
        "Keştî û qeyik ji {place}, cih kêm in",
        "بەلەم بۆ بەریتانیا هەموو شەوێک",
        "قاچاخ بۆ بەریتانیا، نرخ {price}",
        "پەیوەندی بکە واتسئاپ {phone}",
    ],
    "sq": [
        "Kalim në Angli me gomone çdo natë",
        "Udhëtim i sigurt për në Britani, çmimi {price}",
        "Na kontaktoni në WhatsApp {phone}",
        "Kamion për Angli nga {place}, pagesa në mbërritje",
        "Jelekë shpëtimi dhe kapiten me përvojë, garanci 100%",
        "Nisje sot nga {place}, vende të kufizuara {handle}",
    ],
    "vi": [
        "Đưa người sang Anh bằng xuồng cao su mỗi đêm",
        "Vượt biên sang Anh an toàn, giá {price} một người",
        "Liên hệ Zalo hoặc WhatsApp {phone}",
        "Xe container sang Anh từ {place}, thanh toán khi đến nơi",
        "Có áo phao, thuyền trưởng nhiều kinh nghiệm",
        "Nhận đưa người đi Pháp và Anh, bao đậu {handle}",
    ],
}
#: (language, weight, Tesseract languages recorded for the run, phone region weights)
LANGUAGES = [
    ("en", 18, ["eng"], ["GB", "FR"]),
    ("fr", 10, ["fra", "eng"], ["FR", "GB"]),
    ("tr", 10, ["tur", "eng"], ["TR"]),
    ("ar", 20, ["ara", "eng"], ["IQ", "GB", "TR"]),
    ("fa", 12, ["fas", "eng"], ["IR", "AF", "GB"]),
    ("ku", 12, ["kmr", "ara", "eng"], ["IQ", "TR", "GB"]),
    ("sq", 9, ["sqi", "eng"], ["AL", "GB"]),
    ("vi", 9, ["vie", "eng"], ["VN", "GB"]),
]
PLACES = ["Calais", "Dunkirk", "Dunkerque", "Boulogne", "Gravelines", "Bruxelles", "Paris",
          "Istanbul", "Izmir", "كاليه", "دانكيرك", "کاله", "Ostend", "Lille"]
CURRENCY = {"en": ["£{n}", "€{n}", "{n} euro"], "fr": ["{n} €", "{n} euros", "£{n}"],
            "tr": ["{n} euro", "{n} €", "{n} sterlin"], "ar": ["{n} يورو", "{n}$", "{n} باوند"],
            "fa": ["{n} یورو", "{n} پوند"], "ku": ["{n} euro", "{n} یۆرۆ"],
            "sq": ["{n} euro", "€{n}"], "vi": ["{n} bảng Anh", "{n} EUR"]}
NAMES = ["Ahmed", "Karwan", "Mehmet", "Arben", "Nguyen Van Hung", "Reza", "Omar", "Hawre",
         "Ali", "Dritan", "Tran Minh", "Youssef", "Soran", "Kamal", "Emre", "Besnik", "Farid",
         "Rebwar", "Hassan", "Ardit", "Leyla", "Mariam", "Zana", "Baran", "Shvan"]
HANDLE_STEMS = ["travel", "safe_trip", "uk_road", "kapitan", "rahla", "boat", "passage",
                "yolculuk", "safar", "udhetim", "sanganh", "belem", "garanti", "express"]
CHROME = [
    "{name} · {n} h · 🌍", "Like Comment Share", "{n} comments {m} shares", "See translation",
    "{n} views", "{h}:{mm}", "Reply", "Follow", "{n} subscribers", "Write a comment...",
    "#uk #travel #calais", "Sponsored", "{name} {h}:{mm} PM", "Forwarded from {handle}",
]
COMMENTS = [
    "Interested, send me the details please", "How much for two adults and a child?",
    "inbox me brother", "Is it still available this week?", "I sent you a message",
    "Thank you, we arrived yesterday, everything was as promised", "Tag your friends",
    "Merci frère, message envoyé", "Combien pour une famille de quatre personnes ?",
    "Kardeşim mesaj attım, dönüş yapar mısın", "Fiyat nedir, cevap verir misin?",
    "السلام عليكم، كم السعر للعائلة؟", "أرسلت لك رسالة على الخاص يا أخي",
    "سلام، برای دو نفر چقدر می‌شود؟", "پیام دادم لطفا جواب بدهید",
    "Përshëndetje, sa kushton për dy persona?", "Anh ơi em nhắn tin rồi, trả lời em với",
    "Silav, ez dixwazim bizanim biha çiqas e?", "سڵاو، نرخەکەی چەندە؟",
    "God bless you all, stay safe", "Who is going this weekend?", "Scam, be careful",
    "👍👍👍", "❤️ ❤️", "Amen 🙏", "Same question here, please reply",
]
NOISE = ["|", "—", "ii", "lI", "©", "=", "‹", "Q", "oo", ".", "«", "»", "~", "1l"]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
#: What the Arabic traineddata reads for Persian letters.
ARABIC_FORMS = str.maketrans({"ی": "ي", "ک": "ك"})


class Corpus:
    """Deterministic advert text: capture ``i`` always gets the same lines."""

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed
        rng = random.Random(seed)
        self.phones: dict[str, list[tuple[str, str]]] = {}  # region -> [(e164, printed)]
        for _, _, _, regions in LANGUAGES:
            for region in regions:
                if region not in self.phones:
                    self.phones[region] = _valid_numbers(rng, region, 300)
        self.handles = [f"{rng.choice(HANDLE_STEMS)}{rng.randrange(10, 9999)}"
                        for _ in range(1500)]
        self.weights = [w for _, w, _, _ in LANGUAGES]

    def advert(self, i: int) -> tuple[list[str], list[str]]:
        """(lines of text, Tesseract languages) of capture ``i``."""
        rng = random.Random(self.seed * 1_000_003 + i)
        lang, _, tess, regions = rng.choices(LANGUAGES, self.weights)[0]

        def phone() -> str:
            region = rng.choice(regions)
            # Zipf-like: a few numbers appear in many adverts, most in a handful.
            pool = self.phones[region]
            e164, printed = pool[min(len(pool) - 1, int(rng.paretovariate(1.2)) - 1)
                                 if rng.random() < 0.5 else rng.randrange(len(pool))]
            if lang in ("ar", "ku") and rng.random() < 0.3:
                return printed.translate(ARABIC_INDIC)
            if lang == "fa" and rng.random() < 0.3:
                return printed.translate(PERSIAN_DIGITS)
            if rng.random() < 0.2:
                return e164
            return printed

        def handle() -> str:
            return "@" + self.handles[rng.randrange(len(self.handles))]

        def link() -> str:
            if rng.random() < 0.5:
                return "t.me/" + self.handles[rng.randrange(len(self.handles))]
            return "wa.me/" + phone().lstrip("+").replace(" ", "")

        def price() -> str:
            n = str(rng.choice((800, 1000, 1200, 1500, 1800, 2000, 2500, 3000, 3500, 4000)))
            text = rng.choice(CURRENCY[lang]).format(n=n)
            return text.translate(ARABIC_INDIC) if lang == "ar" and rng.random() < 0.3 else text

        fill: dict[str, Callable[[], str]] = {
            "phone": phone, "handle": handle, "link": link, "price": price,
            "place": lambda: rng.choice(PLACES)}

        def render(template: str) -> str:
            out = template
            for key, fn in fill.items():
                while "{" + key + "}" in out:
                    out = out.replace("{" + key + "}", fn(), 1)
            return out

        def chrome() -> str:
            return rng.choice(CHROME).format(
                name=rng.choice(NAMES), n=rng.randrange(1, 999), m=rng.randrange(1, 99),
                h=rng.randrange(1, 12), mm=f"{rng.randrange(60):02d}", handle=handle())

        lines = [chrome()]
        sentences = rng.sample(TEMPLATES[lang], k=min(len(TEMPLATES[lang]), rng.randint(3, 7)))
        if lang != "en" and rng.random() < 0.3:
            sentences.append(rng.choice(TEMPLATES["en"]))
        lines += [render(s) for s in sentences]
        if not any("{phone}" in s for s in sentences):
            lines.append(phone())
        lines += [chrome() for _ in range(rng.randint(1, 4))]
        # Comments under the post (the page's text runs on: 60-150 words in all),
        # mostly chatter, now and then a question about the trip.
        for _ in range(rng.randint(3, 7)):
            said = (render(rng.choice(TEMPLATES[lang])) if rng.random() < 0.15
                    else rng.choice(COMMENTS))
            lines.append(f"{rng.choice(NAMES)} {said}")
            lines.append(chrome())
        if lang == "fa" and rng.random() < 0.3:
            lines = [line.translate(ARABIC_FORMS) for line in lines]
        if rng.random() < 0.5:  # OCR noise: a stray mark or a split word
            k = rng.randrange(len(lines))
            lines[k] = f"{lines[k]} {rng.choice(NOISE)}"
        return lines, tess

    def queries(self) -> list[tuple[str, str]]:
        """(kind, query) pairs: a fixed mix, phone numbers and handles from the pools."""
        rng = random.Random(self.seed + 1)
        gb, iq, ir = self.phones["GB"], self.phones["IQ"], self.phones["IR"]
        tr, fr = self.phones["TR"], self.phones["FR"]
        phones = [gb[0][0], iq[0][0], tr[rng.randrange(50)][0], gb[0][1], fr[1][1],
                  iq[1][0].translate(ARABIC_INDIC), ir[0][1].translate(PERSIAN_DIGITS),
                  "+447700900999"]
        handles = ["@" + self.handles[k] for k in rng.sample(range(len(self.handles)), 5)]
        return [
            *(("word", q) for q in ("boat", "bateau", "gomone", "thuyền", "ingiltere",
                                    "Dunkirk", "passports", "garanti", "zodiac")),
            *(("arabic", q) for q in ("قارب", "بريطانيا", "المانش", "واتساب", "مهرب")),
            *(("arabic+harakat", q) for q in ("قَارِب", "رِحْلَة", "بَرِيطَانِيَا", "نَجَاة")),
            *(("persian", q) for q in ("کشتی", "كشتي", "انگلیس", "انگليس", "قایق", "قايق",
                                       "جلیقه")),
            *(("prefix", q) for q in ("cross*", "trav*", "قار*", "İngilter*", "whats*",
                                      "gomon*", "bo*", "+4474*")),
            # As people type: partial words, synonyms across scripts, languages.
            *(("typing", q) for q in ("whats", "telegr", "واتس", "bat", "lang:fas",
                                      "persian", "tiktok", "instagram")),
            *(("phone", q) for q in phones),
            *(("handle", q) for q in handles),
            *(("two words", q) for q in ("boat UK", "passage Angleterre", "قارب بريطانيا",
                                         "kalim Angli", "xuồng Anh", "belem Brîtanya",
                                         "1500 euro", "قایق انگلیس")),
        ]


def _valid_numbers(rng: random.Random, region: str, count: int) -> list[tuple[str, str]]:
    """``count`` valid mobile numbers of ``region``: (E.164, as printed internationally)."""
    import phonenumbers

    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None, region
    national = str(example.national_number)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < count:
        keep = rng.randint(2, 3)  # keep the operator prefix, randomise the rest
        candidate = national[:keep] + "".join(
            str(rng.randrange(10)) for _ in range(len(national) - keep))
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if not phonenumbers.is_valid_number(number):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 in seen:
            continue
        seen.add(e164)
        out.append((e164, phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)))
    return out


def ocr_result(lines: list[str], languages: list[str], rng: random.Random) -> Any:
    """An OcrResult as a worker sends it back: words with boxes, line by line."""
    from workstation.reading.ocr.result import OcrResult, OcrWord

    words = []
    for n, line in enumerate(lines, start=1):
        x = 24
        for k, token in enumerate(line.split(), start=1):
            w = 14 * len(token) + 4
            words.append(OcrWord(token, rng.uniform(55, 97), (x, 40 + 52 * n, w, 30),
                                 1, n, 1, k))
            x += w + 12
    confidence = statistics.fmean(w.confidence for w in words)
    return OcrResult("tesserocr", "5.3.0", languages, engine_params(languages, len(lines), rng),
                     "\n".join(lines), words, confidence, 0.0, (1080, 2340),
                     advert_languages=languages[:1])


def engine_params(languages: list[str], lines: int, rng: random.Random) -> dict[str, Any]:
    """An OCR run's parameters with the keys and kinds of values the engine records in
    auto mode (workstation/reading/ocr/engine.py: script probe, candidates, coverage)."""
    arabic = languages[0] in ("ara", "fas", "kmr", "pus", "urd")
    dark = rng.random() < 0.3
    params: dict[str, Any] = {
        "candidates": [{"confidence": round(rng.uniform(70, 96), 2),
                        "lang": "Arabic" if arabic else languages[0]}],
        "coverage": {"regions": lines + rng.randrange(4), "reread": rng.randrange(6),
                     "unread": int(rng.random() < 0.05)},
        "generated_by": "bench/search_bench.py",
        "lang_mode": "auto", "line_height": float(rng.randrange(18, 40)),
        "median_luminance": 25.0 if dark else 255.0,
        "preprocessing": ["greyscale", *(["invert"] if dark else []), "invert_bands",
                          *(["upscale"] if rng.random() < 0.3 else [])],
        "probe": {"confidence": round(rng.uniform(65, 90), 1), "guess": languages[0],
                  "lang": "Arabic", "lines": rng.randint(2, 3)},
        "psm": 3, "scale": 1.0 if rng.random() < 0.7 else round(rng.uniform(1.05, 1.6), 3),
        "script": "Arabic" if arabic else "Latin", "script_source": "probe",
    }
    if arabic:
        latin = sorted(rng.sample(range(lines), k=min(lines, rng.randint(1, 6))))
        params |= {"line_languages": {"eng": ",".join(map(str, latin))},
                   "ltr_lines_lang": "eng", "ltr_lines_reread": rng.randrange(4),
                   "numbers_reread": rng.randrange(3)}
    return params


def tiny_png(i: int) -> bytes:
    """A distinct 36×64 PNG (about 100 bytes): its colours encode ``i``."""
    from PIL import Image

    image = Image.new("RGB", (36, 64), ((i >> 16) & 255, (i >> 8) & 255, i & 255))
    image.paste((255 - (i & 255), 128, (i * 7) & 255), (0, 0, 36, 8))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# ------------------------------------------------------------- workspace
def ws_path(size: int) -> Path:
    return Path(tempfile.gettempdir()) / f"aw-bench-search-{size}"


def _marker(size: int, corpus: Corpus) -> dict[str, int]:
    return {"captures": size, "version": GENERATOR_VERSION, "seed": corpus.seed}


def _complete(path: Path, wanted: dict[str, int]) -> bool:
    marker = path / "bench-complete.json"
    return marker.exists() and json.loads(marker.read_text()) == wanted


def staging_root() -> Path:
    """Where workspaces are built: a tmpfs (``/dev/shm``) when there is one, where fsync
    costs nothing (the import and each OCR result are committed durably, one at a time,
    which on a busy disk is most of the build time); the temp folder otherwise.  Only
    where the files sit while being built differs: every call is the application's."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


def build_workspace(size: int, corpus: Corpus, rebuild: bool, smaller: list[int]) -> None:
    """Create (or reuse, or extend a copy of a smaller cached one) the workspace of ``size``.

    Built in :func:`staging_root` and moved to the temp folder when complete; an
    interrupted build resumes where it stopped."""
    from workstation.workspace import Workspace

    path = ws_path(size)
    wanted = _marker(size, corpus)
    if not rebuild and _complete(path, wanted):
        return
    shutil.rmtree(path, ignore_errors=True)
    staging = staging_root() / f"aw-bench-search-{size}.building"
    partial = staging / "bench-partial.json"
    if rebuild or not (partial.exists() and json.loads(partial.read_text()) == wanted):
        shutil.rmtree(staging, ignore_errors=True)
        for other in sorted(smaller, reverse=True):
            if other < size and _complete(ws_path(other), _marker(other, corpus)):
                shutil.copytree(ws_path(other), staging)
                (staging / "bench-complete.json").unlink()
                print(f"  starting from a copy of the {other}-capture workspace", flush=True)
                break
        staging.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(wanted))
    start = time.perf_counter()
    with Workspace.open(staging) as ws:
        ws.set_setting("analyst", "Bench Analyst")
        ws.reading.warm_up()
        first = ws.status().captures
        if first:
            print(f"  {first} captures there already", flush=True)
        # A capture imported but not yet OCR'd (an interrupted build) gets its text first.
        for cid in ws.reading.pending_ocr():
            i = int((ws.captures.get(cid).original_filename or "bench0.png")[5:-4])
            lines, langs = corpus.advert(i)
            ws.reading._store_ocr(cid, ocr_result(lines, langs, random.Random(i)))
        for i in range(first, size):
            result = ws.intake.import_bytes(tiny_png(i), method="import",
                                     original_filename=f"bench{i}.png")
            if result.status != "imported" or result.id is None:
                raise SystemExit(f"bench image {i}: {result.status} {result.error}")
            lines, langs = corpus.advert(i)
            # What run_ocr does with each result a worker sends back.
            ws.reading._store_ocr(result.id, ocr_result(lines, langs, random.Random(i)))
            if i % 5000 == 4999:
                rate = (i + 1 - first) / (time.perf_counter() - start)
                print(f"  building: {i + 1}/{size} captures ({rate:.0f}/s, "
                      f"{(size - i - 1) / rate / 60:.1f} min to go)", flush=True)
    built = time.perf_counter() - start
    partial.unlink()
    (staging / "bench-complete.json").write_text(json.dumps(wanted))
    if staging.parent != path.parent:
        shutil.move(staging, path)
    else:
        staging.rename(path)
    print(f"  built {size - first} captures in {built:.0f} s, moved in "
          f"{time.perf_counter() - start - built:.0f} s (cached in {path})", flush=True)


def _copied_columns(conn: Any, table: str, shifts: dict[str, str]) -> str:
    """``SELECT`` expressions copying ``table``'s columns, with ``shifts`` replacing some."""
    names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    return ", ".join(shifts.get(name, name) for name in names)


def build_by_copies(size: int, base: int, corpus: Corpus, rebuild: bool) -> None:
    """The workspace of ``size`` captures made of copies of the ``base`` one (``--copies``):
    capture ``i`` beyond ``base`` is capture ``i % base`` again, with its own id and
    SHA-256.  Its rows (capture, OCR run, indicators, keyword flags) are copied in SQL
    and its index row is what the application indexed for the original (captured
    from ``ReadingService._reindex`` re-indexing the originals, through
    ``ReadingRepo.index``).  Building a million captures through the façade would take
    hours here; words then have ``size / base`` times as many hits as in a
    workspace of distinct adverts, so broad queries are as broad and narrow ones
    (handles, rare phone numbers) ``size / base`` times broader.  Evidence files,
    thumbnails, hashes and audit entries are not copied: search reads none of them."""
    from workstation.storage.db import transaction
    from workstation.workspace import Workspace

    path = ws_path(size)
    wanted = {**_marker(size, corpus), "copies_of": base}
    if not rebuild and _complete(path, wanted):
        return
    if size % base or not _complete(ws_path(base), _marker(base, corpus)):
        raise SystemExit(f"--copies: {size} must be a multiple of a built {base}")
    shutil.rmtree(path, ignore_errors=True)
    staging = Path(tempfile.gettempdir()) / f"aw-bench-search-{size}.copying"  # GBs: disk
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(ws_path(base), staging)
    (staging / "bench-complete.json").unlink()
    start = time.perf_counter()
    with Workspace.open(staging) as ws:
        conn = ws.conn
        repo = ws.reading._repo
        indexed: dict[int, tuple[str, ...]] = {}
        original_index = repo.index
        repo.index = lambda cid, *cols: indexed.__setitem__(cid, cols)  # type: ignore[method-assign]
        try:
            with ws.ctx.write():
                for capture in ws.captures.all():
                    ws.reading._reindex(capture)
        finally:
            repo.index = original_index  # type: ignore[method-assign]
        runs = conn.execute("SELECT max(id) FROM ocr_runs").fetchone()[0]
        inds = conn.execute("SELECT coalesce(max(id), 0) FROM indicators").fetchone()[0]
        for k in range(1, size // base):
            c, r, i = k * base, k * runs, k * inds
            with transaction(conn):
                conn.execute("INSERT INTO captures SELECT " + _copied_columns(conn, "captures", {
                    "id": f"id + {c}",
                    "sha256": f"substr(sha256, 1, 48) || printf('%016x', id + {c})"}) +
                    f" FROM captures WHERE id <= {base}")
                conn.execute("INSERT INTO ocr_runs SELECT " + _copied_columns(conn, "ocr_runs", {
                    "id": f"id + {r}", "capture_id": f"capture_id + {c}"}) +
                    f" FROM ocr_runs WHERE id <= {runs}")
                conn.execute("INSERT INTO indicators SELECT " + _copied_columns(
                    conn, "indicators", {"id": f"id + {i}", "capture_id": f"capture_id + {c}",
                                         "ocr_run_id": f"ocr_run_id + {r}"}) +
                    f" FROM indicators WHERE id <= {inds}")
                conn.execute("INSERT INTO capture_flags SELECT " + _copied_columns(
                    conn, "capture_flags", {"capture_id": f"capture_id + {c}"}) +
                    f" FROM capture_flags WHERE capture_id <= {base}")
                for cid, cols in indexed.items():
                    original_index(cid + c, *cols)
            print(f"  copies: {(k + 1) * base}/{size} captures "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    (staging / "bench-complete.json").write_text(json.dumps(wanted))
    staging.rename(path)


_DBSTAT = """
import json, sqlite3, sys
conn = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(json.dumps(conn.execute(sys.argv[2]).fetchall()))
"""


def dbstat(ws: Any, sql: str) -> list[Any]:
    """Rows of ``sql`` over SQLite's ``dbstat`` table of the workspace's database.  The
    workspace's own SQLite (SQLCipher's) is built without ``dbstat``, so the query runs
    in another process with Python's own ``sqlite3``, read-only: two SQLite libraries
    must never open one file in the same process."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", _DBSTAT, str(ws.root / "workspace.db"), sql],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(row) for row in json.loads(out)]


def index_size(ws: Any) -> tuple[float, float]:
    """(MB in the FTS5 index's tables, MB in the whole database)."""
    fts = dbstat(ws, "SELECT coalesce(sum(pgsize), 0) FROM dbstat "
                     "WHERE name LIKE 'search_index%'")[0][0]
    total = dbstat(ws, "SELECT coalesce(sum(pgsize), 0) FROM dbstat")[0][0]
    return fts / 1e6, total / 1e6


def size_breakdown(ws: Any) -> None:
    """Bytes per capture in the database, table by table (SQLite's ``dbstat``: pages
    used, free space in them included), and the average stored size of the OCR run's
    columns."""
    conn = ws.conn
    captures = max(1, conn.execute("SELECT count(*) FROM captures").fetchone()[0])
    runs = conn.execute("SELECT count(*) FROM ocr_runs").fetchone()[0]
    total = dbstat(ws, "SELECT coalesce(sum(pgsize), 0) FROM dbstat")[0][0]
    print(f"\n## Database size: {total / captures:,.0f} bytes per capture "
          f"({captures} captures, {runs} OCR runs kept; target ≤ 4,096 at 100,000)")
    rows = [(name, f"{size / captures:,.0f}") for name, size in dbstat(
        ws, "SELECT name, sum(pgsize) AS s FROM dbstat GROUP BY name ORDER BY s DESC")
        if size / captures >= 5]
    table(rows, ("table or index", "bytes/capture"))
    columns = conn.execute(
        "SELECT avg(length(CAST(text AS BLOB))), avg(length(CAST(words AS BLOB))), "
        "avg(length(CAST(params AS BLOB))) FROM ocr_runs").fetchone()
    print("  ocr_runs columns (average bytes): " + ", ".join(
        f"{name} {value or 0:,.0f}" for name, value in zip(("text", "words", "params"),
                                                           columns, strict=True)))


# ------------------------------------------------------------- measuring
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  " + "  ".join(c.rjust(w) if k else c.ljust(w)
                               for k, (c, w) in enumerate(zip(row, widths, strict=True))))


def measure(size: int, queries: list[tuple[str, str]], repeats: int, limit: int,
            slowest: int) -> float:
    from workstation.workspace import Workspace

    with Workspace.open(ws_path(size), readonly=True) as ws:
        captures = ws.status().captures
        fts_mb, db_mb = index_size(ws)
        ws.reading.search("warm up")
        per_kind: dict[str, list[float]] = {}
        cpu: list[float] = []  # CPU time of the same runs (the search runs in this thread)
        firsts: dict[str, list[float]] = {}
        hits: dict[str, list[int]] = {}
        ranked: dict[str, int] = {}  # queries bm25 ranked (not too many matches)
        per_query: list[tuple[float, float, str, str, int]] = []
        for kind, query in queries:
            t = time.perf_counter()
            first = ws.reading.search(query, limit)
            firsts.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            found = len(first)
            ranked[kind] = ranked.get(kind, 0) + any(h.rank is not None for h in first)
            times = []
            for _ in range(repeats):
                t, c = time.perf_counter(), time.process_time()
                ws.reading.search(query, limit)
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            per_kind.setdefault(kind, []).extend(times)
            hits.setdefault(kind, []).append(found)
            per_query.append((pct(times, 0.95), pct(times, 0.5), kind, query, found))
        copies = "copies_of" in json.loads((ws_path(size) / "bench-complete.json").read_text())
        if limit == 50 and not copies:  # copies have no audit entries, hashes or thumbnails
            size_breakdown(ws)
        narrow = next(q for kind, q in queries if kind == "handle")
        after_write = {q: _after_writes(ws, limit, q) for q in ("boat", narrow)}
    every = [t for ts in per_kind.values() for t in ts]
    print(f"\n## {captures} captures, limit {limit}: FTS5 index {fts_mb:.1f} MB "
          f"(database {db_mb:.1f} MB); {repeats} timed runs of each query")
    rows = [(kind, str(len(hits[kind])), "/".join(str(h) for h in hits[kind]),
             str(ranked[kind]), f"{pct(ts, 0.5):.2f}", f"{pct(ts, 0.95):.2f}", f"{max(ts):.2f}",
             f"{max(firsts[kind]):.2f}") for kind, ts in per_kind.items()]
    rows.append(("all", str(len(queries)), "", str(sum(ranked.values())),
                 f"{pct(every, 0.5):.2f}",
                 f"{pct(every, 0.95):.2f}", f"{max(every):.2f}",
                 f"{max(max(f) for f in firsts.values()):.2f}"))
    table(rows, ("kind", "queries", "hits (each query)", "ranked", "p50 ms", "p95 ms", "max ms",
                 "first max ms"))
    print(f"  CPU time of the same runs (what a shared, busy machine does not inflate as "
          f"much): p50 {pct(cpu, 0.5):.2f} ms, p95 {pct(cpu, 0.95):.2f} ms")
    if slowest:
        print(f"  slowest {slowest} queries by p95:")
        table([(f"{q!r} ({kind})", str(found), f"{p50:.2f}", f"{p95:.2f}")
               for p95, p50, kind, q, found in sorted(per_query, reverse=True)[:slowest]],
              ("query", "hits", "p50 ms", "p95 ms"))
    for query, times in after_write.items():
        print(f"  {query!r} just after another connection wrote (the compiled ranker's row "
              f"lengths are stale then): p50 {pct(times, 0.5):.2f} ms, "
              f"max {max(times):.2f} ms ({len(times)} writes)")
    return pct(every, 0.95)


def _after_writes(ws: Any, limit: int, query: str, writes: int = 10) -> list[float]:
    """Search times right after another connection re-indexed one capture, unchanged (as
    an import or OCR run in the background does): the compiled ranker's reload is paid."""
    from workstation.workspace import Workspace

    times = []
    with Workspace.open(ws.root) as writer:  # the measuring one is read-only
        first = writer.captures.all()[0].id
        for _ in range(writes):
            with writer.ctx.write():
                writer.reading.refresh_derived(first)
            t = time.perf_counter()
            ws.reading.search(query, limit)
            times.append((time.perf_counter() - t) * 1000)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated workspace sizes (captures)")
    parser.add_argument("--queries", type=int, default=30, metavar="N",
                        help="timed runs of each query (after one untimed first run)")
    parser.add_argument("--limits", default=f"50,{GUI_SEARCH_LIMIT}",
                        help="search limits to measure: 50 is Workspace.search's default "
                             f"(the CLI's), {GUI_SEARCH_LIMIT} the GUI's")
    parser.add_argument("--slowest", type=int, default=5, help="list the N slowest queries")
    parser.add_argument("--rebuild", action="store_true", help="build the workspaces again")
    parser.add_argument("--copies", action="store_true",
                        help="make the sizes after the first from copies of the first "
                             "(see build_by_copies; for 1,000,000)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    limits = [int(s) for s in args.limits.split(",")]

    from workstation.storage import ranking

    corpus = Corpus()
    queries = corpus.queries()
    print("# Search bench")
    print(f"Ranking: {ranking.describe()}; {cpu_note()}; {len(queries)} queries in "
          f"{len({k for k, _ in queries})} kinds; target p95 ≤ 20 ms at 100,000 captures "
          "(default limit)")
    for n, size in enumerate(sizes):
        t = time.perf_counter()
        if args.copies and n:
            build_by_copies(size, sizes[0], corpus, args.rebuild)
        else:
            build_workspace(size, corpus, args.rebuild, sizes)
        print(f"workspace of {size} captures ready in {time.perf_counter() - t:.1f} s "
              f"({ws_path(size)})", flush=True)
    results = {}
    for size in sizes:
        for limit in limits:
            results[(size, limit)] = measure(size, queries, args.queries, limit, args.slowest)
    print("\n## Summary (p95 over every timed run)")
    for (size, limit), p95 in results.items():
        verdict = ""
        if size in (100_000, 1_000_000) and limit == 50:
            target = 20 if size == 100_000 else 50
            verdict = f"  (target ≤ {target} ms: " + ("met)" if p95 <= target else "MISSED)")
        print(f"  {size:>7} captures, limit {limit:>3}: p95 {p95:6.2f} ms{verdict}")


if __name__ == "__main__":
    main()

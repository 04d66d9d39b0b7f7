"""Tesseract language data: where it is, what is installed, which sets to try.

Tesseract names a *language set* like ``ara+eng``: the traineddata files to
load for one pass.  Files live in the *tessdata* folder, which this module
finds robustly (the pip ``tesserocr`` wheel bundles its own libtesseract whose
default folder is ``./``, so the path must always be passed explicitly).

Automatic mode groups the analyst's languages by writing system
(:class:`ScriptLanguages`).  It reads a few lines with the sets
:func:`probe_order` gives, identifies the language, and reads the page with the
one set :func:`reading_set` gives; :func:`candidate_sets` are each group's
fallbacks.  Loading many languages in one pass makes Tesseract slower and, for
the Arabic-script languages, measurably worse (see ``bench/ocr_bench.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workstation.errors import MissingDependency
from workstation.reading.ocr.errors import InvalidLanguage

#: Where Debian, Ubuntu, Fedora, Homebrew and source builds put tessdata.
KNOWN_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/usr/local/share/tesseract-ocr/tessdata",
    "/opt/homebrew/share/tessdata",
    "/opt/local/share/tessdata",
)

#: Tesseract script-model names (``script/<Name>.traineddata``) -> ISO 15924 code
#: used in the Debian package name ``tesseract-ocr-script-<code>``.
SCRIPT_PACKAGE_CODES = {
    "Arabic": "arab", "Armenian": "armn", "Bengali": "beng", "Canadian_Aboriginal": "cans",
    "Cherokee": "cher", "Cyrillic": "cyrl", "Devanagari": "deva", "Ethiopic": "ethi",
    "Fraktur": "frak", "Georgian": "geor", "Greek": "grek", "Gujarati": "gujr",
    "Gurmukhi": "guru", "HanS": "hans", "HanS_vert": "hans-vert", "HanT": "hant",
    "HanT_vert": "hant-vert", "Hangul": "hang", "Hangul_vert": "hang-vert", "Hebrew": "hebr",
    "Japanese": "jpan", "Japanese_vert": "jpan-vert", "Kannada": "knda", "Khmer": "khmr",
    "Lao": "laoo", "Latin": "latn", "Malayalam": "mlym", "Myanmar": "mymr", "Oriya": "orya",
    "Sinhala": "sinh", "Syriac": "syrc", "Tamil": "taml", "Telugu": "telu", "Thaana": "thaa",
    "Thai": "thai", "Tibetan": "tibt", "Vietnamese": "viet",
}

_LANG_RE = re.compile(r"^(?:script/)?[A-Za-z][A-Za-z0-9_]{1,40}$")


@dataclass(frozen=True)
class ScriptLanguages:
    """The languages the analyst reads in one writing system, as automatic mode uses them.

    ``script`` is the name Tesseract's orientation-and-script detection (OSD)
    gives (``Latin``, ``Arabic``, ``Ethiopic`` ...).  ``languages`` are
    traineddata names in order of preference; those not installed are skipped.
    ``per_pass`` is how many of them one candidate set loads together.
    ``script_model`` is Tesseract's model for the whole script (tried first
    when installed).  ``extra`` is added to every candidate set so that the
    Latin phone numbers and web addresses inside, say, Arabic posts are read.
    ``read_with_script_model``: automatic mode reads a page of this script with the
    script model, whatever its language (see :data:`DEFAULT_SCRIPTS`); otherwise with
    the identified language plus ``extra``.
    """

    script: str
    languages: tuple[str, ...]
    per_pass: int = 1
    script_model: str | None = None
    extra: tuple[str, ...] = ()
    read_with_script_model: bool = False


#: Default groups.  Automatic mode identifies the language from a few lines first
#: (:mod:`workstation.reading.ocr.langid`) and reads the page once.  Measured on the
#: multilingual advert set (``tests/adverts.py``, ``bench/ocr_bench.py``): a Latin
#: advert reads best with its own language alone (``fra``; ``fra+eng`` is slower and no
#: better, the six Latin languages together drop Vietnamese tone marks); an
#: Arabic-script advert reads best with the ``Arabic`` script model, whatever its
#: language (mean line error 0.03-0.10 against 0.22-0.46 for ``fas``, ``pus``, ``urd``
#: or ``ara`` alone, which lose the Latin lines, and as good as ``fas+eng`` at two
#: thirds of the time); Ethiopic needs ``eng`` beside ``tir``/``amh`` for the Latin
#: lines.
DEFAULT_SCRIPTS: tuple[ScriptLanguages, ...] = (
    ScriptLanguages("Latin", ("eng", "fra", "tur", "sqi", "vie", "kmr"), per_pass=6,
                    script_model="Latin"),
    ScriptLanguages("Arabic", ("ara", "fas", "pus", "urd", "ckb"), per_pass=1,
                    script_model="Arabic", extra=("eng",), read_with_script_model=True),
    ScriptLanguages("Ethiopic", ("tir", "amh"), per_pass=1, script_model="Ethiopic",
                    extra=("eng",)),
)


def _has_traineddata(directory: Path) -> bool:
    try:
        return directory.is_dir() and any(directory.glob("*.traineddata"))
    except OSError:
        return False


def _from_cli() -> Path | None:
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'List of available languages in "([^"]+)"', proc.stdout + proc.stderr)
    return Path(match.group(1)) if match else None


_cache: dict[str, Path] = {}


def tessdata_dir(refresh: bool = False) -> Path:
    """The folder holding ``*.traineddata``.

    Looked up in order: ``$TESSDATA_PREFIX`` (the folder itself or its parent),
    the header of ``tesseract --list-langs``, then the usual install paths.
    Raises :class:`MissingDependency` when none has language data.
    """
    env = os.environ.get("TESSDATA_PREFIX", "")
    if not refresh and env in _cache:
        return _cache[env]
    candidates: list[Path] = []
    if env:
        candidates += [Path(env), Path(env) / "tessdata"]
    cli = _from_cli()
    if cli is not None:
        candidates.append(cli)
    candidates += [Path(p) for p in KNOWN_TESSDATA_DIRS]
    for candidate in candidates:
        if _has_traineddata(candidate):
            found = candidate.resolve()
            _cache[env] = found
            return found
    raise MissingDependency(
        "Tesseract's language data was not found. Install Tesseract with English "
        "(sudo apt-get install tesseract-ocr tesseract-ocr-eng), or set TESSDATA_PREFIX "
        "to the folder that holds the .traineddata files."
    )


def tessdata_path_arg() -> str:
    """:func:`tessdata_dir` as the string Tesseract wants (ending in a separator)."""
    return str(tessdata_dir()).rstrip(os.sep) + os.sep


def installed_languages() -> list[str]:
    """Names of the installed traineddata, sorted (script models as ``script/Arabic``
    when in a ``script`` subfolder, or ``Arabic`` when at top level as Debian puts them)."""
    directory = tessdata_dir()
    names = {p.stem for p in directory.glob("*.traineddata")}
    script_dir = directory / "script"
    if script_dir.is_dir():
        names |= {f"script/{p.stem}" for p in script_dir.glob("*.traineddata")}
    return sorted(names)


def debian_package(language: str) -> str:
    """The Debian/Ubuntu package that provides ``language`` (e.g. ``tesseract-ocr-ara``)."""
    name = language.removeprefix("script/")
    if name in SCRIPT_PACKAGE_CODES:
        return f"tesseract-ocr-script-{SCRIPT_PACKAGE_CODES[name]}"
    return "tesseract-ocr-" + name.lower().replace("_", "-")


def split_languages(lang: str) -> list[str]:
    """``"ara+eng"`` -> ``["ara", "eng"]``, refusing anything that is not a language name."""
    parts = [p.strip() for p in lang.split("+")]
    if not parts or any(not _LANG_RE.match(p) for p in parts):
        raise InvalidLanguage(
            f"{lang!r} is not a Tesseract language list; use codes joined by '+', "
            "for example 'ara+eng', or 'auto'."
        )
    return list(dict.fromkeys(parts))


def is_installed(language: str, installed: Iterable[str] | None = None) -> bool:
    """Whether ``language`` (a code or script model) can be loaded."""
    have = set(installed if installed is not None else installed_languages())
    if language in have:
        return True
    if language.startswith("script/"):
        return language.removeprefix("script/") in have
    return f"script/{language}" in have and language in SCRIPT_PACKAGE_CODES


def require_installed(languages: Sequence[str]) -> None:
    """Raise :class:`MissingDependency` naming the packages for any missing language."""
    have = installed_languages()
    missing = [lang for lang in languages if not is_installed(lang, have)]
    if missing:
        packages = " ".join(dict.fromkeys(debian_package(m) for m in missing))
        names = ", ".join(missing)
        raise MissingDependency(
            f"The Tesseract language data for {names} is not installed. "
            f"Install it with: sudo apt-get install {packages}"
        )


def resolve_name(language: str, installed: Iterable[str]) -> str:
    """The name to pass to Tesseract for an installed ``language`` (handles ``script/``)."""
    have = set(installed)
    if language in have:
        return language
    if f"script/{language}" in have:
        return f"script/{language}"
    return language.removeprefix("script/")


def candidate_sets(group: ScriptLanguages, installed: Iterable[str]) -> list[str]:
    """The language sets automatic mode tries for ``group``, best first, installed only."""
    have = list(installed)
    out: list[str] = []
    if group.script_model and is_installed(group.script_model, have):
        out.append(resolve_name(group.script_model, have))
    langs = [lang for lang in group.languages if is_installed(lang, have)]
    extra = [e for e in group.extra if is_installed(e, have)]
    step = max(1, group.per_pass)
    for i in range(0, len(langs), step):
        chunk = langs[i:i + step]
        chunk += [e for e in extra if e not in chunk]
        out.append("+".join(resolve_name(c, have) for c in chunk))
    return list(dict.fromkeys(out))


def reading_set(group: ScriptLanguages, lang: str | None, installed: Iterable[str]) -> str:
    """The one set automatic mode reads a page of ``group``'s script with, once the
    probe identified ``lang`` (``None``: not identified): the script model when the
    group reads with it and it is installed, else ``lang`` (if installed) with the
    group's ``extra``, else the group's first candidate set."""
    have = list(installed)
    if group.read_with_script_model and group.script_model \
            and is_installed(group.script_model, have):
        return resolve_name(group.script_model, have)
    if lang is not None and is_installed(lang, have):
        extra = [e for e in group.extra if e != lang and is_installed(e, have)]
        return "+".join(resolve_name(c, have) for c in [lang, *extra])
    return candidate_sets(group, have)[0]


def probe_order(groups: dict[str, ScriptLanguages], installed: Iterable[str]) -> list[str]:
    """The sets the probe lines are read with, in turn, until one reads them
    confidently: installed script models first (the ``Arabic`` model also reads Latin
    text, so one read tells Arabic from Latin script), then the first set of each
    other script, Latin last (its sets read only Latin)."""
    have = list(installed)
    models = [resolve_name(g.script_model, have) for g in groups.values()
              if g.script_model and is_installed(g.script_model, have)]
    ordered = sorted(groups.values(), key=lambda g: g.script == "Latin")
    firsts = [candidate_sets(g, have)[0] for g in ordered
              if not (g.script_model and is_installed(g.script_model, have))]
    return list(dict.fromkeys([*models, *firsts]))


# --- Unicode helpers ---------------------------------------------------------

_RTL_BIDI = {"R", "AL"}
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def has_rtl(text: str) -> bool:
    """Whether ``text`` has a strong right-to-left character (Arabic, Hebrew ...)."""
    return any(unicodedata.bidirectional(ch) in _RTL_BIDI for ch in text)


def is_eastern_digit(ch: str) -> bool:
    """Whether ``ch`` is an Arabic-Indic (``٠``-``٩``) or Persian (``۰``-``۹``) digit: weak
    characters to the bidi algorithm, drawn in the right-to-left order of their line."""
    return "\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9"


def strip_bidi_controls(text: str) -> str:
    """Remove the invisible direction marks Tesseract inserts around Latin runs in RTL text."""
    return text.translate(BIDI_CONTROLS)

"""Normalisation shared by matching and dedup.

One pipeline for every string compared anywhere: Unicode NFKC, casefold,
ё→е, quotes and dashes unified, tokens split on anything that is not a letter
or digit, and word forms reduced to Snowball stems (Russian for Cyrillic
tokens, English for Latin ones, whatever the headline's declared language,
so a mixed headline such as "ДРГ в Grayvoron" is stemmed right).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_QUOTES = str.maketrans({
    "«": '"', "»": '"', "„": '"', "“": '"', "”": '"', "‟": '"', "″": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "ʼ": "'", "`": "'", "´": "'",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "ё": "е", "Ё": "Е", "\u00a0": " ", "\u202f": " ",
})
_WORD = re.compile(r"[^\W_]+")
_CYR = re.compile(r"[а-яєіїґ]")
_UK_ONLY = re.compile(r"[єіїґ]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")           # the Cyrillic block, any case

_RU = Stemmer.Stemmer("russian")
_EN = Stemmer.Stemmer("english")


def normalize(s: str) -> str:
    """NFKC, casefold, ё→е, unified quotes/dashes, collapsed whitespace."""
    s = unicodedata.normalize("NFKC", s or "").translate(_QUOTES).casefold()
    return " ".join(s.replace("ё", "е").split())


def tokens(s: str) -> list[str]:
    """Word tokens of the normalised string; hyphenated words are split too
    ("гора-подол" -> "гора", "подол") so a phrase alias matches either way."""
    return _WORD.findall(normalize(s))


def script_lang(s: str | None) -> str:
    """'uk', 'ru' or 'en' from the letters used (a guess for undeclared text, and the language
    of a query): a Ukrainian-only letter (і ї є ґ, any case) -> uk, any other Cyrillic -> ru,
    anything else -> en. The one script test of the package (headlines, Google News editions)."""
    low = (s or "").lower()
    if _UK_ONLY.search(low):
        return "uk"
    if _CYRILLIC.search(low):
        return "ru"
    return "en"


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Snowball stem by script. Ukrainian has no Snowball stemmer; the Russian
    one reduces its shared endings well enough for place names."""
    if _CYR.search(token):
        return _RU.stemWord(token)
    if token.isascii() and token.isalpha():
        return _EN.stemWord(token)
    return token


def stems(s: str) -> list[str]:
    return [stem(t) for t in tokens(s)]


def stem_text(s: str) -> str:
    """The stems joined by spaces: the form fuzzy comparisons run on."""
    return " ".join(stems(s))


# ------------------------------------------------------------ alias variants
_LATIN_SCHEMES = ("WIKIPEDIA", "ICAO_DOC_9303", "YANDEX_MAPS")


@lru_cache(maxsize=4)
def _morph(lang: str):
    """pymorphy3's analyser for 'ru' or 'uk' (None when the dictionaries are not installed)."""
    try:
        import pymorphy3
        return pymorphy3.MorphAnalyzer(lang=lang)
    except Exception:  # ImportError, or a missing dictionary package
        return None


def _lexeme(word: str) -> set[str]:
    """Every inflected form of a dictionary word (Russian, or Ukrainian when it uses
    Ukrainian letters), from the two most likely analyses."""
    forms = {word}
    morph = _morph("uk" if _UK_ONLY.search(word) else "ru")
    if morph is None or not _CYR.search(word):
        return forms
    for p in morph.parse(word)[:2]:
        forms.update(f.word.replace("ё", "е") for f in p.lexeme)
    return forms


def _latin(word: str) -> set[str]:
    """Latin spellings of a Cyrillic word by the common schemes (Grayvoron/Graivoron)."""
    import iuliia

    out = set()
    for name in _LATIN_SCHEMES:
        schema = getattr(iuliia, name, None)
        if schema is not None:
            out.add(schema.translate(word).lower().replace("'", ""))
    return out


@lru_cache(maxsize=50_000)
def word_forms(word: str) -> frozenset[str]:
    """The stems a headline may show for one word of an alias or term: its own
    stem, the stems of its inflected forms, and of their Latin spellings (URL
    slugs, English-language reports). Built once per alias word, so the per-headline
    work stays one Snowball stem per token."""
    raw = unicodedata.normalize("NFKC", word).casefold()
    word = normalize(word)
    forms = _lexeme(word)
    if _CYR.search(word) and not _UK_ONLY.search(word):
        for f in list(forms) + [raw]:          # the raw form keeps ё: Тёткино -> Tyotkino
            forms.update(_latin(f))
    return frozenset(stem(t) for f in forms for t in tokens(f))


def phrase_forms(phrase: str) -> tuple[frozenset[str], ...]:
    """One set of acceptable stems per word of the phrase."""
    return tuple(word_forms(t) for t in tokens(phrase))


# ------------------------------------------------------------------ URL slugs
_SLUG_NOISE = frozenset("""www http https html htm php aspx amp news novosti article articles story
stories world europe russia ru en uk index id rss feed photo photos video amp amphtml""".split())


def url_words(url: str | None) -> str:
    """The words an outlet wrote into a URL's path (its slug, often the headline
    transliterated), as one string; the host, query, numbers and the usual path noise
    (``news``, ``html``, ``amp``) are left out, so a section name is the only
    risk and an article id is never a word."""
    if not url:
        return ""
    from urllib.parse import unquote, urlsplit

    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return ""
    words = [t for t in _WORD.findall(normalize(path.replace("_", " ")))
             if not t.isdigit() and len(t) > 1 and t not in _SLUG_NOISE
             and not (len(t) >= 8 and re.fullmatch(r"[0-9a-f]+", t))]
    return " ".join(words)

"""A hit's facts as a reader of the dossier says them: its day and language, the evidence
that matched it in words, how far its date is from the incident's, and its opening text.
Plain strings, no HTML: the dossier's templates escape them."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

LANG_NAMES = {"ru": "Russian", "en": "English", "uk": "Ukrainian"}   # also the order languages are shown in
_LANG_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")


def field(obj, name, default=None):
    """``obj.name`` or ``obj[name]``: an incident is a model or a plain dict."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def texts_by_lang(obj) -> dict[str, list[str]]:
    """A Texts model or a dict of lists, per language."""
    out = {}
    for lang in ("en", "ru", "uk"):
        vals = field(obj, lang) or []
        if isinstance(vals, str):
            vals = [vals]
        if vals:
            out[lang] = [str(v) for v in vals]
    return out


def as_date(value) -> dt.date | None:
    """The day of a date, a datetime or an ISO 8601 string; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def lang_of(hit) -> str:
    """The hit's language code when it looks like one ("ru", "pt-BR"); "" otherwise."""
    code = str(hit.get("lang") or "").strip().lower()
    return code if _LANG_CODE.fullmatch(code) else ""


def shown_date(published) -> str:
    """The day as a list shows it: "2022-10-15 14:30" (with the time when the value has one),
    "2022-10-15"; "" when undated."""
    day = as_date(published)
    if day is None:
        return ""
    time = published[11:16] if isinstance(published, str) and len(published) >= 16 else ""
    return day.isoformat() + (f" {time}" if re.fullmatch(r"\d\d:\d\d", time) else "")


def lang_order(counts: Counter) -> list[str]:
    """The languages counted: Russian, English, Ukrainian first, then the others by code."""
    known = [lg for lg in LANG_NAMES if lg in counts]
    return known + sorted(lg for lg in counts if lg not in LANG_NAMES)


def lang_label(lang: str) -> str:
    return LANG_NAMES.get(lang, lang or "unknown")


# ---------------------------------------------------------------- in words

_SOURCE_OF = {"url": "in the URL", "snippet": "in the summary", "article": "in the article", "text": "in the post"}
_DATES = {"in-window": "in the window", "unknown": "undated", "only-window": "the only incident of its kind "
          "whose window holds the date"}


def _feature_parts(label: str) -> tuple[str, str, str] | None:
    """(phrase, value, where) of one ``matched`` label: ("names", "Soloti", ""), ("tells of",
    "shooting", "in the URL"); None for a kind this page does not know."""
    raw = str(label)
    m = re.fullmatch(r"(.*?) \((url|snippet|article|text)\)", raw)
    body, where = (m.group(1), _SOURCE_OF[m.group(2)]) if m else (raw, "")
    kind, _, value = body.partition(":")
    value = value.strip()
    if not value:
        return None
    if kind in ("place", "actor"):
        return "names", value, where
    if kind == "region":
        return "names the region", value, where
    if kind == "term":
        return "says", f"“{value}”", where
    if kind == "event":
        return "tells of", value.partition("=")[0].replace("_", " ").replace("-", " "), where
    if kind == "figure":
        return "repeats the figure", value, where
    if kind == "similar":
        return f"close to a description ({value})", "", where
    if kind == "semantic":
        return f"means what a description says ({value})", "", where
    if kind == "date" and value in _DATES:
        return _DATES[value], "", where
    if kind == "kind":
        return "an event of the kind", value.replace("_", " ").replace("-", " "), where
    return None


def _feature_words(label: str) -> str:
    """One ``matched`` label ("place:Soloti", "similar:52", "event:shooting=стрельба (url)") said
    for a reader ("names Soloti", "close to a description (52)"); an unknown kind stays as it is."""
    got = _feature_parts(label)
    if got is None:
        return str(label)
    phrase, value, where = got
    said = f"{phrase} {value}" if value else phrase
    return f"{said} ({where})" if where else said


def evidence_words(matched, decided_by=None) -> str:
    """A hit's matched features in words, those of one kind and one source of evidence said
    together ("names Soloti, Valuyki (in the article)"), in the order they first fired, joined
    by '; ', then what decided it. A kind this page does not know is shown as its label."""
    items = matched if isinstance(matched, list) else ([matched] if matched else [])
    groups: dict[tuple[str, str], list[str]] = {}
    for m in items:
        got = _feature_parts(m)
        key = (got[0], got[2]) if got else (str(m), "\0raw")
        vals = groups.setdefault(key, [])
        if got and got[1] and got[1] not in vals:
            vals.append(got[1])
    parts = []
    for (phrase, where), vals in groups.items():
        if where == "\0raw":
            parts.append(phrase)
            continue
        said = f"{phrase} {', '.join(vals)}" if vals else phrase
        parts.append(f"{said} ({where})" if where else said)
    out = "; ".join(parts)
    if decided_by in ("headline", "snippet", "article"):
        out += ("; " if out else "") + {"headline": "decided by the headline", "snippet": "decided by the summary",
                                         "article": "decided by the article's page"}[decided_by]
    return out


def reader_date(published, incident_day: dt.date | None) -> tuple[str, str]:
    """(a publication date as a reader says it, "Sat 15 Oct 2022, 14:30", and how far it is from
    the incident's day: "the day of the incident", "2 days after"); ("", "") when undated."""
    day = as_date(published)
    if day is None:
        return "", ""
    time = published[11:16] if isinstance(published, str) and len(published) >= 16 else ""
    shown = f"{day:%a} {day.day} {day:%b %Y}" + (f", {time}" if re.fullmatch(r"\d\d:\d\d", time) else "")
    if incident_day is None:
        return shown, ""
    n = (day - incident_day).days
    rel = ("the day of the incident" if n == 0 else "the day after" if n == 1 else "the day before" if n == -1
           else f"{n} days after" if n > 0 else f"{-n} days before")
    return shown, rel


def lead_of(hit: dict, article: dict | None, limit: int = 320) -> tuple[str, str]:
    """(the report's opening text, where it came from): the captured page's lead, a post's own
    text, or the feed's summary; ("", "") when there is none. Cut on a word near ``limit``."""
    for text, where in (((article or {}).get("lead"), "the captured page" if (article or {}).get("source") != "wayback"
                         else "the Wayback copy"),
                        (hit.get("text"), "the post"), (hit.get("snippet"), "the feed's summary")):
        if isinstance(text, str) and text.strip():
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]{0,200}>", " ", text)).strip()
            if len(text) > limit:
                text = text[:limit].rsplit(" ", 1)[0] + " …"
            return text, where
    return "", ""

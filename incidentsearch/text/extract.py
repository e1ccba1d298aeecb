"""Article extraction, pure: trafilatura's ``bare_extraction`` on HTML the fetch package already
fetched (its own fetchers would bypass our cache and politeness), reduced to an
``Article``. Dates: the URL path ("url"; a meta datetime on that day is kept); JSON-LD /
meta tags / <time datetime> / trafilatura ("meta"); an agency dateline ("МОСКВА, 29 июня.
/ТАСС/.") or a visible date element ("сегодня в 20:12") ("dateline").
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from . import dates

__all__ = ["Article", "extract", "dateline", "strip_site_suffix", "LEAD_CHARS"]

log = logging.getLogger(__name__)
LEAD_CHARS = 600


FALLBACK_STATUSES = frozenset({401, 403, 404, 410, 429, 451, 500, 502, 503, 504})
GOOGLE_NEWS_HOSTS = {"news.google.com"}
LEAD_CHARS = 600


@dataclass(frozen=True)
class Article:
    url: str
    title: str | None
    published: date | datetime | None
    date_method: str | None        # "url" | "meta" | "dateline" | None
    author: str | None
    text: str                      # paragraphs separated by blank lines
    lead: str
    lang: str | None
    credit: str | None = None


# ------------------------------------------------------------------ helpers

def collapse(s) -> str:
    return " ".join(str(s or "").split())


def _parse_html(html: str):
    import lxml.html
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html or "")
    try:
        return lxml.html.fromstring(html) if html.strip() else None
    except Exception:                               # lxml gives up on some markup
        return None


def _meta(tree, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for el in tree.iter("meta") if tree is not None else ():
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in wanted and collapse(el.get("content")):
            return collapse(el.get("content"))
    return None


def _json_ld(tree) -> list:
    out = []
    for el in tree.iter("script") if tree is not None else ():
        if (el.get("type") or "").strip().lower() == "application/ld+json":
            try:
                out.append(json.loads(el.text_content() or "", strict=False))
            except (ValueError, RecursionError):
                pass
    return out


def _ld_find(data, key: str, depth: int = 0):
    """The first value of ``key`` in a JSON-LD document (dicts, lists, @graph), depth-first."""
    if isinstance(data, dict) and data.get(key):
        return data[key]
    items = list(data.values()) if isinstance(data, dict) else data if isinstance(data, list) else []
    for item in items if depth < 8 else ():
        found = _ld_find(item, key, depth + 1)
        if found:
            return found
    return None


_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ")


def _site_like(tail: str) -> bool:
    """"BBC News", "МК", "Express.co.uk", "Аргументы и Факты": no lower-case word longer than 2 letters."""
    words = tail.split()
    return 0 < len(words) <= 4 and all(not w[0].islower() or len(w) <= 2 or "." in w for w in words)


def strip_site_suffix(title: str | None, site: str | None = None) -> str | None:
    """"Headline - Outlet" / "Headline | Section | Outlet" -> "Headline" (short trailing parts only)."""
    title, site_n = collapse(title), collapse(site).casefold()
    for _ in range(4):
        pos, sep = max(((title.rfind(sep), sep) for sep in _SEPARATORS), key=lambda x: x[0])
        head, tail = title[:max(pos, 0)].strip(), title[pos + len(sep):].strip()
        if pos <= 0 or len(head) < 15 or len(tail) > 40:
            break
        is_site = bool(site_n) and (site_n in tail.casefold() or tail.casefold() in site_n)
        if not (is_site or _site_like(tail) or (sep == " | " and len(tail.split()) <= 5)):
            break
        title = head
    return title or None


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


# ------------------------------------------------------------------ datelines

_MON = (r"(?:январ[ьяе]|феврал[ьяе]|марта?|апрел[ьяе]|ма[йя]|июн[ьяе]|июл[ьяе]|августа?|сентябр[ьяе]"
        r"|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе]|січня|лютого|березня|квітня|травня|червня|липня|серпня"
        r"|вересня|жовтня|листопада|грудня|янв|фев|февр|мар|апр|июн|июл|авг|сен|сент|окт|ноя|нояб|дек)")
_EN_MON = (r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*")
_CITY = (r"[A-ZА-ЯЁІЇЄҐ][\w'’\-]*(?:[ -](?:на|де|ла|им\.|[A-ZА-ЯЁІЇЄҐ][\w'’\-]*)){0,3}")
_RU_DATELINE = re.compile(
    r"^\s*(?P<city>" + _CITY + r")[,.]\s+(?P<day>\d{1,2})\s+(?P<mon>(?i:" + _MON + r"))\.?"
    r"(?:\s+(?P<year>\d{4})(?:\s*(?:г\.|года))?)?\s*[.,]?\s*"
    r"(?P<agency>/[^/\n]{2,30}/|[-–—]\s*[A-ZА-ЯЁ][^\n.]{1,30}(?:\.|$)|[A-ZА-ЯЁ][A-ZА-ЯЁ.\-]{1,20}(?=[\s.,\-–—]))?",
    re.M)
_EN_DATELINE = re.compile(
    r"^\s*(?P<city>[A-Z][A-Z .'’-]{1,40}),\s+(?P<mon>" + _EN_MON + r")\.?\s+(?P<day>\d{1,2})"
    r"(?:,\s*(?P<year>\d{4}))?\s*\((?P<agency>[A-Za-z][\w .&-]{0,25})\)\s*[-–—]", re.M)


def dateline(text: str, *, relative_base: datetime | None = None, tz: str | None = None,
             year_hint: int | None = None, window: tuple[date, date] | None = None) -> date | None:
    """The day of an agency dateline in the first lines of ``text``, or None.

    A year-less dateline takes the year that puts it nearest the ``window`` (if given), else
    ``year_hint``, else the latest such day not after ``relative_base`` (default: now)."""
    head = "\n".join(line for line in (text or "").replace("\r", "").split("\n")[:6])[:800]
    for rx in (_RU_DATELINE, _EN_DATELINE):
        for m in rx.finditer(head):
            city = m.group("city").strip()
            caps = city.upper() == city and sum(ch.isalpha() for ch in city) >= 3
            if not (caps or m.group("agency")):
                continue
            value = _dateline_day(m.group("day"), m.group("mon"), m.group("year"), relative_base,
                                  tz, year_hint, window)
            if value is not None:
                return value
    return None


def _dateline_day(day, mon, year, relative_base, tz, year_hint, window) -> date | None:
    base = relative_base or datetime.now(timezone.utc)
    value = dates.parse_date(f"{day} {mon} {year or ''}".strip(), relative_base=base, tz=tz)
    if value is None or year:
        return _day(value) if value is not None else None
    value, years, mid = _day(value), None, None
    if window is not None:
        mid = window[0] + (window[1] - window[0]) / 2
        years = (mid.year - 1, mid.year, mid.year + 1)
    elif year_hint:
        years = (year_hint,)
    cands = []
    for y in years or ():
        try:
            d = value.replace(year=y)
        except ValueError:                          # 29 February
            continue
        if d <= _day(base) + timedelta(days=1):
            cands.append(d)
    return min(cands, key=lambda d: abs((d - mid).days) if mid else 0) if cands else value


_DATE_CLASS = re.compile(r"(?:date|time|publish|posted|created|дата)", re.I)
_NOT_DATE_CLASS = re.compile(r"(?:update|modif|edit|read|timer|timeline|runtime)", re.I)


def _visible_date(tree, *, lang, tz, relative_base):
    """The first visible date in a <time> or a date-classed element ("сегодня в 20:12")."""
    if tree is None:
        return None
    seen = 0
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "meta", "head", "title"):
            continue
        cls = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop"))))
        if el.tag != "time" and not (_DATE_CLASS.search(cls) and not _NOT_DATE_CLASS.search(cls)):
            continue
        raw = collapse(el.text_content())
        if (not raw or len(raw) > 80 or not re.search(r"\d|сегодня|вчера|today|yesterday", raw, re.I)
                or re.fullmatch(r"\d{1,2}:\d{2}(?::\d{2})?", raw)):     # a bare clock (video length?)
            continue
        seen += 1
        value = dates.parse_date(raw, lang=lang, relative_base=relative_base, tz=tz)
        if value is not None and dates.plausible(value):
            return value
        if seen >= 30:
            break
    return None


# ------------------------------------------------------------------ extraction

_META_DATE_NAMES = ("article:published_time", "og:article:published_time", "datepublished",
                    "published_time", "pubdate", "publishdate", "publish-date", "publish_date",
                    "publication_date", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created",
                    "sailthru.date", "parsely-pub-date", "published_time_telegram",
                    "analyticsattributes.articledate", "mediator_published_time", "article.published",
                    "date", "og:published_time", "datecreated")


def _meta_dates(tree, doc: dict, tz):
    """Candidate publication moments from markup, best first."""
    raws = [_ld_find(ld, "datePublished") for ld in _json_ld(tree)] + [_meta(tree, *_META_DATE_NAMES)]
    for el in tree.iter() if tree is not None else ():
        if isinstance(el.tag, str) and ((el.get("itemprop") or "").lower() == "datepublished"
                                        or (el.tag == "time" and el.get("datetime"))):
            raws.append(el.get("datetime") or el.get("content"))
            if el.tag == "time":
                break
    for raw in raws + [doc.get("date")]:
        raw = (raw[0] if raw else None) if isinstance(raw, list) else raw
        value = dates.parse_date(raw.strip(), tz=tz) if isinstance(raw, str) and raw.strip() else None
        if value is not None and dates.plausible(value):
            yield value


_TRAFILATURA_KW = ({"with_metadata": True, "include_comments": False, "include_tables": False, "favor_recall": True,
                    # markup dates only: the extensive search guesses from body text ("2014 года")
                    "date_extraction_params": {"extensive_search": False, "original_date": True}},
                   {"with_metadata": True, "include_comments": False, "include_tables": False},
                   {"include_comments": False})


_WARNED: list = []


def _bare(html: str, url: str, fast: bool = False) -> dict:
    """trafilatura's result as a dict ({} when it finds nothing or fails); 1.x dicts and 2.x Documents.
    ``fast``: without its second opinion (jusText, readability), about three times quicker."""
    doc = None
    try:
        try:
            import trafilatura
        except ImportError:                         # lxml >= 5.2 without lxml_html_clean breaks justext
            if not _WARNED:
                _WARNED.append(1)
                log.warning("trafilatura is not importable (is lxml_html_clean installed?): <p> text only",
                            exc_info=True)
            return {}
        variants = [dict(kw, **extra) for kw in _TRAFILATURA_KW for extra in ({"fast": True}, {"no_fallback": True})] \
            if fast else _TRAFILATURA_KW
        for kw in variants:                         # older releases lack some keywords
            try:
                doc = trafilatura.bare_extraction(html, url=url or None, **kw)
                break
            except TypeError as e:
                if "unexpected keyword" not in str(e):
                    raise
    except Exception:                               # not installed, odd markup, recursion
        log.debug("trafilatura failed on %s", url, exc_info=True)
    doc = doc.as_dict() if hasattr(doc, "as_dict") else doc
    return dict(doc) if isinstance(doc, dict) else {}


def _fallback_text(tree) -> str:
    if tree is None:
        return ""
    paras = [collapse(p.text_content()) for p in tree.iter("p")]
    return "\n".join(p for p in paras if len(p) > 40)


_CYR = re.compile(r"[\u0400-\u04ff]")
_LAT = re.compile(r"[A-Za-z]")


def _lang(tree, doc, passed, text) -> str | None:
    declared = None
    if tree is not None:
        root = tree.getroottree().getroot()
        declared = root.get("lang") or root.get("xml:lang") or _meta(tree, "og:locale", "language",
                                                                      "content-language")
    sample = text[:3000]
    cyr, lat = len(_CYR.findall(sample)), len(_LAT.findall(sample))
    script = None if cyr + lat < 50 else ("cyrl" if cyr > lat else "latn")
    guess = (("uk" if re.search(r"[іїєґ]", sample) and sample.count("ы") < 3 else "ru")
             if script == "cyrl" else "en" if script == "latn" else None)
    for cand in (declared, doc.get("language"), passed):
        code = (cand or "").strip().lower().replace("_", "-").split("-")[0]
        if not re.fullmatch(r"[a-z]{2,3}", code):
            continue
        if script is None or (code in ("ru", "uk", "be", "bg", "sr", "kk", "mk")) == (script == "cyrl"):
            return code
    return guess


def _title(tree, doc, site) -> str | None:
    """trafilatura's title, else og:title, else <title>; the site suffix removed. (Voting among the
    page's headline variants -- <h1>, JSON-LD, og:title -- scored worse on the answer keys.)"""
    title = collapse(doc.get("title")) or _meta(tree, "og:title", "twitter:title")
    if not title and tree is not None:
        t = tree.find(".//title")
        title = t.text_content() if t is not None else None
    return strip_site_suffix(title, site)


def _norm_title(s: str | None) -> str:
    return re.sub(r"\W+", " ", (s or "").casefold()).strip()


def lead_of(paras: list[str]) -> str:
    out, total = [], 0
    for p in paras:
        if total and total + len(p) > LEAD_CHARS:
            break
        out.append(p)
        total += len(p) + 2
    lead = "\n\n".join(out)
    if len(lead) > LEAD_CHARS:
        cut = lead.rfind(" ", 0, LEAD_CHARS)
        lead = lead[:cut if cut > LEAD_CHARS // 2 else LEAD_CHARS].rstrip(" ,;:") + "…"
    return lead


def extract(html: str, url: str, *, lang: str | None = None, tz: str | None = None,
            relative_base: datetime | None = None, window: tuple[date, date] | None = None,
            fast: bool = False) -> Article:
    """Title, date, author, text and language of one article page. Never raises. ``fast``
    skips trafilatura's second opinion on the text (the archive scan, where only the title,
    date and lead are scored)."""
    html = html if isinstance(html, str) else ""
    tree = _parse_html(html)
    doc = _bare(html, url, fast) if tree is not None else {}
    site = doc.get("sitename") or _meta(tree, "og:site_name")

    title = _title(tree, doc, site)

    raw = doc.get("text") or _fallback_text(tree)
    paras = [collapse(p) for p in str(raw).split("\n") if collapse(p)]
    if paras and title and _norm_title(paras[0]) == _norm_title(title):
        paras = paras[1:]                           # the headline repeated as the first line
    text = "\n\n".join(paras)
    page_lang = _lang(tree, doc, lang, (title or "") + " " + text)

    published, method = None, None
    url_day = dates.from_url(url) if url else None
    metas = list(_meta_dates(tree, doc, tz))
    if url_day is not None:
        published, method = url_day, "url"
        same = [m for m in metas if isinstance(m, datetime) and
                url_day in (m.date(), dates.day_of(m, tz) if tz else m.date())]
        if same:
            published = same[0]
    elif metas:
        published, method = metas[0], "meta"
    else:
        m = re.search(r"/(20\d\d)/", url or "")
        value = dateline("\n".join(paras[:4]), relative_base=relative_base, tz=tz,
                         year_hint=int(m.group(1)) if m else None, window=window)
        if value is None:
            value = _visible_date(tree, lang=page_lang, tz=tz, relative_base=relative_base)
        if value is not None:
            published, method = value, "dateline"

    author = collapse(doc.get("author")) or _meta(tree, "author", "article:author") or None
    if author and author.startswith("http"):
        author = None
    return Article(url=url, title=title or None, published=published, date_method=method,
                   author=author, text=text, lead=lead_of(paras), lang=page_lang)



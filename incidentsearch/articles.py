"""Article capture: each hit's page (or its Wayback copy), saved and reduced to text and metadata.

``extract`` is pure: trafilatura's ``bare_extraction`` on HTML fetch.py already fetched (its own
fetchers would bypass our cache and politeness). Dates: the URL path ("url"; a meta datetime on
that day is kept); JSON-LD / meta tags / <time datetime> / trafilatura ("meta"); an agency dateline
("МОСКВА, 29 июня. /ТАСС/.") or a visible date element ("сегодня в 20:12") ("dateline").
``capture`` fetches one hit through ``Fetcher.get``, falls back to the newest Wayback snapshot in
the window, and writes ``articles/<sha1(canonical url)[:20]>.html`` (bytes as fetched) and ``.txt``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import pathlib
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from . import dates
from .sources.google_news import join_query

__all__ = ["Article", "extract", "capture", "article_name", "dateline", "strip_site_suffix"]

log = logging.getLogger("incidentsearch.articles")

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

def _collapse(s) -> str:
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
        if key in wanted and _collapse(el.get("content")):
            return _collapse(el.get("content"))
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
    title, site_n = _collapse(title), _collapse(site).casefold()
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


def _plausible(value) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return day.year >= 1990 and day <= datetime.now(timezone.utc).date() + timedelta(days=1)


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
        raw = _collapse(el.text_content())
        if (not raw or len(raw) > 80 or not re.search(r"\d|сегодня|вчера|today|yesterday", raw, re.I)
                or re.fullmatch(r"\d{1,2}:\d{2}(?::\d{2})?", raw)):     # a bare clock (video length?)
            continue
        seen += 1
        value = dates.parse_date(raw, lang=lang, relative_base=relative_base, tz=tz)
        if value is not None and _plausible(value):
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
        if value is not None and _plausible(value):
            yield value


_TRAFILATURA_KW = ({"with_metadata": True, "include_comments": False, "include_tables": False, "favor_recall": True,
                    # markup dates only: the extensive search guesses from body text ("2014 года")
                    "date_extraction_params": {"extensive_search": False, "original_date": True}},
                   {"with_metadata": True, "include_comments": False, "include_tables": False},
                   {"include_comments": False})


_WARNED: list = []


def _bare(html: str, url: str) -> dict:
    """trafilatura's result as a dict ({} when it finds nothing or fails); 1.x dicts and 2.x Documents."""
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
        for kw in _TRAFILATURA_KW:                  # older releases lack some keywords
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
    paras = [_collapse(p.text_content()) for p in tree.iter("p")]
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
    title = _collapse(doc.get("title")) or _meta(tree, "og:title", "twitter:title")
    if not title and tree is not None:
        t = tree.find(".//title")
        title = t.text_content() if t is not None else None
    return strip_site_suffix(title, site)


def _norm_title(s: str | None) -> str:
    return re.sub(r"\W+", " ", (s or "").casefold()).strip()


def _lead(paras: list[str]) -> str:
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
            relative_base: datetime | None = None, window: tuple[date, date] | None = None) -> Article:
    """Title, date, author, text and language of one article page. Never raises."""
    html = html if isinstance(html, str) else ""
    tree = _parse_html(html)
    doc = _bare(html, url) if tree is not None else {}
    site = doc.get("sitename") or _meta(tree, "og:site_name")

    title = _title(tree, doc, site)

    raw = doc.get("text") or _fallback_text(tree)
    paras = [_collapse(p) for p in str(raw).split("\n") if _collapse(p)]
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

    author = _collapse(doc.get("author")) or _meta(tree, "author", "article:author") or None
    if author and author.startswith("http"):
        author = None
    return Article(url=url, title=title or None, published=published, date_method=method,
                   author=author, text=text, lead=_lead(paras), lang=page_lang)


# ------------------------------------------------------------------ capture

def article_name(url: str) -> str:
    """The file stem of a hit's saved page: 20 hex chars of sha1(canonical URL); never URL text."""
    try:
        from .dedup import canonical_url
        key = canonical_url(url)
    except Exception:
        key = url or ""
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _write(path: pathlib.Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def google_news_target(url: str) -> str | None:
    """The publisher URL inside an old-style Google News article id (CBMi...), if any."""
    if _host(url) not in GOOGLE_NEWS_HOSTS:
        return None
    m = re.search(r"/articles/([A-Za-z0-9_-]{8,})", urlsplit(url).path)
    if not m:
        return None
    try:
        raw = base64.urlsafe_b64decode(m.group(1) + "=" * (-len(m.group(1)) % 4))
    except (ValueError, TypeError):
        return None
    found = re.search(rb"https?://[\x21-\x7e]+", raw)
    return found.group(0).decode("ascii") if found else None


_REFRESH = re.compile(r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]*content=["']?\s*\d+\s*;\s*url=([^"'>\s]+)""", re.I)
_GN_AU = re.compile(r"""data-n-au=["'](https?://[^"']+)["']""")


def _page_redirect(resp) -> str | None:
    """Where a fetched page sends the reader without HTTP: meta refresh, Google News data-n-au."""
    text = (resp.text or "")[:200_000]
    m = _REFRESH.search(text) or (_GN_AU.search(text) if _host(resp.final_url) in GOOGLE_NEWS_HOSTS else None)
    if not m:
        return None
    from .sources._common import absolute
    from html import unescape
    target = absolute(unescape(m.group(1)), resp.final_url or resp.url)
    return target if target and target != (resp.final_url or resp.url) else None


def _wayback(fetcher, url: str, window, wayback: str):
    """(snapshot URL, Response) of the newest 200 capture <= window end (else the first after), or (None, reason)."""
    from .sources import ParseError
    from .sources.wayback import cdx_rows
    base = wayback.rstrip("/")
    until = window[1].strftime("%Y%m%d")
    common = [("url", url), ("output", "json"), ("fl", "timestamp,original,statuscode"),
              ("filter", "statuscode:200")]
    reason = "no Wayback copy"
    for extra in ([("to", until + "235959"), ("limit", "-1")], [("from", until), ("limit", "1")]):
        resp = fetcher.get(join_query(base + "/cdx/search/cdx", common + extra))
        if not resp.ok:
            reason = f"Wayback CDX: {resp.error or resp.status}"
            continue
        try:
            rows, _ = cdx_rows(resp.text or "", ("timestamp", "original", "statuscode"))
        except ParseError as e:
            reason = f"Wayback CDX: {e}"
            continue
        rows = [r for r in rows if re.fullmatch(r"\d{14}", r.get("timestamp", ""))]
        if not rows:
            continue
        ts = max(r["timestamp"] for r in rows) if extra[0][0] == "to" else min(r["timestamp"] for r in rows)
        snap = f"{base}/web/{ts}id_/{url}"
        page = fetcher.get(snap)
        if page.ok:
            return page.final_url or snap, page
        reason = f"Wayback snapshot: {page.error or page.status}"
    return None, reason


def capture(hit: dict, fetcher, folder: pathlib.Path, *, window: tuple[date, date], tz: str | None = None,
            wayback: str = "https://web.archive.org") -> dict:
    """Fetch, save and extract one hit's page; a JSON-able record. Never raises for network,
    HTTP or extraction trouble (``error`` says what went wrong). ``status`` is the outlet's."""
    url = str(hit.get("url") or "")
    out = {"url": url, "final_url": None, "status": None, "source": None, "snapshot": None, "html": None,
           "text": None, "title": None, "published": None, "date_method": None, "author": None,
           "chars": 0, "lead": "", "lang": hit.get("lang"), "error": None}
    try:
        target = google_news_target(url) or url
        resp = fetcher.get(target)
        for _ in range(2):                          # meta refresh / Google News interstitial
            nxt = _page_redirect(resp) if resp.ok else None
            if not nxt:
                break
            resp = fetcher.get(nxt)
        out["final_url"], out["status"] = resp.final_url or target, resp.status
        if _host(resp.final_url or target) in GOOGLE_NEWS_HOSTS:
            why = "" if resp.ok else f" ({resp.error or resp.status})"
            out["error"] = "Google News link not resolved to the publisher" + why
            return out
        opts = {"lang": hit.get("lang"), "tz": tz, "window": window}
        page, art, snap = None, None, None
        if resp.ok:
            page = resp
            art = extract(resp.text or "", out["final_url"], relative_base=resp.date, **opts)
        if art is None and resp.error in ("invalid URL", "unsupported URL scheme"):
            out["error"] = resp.error
            return out
        if (art is None and (resp.status is None or resp.status in FALLBACK_STATUSES)) or (art and not art.text):
            snap, got = _wayback(fetcher, target, window, wayback)   # refused, unreachable, or an empty page
            if snap is not None:
                ts = re.search(r"/web/(\d{14})", snap)
                base = datetime.strptime(ts.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc) if ts else None
                archived = extract(got.text or "", target, relative_base=base, **opts)
                if art is None or archived.text:
                    page, art = got, archived
                else:
                    snap = None
            elif art is None:
                why = f"HTTP {resp.status}" if resp.status else (resp.error or "unreachable")
                out["error"] = f"{why} and {got}" if got == "no Wayback copy" else f"{why}; {got}"
                return out
        if art is None:
            out["error"] = resp.error or f"HTTP {resp.status}"
            return out
        name = article_name(url)
        adir = pathlib.Path(folder) / "articles"
        adir.mkdir(parents=True, exist_ok=True)
        _write(adir / f"{name}.html", page.content or (page.text or "").encode("utf-8"))
        _write(adir / f"{name}.txt", art.text.encode("utf-8"))
        out.update(source="wayback" if snap else "live", snapshot=snap, html=f"articles/{name}.html",
                   text=f"articles/{name}.txt", title=art.title, published=dates.to_iso(art.published),
                   date_method=art.date_method, author=art.author, chars=len(art.text), lead=art.lead,
                   lang=art.lang or hit.get("lang"), error=None if art.text else "no article text found")
    except Exception as e:                          # a bug must not lose the hit
        log.warning("article capture failed for %s", url, exc_info=True)
        out["error"] = f"capture failed: {type(e).__name__}: {_collapse(str(e))[:150]}"
    return out

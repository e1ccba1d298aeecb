"""Article capture: each hit's page (or its Wayback copy), reduced to text and metadata.

``capture`` fetches one hit through ``Fetcher.get`` (following HTTP redirects and Google
News links), falls back to the newest Wayback snapshot in the window when the outlet
refuses or is gone, and extracts with ``text.extract``; it returns a
:class:`~incidentsearch.records.PageCopy` (the record, the bytes as fetched and the text),
which the results folder saves (``IncidentFolder.save_article``). A hit that already carries
its whole text (``text``: a Telegram post, read whole from the channel's page) is not
fetched again: the record's ``source`` is ``listing``.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from ..text import dates
from ..config import WaybackSource
from ..sources import ParseError, google_news_links, wayback as wayback_source

from ..records import ArticleRecord, PageCopy
from ..text.extract import collapse, extract, lead_of

log = logging.getLogger(__name__)
FALLBACK_STATUSES = frozenset({401, 403, 404, 410, 429, 451, 500, 502, 503, 504})
GOOGLE_NEWS_HOSTS = {"news.google.com"}

# ------------------------------------------------------------------ capture
def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def google_news_target(url: str) -> str | None:
    """The publisher URL inside an old-style Google News article id (CBMi...), if any. Current
    (opaque) ids are resolved by the search stage (``live.resolve``): a hit from a
    Google News search then already carries the publisher's URL, and the Google link in ``via``."""
    if _host(url) not in GOOGLE_NEWS_HOSTS:
        return None
    token = google_news_links.article_id(url)
    return google_news_links.decode_id(token) if token else None


_REFRESH = re.compile(r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]*content=["']?\s*\d+\s*;\s*url=([^"'>\s]+)""", re.I)
_GN_AU = re.compile(r"""data-n-au=["'](https?://[^"']+)["']""")


def _page_redirect(resp) -> str | None:
    """Where a fetched page sends the reader without HTTP: meta refresh, Google News data-n-au."""
    text = (resp.text or "")[:200_000]
    m = _REFRESH.search(text) or (_GN_AU.search(text) if _host(resp.final_url) in GOOGLE_NEWS_HOSTS else None)
    if not m:
        return None
    from ..sources.common import absolute
    from html import unescape
    target = absolute(unescape(m.group(1)), resp.final_url or resp.url)
    return target if target and target != (resp.final_url or resp.url) else None


def _wayback(fetcher, url: str, window, wayback: WaybackSource | None):
    """(snapshot URL, Response) of the newest 200 capture <= window end (else the first after), or
    (None, reason); asked of the Wayback source's service at its interval (``sources.wayback.endpoint``)."""
    base, rate_limit_s = wayback_source.endpoint(wayback)
    reason = "no Wayback copy"
    for after in (False, True):
        resp = fetcher.get(wayback_source.page_captures_url(base, url, window[1], after=after),
                           rate_limit_s=rate_limit_s)
        if not resp.ok:
            reason = f"Wayback CDX: {resp.error or resp.status}"
            continue
        try:
            ts = wayback_source.page_capture(resp.text or "", after=after)
        except ParseError as e:
            reason = f"Wayback CDX: {e}"
            continue
        if ts is None:
            continue
        snap = wayback_source.snapshot_url(base, ts, url)
        page = fetcher.get(snap, rate_limit_s=rate_limit_s)
        if page.ok:
            return page.final_url or snap, page
        reason = f"Wayback snapshot: {page.error or page.status}"
    return None, reason


def _from_listing(hit: dict, out: dict) -> PageCopy:
    """The copy of a hit whose listing gave its whole text: kept as is, nothing fetched."""
    body = hit["text"].strip()
    out.update(final_url=out["url"], source="listing", title=hit.get("title"), published=hit.get("published"),
               date_method=hit.get("date_method"), chars=len(body),
               lead=lead_of([p for p in body.split("\n") if p.strip()]))
    return PageCopy(ArticleRecord(**out), text=body)


def capture(hit: dict, fetcher, *, window: tuple[date, date], tz: str | None = None,
            wayback: WaybackSource | None = None) -> PageCopy:
    """Fetch and extract one hit's page: its record and the page to save. Never raises for
    network, HTTP or extraction trouble (``error`` says what went wrong). ``status`` is the outlet's.
    ``wayback``: the Wayback source whose service (``url``: web.archive.org or a mirror) and interval
    (``rate_limit_s``) a refused page's copy is asked of (``sources.wayback.for_articles`` picks
    the configured one); None: the built-in one (web.archive.org, 4 s)."""
    url = str(hit.get("url") or "")
    out = {"url": url, "lang": hit.get("lang")}
    try:
        if isinstance(hit.get("text"), str) and hit["text"].strip():
            return _from_listing(hit, out)
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
            return PageCopy(ArticleRecord(**out))
        opts = {"lang": hit.get("lang"), "tz": tz, "window": window}
        page, art, snap = None, None, None
        if resp.ok:
            page = resp
            art = extract(resp.text or "", out["final_url"], relative_base=resp.date, **opts)
        if art is None and resp.error in ("invalid URL", "unsupported URL scheme"):
            out["error"] = resp.error
            return PageCopy(ArticleRecord(**out))
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
                return PageCopy(ArticleRecord(**out))
        if art is None:
            out["error"] = resp.error or f"HTTP {resp.status}"
            return PageCopy(ArticleRecord(**out))
        out.update(source="wayback" if snap else "live", snapshot=snap, title=art.title,
                   published=dates.to_iso(art.published), date_method=art.date_method, author=art.author,
                   chars=len(art.text), lead=art.lead, lang=art.lang or hit.get("lang"),
                   error=None if art.text else "no article text found")
        return PageCopy(ArticleRecord(**out), html=page.content or (page.text or "").encode("utf-8"), text=art.text)
    except Exception as e:                          # a bug must not lose the hit
        log.warning("article capture failed for %s", url, exc_info=True)
        out["error"] = f"capture failed: {type(e).__name__}: {collapse(str(e))[:150]}"
    return PageCopy(ArticleRecord(**out))

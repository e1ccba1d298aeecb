"""Article capture: each hit's page (or its Wayback copy), saved and reduced to text and metadata.

``capture`` fetches one hit through ``Fetcher.get`` (following HTTP redirects and Google
News links), falls back to the newest Wayback snapshot in the window when the outlet
refuses or is gone, writes ``articles/<sha1(canonical url)[:20]>.html`` (bytes as
fetched) and ``.txt``, and extracts with ``extract.extract``. A hit that already carries
its whole text (``text``: a Telegram post, read whole from the channel's page) is not
fetched again: the text is saved as the ``.txt`` and the record's ``source`` is ``listing``.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pathlib
import re
import threading
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from ..text import dates
from ..config import WaybackSource
from ..sources import ParseError, google_news_links, wayback as wayback_source

from ..text.extract import LEAD_CHARS, Article, _collapse, _lead, dateline, extract, strip_site_suffix  # noqa: F401 (re-exported)

__all__ = ["Article", "extract", "capture", "article_name", "dateline", "strip_site_suffix"]

log = logging.getLogger(__name__)
FALLBACK_STATUSES = frozenset({401, 403, 404, 410, 429, 451, 500, 502, 503, 504})
GOOGLE_NEWS_HOSTS = {"news.google.com"}

# ------------------------------------------------------------------ capture

def article_name(url: str) -> str:
    """The file stem of a hit's saved page: 20 hex chars of sha1(canonical URL); never URL text."""
    try:
        from ..text.urls import canonical_url
        key = canonical_url(url)
    except Exception:
        key = url or ""
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _write(path: pathlib.Path, data: bytes) -> None:
    """Temp file beside it, then rename: a killed run leaves the old file or the new one, never
    half of one (and a stale ``.<name>.<pid>.<tid>.tmp`` that the next run sweeps away)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def google_news_target(url: str) -> str | None:
    """The publisher URL inside an old-style Google News article id (CBMi...), if any. Current
    (opaque) ids are resolved by the search stage (google_news_resolve.py): a hit from a
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


def _wayback(fetcher, url: str, window, wayback: WaybackSource | str | None):
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


def _from_listing(hit: dict, out: dict, folder: pathlib.Path) -> dict:
    """The record of a hit whose listing gave its whole text: saved as is, nothing fetched."""
    body = hit["text"].strip()
    name = article_name(out["url"])
    adir = pathlib.Path(folder) / "articles"
    adir.mkdir(parents=True, exist_ok=True)
    _write(adir / f"{name}.txt", body.encode("utf-8"))
    out.update(final_url=out["url"], source="listing", text=f"articles/{name}.txt", title=hit.get("title"),
               published=hit.get("published"), date_method=hit.get("date_method"), chars=len(body),
               lead=_lead([p for p in body.split("\n") if p.strip()]))
    return out


def capture(hit: dict, fetcher, folder: pathlib.Path, *, window: tuple[date, date], tz: str | None = None,
            wayback: WaybackSource | str | None = None) -> dict:
    """Fetch, save and extract one hit's page; a JSON-able record. Never raises for network,
    HTTP or extraction trouble (``error`` says what went wrong). ``status`` is the outlet's.
    ``wayback``: the Wayback source whose service (``url``: web.archive.org or a mirror) and interval
    (``rate_limit_s``) a refused page's copy is asked of (``sources.wayback.for_articles`` picks
    the configured one); None: the built-in one (web.archive.org, 4 s); a str (as before): a
    mirror's base URL at the fetcher's own interval."""
    url = str(hit.get("url") or "")
    out = {"url": url, "final_url": None, "status": None, "source": None, "snapshot": None, "html": None,
           "text": None, "title": None, "published": None, "date_method": None, "author": None,
           "chars": 0, "lead": "", "lang": hit.get("lang"), "error": None}
    try:
        if isinstance(hit.get("text"), str) and hit["text"].strip():
            return _from_listing(hit, out, folder)
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

"""The publisher's URL behind Google News links, asked through the run's fetcher.

A Google News search answers with links to ``<host>/rss/articles/<id>``; the dossier, the
article stage, the Wayback fallback, syndication clusters and de-duplication across outlets
all need the publisher's URL instead. :class:`Resolver` turns a page of such links into
publisher URLs, in this order (the protocol itself: :mod:`.sources.google_news_links`):

1. an old-style id carries the URL: decoded here, no request (``resolved_by: id``);
2. a current (opaque) id: its article page is read for the signature and timestamp, then
   one batchexecute POST asks for every id of the page at once (``batchexecute``). Only
   links on the host of the source's configured ``url`` are asked, so a mirror or a local
   test server stands in for news.google.com and nothing else is ever asked;
3. when Google refuses (robots.txt, 429 after the fetcher's retries, a page without the
   signature, an answer without the id), the refusal is counted and the publisher's own
   host (the item's ``<source url>``) and the title are looked up: GDELT's artlist
   (``domainis:<host>`` plus the title's words when it is in Latin script, the day before
   to the day after) and then the outlet's own sitemap, when outlets.yaml lists an outlet on
   that host with one. A URL is taken only from that host and only for a near-identical
   title (``gdelt`` / ``sitemap``).

Every request goes through the fetcher (politeness per host, Retry-After, robots.txt, the
HTTP cache) and is handed to ``record`` (the run's WARC), so ``--replay`` resolves the same
links offline. A run asks Google once per link: answers (and refusals) are kept per scope
(the incident whose WARC records the exchanges).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable
from urllib.parse import urlsplit

from .. import sources
from ..text import words as text
from ..records import Response
from ..sources import ParseError
from ..sources import google_news_links as gnl

log = logging.getLogger(__name__)

BATCH_SIZE = 50                 # ids per batchexecute call (the public decoders send a whole feed's)
SIMILAR = 90                    # rapidfuzz ratio of two normalised titles that are "the same title"
MAX_SITEMAP_CHILDREN = 3


@dataclass(frozen=True)
class Item:
    """One Google News link to resolve, with what the fallback needs."""

    link: str
    title: str
    publisher_url: str | None = None           # the item's <source url>: the publisher's site
    day: date | None = None                    # its publication day


@dataclass(frozen=True)
class Result:
    url: str | None                            # the publisher's URL; None: still the Google link
    method: str | None = None                  # id | batchexecute | gdelt | sitemap
    refused: str | None = None                 # why Google did not tell (then the fallback was tried)


def host_of(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def site_of(url: str | None) -> str:
    """The host without ``www.``/``m.``: tass.ru for https://www.tass.ru/x."""
    h = host_of(url)
    for p in ("www.", "m."):
        if h.startswith(p):
            h = h[len(p):]
    return h


def netloc_of(url: str | None) -> str:
    try:
        return urlsplit(url or "").netloc.lower()
    except ValueError:
        return ""


def same_title(a: str | None, b: str | None) -> bool:
    """Near-identical headlines: the same words but for punctuation, case, ё/е, quotes and a
    trailing site name (rapidfuzz ratio >= SIMILAR, or one is the other with a few words added
    at the end: "Headline - Outlet (outlet.ru)")."""
    from rapidfuzz import fuzz

    from ..text.extract import strip_site_suffix
    tx, ty = text.tokens(strip_site_suffix(a) or a or ""), text.tokens(strip_site_suffix(b) or b or "")
    if not tx or not ty:
        return False
    short, long_ = sorted((tx, ty), key=len)
    if len(short) >= 5 and long_[:len(short)] == short and len(long_) - len(short) <= 8:
        return True                             # the same headline and a site name strip_site_suffix kept
    return fuzz.ratio(" ".join(tx), " ".join(ty)) >= SIMILAR


class Fallback:
    """The publisher's host and the title, looked up where the run may look without Google."""

    def __init__(self, *, gdelt_url: str | None, gdelt_rate_s: float | None,
                 sitemaps: dict[str, list] | None = None, rate_limit_s: float | None = None):
        self.gdelt_url, self.gdelt_rate_s = gdelt_url, gdelt_rate_s
        self.sitemaps = sitemaps or {}          # site -> [SitemapSource, ...]
        self.rate_limit_s = rate_limit_s

    @classmethod
    def for_outlets(cls, outlets) -> "Fallback":
        """GDELT at the first gdelt source's endpoint in outlets.yaml (a mirror or a test
        server stands in; no gdelt source: GDELT is not asked); the outlets' sitemaps, by site."""
        gd = next((s for o in outlets.outlets for s in o.sources if s.kind == "gdelt"), None)
        maps: dict[str, list] = {}
        for o in outlets.outlets:
            sites = {site_of(o.home)} | {site_of(s.url) for s in o.sources if s.kind in ("rss", "sitemap", "html_search", "json_search")}
            for s in o.sources:
                if s.kind == "sitemap":
                    for site in sites - {""}:
                        maps.setdefault(site, []).append(s)
        return cls(gdelt_url=gd.url if gd else None, gdelt_rate_s=gd.rate_limit_s if gd else None, sitemaps=maps,
                   rate_limit_s=outlets.defaults.rate_limit_s)

    def find(self, fetcher, item: Item, record: Callable[[Response], None]) -> tuple[str, str] | None:
        site = site_of(item.publisher_url)
        if not site or not item.title or item.day is None:
            return None
        got = self._gdelt(fetcher, item, site, record)
        if got:
            return got, "gdelt"
        got = self._sitemap(fetcher, item, site, record)
        return (got, "sitemap") if got else None

    def _pick(self, candidates, item: Item, site: str) -> str | None:
        for c in candidates:
            if site_of(c.url) == site and same_title(c.title, item.title):
                return c.url
        return None

    def _gdelt(self, fetcher, item: Item, site: str, record) -> str | None:
        if not self.gdelt_url:
            return None
        from ..config import GdeltSource
        words = [w for w in dict.fromkeys(text.tokens(item.title)) if len(w) >= 4 and w.isascii() and w.isalpha()]
        query = " ".join(sorted(words, key=len, reverse=True)[:4]) if text.script_lang(item.title) == "en" else None
        try:
            spec = GdeltSource(kind="gdelt", url=self.gdelt_url, domain=site)
        except ValueError:
            return None
        url = sources.build_url(spec, query=query, since=item.day - timedelta(days=1), until=item.day + timedelta(days=1))
        resp = fetcher.get(url, rate_limit_s=self.gdelt_rate_s)
        record(resp)
        if not resp.ok:
            return None
        try:
            parsed = sources.kind("gdelt").parse(spec, resp)
        except ParseError:
            return None
        return self._pick(parsed.candidates, item, site)

    def _sitemap(self, fetcher, item: Item, site: str, record) -> str | None:
        for spec in self.sitemaps.get(site, ()):
            since, until = item.day - timedelta(days=1), item.day + timedelta(days=1)
            try:
                url = sources.build_url(spec, query=None, since=since, until=until)
            except (KeyError, ValueError, IndexError):
                continue
            rate = spec.rate_limit_s if spec.rate_limit_s is not None else self.rate_limit_s
            todo, children = [url], 0
            while todo:
                resp = fetcher.get(todo.pop(0), rate_limit_s=rate)
                record(resp)
                if not resp.ok:
                    continue
                try:
                    parsed = sources.kind("sitemap").parse(spec, resp)
                except ParseError:
                    continue
                found = self._pick(parsed.candidates, item, site)
                if found:
                    return found
                # an index: the children modified on or after the day, oldest first (nearest the day)
                from ..text import dates
                kids = []
                for link in parsed.follow:
                    d = dates.parse_date(link.date_raw) if link.date_raw else None
                    if d is not None and dates.day_of(d) >= since:
                        kids.append((dates.day_of(d), link.url))
                for _, u in sorted(kids)[:max(0, MAX_SITEMAP_CHILDREN - children)]:
                    todo.append(u)
                    children += 1
        return None


class Resolver:
    """Publisher URLs for Google News links, a page of links at a time. Thread-safe."""

    def __init__(self, fetcher, *, fallback: Fallback | None = None, batch_size: int = BATCH_SIZE):
        self.fetcher = fetcher
        self.fallback = fallback
        self.batch_size = max(1, batch_size)
        self._known: dict[tuple[str, str], Result] = {}
        # a host that rate-limited us past the fetcher's retries, or whose robots.txt refuses the
        # batchexecute path, is not asked again in this run: its links are refused at once
        self._stopped: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_outlets(cls, outlets, fetcher) -> "Resolver":
        return cls(fetcher, fallback=Fallback.for_outlets(outlets))

    def resolve(self, items: list[Item], *, listing_url: str, endpoint: str, rate_limit_s: float | None = None,
                record: Callable[[Response], None] = lambda r: None, scope: str = "") -> dict[str, Result]:
        """Link -> Result for every item whose link is a Google News article link (others are
        left out). ``endpoint``: the source's configured URL, whose host is the only one asked.
        ``scope``: answers are reused within it (the incident whose WARC gets the exchanges)."""
        out: dict[str, Result] = {}
        ask: list[tuple[Item, str]] = []
        for it in items:
            token = gnl.article_id(it.link)
            if token is None or it.link in out:
                continue
            with self._lock:
                known = self._known.get((scope, it.link))
            if known is not None:
                out[it.link] = known
                continue
            url = gnl.decode_id(token)
            if url:
                out[it.link] = Result(url, "id")
            elif netloc_of(it.link) != netloc_of(endpoint):
                out[it.link] = Result(None, refused=f"link not on the source's host ({netloc_of(endpoint)})")
            else:
                ask.append((it, token))
        if ask:
            out.update(self._ask_google(ask, listing_url=listing_url, rate_limit_s=rate_limit_s, record=record))
        for it in items:
            r = out.get(it.link)
            if r is not None and r.url is None and self.fallback is not None and r.refused \
                    and not r.refused.startswith("link not on"):
                try:
                    found = self.fallback.find(self.fetcher, it, record)
                except Exception:                   # the fallback is a bonus: never lose the hit
                    log.warning("fallback lookup failed for %s", it.link, exc_info=True)
                    found = None
                if found:
                    out[it.link] = Result(found[0], found[1], refused=r.refused)
        with self._lock:
            for link, r in out.items():
                self._known.setdefault((scope, link), r)
        return out

    def _ask_google(self, ask: list[tuple[Item, str]], *, listing_url: str, rate_limit_s, record) -> dict[str, Result]:
        out: dict[str, Result] = {}
        signed: list[tuple[Item, str, str, str]] = []
        host = netloc_of(ask[0][0].link)
        stop: str | None = self._stopped.get(host)
        for it, token in ask:
            if stop:
                out[it.link] = Result(None, refused=stop)
                continue
            page = self.fetcher.get(gnl.params_url(it.link, token, gnl.edition_of(it.link, listing_url)),
                                    rate_limit_s=rate_limit_s)
            record(page)
            if not page.ok:
                why = page.error or f"HTTP {page.status}"
                out[it.link] = Result(None, refused=f"article page: {why}")
                if page.status == 429 or "rate limited" in why:
                    stop = self._stopped[host] = out[it.link].refused   # asking on would be refused alike
                elif page.robots_blocked:
                    stop = out[it.link].refused
                continue
            params = gnl.parse_params(page.text or "")
            if params is None:
                out[it.link] = Result(None, refused="article page without data-n-a-sg/data-n-a-ts (a changed page)")
                continue
            signed.append((it, token, params[1], params[0]))
        for start in range(0, len(signed), self.batch_size):
            chunk = signed[start:start + self.batch_size]
            stop = stop or self._stopped.get(host)
            if stop:
                out.update({it.link: Result(None, refused=stop) for it, *_ in chunk})
                continue
            body = gnl.batch_body([(str(n), token, ts, sg) for n, (_, token, ts, sg) in enumerate(chunk)])
            resp = self.fetcher.post(gnl.batch_url(chunk[0][0].link), body, rate_limit_s=rate_limit_s)
            record(resp)
            if not resp.ok:
                why = f"batchexecute: {resp.error or f'HTTP {resp.status}'}"
                out.update({it.link: Result(None, refused=why) for it, *_ in chunk})
                if resp.robots_blocked or resp.status == 429 or "rate limited" in why:
                    stop = self._stopped[host] = why
                continue
            try:
                urls = gnl.parse_batch(resp.text or "")
            except ParseError as e:
                out.update({it.link: Result(None, refused=f"batchexecute: {e}") for it, *_ in chunk})
                continue
            for n, (it, *_) in enumerate(chunk):
                url = urls.get(str(n))
                out[it.link] = Result(url, "batchexecute") if url else \
                    Result(None, refused="batchexecute: no URL for this id in the answer")
        return out


__all__ = ["Fallback", "Item", "Resolver", "Result", "same_title", "site_of"]

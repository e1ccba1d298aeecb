"""Google News RSS search: ``news.google.com/rss/search?q=...&hl=..&gl=..&ceid=..``.

Request: ``q=<query> after:YYYY-MM-DD before:YYYY-MM-DD[ site:<spec.site>]`` plus the
edition (``hl``, ``gl``, ``ceid``). ``before:`` is exclusive in Google's syntax, so it
names the day after ``until``. The edition is ``spec.edition``, else the query's
language guessed from its script (``text.words.script_lang``: Cyrillic with і/ї/є/ґ -> uk,
other Cyrillic -> ru, anything else -> en): ``build_url`` has no language argument.

Answer: an RSS 2.0 feed read by the rss parser. Google writes each title as
"Headline - Publisher"; the suffix is cut on the LAST " - " only when it equals the
item's ``<source>`` text (else the title is kept whole). ``publisher`` is the
``<source>`` text, ``extra["publisher_url"]`` its ``url`` attribute. The link is an
opaque news.google.com redirect: it is kept as ``url`` (the article stage resolves it);
an item is never dropped because of it. The description only repeats headlines
(the item's and its cluster's, with their publishers), so ``summary`` is None.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import replace
from datetime import date, timedelta

from ..config.sources import GoogleNewsSource
from ..records import Candidate, Parsed, Response
from ..text.words import script_lang
from . import ParseError, rss
from .common import base_url, collapse, join_query, maybe_gunzip, xml_bytes

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = GoogleNewsSource
CAP: int | None = 100                # a full answer splits the window (spec.cap replaces it)
probe_url = None                     # check asks the first query, as a run does
NEWEST_FIRST = False                 # one page per window, no cursor
follow_limit = None                  # a search feed names no links to follow
# build_url and parse: below

query_lang = script_lang             # a query's language from its script (the one test, in text.words)

EDITIONS = {
    "ru": {"hl": "ru", "gl": "RU", "ceid": "RU:ru"},
    "en": {"hl": "en-US", "gl": "US", "ceid": "US:en"},
    "uk": {"hl": "uk", "gl": "UA", "ceid": "UA:uk"},
}


def site(spec) -> str | None:
    """The outlet's site, when the search is limited to it (``site:``)."""
    return spec.site


def build_url(spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
    """The search URL; ``page`` is ignored (one page of at most ~100 items)."""
    parts = [collapse(query)] if collapse(query) else []
    parts.append(f"after:{since.isoformat()}")
    parts.append(f"before:{(until + timedelta(days=1)).isoformat()}")
    if spec.site:
        parts.append(f"site:{spec.site}")
    edition = EDITIONS[spec.edition or script_lang(query)]
    return join_query(spec.url, [("q", " ".join(parts)), *edition.items()])


def split_title(title: str, publisher: str | None) -> str:
    """"Headline - Publisher" -> "Headline" when the suffix is the publisher; else unchanged."""
    if not publisher or " - " not in title:
        return title
    head, _, tail = title.rpartition(" - ")
    head = head.strip()
    if head and tail.strip().casefold() == publisher.strip().casefold():
        return head
    return title


def parse(spec, response: Response) -> Parsed:
    raw = maybe_gunzip(response.content) if response.content else b""
    data = xml_bytes(response, raw)
    entries = _entries(data) if data.strip() else None
    if not entries:
        # no items, or not a feed: the rss parser says which (empty feed -> no results)
        parsed = rss.parse(spec, response)
        return Parsed(candidates=tuple(_fix(c, None) for c in parsed.candidates))
    base = base_url(response)
    feed_lang = entries[1]
    out = []
    for e in entries[0]:
        try:
            c = rss.entry_candidate(e, base, feed_lang)
        except Exception:                          # one odd entry never costs the feed
            c = None
        if c is None:
            continue
        src = e.get("source") or {}
        href = collapse(src.get("href")) if isinstance(src, dict) else ""
        out.append(_fix(c, href or None))
    return Parsed(candidates=tuple(out))


def _fix(c: Candidate, publisher_url: str | None) -> Candidate:
    title = split_title(c.title, c.publisher) or c.title
    extra = dict(c.extra)
    if publisher_url:
        extra["publisher_url"] = publisher_url
    return replace(c, title=title, summary=None, extra=extra)


def _entries(data: bytes):
    """(entries, feed language) from feedparser, or None when it finds no entries."""
    import feedparser
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = feedparser.parse(io.BytesIO(data), response_headers={})
    except Exception:                              # feedparser's own bugs: rss.parse reports
        return None
    entries = d.get("entries") or []
    if not entries:
        return None
    feed = d.get("feed") or {}
    return entries, collapse(feed.get("language")) or None


__all__ = ["CAP", "EDITIONS", "build_url", "parse", "query_lang", "split_title", "ParseError"]

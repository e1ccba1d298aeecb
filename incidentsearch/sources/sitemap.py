"""Sitemaps: <urlset> (with the Google News extension), <sitemapindex>, gzip, plain text.

- urlset: one Candidate per <url>; title = news:title, else a headline guessed
  from the URL slug (``extra={"title_from": "slug"}``); date_raw =
  news:publication_date, else lastmod; lang = news:publication/news:language.
  image:/video:/xhtml: extensions are ignored.
- sitemapindex: no candidates; ``follow`` = Link(loc, lastmod) per child sitemap.
- RSS/Atom served as a sitemap (Google accepts them) is read by the rss parser.
- A gzip body (magic 1f 8b) is inflated up to 50 MB, refused beyond.
- A plain-text sitemap is one URL per line.

lxml runs with entity resolution, DTD loading and network access off and
without huge_tree: an XML bomb or an external entity is never expanded.
"""
from __future__ import annotations

import re

from lxml import etree

from ..config.sources import SitemapSource
from ..records import Candidate, Link, Parsed, Response
from . import ParseError, template_url
from .common import absolute, base_url, clean_title, collapse, describe, looks_like_html, maybe_gunzip, slug_title, xml_bytes

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = SitemapSource
build_url = template_url             # spec.url is a URL template ({since:%Y-%m} for a sitemap per month)
CAP: int | None = None               # a sitemap is read whole
probe_url = None                     # check reads the sitemap as a run does
NEWEST_FIRST = False


def follow_limit(spec, defaults) -> int:
    """Child sitemaps of an index read at most: the source's max_children, else the defaults'."""
    return spec.max_children or defaults.max_children


def site(spec) -> str:
    """The outlet's own site: the source's URL."""
    return spec.url


_FEED_ROOTS = ("rss", "RDF", "feed")
_BOMB = re.compile(r"amplification|entity reference loop", re.I)


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True,
                           recover=recover)


def parse(spec, response: Response) -> Parsed:
    raw = maybe_gunzip(response.content) if response.content else b""
    data = xml_bytes(response, raw)
    start = data[:4096].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    if not start:
        raise ParseError("not a sitemap: empty body")
    base = base_url(response)
    if not start.startswith(b"<") and b"\x00" not in start[:2]:
        return _plain(data, base)
    if looks_like_html(data[:4096].decode("utf-8", "replace")):
        raise ParseError(f"not a sitemap: {describe(data)}")
    root = _root(data)
    name = _local(root)
    if name == "urlset":
        return Parsed(candidates=tuple(_urls(root, base)))
    if name == "sitemapindex":
        return Parsed(follow=tuple(_children(root, base)))
    if name in _FEED_ROOTS:
        from . import rss
        return rss.parse(spec, response)
    if name == "html":
        raise ParseError(f"not a sitemap: {describe(data)}")
    raise ParseError(f"not a sitemap: root element <{name}>")


def _root(data: bytes):
    """The document element; strict first, then libxml2's recovery (a stray '&' in one
    <loc> should not lose the other thousand entries)."""
    try:
        root = etree.fromstring(data, _parser(recover=False))
        if root is not None:
            return root
        err = "no document element"
    except (etree.LxmlError, ValueError) as e:
        err = collapse(str(e))[:120]
    if _BOMB.search(err):
        # an entity bomb (billion laughs): libxml2 stopped it; recovery would hand back a
        # truncated tree and a sitemap that silently lost its URLs, so refuse it by name
        raise ParseError(f"not a sitemap: XML entity expansion refused ({err})")
    try:
        root = etree.fromstring(data, _parser(recover=True))
    except (etree.LxmlError, ValueError):
        root = None
    if root is not None and _local(root) in ("urlset", "sitemapindex") and len(root):
        return root
    raise ParseError(f"not a sitemap: malformed XML ({err})")


def _local(el) -> str:
    tag = el.tag
    if not isinstance(tag, str):                    # comments, PIs, unexpanded entities
        return ""
    return tag.rsplit("}", 1)[-1]


def _kids(el, name: str):
    return [c for c in el if _local(c) == name]


def _text(el) -> str:
    """Text content of an element, skipping unexpanded entity references."""
    if el is None:
        return ""
    parts = [el.text or ""]
    for c in el:
        if isinstance(c.tag, str):
            parts.append(_text(c))
        parts.append(c.tail or "")
    return collapse("".join(parts))


def _first(el, *path: str):
    for name in path:
        if el is None:
            return None
        found = _kids(el, name)
        el = found[0] if found else None
    return el


def _urls(root, base: str):
    for u in _kids(root, "url"):
        loc = _text(_first(u, "loc"))
        url = absolute(loc, base)
        if url is None:
            continue
        lastmod = _text(_first(u, "lastmod")) or None
        news = _first(u, "news")
        title, date_raw, lang, extra = "", lastmod, None, {}
        if news is not None:
            title = clean_title(_text(_first(news, "title")))
            date_raw = _text(_first(news, "publication_date")) or lastmod
            lang = _text(_first(news, "publication", "language")) or None
            kw = _text(_first(news, "keywords"))
            if kw:
                extra["keywords"] = kw
        if not title:
            title = slug_title(url)
            if not title:
                continue                            # nothing to match a headline against
            extra["title_from"] = "slug"
        yield Candidate(title=title, url=url, date_raw=date_raw, lang=lang, extra=extra)


def _children(root, base: str):
    for s in _kids(root, "sitemap"):
        url = absolute(_text(_first(s, "loc")), base)
        if url is not None:
            yield Link(url=url, date_raw=_text(_first(s, "lastmod")) or None)


_URL_LINE = re.compile(r"^https?://\S+$", re.I)


def _plain(data: bytes, base: str) -> Parsed:
    text = data.decode("utf-8", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines or not _URL_LINE.match(lines[0]):
        raise ParseError(f"not a sitemap: {describe(data)}")
    out = []
    for ln in lines:
        url = absolute(ln, base) if _URL_LINE.match(ln) else None
        if url is None:
            continue
        title = slug_title(url)
        if title:
            out.append(Candidate(title=title, url=url, extra={"title_from": "slug"}))
    return Parsed(candidates=tuple(out))

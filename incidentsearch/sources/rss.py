"""Feeds: RSS 0.9x/2.0, RSS 1.0 (RDF), Atom (via feedparser) and JSON Feed 1.x.

Headlines come out as published (entities decoded, CDATA unwrapped, tags
stripped, whitespace collapsed); ``date_raw`` is the feed's own date string
(pubDate / published / updated / dc:date), never parsed here.

feedparser traps handled here:
- ``feedparser.parse`` treats a str (and even bytes) as a URL or a file name to
  open; the body is always handed over wrapped in BytesIO so it never does I/O.
- Given an HTTP ``Content-Type: text/xml`` without charset it follows RFC 3023
  and decodes as US-ASCII; given response headers *without* a Content-Type it
  decodes a body whose prolog names no encoding as ISO-8859-1 (then "repairs"
  some titles and not others: Cyrillic comes out half garbled). So the bytes
  handed over are either self-describing (BOM, or an encoding in the prolog)
  or UTF-8 declared as such with ``Content-Type: application/xml; charset=utf-8``;
  ``Content-Location`` is the base for relative links.
- An undeclared non-UTF-8 body would be read as windows-1252; then the text
  the fetch package decoded is used instead (see ``_common.xml_bytes``).
"""
from __future__ import annotations

import io
import json
import re
import warnings

from ..config.sources import RssSource
from ..records import Candidate, Parsed, Response
from . import ParseError, template_url
from .common import absolute, base_url, clean_title, collapse, describe, maybe_gunzip, summary_text, xml_bytes

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = RssSource
build_url = template_url             # spec.url is a URL template (usually a plain feed URL)
CAP: int | None = None               # a feed is read whole
probe_url = None                     # check reads the feed as a run does
NEWEST_FIRST = False
follow_limit = None                  # a feed names no links to follow

# bozo exceptions that do not mean "broken": the feed was read fine
_BENIGN_BOZO = ("CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType")


def site(spec) -> str:
    """The outlet's own site: the source's URL."""
    return spec.url


def parse(spec, response: Response) -> Parsed:
    raw = maybe_gunzip(response.content) if response.content else b""
    head = (raw or response.text.encode("utf-8", "replace"))[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return _json_feed(raw or response.text.encode("utf-8"), base_url(response))
    data = xml_bytes(response, raw)
    if not data.strip():
        raise ParseError("not a feed: empty body")
    return _xml_feed(data, base_url(response))


# ------------------------------------------------------------------ XML feeds

_DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _fast_rss(data: bytes, base: str) -> Parsed | None:
    """Plain RSS 2.0 (no namespace on <rss>, no DOCTYPE) read straight with lxml, about ten
    times faster than feedparser; None for anything else, which goes to feedparser."""
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
        return None
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             recover=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.tag != "rss" or root.find("channel") is None:
        return None
    channel = root.find("channel")
    feed_lang = collapse(channel.findtext("language")) or None
    out = []
    for item in channel.iterfind("item"):
        raw_title = "".join(item.find("title").itertext()) if item.find("title") is not None else ""
        title = clean_title(raw_title, is_html=bool(_TAG.search(raw_title)))
        url = absolute(collapse(item.findtext("link")), base)
        if url is None:
            guid = collapse(item.findtext("guid"))
            url = absolute(guid, base) if guid.startswith(("http://", "https://")) else None
        if not title or not url:
            continue
        date_raw = collapse(item.findtext("pubDate")) or collapse(item.findtext(_DC_DATE)) or None
        desc = item.findtext("description")
        summary = summary_text(desc) if desc and desc.strip() else None
        lang = collapse(item.get(_XML_LANG)) or feed_lang
        publisher = collapse(item.findtext("source")) or None
        out.append(Candidate(title=title, url=url, date_raw=date_raw, summary=summary, lang=lang or None,
                             publisher=publisher))
    return Parsed(candidates=tuple(out))


_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _xml_feed(data: bytes, base: str) -> Parsed:
    fast = _fast_rss(data, base)
    if fast is not None and (fast.candidates or not data.count(b"<item")):
        return fast
    import feedparser
    headers = {"content-location": base} if base else {}
    if _utf8_undeclared(data):
        headers["content-type"] = "application/xml; charset=utf-8"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as e:                          # feedparser's own bugs on garbage input
        raise ParseError(f"not a feed: feedparser failed ({type(e).__name__})") from None
    entries = d.get("entries") or []
    exc = d.get("bozo_exception")
    if not entries:
        broken = d.get("bozo") and type(exc).__name__ not in _BENIGN_BOZO
        if d.get("version") and not broken:
            return Parsed()                         # a valid feed with no items: no results
        what = describe(data)
        if d.get("version") and exc is not None:
            what = f"malformed XML ({collapse(str(exc))[:100]})"
        raise ParseError(f"not a feed: {what}")
    feed = d.get("feed") or {}
    feed_lang = collapse(feed.get("language")) or None
    out = []
    for e in entries:
        c = entry_candidate(e, base, feed_lang)
        if c is not None:
            out.append(c)
    return Parsed(candidates=tuple(out))


def entry_candidate(e, base: str, feed_lang: str | None) -> Candidate | None:
    """One feedparser entry as a Candidate (None without a title or a link); ``base`` resolves
    relative links, ``feed_lang`` is the language of entries that name none."""
    detail = e.get("title_detail") or {}
    title = clean_title(e.get("title"), is_html="html" in (detail.get("type") or ""))
    url = absolute(e.get("link"), base)
    if url is None:
        guid = e.get("id") or ""
        url = absolute(guid, base) if guid.startswith(("http://", "https://")) else None
    if not title or not url:
        return None
    date_raw = None
    for key in ("published", "updated", "created"):
        v = collapse(e.get(key))
        if v:
            date_raw = v
            break
    summary = None
    if e.get("summary"):
        sd = e.get("summary_detail") or {}
        summary = summary_text(e.get("summary"), is_html="plain" not in (sd.get("type") or "html"))
    lang = collapse(detail.get("language")) or feed_lang
    src = e.get("source") or {}
    publisher = collapse(src.get("title")) or None if isinstance(src, dict) else None
    return Candidate(title=title, url=url, date_raw=date_raw, summary=summary, lang=lang or None,
                     publisher=publisher)


def _utf8_undeclared(data: bytes) -> bool:
    """True for valid UTF-8 without a BOM whose prolog names no encoding (or names UTF-8)."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return False
    m = _XML_ENC.match(data[:1024])
    if m and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_XML_ENC = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I)


# ------------------------------------------------------------------ JSON Feed

def _json_feed(data: bytes, base: str) -> Parsed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ParseError("not a feed: JSON body is not UTF-8") from None
    except json.JSONDecodeError as e:
        raise ParseError(f"not a feed: malformed JSON: line {e.lineno} col {e.colno}") from None
    except (ValueError, RecursionError) as e:
        raise ParseError(f"not a feed: unreadable JSON ({type(e).__name__})") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise ParseError("not a feed: JSON without a JSON Feed version")
    items = doc.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ParseError("not a feed: JSON Feed 'items' is not a list")
    feed_lang = _s(doc.get("language")) or None
    base = absolute(_s(doc.get("feed_url")), base) or base
    out = []
    for it in items:
        if not isinstance(it, dict):
            continue
        title = clean_title(_s(it.get("title")))
        url = absolute(_s(it.get("url")) or _s(it.get("external_url")), base)
        if url is None and _s(it.get("id")).startswith(("http://", "https://")):
            url = absolute(_s(it.get("id")), base)
        if not title or not url:
            continue
        date_raw = collapse(_s(it.get("date_published")) or _s(it.get("date_modified"))) or None
        if it.get("summary"):
            summary = summary_text(_s(it.get("summary")), is_html=False)
        elif it.get("content_text"):
            summary = summary_text(_s(it.get("content_text")), is_html=False)
        else:
            summary = summary_text(_s(it.get("content_html")))
        lang = _s(it.get("language")) or feed_lang
        out.append(Candidate(title=title, url=url, date_raw=date_raw, summary=summary,
                             lang=collapse(lang) or None))
    return Parsed(candidates=tuple(out))


def _s(v) -> str:
    return v if isinstance(v, str) else ""

"""Wayback Machine: the CDX index of an outlet's archived URLs, and raw snapshots.

``build_url``: the CDX listing of ``spec.prefix`` in the window (output=json, status 200, HTML,
collapse=urlkey, showResumeKey). The CDX server pages by resume key: ``page`` > 1 is ignored and
``parse`` returns ``next_url`` = the request URL (``response.url``) with ``resumeKey=<key>``
(a previous key replaced); None on the last page. ``parse`` reads:

- a CDX listing, JSON (``[[header], [row], ..., [], [key]]``) or plain text (``urlkey timestamp
  original mimetype statuscode digest length`` lines, or the request's ``fl`` fields; a blank
  line, then the key). An empty body ends the listing. Rows with status 200 and an HTML type
  (robots.txt, assets, site roots skipped; one per URL) become a Candidate titled from a wordy
  slug (``date_raw`` None: a capture time bounds publication only from above; ``extra``
  title_from/snapshot/timestamp), or,
  when the last path segment has no word (tass.ru/proisshestviya/16067423), a ``Link`` to the
  raw snapshot ``{spec.url}/web/<ts>id_/<original>`` in ``follow``.
- a raw snapshot (``response.url`` has ``/web/<14 digits>id_/``): one Candidate, title from
  <title> (else og:title, else <h1>), url = the original, date_raw = article:published_time /
  datePublished if any, ``extra={"snapshot", "timestamp"}``; no title, no candidate.
- a refusal ("...AccessControlException: Blocked Site Error"): ParseError("Wayback refused: ...").

The article stage's copy of one page (``live.articles``) is asked of the same service, through
the same source: ``page_captures_url`` (the newest 200 capture up to the window's end, else the
first after), ``page_capture`` (its timestamp) and ``snapshot_url``, at the source's ``url`` and
``rate_limit_s`` (``endpoint``; ``for_articles`` picks the configured source).
"""
from __future__ import annotations

import json
import re
import warnings
from datetime import date
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from ..config import OutletsFile
from ..config.sources import WaybackSource
from ..records import Candidate, Link, Parsed, Response
from . import ParseError
from .common import absolute, body_bytes, body_text, collapse, describe, html_to_text, join_query, looks_like_html, maybe_gunzip, slug_title

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = WaybackSource
CAP: int | None = None               # the CDX server pages by resume key instead
probe_url = None                     # check asks the first CDX page, as a run does
NEWEST_FIRST = False                 # resume keys page forward through the index
# build_url and parse: below


def follow_limit(spec, defaults) -> int:
    """Archived snapshots read per answer at most (for URLs whose slug gives no title)."""
    return spec.max_snapshots


def site(spec) -> str:
    """The host/path prefix whose captures are listed."""
    return spec.prefix


FIELDS = ("timestamp", "original", "statuscode", "mimetype", "digest")      # fl= asked for
PLAIN_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")

_SNAPSHOT = re.compile(r"/web/(\d{14})id_/(.+)$", re.S)
_TS = re.compile(r"^\d{8,14}$")
_STATIC = re.compile(r"(?:^|/)robots\.txt$|\.(?:css|js|mjs|jpe?g|png|gif|svg|ico|webp|bmp|xml|json|pdf|"
                     r"txt|rss|woff2?|ttf|eot|mp[34]|webm|zip|gz)$", re.I)
_EXT = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cgi|cms)$", re.I)
_TRIVIAL = {"index", "amp", "default", "print", "full"}
_WORD = re.compile(r"[^\W\d_]{3,}")
_REFUSAL = re.compile(r"(?:Exception|Error)\b")
_NOT_WEB = re.compile(r"^https?://(?:mailto|data|javascript|tel|about|file):", re.I)


def cdx_url(base: str, params) -> str:
    """A request to the CDX server of ``base`` (the Wayback Machine, or the mirror a source's
    ``url`` names) with ``params`` (pairs)."""
    return join_query(base.rstrip("/") + "/cdx/search/cdx", params)


def snapshot_url(base: str, ts: str, original: str) -> str:
    """The raw archived page (``id_``: as captured, no Wayback banner) of ``original`` at ``ts``."""
    return f"{base.rstrip('/')}/web/{ts}id_/{original}"


def build_url(spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
    """The CDX listing of ``spec.prefix`` in the window; ``query`` and ``page`` are ignored."""
    params = [
        ("url", spec.prefix), ("matchType", "prefix"),
        ("from", since.strftime("%Y%m%d")), ("to", until.strftime("%Y%m%d")),
        ("output", "json"), ("fl", ",".join(FIELDS)),
        ("filter", "statuscode:200"), ("filter", "mimetype:text/html"),
        ("collapse", "urlkey"), ("limit", str(spec.limit)), ("showResumeKey", "true"),
    ]
    return cdx_url(spec.url, params)


def with_resume_key(url: str, key: str) -> str:
    """``url`` with its resumeKey parameter set to ``key``. The CDX server hands the key out
    already URL-encoded (``com%2Ccnn%29%2F+20010414005939``) and its documentation sends it
    back as is, so it is appended unchanged (anything unsafe in it quoted)."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "resumeKey"]
    base = urlunsplit(parts._replace(query="", fragment=""))
    head = join_query(base, params) + "&" if params else base + "?"
    return head + "resumeKey=" + quote(key, safe="%+")


def parse(spec, response: Response) -> Parsed:
    req = response.url or response.final_url or ""
    m = _SNAPSHOT.search(req)
    if m:
        return _snapshot(response, m.group(1), m.group(2))
    data = maybe_gunzip(body_bytes(response))
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    if not text.strip():
        return Parsed()                            # an empty page is the end of the listing
    rows, key = cdx_rows(text, _requested_fields(req))
    cands, follow, seen = [], [], set()
    for row in rows:
        item = _row(spec, row, seen)
        if isinstance(item, Candidate):
            cands.append(item)
        elif isinstance(item, Link):
            follow.append(item)
    next_url = with_resume_key(req, key) if key and req else None
    return Parsed(candidates=tuple(cands), follow=tuple(follow), next_url=next_url)


# ------------------------------------------------------------------ CDX listing

def _requested_fields(url: str) -> tuple[str, ...] | None:
    fl = dict(parse_qsl(urlsplit(url).query)).get("fl") if "fl=" in url else None
    return tuple(f.strip() for f in fl.split(",")) if fl else None


def cdx_rows(text: str, fl: tuple[str, ...] | None = None) -> tuple[list[dict], str | None]:
    """The rows of a CDX answer as dicts (field -> value), and the resume key or None."""
    head = text.lstrip()
    first = head.split("\n", 1)[0].strip()
    if "org.archive." in first or (_REFUSAL.search(first) and " " not in first.split(":", 1)[0]):
        reason = collapse(first.rsplit(": ", 1)[-1]) if ": " in first else collapse(first)
        raise ParseError(f"Wayback refused: {reason[:150]}")
    if head.startswith("["):
        return _json_rows(head, fl)
    if looks_like_html(head[:4096]):
        raise ParseError(f"not a CDX listing: {describe(head[:8192].encode('utf-8'))}")
    return _plain_rows(text, fl)


def _json_rows(text: str, fl) -> tuple[list[dict], str | None]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as e:
        where = f"line {e.lineno} col {e.colno}" if isinstance(e, json.JSONDecodeError) else type(e).__name__
        raise ParseError(f"not a CDX listing: malformed JSON: {where}") from None
    if not isinstance(doc, list):
        raise ParseError("not a CDX listing: JSON that is not a list")
    if not doc:
        return [], None
    names = fl or FIELDS
    start = 0
    if isinstance(doc[0], list) and doc[0] and all(isinstance(x, str) for x in doc[0]) \
            and {"original", "timestamp"} <= set(doc[0]):
        names, start = tuple(doc[0]), 1
    rows, key = [], None
    for i in range(start, len(doc)):
        r = doc[i]
        if r == []:                                # the resume key follows an empty row
            nxt = doc[i + 1] if i + 1 < len(doc) else None
            if isinstance(nxt, list) and nxt and isinstance(nxt[0], str) and nxt[0].strip():
                key = nxt[0].strip()
            break
        if isinstance(r, list) and len(r) == len(names) and all(isinstance(x, (str, int)) for x in r):
            rows.append(dict(zip(names, (str(x) for x in r))))
    return rows, key


def _plain_rows(text: str, fl) -> tuple[list[dict], str | None]:
    rows, key, bad = [], None, 0
    lines = iter(text.splitlines())
    for line in lines:
        line = line.strip()
        if not line:                               # blank line: the resume key is next
            key = next((ln.strip() for ln in lines if ln.strip()), None)
            if key is not None and " " in key:
                key = None
            break
        fields = line.split()
        if fl and len(fields) == len(fl):
            rows.append(dict(zip(fl, fields)))
        elif len(fields) == len(PLAIN_FIELDS):
            rows.append(dict(zip(PLAIN_FIELDS, fields)))
        else:
            bad += 1
    if bad and not rows:
        raise ParseError(f"not a CDX listing: {describe(text[:2048].encode('utf-8'))}")
    return rows, key


def clean_original(url: str) -> str | None:
    """An archived URL as an absolute http(s) URL without redundant default ports."""
    url = collapse(url)
    if not url:
        return None
    if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
        url = "http://" + url
    if _NOT_WEB.match(url):                        # crawler junk: http://mailto:x@y, http://data:...
        return None
    url = re.sub(r"^(http://[^/:?#]+):80(?=[/?#]|$)", r"\1", url, flags=re.I)
    url = re.sub(r"^(https://[^/:?#]+):443(?=[/?#]|$)", r"\1", url, flags=re.I)
    return absolute(url, None)


def _key(url: str) -> str:
    """Dedup key, close to the CDX urlkey: no scheme, no www., host case-folded."""
    p = urlsplit(url)
    host = p.netloc.lower().removeprefix("www.")
    return f"{host}{p.path.rstrip('/')}?{p.query}"


def wordy_slug(url: str) -> str:
    """The slug headline of ``url`` when its last path segment has a word; else ""."""
    try:
        segs = [unquote(s) for s in urlsplit(url).path.split("/") if s]
    except ValueError:
        return ""
    while segs and _EXT.sub("", segs[-1]).lower() in _TRIVIAL:
        segs.pop()
    if not segs or not _WORD.search(_EXT.sub("", segs[-1])):
        return ""
    return slug_title(url)


def _row(spec, row: dict, seen: set) -> Candidate | Link | None:
    status, mime = row.get("statuscode", ""), row.get("mimetype", "").lower()
    ts = row.get("timestamp", "")
    if status != "200" or "html" not in mime or not _TS.match(ts):
        return None
    url = clean_original(row.get("original", ""))
    if url is None:
        return None
    path = urlsplit(url).path                      # absolute() has split it once already
    if not path.strip("/") or _STATIC.search(path):
        return None                                # site root, robots.txt, assets
    k = _key(url)
    if k in seen:
        return None
    seen.add(k)
    snap = snapshot_url(spec.url, ts, url)
    title = wordy_slug(url)
    if title:
        # the capture time is only an upper bound of publication: kept in extra, not as the date
        return Candidate(title=title, url=url, date_raw=None,
                         extra={"title_from": "slug", "snapshot": snap, "timestamp": ts})
    return Link(url=snap, date_raw=ts)


# ------------------------------------------------------------------ one page's copy (article stage)

PAGE_FIELDS = ("timestamp", "original", "statuscode")
_TS14 = re.compile(r"\d{14}")


def endpoint(source: WaybackSource | None) -> tuple[str, float | None]:
    """(base URL, seconds between two requests) of the article stage's Wayback lookups: a
    configured source's ``url`` and ``rate_limit_s``; None: the built-in source's (the
    WaybackSource defaults: web.archive.org, 4 s)."""
    if source is None:
        fields = WaybackSource.model_fields
        return fields["url"].default.rstrip("/"), fields["rate_limit_s"].default
    return source.url.rstrip("/"), source.rate_limit_s


def for_articles(outlets: OutletsFile, outlet_id: str | None = None) -> WaybackSource | None:
    """The Wayback source whose service (``url``) and interval (``rate_limit_s``) the article
    stage uses: the outlet's own (``outlet_id``) if it has one, else the first of an enabled
    outlet in outlets.yaml; None when none is configured (the built-in one, see ``endpoint``)."""
    own = [o for o in outlets.outlets if o.id == outlet_id]
    for outlet in own + [o for o in outlets.outlets if o.enabled]:
        for spec in outlet.sources:
            if isinstance(spec, WaybackSource):
                return spec
    return None


def page_captures_url(base: str, url: str, day: date, *, after: bool = False) -> str:
    """The CDX request for the 200 captures of one page: the newest up to the end of ``day``
    (``limit=-1``: the last row), or (``after``) the first from ``day`` on."""
    d = day.strftime("%Y%m%d")
    params = [("url", url), ("output", "json"), ("fl", ",".join(PAGE_FIELDS)), ("filter", "statuscode:200")]
    params += [("from", d), ("limit", "1")] if after else [("to", d + "235959"), ("limit", "-1")]
    return cdx_url(base, params)


def page_capture(text: str, *, after: bool = False) -> str | None:
    """The timestamp (14 digits) of the capture an answer to ``page_captures_url`` names: the
    newest of its rows (the first, ``after``); None when it names none. ParseError for an
    answer that is not a CDX listing (a refusal, an HTML page)."""
    rows, _ = cdx_rows(text, PAGE_FIELDS)
    stamps = [r["timestamp"] for r in rows if _TS14.fullmatch(r.get("timestamp", ""))]
    if not stamps:
        return None
    return min(stamps) if after else max(stamps)


# ------------------------------------------------------------------ raw snapshot

_META_DATES = ("article:published_time", "og:article:published_time", "datepublished")
_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{6,40})"')


def _snapshot(response: Response, ts: str, original: str) -> Parsed:
    url = clean_original(original)
    if url is None:
        raise ParseError(f"snapshot of an unusable URL: {collapse(original)[:100]!r}")
    text = body_text(response)
    if not text.strip():
        raise ParseError("archived page is empty")
    if not looks_like_html(text[:4096]) and "<title" not in text[:65536].lower():
        raise ParseError(f"archived page is not HTML: {describe(text[:8192].encode('utf-8'))}")
    try:
        from bs4 import BeautifulSoup
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            soup = BeautifulSoup(text, "lxml")
        title, date_raw = _title(soup), _date(soup, text)
    except Exception as e:                         # odd markup the tree builder gives up on
        raise ParseError(f"archived page unreadable ({type(e).__name__})") from None
    if not title:
        return Parsed()
    return Parsed(candidates=(Candidate(title=title, url=url, date_raw=date_raw,
                                        extra={"snapshot": response.url, "timestamp": ts}),))


def _title(soup) -> str:
    t = soup.find("title")
    if t is not None:
        s = collapse(t.get_text(" "))
        if s:
            return s
    og = soup.find("meta", attrs={"property": "og:title"})
    if og is not None and collapse(og.get("content")):
        return html_to_text(og.get("content"))
    h1 = soup.find("h1")
    return collapse(h1.get_text(" ")) if h1 is not None else ""


def _date(soup, text: str) -> str | None:
    for meta in soup.find_all("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "")
        if isinstance(name, str) and name.strip().lower() in _META_DATES and collapse(meta.get("content")):
            return collapse(meta.get("content"))
    t = soup.find(attrs={"itemprop": "datePublished"})
    if t is not None and collapse(t.get("datetime") or t.get("content")):
        return collapse(t.get("datetime") or t.get("content"))
    m = _LD_DATE.search(text)
    return collapse(m.group(1)) if m else None

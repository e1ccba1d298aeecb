"""Google News article links and the publisher URL behind them: pure functions, no I/O.

An RSS item of Google News links to ``<host>/rss/articles/<id>?oc=5`` (also ``/articles/<id>``,
``/read/<id>``, and ``/__i/rss/rd/articles/<id>`` in older feeds). The id is URL-safe base64 of
a small protobuf: ``08 13 22 <varint length> <bytes>``. Until mid-2024 the bytes were the
publisher's URL (``CBMi...`` ids that decode to ``https://...``), read here with no request
(``decode_id``). Since then they are an opaque token (``AU_yqL...``); the publisher URL is
asked of Google in two steps, as the maintained public decoders do it (googlenewsdecoder,
gnews-decoder; both MIT; read, nothing copied):

1. ``params_url``: GET ``<host>/rss/articles/<id>?hl=..&gl=..&ceid=..`` (``/articles/`` and
   ``/read/`` send non-browser clients to ``google.com/sorry``); ``parse_params`` reads the
   signature ``data-n-a-sg`` and timestamp ``data-n-a-ts`` off one element (the page's
   ``c-wiz > div[jscontroller]``; both from the SAME element, or Google rejects the pair).
2. ``batch_body``: one POST to ``<host>/_/DotsSplashUi/data/batchexecute`` for several ids:
   ``f.req=[[["Fbv4je", "[\\"garturlreq\\",[<context>],\\"<id>\\",<ts>,\\"<sg>\\"]", null,
   "<request id>"], ...]]`` (three levels of lists: two are refused).
3. ``parse_batch``: the answer is ``)]}'`` then JSON (whole, or one JSON array per line with
   length lines between); each ``["wrb.fr", "Fbv4je", "<payload>", ..., "<request id>"]`` row
   whose payload is ``["garturlres", "<publisher url>", 1]`` answers the id sent with that
   request id (rows come back in any order: they are matched by id, never by position).
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import re
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from . import ParseError

BATCH_PATH = "/_/DotsSplashUi/data/batchexecute"
RPC_ID = "Fbv4je"
MAX_ID_CHARS = 8192                        # real ids run a few hundred characters
DEFAULT_EDITION = ("en-US", "US", "US:en")

# the request's fixed context, as the public decoders send it; only id, timestamp, signature vary
_CONTEXT = [["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None, None, 0, 1],
            "X", "X", 1, [1, 1, 1], 1, 1, None, 0, 0, None, 0]
_ID = re.compile(r"[A-Za-z0-9_-]+")
_TAG = re.compile(r"<[a-zA-Z][\w:-]*((?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*/?>")
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_DROP = re.compile(r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def article_id(url: str) -> str | None:
    """The article id of a Google News article link (any host: the caller checks it), or None."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    segs = parts.path.split("/")
    if len(segs) < 3 or segs[-2] not in ("articles", "read"):
        return None
    token = segs[-1]
    return token if 0 < len(token) <= MAX_ID_CHARS and _ID.fullmatch(token) else None


def _payload(token: str) -> bytes | None:
    """The bytes an id carries (field 4 of its protobuf), or None when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    if not raw.startswith(b"\x08\x13\x22"):
        return None
    n, shift, pos = 0, 0, 3
    while pos < len(raw):                       # the length, a protobuf varint
        b = raw[pos]
        n |= (b & 0x7F) << shift
        pos += 1
        shift += 7
        if not b & 0x80:
            break
    else:
        return None
    return raw[pos:pos + n] if n and pos + n <= len(raw) else None


def decode_id(token: str) -> str | None:
    """The publisher URL inside an old-style id (``CBMi...`` decoding to ``https://...``);
    None for the opaque ids used since mid-2024 (they need Google: ``params_url`` and on)."""
    data = _payload(token)
    if data is None:                            # not the usual layout: any URL inside will do
        try:
            data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            return None
        found = re.search(rb"https?://[\x21-\x7e]+", data)
        data = found.group(0) if found else b""
    try:
        url = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    return url if url.startswith(("http://", "https://")) and plausible_url(url) else None


def is_opaque(token: str) -> bool:
    """Is this a current id whose URL only Google can tell (``AU_yqL...`` inside)?"""
    return decode_id(token) is None


def edition_of(*urls: str) -> tuple[str, str, str]:
    """(hl, gl, ceid) from the first URL that names them (the link, the search), else en-US."""
    for u in urls:
        try:
            q = parse_qs(urlsplit(u or "").query)
        except ValueError:
            continue
        if q.get("hl") and q.get("gl") and q.get("ceid"):
            return q["hl"][0], q["gl"][0], q["ceid"][0]
    return DEFAULT_EDITION


def params_url(link: str, token: str, edition: tuple[str, str, str]) -> str:
    """The article page that carries the signature, on the link's own host."""
    p = urlsplit(link)
    hl, gl, ceid = edition
    query = f"hl={quote(hl, safe='')}&gl={quote(gl, safe='')}&ceid={quote(ceid, safe='')}"
    return urlunsplit((p.scheme, p.netloc, f"/rss/articles/{token}", query, ""))


def batch_url(link: str) -> str:
    p = urlsplit(link)
    return urlunsplit((p.scheme, p.netloc, BATCH_PATH, "", ""))


def parse_params(page: str) -> tuple[str, str] | None:
    """(signature, timestamp) from an article page: both attributes of one element (comments
    and scripts ignored), the timestamp all digits; None when the page has no such element."""
    markup = _DROP.sub("", page or "")
    for m in _TAG.finditer(markup):
        attrs = m.group(1)
        if "data-n-a-sg" not in attrs or "data-n-a-ts" not in attrs:
            continue
        got = {}
        for name, dq, sq, bare in _ATTR.findall(attrs):
            got[name.lower()] = html.unescape(dq or sq or bare)
        sg, ts = got.get("data-n-a-sg", ""), got.get("data-n-a-ts", "")
        if sg and ts.isdigit():
            return sg, ts
    return None


def batch_body(items: list[tuple[str, str, str, str]]) -> bytes:
    """The form body of one batchexecute POST for ``(request id, article id, timestamp,
    signature)`` items. Built with json.dumps, so nothing in a signature breaks out of its string."""
    calls = []
    for req_id, token, ts, sg in items:
        inner = ["garturlreq", _CONTEXT, token, int(ts) if str(ts).isdigit() else ts, sg]
        calls.append([RPC_ID, json.dumps(inner, separators=(",", ":")), None, str(req_id)])
    return ("f.req=" + quote(json.dumps([calls], separators=(",", ":")), safe="")).encode("ascii")


def plausible_url(url) -> bool:
    """An http(s) URL with a host and no control characters (it goes into HTML, CSV and logs)."""
    if not isinstance(url, str) or _CONTROL.search(url):
        return False
    try:
        p = urlsplit(url)
    except ValueError:
        return False
    return p.scheme in ("http", "https") and bool(p.hostname)


def _documents(text: str):
    """The JSON documents of an answer: the whole body, or each line that is one."""
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith(")]}'"):
        body = body[4:]
    try:
        yield json.loads(body)
        return
    except (ValueError, RecursionError):
        pass
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("["):
            try:
                yield json.loads(line)
            except (ValueError, RecursionError):
                continue


def parse_batch(text: str) -> dict[str, str]:
    """Request id -> publisher URL from a batchexecute answer. A row without a usable URL
    (Google's error rows carry a null payload) is left out; an answer with no RPC row at all
    is a ParseError (a changed protocol, an error page), never "nothing resolved"."""
    out: dict[str, str] = {}
    torn: set[str] = set()                      # ids answered with two different URLs: neither is taken
    rows_seen = 0
    for doc in _documents(text or ""):
        if not isinstance(doc, list):
            continue
        for row in doc:
            if not (isinstance(row, list) and len(row) >= 2 and row[0] == "wrb.fr" and row[1] == RPC_ID):
                continue
            rows_seen += 1
            req_id = next((str(c) for c in reversed(row[3:]) if isinstance(c, (str, int)) and c != ""), None)
            payload = row[2] if len(row) > 2 else None
            if isinstance(payload, str):
                try:
                    payload = json.loads(payload)
                except (ValueError, RecursionError):
                    continue
            if not (isinstance(payload, list) and len(payload) >= 2 and payload[0] == "garturlres"):
                continue
            url = payload[1]
            if req_id is None or not plausible_url(url):
                continue
            if out.get(req_id, url) != url:
                torn.add(req_id)
            out[req_id] = url
    if not rows_seen:
        first = next((ln.strip() for ln in (text or "").splitlines() if ln.strip()), "empty")[:120]
        raise ParseError(f"not a batchexecute answer: {first}")
    return {k: v for k, v in out.items() if k not in torn}   # a visible failure beats a plausible wrong URL


__all__ = ["BATCH_PATH", "article_id", "batch_body", "batch_url", "decode_id", "edition_of", "is_opaque",
           "params_url", "parse_batch", "parse_params", "plausible_url"]

"""A local stand-in for Google News' current link scheme (since mid-2024), for the tests.

CONSTRUCTED, not recorded: it follows the scheme as the maintained public decoders
implement it (googlenewsdecoder ``googlenewsdecoder/_parse.py`` and ``decoder.py``,
gnews-decoder ``src/protocol.ts``, ``docs/design.md`` and its recorded
``test/fixtures/article-page.html`` / ``batchexecute.txt``; both MIT; read, nothing copied):

- ``/rss/search?q=..`` answers RSS items linking to ``/rss/articles/<id>?oc=5``; the id is
  URL-safe base64 of ``08 13 22 <len> AU_yqL<opaque bytes>`` (``CBMi...``, no URL inside);
- ``/rss/articles/<id>?hl=..&gl=..&ceid=..`` answers an article page whose
  ``c-wiz > div[jscontroller]`` carries ``data-n-a-id``, ``data-n-a-ts`` and ``data-n-a-sg``
  (tests/fixtures/google_news/constructed_article_page.html, modelled on the recorded page);
  ``/articles/<id>`` and ``/read/<id>`` send the client to ``/sorry/index`` as Google does;
- ``POST /_/DotsSplashUi/data/batchexecute`` with ``f.req=[[["Fbv4je", "[\\"garturlreq\\",
  [ctx],\\"<id>\\",<ts>,\\"<sg>\\"]", null, "<req id>"], ...]]`` answers ``)]}'`` and one
  ``["wrb.fr","Fbv4je","[\\"garturlres\\",\\"<url>\\",1]",null,null,null,"<req id>"]`` row per
  call, in REVERSED order (Google reorders rows), a row with a null payload for a wrong
  signature, then ``["di",..]`` and ``["af.httprm",..]``.

Knobs: ``robots`` (robots.txt text), ``batch_status``/``batch_retry_after`` (e.g. 429 on
every batchexecute), ``page_without_signature`` (a changed page). ``log`` keeps
(monotonic time, method, path) of every request, to check politeness from the server's side.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from pytest_httpserver import URIPattern
from werkzeug import Request, Response

PAGE = (Path(__file__).parent / "fixtures" / "google_news" / "constructed_article_page.html").read_text("utf-8")
TS = 1790181872


def varint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | 0x80]) if n else bytes([b])
        if not n:
            return out


def opaque_id(key: str) -> str:
    """A current-style id: no URL inside, only Google can tell where it leads."""
    payload = b"AU_yqL" + hashlib.sha256(key.encode()).digest() * 3
    raw = b"\x08\x13\x22" + varint(len(payload)) + payload
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signature(token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1(b"sg" + token.encode()).digest()).decode()[:28]


class GoogleNewsStandIn:
    """Serves the scheme on a pytest-httpserver; ``items``: dicts with title, publisher,
    publisher_home, url (the publisher's URL), date (YYYY-MM-DD)."""

    def __init__(self, server, items: list[dict]):
        self.server = server
        self.items = items
        self.ids = {opaque_id(it["url"]): it for it in items}
        self.robots: str | None = None
        self.batch_status: int | None = None
        self.batch_retry_after: str | None = None
        self.page_without_signature = False
        self.log: list[tuple[float, str, str]] = []
        self.batches: list[list[str]] = []          # ids asked per batchexecute call
        self._lock = threading.Lock()
        server.expect_request("/robots.txt").respond_with_handler(self._robots)
        server.expect_request("/rss/search").respond_with_handler(self._search)
        server.expect_request("/_/DotsSplashUi/data/batchexecute", method="POST").respond_with_handler(self._batch)
        server.expect_request(_Prefix("/rss/articles/")).respond_with_handler(self._page)
        server.expect_request(_Prefix("/articles/")).respond_with_handler(self._sorry)
        server.expect_request(_Prefix("/read/")).respond_with_handler(self._sorry)

    @property
    def base(self) -> str:
        return self.server.url_for("").rstrip("/")

    def _note(self, request: Request) -> None:
        with self._lock:
            self.log.append((time.monotonic(), request.method, request.path))

    def _robots(self, request: Request) -> Response:
        self._note(request)
        if self.robots is None:
            return Response("", status=404)
        return Response(self.robots, content_type="text/plain")

    def _search(self, request: Request) -> Response:
        self._note(request)
        q = request.args.get("q", "")
        after = next((w[6:] for w in q.split() if w.startswith("after:")), "0000-00-00")
        before = next((w[7:] for w in q.split() if w.startswith("before:")), "9999-99-99")
        out = []
        for token, it in self.ids.items():
            if not (after <= it["date"] < before):
                continue
            when = format_datetime(datetime.fromisoformat(it["date"] + "T09:00:00+00:00").astimezone(timezone.utc),
                                   usegmt=True)
            link = f"{self.base}/rss/articles/{token}?oc=5"
            out.append(f"<item><title>{escape(it['title'] + ' - ' + it['publisher'])}</title><link>{link}</link>"
                       f'<guid isPermaLink="false">{token}</guid><pubDate>{when}</pubDate>'
                       f"<description>{escape(it['title'])}</description>"
                       f'<source url="{escape(it["publisher_home"])}">{escape(it["publisher"])}</source></item>')
        body = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0"><channel>'
                '<generator>NFE/5.0</generator><title>Google News</title><language>ru</language>'
                + "".join(out) + "</channel></rss>")
        return Response(body, content_type="application/rss+xml; charset=utf-8")

    def _sorry(self, request: Request) -> Response:
        self._note(request)
        return Response("", status=302, headers={"Location": "/sorry/index?continue=" + request.path})

    def _page(self, request: Request) -> Response:
        self._note(request)
        token = request.path.rsplit("/", 1)[-1]
        if token not in self.ids or not request.args.get("hl"):
            return Response("Not Found", status=404)
        if self.page_without_signature:
            return Response("<html><body><c-wiz><div jscontroller='x'></div></c-wiz></body></html>",
                            content_type="text/html; charset=utf-8")
        page = PAGE.replace("@ID@", token).replace("@TS@", str(TS)).replace("@SG@", signature(token))
        return Response(page, content_type="text/html; charset=utf-8")

    def _batch(self, request: Request) -> Response:
        self._note(request)
        if self.batch_status:
            headers = {"Retry-After": self.batch_retry_after} if self.batch_retry_after else {}
            return Response("Too Many Requests", status=self.batch_status, headers=headers)
        form = parse_qs(request.get_data(as_text=True))
        try:
            calls = json.loads(form["f.req"][0])[0]
            assert isinstance(calls, list) and all(c[0] == "Fbv4je" for c in calls)   # three levels deep
        except (KeyError, ValueError, IndexError, TypeError, AssertionError):
            return Response(")]}'\n\n[[\"er\",null,null,null,null,400]]", status=400)
        rows, asked = [], []
        for rpc, inner, _, req_id in calls:
            name, ctx, token, ts, sg = json.loads(inner)
            asked.append(token)
            it = self.ids.get(token)
            if name != "garturlreq" or it is None or ts != TS or sg != signature(token) or len(ctx) != 12:
                rows.append(["wrb.fr", rpc, None, None, None, [3], req_id])
            else:
                rows.append(["wrb.fr", rpc, json.dumps(["garturlres", it["url"], 1]), None, None, None, req_id])
        self.batches.append(asked)
        rows.reverse()
        rows += [["di", 23], ["af.httprm", 23, "-3215980805061980216", 25]]
        return Response(")]}'\n\n" + json.dumps(rows), content_type="application/json; charset=utf-8")

    def requests(self, method: str | None = None, prefix: str = "") -> list[tuple[float, str, str]]:
        return [r for r in self.log if (method is None or r[1] == method) and unquote(r[2]).startswith(prefix)]


class _Prefix(URIPattern):
    """A pytest-httpserver URI matcher: any path under a prefix."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def match(self, uri: str) -> bool:
        return uri.startswith(self.prefix)

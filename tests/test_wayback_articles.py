"""The article stage's Wayback copies go through the configured Wayback source: its service
(``url:``, a mirror here) and its interval (``rate_limit_s``), with the real Fetcher.

Two local servers on 127.0.0.1: an outlet that refuses (403) its articles, and the Wayback
mirror named by outlets.yaml, which logs when each request arrives.
"""
from __future__ import annotations

import inspect
import json
import threading
import time
from datetime import date

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response as WResponse

from incidentsearch.config import WaybackSource, load_outlets
from incidentsearch.net import Fetcher
from incidentsearch.live.articles import capture
from incidentsearch.sources import ParseError, wayback

RATE_S = 0.5
SLACK_S = 0.03                 # connection set-up and scheduling, as tests/test_fetch.py allows
WINDOW = (date(2022, 10, 14), date(2022, 12, 15))
PAGE = """<html lang="ru"><head><meta charset="utf-8"><title>Стрельба на полигоне под Белгородом</title>
<meta property="article:published_time" content="2022-10-15T18:20:00+03:00"></head><body><article>
<h1>Стрельба на полигоне под Белгородом</h1>
<p>БЕЛГОРОД, 15 октября. Двое военнослужащих погибли при стрельбе на полигоне в Белгородской области, сообщили в министерстве обороны.</p>
<p>По данным ведомства, инцидент произошел во время занятий по стрельбе с добровольцами. Пострадавшим оказывается медицинская помощь.</p>
<p>Следственный комитет возбудил уголовное дело. Обстоятельства произошедшего выясняются, сообщили в ведомстве в субботу вечером.</p>
</article></body></html>"""


@pytest.fixture
def mirror():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def outlets_yaml(tmp_path, mirror_url: str):
    path = tmp_path / "outlets.yaml"
    path.write_text(f"""\
defaults: {{rate_limit_s: 0, retries: 0, timeout_s: 5}}
outlets:
  - id: wire
    name: A wire
    lang: [ru]
    sources:
      - {{kind: wayback, url: "{mirror_url}", prefix: wire.example/news/, rate_limit_s: {RATE_S}}}
""", encoding="utf-8")
    return load_outlets(path)


def serve_mirror(mirror: HTTPServer, copies: dict[str, str]) -> list[tuple[float, str]]:
    """The mirror's CDX server and raw snapshots for ``copies`` (original URL -> timestamp);
    returns the log of (arrival time, path) it fills."""
    arrivals: list[tuple[float, str]] = []
    lock = threading.Lock()

    def cdx(request):
        with lock:
            arrivals.append((time.monotonic(), request.path))
        a = request.args
        ts = copies.get(a.get("url", ""))
        fits = ts is not None and (ts <= a.get("to", "9" * 14) if "to" in a else ts >= a.get("from", "0"))
        rows = [["timestamp", "original", "statuscode"], [ts, a["url"], "200"]] if fits else []
        return WResponse(json.dumps(rows), content_type="application/json")

    def snapshot(request):
        with lock:
            arrivals.append((time.monotonic(), request.path))
        return WResponse(PAGE.encode("utf-8"), content_type="text/html; charset=utf-8")

    mirror.expect_request("/cdx/search/cdx").respond_with_handler(cdx)
    for original, ts in copies.items():
        mirror.expect_request(f"/web/{ts}id_/{original}").respond_with_handler(snapshot)
    return arrivals


def captured(hit: dict, fetcher, tmp_path, **kw):
    """capture's record as a dict, whether capture saves the page itself (``folder``) or hands
    it back for the results folder to save (``PageCopy.record``)."""
    folder = (tmp_path / "folder",) if "folder" in inspect.signature(capture).parameters else ()
    got = capture(hit, fetcher, *folder, window=WINDOW, **kw)
    rec = getattr(got, "record", got)
    return rec if isinstance(rec, dict) else rec.as_dict()


def test_refused_articles_are_copied_from_the_configured_mirror_at_its_interval(httpserver, mirror, tmp_path):
    for n in range(1, 5):
        httpserver.expect_request(f"/news/{n}").respond_with_data("Forbidden", status=403)
    urls = [httpserver.url_for(f"/news/{n}") for n in range(1, 5)]
    # 1-3 archived in the window; 4 not archived at all (two CDX questions, no snapshot)
    arrivals = serve_mirror(mirror, {urls[0]: "20221016083000", urls[1]: "20221020101010",
                                     urls[2]: "20221101000000"})
    base = mirror.url_for("/").rstrip("/")
    outlets = outlets_yaml(tmp_path, base)
    source = wayback.for_articles(outlets, "wire")
    assert source.url == base and source.rate_limit_s == RATE_S

    with Fetcher(user_agent="t/1", rate_limit_s=0, retries=0, respect_robots=False, cache_dir=None) as fetcher:
        recs = [captured({"url": u, "title": "x", "lang": "ru"}, fetcher, tmp_path, wayback=source) for u in urls]

    for rec in recs[:3]:
        assert rec["status"] == 403 and rec["source"] == "wayback", rec
        assert rec["snapshot"].startswith(base + "/web/")
    assert recs[3]["source"] is None and "no Wayback copy" in recs[3]["error"]
    # every Wayback request went to the mirror: 3 x (CDX + snapshot) + 2 CDX for the missing one
    paths = [p for _, p in arrivals]
    assert paths.count("/cdx/search/cdx") == 5 and sum(p.startswith("/web/") for p in paths) == 3
    assert len(mirror.log) == 8 and all(r.path.startswith(("/cdx/", "/web/")) for r, _ in mirror.log)
    # ... at least the source's interval apart, measured where they arrive
    times = [t for t, _ in arrivals]
    gaps = [b - a for a, b in zip(times, times[1:])]
    print("gaps between Wayback requests (s):", " ".join(f"{g:.3f}" for g in gaps))
    assert min(gaps) >= RATE_S - SLACK_S, gaps
    # the outlet's refusals went at the fetcher's own interval (0 here): politeness is per source
    assert sum(r.path.startswith("/news/") for r, _ in httpserver.log) == 4


def test_the_cdx_request_is_the_source_modules():
    base = "http://127.0.0.1:9/mirror/"
    url = wayback.page_captures_url(base.rstrip("/"), "https://wire.example/news/1", date(2022, 12, 15))
    assert url.startswith("http://127.0.0.1:9/mirror/cdx/search/cdx?url=https://wire.example/news/1&")
    assert "to=20221215235959" in url and "limit=-1" in url and "filter=statuscode:200" in url
    after = wayback.page_captures_url(base, "https://wire.example/news/1", date(2022, 12, 15), after=True)
    assert "from=20221215" in after and "limit=1" in after and "to=" not in after
    rows = json.dumps([["timestamp", "original", "statuscode"], ["20221016083000", "u", "200"],
                       ["20221020101010", "u", "200"], ["2022", "u", "200"]])
    assert wayback.page_capture(rows) == "20221020101010"
    assert wayback.page_capture(rows, after=True) == "20221016083000"
    assert wayback.page_capture("[]") is None
    with pytest.raises(ParseError):
        wayback.page_capture("org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error")


def test_endpoint_defaults_to_the_built_in_source_and_for_articles_picks_the_configured_one(tmp_path):
    defaults = WaybackSource.model_fields
    assert wayback.endpoint(None) == (defaults["url"].default, defaults["rate_limit_s"].default) \
        == ("https://web.archive.org", 4.0)
    spec = WaybackSource(kind="wayback", prefix="wire.example/", url="http://127.0.0.1:9/", rate_limit_s=0.5)
    assert wayback.endpoint(spec) == ("http://127.0.0.1:9", 0.5)
    outlets = outlets_yaml(tmp_path, "http://127.0.0.1:9")
    assert wayback.for_articles(outlets).url == "http://127.0.0.1:9"          # any outlet's
    assert wayback.for_articles(outlets, "other").rate_limit_s == RATE_S
    none = load_outlets(_write(tmp_path / "o2.yaml", "outlets: [{id: a, name: A, lang: [en], "
                                                     "sources: [{kind: rss, url: 'https://a.example/rss'}]}]"))
    assert wayback.for_articles(none) is None


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path

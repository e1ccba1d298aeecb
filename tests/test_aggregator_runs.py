"""Aggregators in a run, against local servers: window halving at the cap, 429 with
Retry-After, malformed JSON recorded without stopping, Wayback resume keys and snapshots."""
from __future__ import annotations

import json
import time
from datetime import date
from urllib.parse import parse_qs, urlsplit

from werkzeug import Response

from incidentsearch.config import OutletsFile, load_incidents
from incidentsearch.net import Fetcher
from incidentsearch.match import Matcher
from incidentsearch.live.listings import ListingSearch, plan
from incidentsearch.results.folder import Store, read_hits

from conftest import ROOT, shared_or_skip

INCIDENTS = load_incidents(ROOT / "queries")
SOLOTI = next(i for i in INCIDENTS if i.id == "soloti-2022")


def soloti_rows():
    path = shared_or_skip("eval", "dev_headlines.jsonl")
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r for r in rows if r["incident"] == "soloti-2022" and r["lang"] == "en" and r["date"]]


def run(tmp_path, outlets_dict, *, since=None, until=None, incidents=(SOLOTI,)):
    outlets = OutletsFile.model_validate(outlets_dict)
    store = Store(tmp_path / "results", "2026-11-21")
    window = (since, until) if since else None
    with Fetcher(user_agent="incidentsearch-test/1", rate_limit_s=0, retries=1, backoff_s=0.01,
                 cache_dir=None) as f:
        r = ListingSearch(outlets, list(incidents), fetcher=f, store=store, matcher=Matcher.from_folder(ROOT / "queries", window=window))
        for task in plan(outlets, list(incidents), since=since, until=until):
            r.run_task(task)
    store.close()
    return r, store


def gdelt_outlet(base, **extra):
    return {"defaults": {"rate_limit_s": 0}, "outlets": [{"id": "gdelt", "name": "GDELT", "lang": ["en"], "sources": [
        dict({"kind": "gdelt", "url": f"{base}/api/v2/doc/doc", "rate_limit_s": 0}, **extra)]}]}


def artlist(rows, n_filler=0, day="20221016"):
    arts = [{"url": f"https://news.example/{i}", "title": r["headline"], "seendate": f"{day}T120000Z",
             "domain": "news.example", "language": "English", "sourcecountry": "United Kingdom"}
            for i, r in enumerate(rows)]
    arts += [{"url": f"https://filler.example/{i}", "title": f"Market report number {i}",
              "seendate": f"{day}T120000Z", "domain": "filler.example", "language": "English"}
             for i in range(n_filler)]
    return json.dumps({"articles": arts})


def window_of(request):
    q = request.args
    return q["startdatetime"][:8], q["enddatetime"][:8]


def test_full_answers_halve_the_window_down_to_a_day(tmp_path, httpserver):
    rows = soloti_rows()
    asked = []

    def handler(request):
        start, end = window_of(request)
        asked.append((start, end))
        if start != end:                       # every multi-day window comes back full
            return Response(artlist([], n_filler=250), content_type="application/json")
        if start == "20221016":
            return Response(artlist(rows), content_type="application/json")
        return Response(artlist([]), content_type="application/json")

    httpserver.expect_request("/api/v2/doc/doc").respond_with_handler(handler)
    base = httpserver.url_for("").rstrip("/")
    r, store = run(tmp_path, gdelt_outlet(base, cap=250), since=date(2022, 10, 14), until=date(2022, 10, 17))
    st = r.stats[("gdelt", 0)]
    per_query = len(SOLOTI.queries.en)
    # each query: 14-17 full -> 14-15 full -> 14, 15; 16-17 full -> 16, 17
    assert sorted(set(asked)) == sorted({("20221014", "20221017"), ("20221014", "20221015"),
                                         ("20221016", "20221017"), ("20221014", "20221014"),
                                         ("20221015", "20221015"), ("20221016", "20221016"),
                                         ("20221017", "20221017")})
    assert len(asked) == 7 * per_query and st.splits == 3 * per_query
    assert st.capped is False and st.errors == []
    hits = read_hits(store.root / "soloti-2022" / "hits.jsonl")
    want = {r["headline"] for r in rows if Matcher.from_folder(ROOT / "queries").best(r["headline"], lang="en")}
    assert want and {h["title"] for h in hits} == want
    assert all(h["source"] == "gdelt" and h["publisher"] == "news.example" for h in hits)


def test_a_single_day_still_full_is_recorded_as_capped(tmp_path, httpserver):
    httpserver.expect_request("/api/v2/doc/doc").respond_with_data(artlist([], n_filler=250),
                                                                   content_type="application/json")
    base = httpserver.url_for("").rstrip("/")
    r, _ = run(tmp_path, gdelt_outlet(base), since=date(2022, 10, 15), until=date(2022, 10, 15))
    st = r.stats[("gdelt", 0)]
    assert st.capped is True and st.splits == 0 and st.record(None)["capped"] is True


def test_429_with_retry_after_is_waited_out(tmp_path, httpserver):
    rows = soloti_rows()
    calls = []

    def handler(request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return Response("Please limit requests to one every 5 seconds", status=429,
                            headers={"Retry-After": "1"})
        return Response(artlist(rows), content_type="application/json")

    httpserver.expect_request("/api/v2/doc/doc").respond_with_handler(handler)
    base = httpserver.url_for("").rstrip("/")
    outlets = gdelt_outlet(base)
    r, store = run(tmp_path, outlets, since=date(2022, 10, 15), until=date(2022, 10, 20))
    assert calls[1] - calls[0] >= 0.95
    st = r.stats[("gdelt", 0)]
    assert st.errors == [] and dict(st.statuses) == {200: len(SOLOTI.queries.en)}   # 429 retried inside fetch
    assert read_hits(store.root / "soloti-2022" / "hits.jsonl"), "the retried answer's hits were stored"


def test_malformed_json_is_an_error_of_that_source_only(tmp_path, httpserver):
    rows = soloti_rows()
    feed = shared_or_skip("fixtures", "feeds", "theguardian.com_rss_us.xml").read_bytes()
    httpserver.expect_request("/api/v2/doc/doc").respond_with_data('{"articles": [{"url": "https://x", "title": "Bel',
                                                                   content_type="application/json")
    rss = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>" + "".join(
        f"<item><title>{r['headline']}</title><link>https://feed.example/{i}</link>"
        f"<pubDate>Sun, 16 Oct 2022 10:00:00 GMT</pubDate></item>" for i, r in enumerate(rows))
           + "</channel></rss>")
    httpserver.expect_request("/rss").respond_with_data(rss, content_type="application/rss+xml")
    base = httpserver.url_for("").rstrip("/")
    outlets = gdelt_outlet(base)
    outlets["outlets"].append({"id": "feed", "name": "Feed", "lang": ["en"],
                               "sources": [{"kind": "rss", "url": f"{base}/rss"}]})
    assert feed  # the shared fixtures are present (the skip above says why otherwise)
    r, store = run(tmp_path, outlets)
    g = r.stats[("gdelt", 0)]
    assert g.status == "failed" and "malformed JSON from GDELT" in g.errors[0]
    assert len(g.errors) == len(SOLOTI.queries.en), "every query was still tried"
    hits = read_hits(store.root / "soloti-2022" / "hits.jsonl")
    assert hits and {h["outlet"] for h in hits} == {"feed"}


def test_wayback_pages_by_resume_key_and_reads_snapshots_for_slugless_urls(tmp_path, httpserver):
    page1 = [["timestamp", "original", "statuscode", "mimetype", "digest"],
             ["20221015160000", "https://ria.ru/20221015/strelba-na-poligone-1824359.html", "200", "text/html", "A"],  # url only: data served by the local server
             ["20221015170000", "https://tass.ru/proisshestviya/16067423", "200", "text/html", "B"],  # url only: data served by the local server
             [], ["key-of-page-2"]]
    page2 = [["timestamp", "original", "statuscode", "mimetype", "digest"],
             ["20221016090000", "https://ria.ru/20221016/sk-delo-poligon-1824400.html", "200", "text/html", "C"]]  # url only: data served by the local server
    snapshot = ("<html><head><meta charset='windows-1251'><title>Теракт на полигоне в Белгородской области: "
                "погибли 11 человек</title></head><body></body></html>").encode("cp1251")

    def cdx(request):
        body = page2 if request.args.get("resumeKey") == "key-of-page-2" else page1
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/cdx/search/cdx").respond_with_handler(cdx)
    httpserver.expect_request("/web/20221015170000id_/https://tass.ru/proisshestviya/16067423").respond_with_data(  # url only: data served by the local server
        snapshot, content_type="text/html; charset=windows-1251")
    base = httpserver.url_for("").rstrip("/")
    outlets = {"defaults": {"rate_limit_s": 0}, "outlets": [{"id": "arch", "name": "Archive", "lang": ["ru"],
               "tz": "Europe/Moscow", "sources": [{"kind": "wayback", "url": base, "prefix": "ria.ru/",  # url only: data served by the local server
                                                   "rate_limit_s": 0, "max_snapshots": 5}]}]}
    r, store = run(tmp_path, outlets)
    st = r.stats[("arch", 0)]
    assert st.errors == [] and st.requests == 3       # two CDX pages and one snapshot
    cdx_calls = [e[0] for e in httpserver.log if e[0].path == "/cdx/search/cdx"]
    assert [c.args.get("resumeKey") for c in cdx_calls] == [None, "key-of-page-2"]
    assert parse_qs(urlsplit(cdx_calls[0].url).query)["from"] == ["20221014"]
    hits = read_hits(store.root / "soloti-2022" / "hits.jsonl")
    by_url = {h["url"]: h for h in hits}
    snap = by_url["https://tass.ru/proisshestviya/16067423"]  # url only: data served by the local server
    assert snap["title"] == "Теракт на полигоне в Белгородской области: погибли 11 человек"
    assert snap["listing_url"].endswith("/web/20221015170000id_/https://tass.ru/proisshestviya/16067423")  # url only: data served by the local server

"""Google News links to the publisher's URL (issue 16): the pure protocol (old-style ids on the
real recorded feed, the article page, the batchexecute body and answer), POST through the
fetcher (politeness, Retry-After, robots.txt, cache, WARC and replay), and whole runs against
a local stand-in of the current scheme (tests/gnews_server.py: CONSTRUCTED from the public
decoders' published behaviour, not recorded) with the publishers' pages on a second server.
No network but 127.0.0.1."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from incidentsearch import cli
from incidentsearch.net import Fetcher
from incidentsearch.live.resolve import Item, Resolver, same_title
from incidentsearch.records import Response as Resp
from incidentsearch.sources import ParseError
from incidentsearch.sources import google_news_links as gnl
from incidentsearch.results.folder import read_hits
from incidentsearch.net.replay import Replay
from incidentsearch.results.warc import Recorder

from conftest import ROOT, shared_or_skip
from gnews_server import GoogleNewsStandIn, opaque_id

FIX = Path(__file__).parent / "fixtures" / "google_news"
INCIDENTS = ["soloti-2022", "grayvoron-2023"]      # two of the four keep the runs short (~15 hits)


# ------------------------------------------------------------------ the pure protocol

def real_feed_links():
    raw = shared_or_skip("fixtures", "feeds", "news.google.com_rss_topstories_en-US_20191114.xml").read_text("utf-8")
    return [unescape_amp(u) for u in re.findall(r"<link>(https://news\.google\.com/__i/rss/rd/articles/[^<]+)</link>", raw)]


def unescape_amp(s: str) -> str:
    return s.replace("&amp;", "&")


def test_old_style_ids_of_the_real_feed_decode_without_a_request():
    links = real_feed_links()
    assert len(links) == 38
    urls = [gnl.decode_id(gnl.article_id(u)) for u in links]
    assert all(u and u.startswith("https://") for u in urls)
    # the URL is the first field only: the AMP copy that follows in the id is not taken
    assert "https://www.npr.org/2019/11/14/779153382/deval-patrick-makes-a-late-entry-into-the-2020-presidential-race" in urls
    assert ("https://www.usatoday.com/story/news/politics/2019/11/14/erdogan-returns-trump-tough-guy-letter/4188895002/"
            in urls)
    assert not any("outputType=amp" in u or "amp.usatoday" in u for u in urls)

    class NoNetwork:
        def get(self, *a, **k):
            raise AssertionError("an old-style id needs no request")
        post = get

    got = Resolver(NoNetwork()).resolve([Item(u, "t") for u in links], listing_url="https://news.google.com/rss",
                                        endpoint="https://news.google.com/rss/search")
    assert len(got) == 38 and {r.method for r in got.values()} == {"id"}
    assert [got[u].url for u in links] == urls


def test_current_ids_are_opaque_and_only_well_formed_links_count():
    token = opaque_id("https://tass.ru/x")
    assert token.startswith("CBMi") and gnl.is_opaque(token) and gnl.decode_id(token) is None
    assert gnl.article_id(f"https://news.google.com/rss/articles/{token}?oc=5") == token
    assert gnl.article_id(f"https://news.google.com/read/{token}?hl=ru") == token
    assert gnl.article_id(f"https://news.google.com/articles/{token}") == token
    for bad in ("https://news.google.com/rss/search?q=x", "https://news.google.com/rss/articles/",
                "https://news.google.com/rss/articles/abc%22def", "javascript:alert(1)//articles/x",
                "https://news.google.com/rss/articles/" + "A" * 9000, "not a url"):
        assert gnl.article_id(bad) is None, bad


def test_article_page_signature_comes_from_one_element_not_a_script_or_comment():
    page = (FIX / "constructed_article_page.html").read_text("utf-8")
    want = json.loads((FIX / "constructed_article_page.html.expected.json").read_text("utf-8"))
    for k, v in want["fill"].items():
        page = page.replace(k, v)
    assert gnl.parse_params(page) == (want["signature"], want["timestamp"])
    # attribute order does not matter; a non-numeric timestamp or a lone attribute is not a pair
    assert gnl.parse_params('<c-wiz><div data-n-a-sg="S" jscontroller="a" data-n-a-ts="12"></div></c-wiz>') == ("S", "12")
    assert gnl.parse_params('<div data-n-a-sg="S" data-n-a-ts="soon"></div>') is None
    assert gnl.parse_params('<div data-n-a-sg="S"></div><div data-n-a-ts="12"></div>') is None
    assert gnl.parse_params("<html>Sorry... unusual traffic</html>") is None


def test_batch_body_nests_three_levels_and_quotes_every_signature():
    body = gnl.batch_body([("0", "ID0", "1790181872", 'a"],1,["b'), ("1", "ID1", "17", "S1")])
    form = parse_qs(body.decode("ascii"))
    calls = json.loads(form["f.req"][0])
    assert len(calls) == 1 and len(calls[0]) == 2
    rpc, inner, none, req = calls[0][0]
    assert (rpc, none, req) == ("Fbv4je", None, "0")
    name, ctx, token, ts, sg = json.loads(inner)
    assert (name, token, ts, sg) == ("garturlreq", "ID0", 1790181872, 'a"],1,["b') and len(ctx) == 12
    assert json.loads(calls[0][1][1])[2:] == ["ID1", 17, "S1"]


def test_batch_answer_is_read_by_request_id_whatever_the_order():
    got = gnl.parse_batch((FIX / "constructed_batchexecute_answer.txt").read_text("utf-8"))
    assert got == json.loads((FIX / "constructed_batchexecute_answer.txt.expected.json").read_text("utf-8"))["urls"]
    # the chunked framing (a length line before each JSON line) reads the same
    row = json.dumps([["wrb.fr", "Fbv4je", json.dumps(["garturlres", "https://a.example/x", 1]), None, None, None, "7"]])
    assert gnl.parse_batch(f")]}}'\n\n{len(row)}\n{row}\n25\n[[\"di\",23]]\n") == {"7": "https://a.example/x"}
    # a URL that is no http(s) URL is never taken
    bad = json.dumps([["wrb.fr", "Fbv4je", json.dumps(["garturlres", "javascript:alert(1)", 1]), None, "3"]])
    assert gnl.parse_batch(")]}'\n" + bad) == {}
    # one id answered with two different URLs: neither is taken
    two = json.dumps([["wrb.fr", "Fbv4je", json.dumps(["garturlres", f"https://a.example/{n}", 1]), None, "5"]
                      for n in (1, 2)])
    assert gnl.parse_batch(")]}'\n" + two) == {}
    for garbage in ("<html>Error 400 (Bad Request)</html>", ")]}'\n\n[[\"er\",null,null,null,null,400]]", ""):
        with pytest.raises(ParseError):
            gnl.parse_batch(garbage)


def test_only_links_on_the_sources_own_host_are_asked():
    asked = []

    class Recording:
        def get(self, url, **kw):
            asked.append(url)
            return Resp(url=url, error="connection refused")

        def post(self, url, data, **kw):
            asked.append(url)
            return Resp(url=url, error="connection refused", method="POST")

    token = opaque_id("https://tass.ru/x")
    mine, other = f"http://127.0.0.1:9/rss/articles/{token}?oc=5", f"https://news.google.com/rss/articles/{token}"
    got = Resolver(Recording()).resolve([Item(other, "t"), Item(mine, "t")], listing_url="http://127.0.0.1:9/rss/search?hl=ru&gl=RU&ceid=RU:ru",
                                        endpoint="http://127.0.0.1:9/rss/search")
    assert got[other].url is None and got[other].refused.startswith("link not on the source's host")
    assert asked == [f"http://127.0.0.1:9/rss/articles/{token}?hl=ru&gl=RU&ceid=RU%3Aru"]   # the search's edition
    assert got[mine].refused == "article page: connection refused"


def test_titles_compare_near_identical_only():
    assert same_title("Russia military range shooting leaves 11 dead, 15 wounded",
                      "Russia military range shooting leaves 11 dead , 15 wounded - Devdiscourse")
    assert same_title("Стрельба на полигоне под Белгородом: погибли 11 человек", "Стрельба на полигоне под белгородом — погибли 11 человек")
    assert not same_title("Стрельба на полигоне под Белгородом", "Обстрел Белгорода: погибли двое")
    assert not same_title("", "x")


# ------------------------------------------------------------------ POST through the fetcher

def fetcher(tmp_path, **kw):
    opts = dict(user_agent="incidentsearch-test/1", rate_limit_s=0, retries=1, backoff_s=0.01, cache_dir=None)
    opts.update(kw)
    return Fetcher(**opts)


def test_post_keeps_the_host_interval_retry_after_and_robots(tmp_path, httpserver):
    times = []
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /_/private\n")
    httpserver.expect_request("/page").respond_with_handler(lambda r: times.append(time.monotonic()) or Response("ok"))
    calls = []

    def batch(request):
        calls.append((time.monotonic(), request.get_data()))
        times.append(time.monotonic())
        if len(calls) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response(")]}'\n[]", content_type="application/json")

    httpserver.expect_request("/_/batch", method="POST").respond_with_handler(batch)
    with fetcher(tmp_path, cache_dir=tmp_path / "cache") as f:
        f.get(httpserver.url_for("/page"), rate_limit_s=0.3)
        r = f.post(httpserver.url_for("/_/batch"), b"f.req=%5B%5D", rate_limit_s=0.3)
        assert r.ok and r.method == "POST" and r.request_body == b"f.req=%5B%5D"
        assert calls[0][1] == b"f.req=%5B%5D" and len(calls) == 2
        assert times[1] - times[0] >= 0.29                  # the interval between a GET and a POST
        assert calls[1][0] - calls[0][0] >= 0.95            # Retry-After honoured
        again = f.post(httpserver.url_for("/_/batch"), b"f.req=%5B%5D", rate_limit_s=0.3)
        assert again.from_cache and len(calls) == 2          # the same body: the cache answers
        other = f.post(httpserver.url_for("/_/batch"), b"f.req=%5B1%5D", rate_limit_s=0)
        assert not other.from_cache and len(calls) == 3      # another body is another request
        blocked = f.post(httpserver.url_for("/_/private"), b"x=1")
        assert blocked.robots_blocked and blocked.error == "disallowed by robots.txt" and blocked.method == "POST"


def test_a_post_is_recorded_with_its_body_and_replayed_by_it(tmp_path, httpserver):
    httpserver.expect_request("/rpc", method="POST").respond_with_handler(
        lambda r: Response(")]}'\n" + r.get_data(as_text=True), content_type="application/json"))
    path = tmp_path / "raw.warc.gz"
    rec = Recorder(path, user_agent="incidentsearch-test/1")
    with fetcher(tmp_path) as f:
        for body in (b"f.req=one", b"f.req=two"):
            rec.exchange(f.post(httpserver.url_for("/rpc"), body))
    rec.exchange(Resp(url=httpserver.url_for("/rpc"), error="timeout after 1s", method="POST", request_body=b"f.req=3",
                      request_type="application/x-www-form-urlencoded"))
    # a publisher's URL with Cyrillic in its path and host (GDELT and Google give them so)
    uni = "http://пример.рф/свят/item/477370-дмитрий?q=белгород"
    rec.exchange(Resp(url=uni, final_url=uni, status=200, headers={"Content-Type": "text/html"}, content=b"<p>x</p>"))
    rec.close()
    rp = Replay([path])
    assert rp.get(uni).content == b"<p>x</p>"
    assert rp.post(httpserver.url_for("/rpc"), b"f.req=two").text == ")]}'\nf.req=two"
    assert rp.post(httpserver.url_for("/rpc"), b"f.req=one").text == ")]}'\nf.req=one"
    assert rp.post(httpserver.url_for("/rpc"), b"f.req=3").error == "timeout after 1s"
    assert rp.post(httpserver.url_for("/rpc"), b"f.req=four").error == "not in the recording"
    assert rp.get(httpserver.url_for("/rpc")).error == "not in the recording"    # a POST is not a GET


# ------------------------------------------------------------------ whole runs on the stand-in

def dev_items(pub_base: str) -> list[dict]:
    """The labelled headlines of the shared eval set (real headlines, outlets, URLs and dates)
    as Google News items; the publishers' pages are served under pub_base/<host><path>."""
    rows = [json.loads(x) for x in shared_or_skip("eval", "dev_headlines.jsonl").open(encoding="utf-8")]
    leads = {json.loads(x)["url"]: json.loads(x)["lead"] for x in shared_or_skip("eval", "dev_leads.jsonl").open(encoding="utf-8")}
    out = []
    for r in rows:
        if not r.get("date"):
            continue
        p = urlsplit(r["url"])
        out.append({"title": r["headline"], "publisher": r["outlet"], "date": r["date"],
                    "publisher_home": f"{pub_base}/{p.hostname}", "original": r["url"],
                    "url": f"{pub_base}/{p.hostname}{p.path}", "lead": leads.get(r["url"], "")})
    return out


def publisher_pages(server: HTTPServer, items: list[dict], routes: dict) -> None:
    """The publishers' pages, and ``routes`` (path -> Response) a test adds."""
    by_path = {urlsplit(it["url"]).path: it for it in items}

    def page(request):
        if request.path in routes:
            got = routes[request.path]
            return got(request) if callable(got) and not isinstance(got, Response) else got
        it = by_path.get(request.path)
        if it is None:
            return Response("not found", status=404)
        body = (f"<html><head><title>{it['title']}</title><meta property='article:published_time' "
                f"content='{it['date']}T09:00:00+00:00'></head><body><article><h1>{it['title']}</h1>"
                f"<p>{it['lead'] or it['title']}</p><p>{it['title']}. {it['lead']}</p></article></body></html>")
        return Response(body, content_type="text/html; charset=utf-8")

    server.expect_request("/robots.txt").respond_with_data("", status=404)
    server.expect_request(re.compile(r"/.+")).respond_with_handler(page)


def outlets_yaml(tmp_path: Path, gn_base: str, *, rate: float, extra: list | None = None) -> Path:
    doc = {"defaults": {"rate_limit_s": 0, "retries": 1, "timeout_s": 5, "connect_timeout_s": 2, "parallel_hosts": 4},
           "outlets": [{"id": "google-news-test", "name": "Google News (stand-in)", "lang": ["ru", "en", "uk"],
                        "tz": "UTC", "sources": [{"kind": "google_news", "url": f"{gn_base}/rss/search",
                                                  "rate_limit_s": rate}]}] + (extra or [])}
    path = tmp_path / "outlets.yaml"
    path.write_text(json.dumps(doc), encoding="utf-8")     # JSON is YAML
    return path


def search(tmp_path: Path, outlets: Path, results: Path, *more: str) -> int:
    args = ["--outlets", str(outlets), "--queries", str(ROOT / "queries"), "--results", str(results),
            "--cache-dir", str(tmp_path / "cache"), "-q"]
    for i in INCIDENTS:
        args += ["--incident", i]
    return cli.main(args + list(more))


def folders(results: Path):
    (day,) = [d for d in results.iterdir() if d.is_dir()]
    return {i: day / i for i in INCIDENTS}


def gn_hits(results: Path) -> list[dict]:
    return [h for f in folders(results).values() for h in read_hits(f / "hits.jsonl") if h["source"] == "google_news"]


@pytest.fixture
def servers(httpserver):
    pub = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    pub.start()
    try:
        base = pub.url_for("").rstrip("/")
        items = dev_items(base)
        pub.routes = {}
        publisher_pages(pub, items, pub.routes)
        yield GoogleNewsStandIn(httpserver, items), pub, items
    finally:
        pub.clear()
        if pub.is_running():
            pub.stop()


def test_standin_run_captures_google_news_hits_at_the_publishers_pages(tmp_path, servers):
    gn, pub, items = servers
    rate = 0.25
    pub_base = pub.url_for("").rstrip("/")
    # the same report on the outlet's own feed as well: one hit, not two
    dup = items[0]
    feed = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>own</title><item><title>{dup['title']}</title>"
            f"<link>{dup['url']}</link><pubDate>{dup['date']}</pubDate></item></channel></rss>")
    pub.routes["/own/rss"] = Response(feed, content_type="application/rss+xml")
    own = {"id": "own-feed", "name": "Own feed", "lang": ["ru", "en"], "sources": [{"kind": "rss", "url": f"{pub_base}/own/rss"}]}
    outlets = outlets_yaml(tmp_path, gn.base, rate=rate, extra=[own])
    results = tmp_path / "results"
    assert search(tmp_path, outlets, results) == 0

    hits = gn_hits(results)
    assert len(hits) >= 10
    on_pub = [h for h in hits if h["url"].startswith(pub_base + "/")]
    assert len(on_pub) / len(hits) >= 0.9
    for h in on_pub:                                          # each link to its own article (rows matched by id)
        assert h["url"] in {it["url"] for it in items if it["title"] == h["title"]}
        assert h["via"].startswith(gn.base + "/rss/articles/") and h["resolved_by"] == "batchexecute"
        assert h["listing_url"].startswith(gn.base + "/rss/search?")
    # de-duplication on the publisher's URL: the outlet's own feed and Google News give one hit
    every = [h for f in folders(results).values() for h in read_hits(f / "hits.jsonl")]
    assert sum(1 for h in every if h["url"] == dup["url"]) <= 1

    # the article stage read the publisher's page
    arts = {a["url"]: a for f in folders(results).values() for a in read_hits(f / "articles.jsonl")}
    at_pub = [h for h in hits if (arts.get(h["url"]) or {}).get("final_url", "") .startswith(pub_base + "/")
              and arts[h["url"]]["html"] and arts[h["url"]]["source"] == "live"]
    assert len(at_pub) / len(hits) >= 0.9

    # one batchexecute call per page of links, never one per link; ids asked once per incident
    posts = gn.requests("POST", "/_/DotsSplashUi/data/batchexecute")
    assert posts and len(posts) == len(gn.batches) and max(len(b) for b in gn.batches) > 1
    pages = [p.rsplit("/", 1)[-1] for _, _, p in gn.requests("GET", "/rss/articles/")]
    assert len(pages) == len(set(pages)) and set(pages) == {i for b in gn.batches for i in b}   # later: the cache
    # the interval between any two requests to the Google host
    starts = sorted(t for t, _, p in gn.log if p != "/robots.txt")
    assert min(b - a for a, b in zip(starts, starts[1:])) >= rate - 0.04   # arrival times: a little jitter

    runs = [json.loads((f / "run.json").read_text("utf-8")) for f in folders(results).values()]
    src = [r["outlets"]["google-news-test"]["sources"][0] for r in runs]
    assert all(s["unresolved"] == 0 and s["status"] == "ok" for s in src)
    assert src[0]["resolved"].get("batchexecute", 0) >= len(on_pub) // len(INCIDENTS)

    # --replay of the run gives the same resolved URLs and the same articles, offline
    for inc, folder in list(folders(results).items())[:1]:
        again = tmp_path / f"replayed-{inc}"
        assert cli.main(["--replay", str(folder / "raw.warc.gz"), "--results", str(again), "-q"]) == 0
        (rf,) = [d / inc for d in again.iterdir() if d.is_dir()]
        assert {h["url"] for h in read_hits(rf / "hits.jsonl") if h["source"] == "google_news"} == \
            {h["url"] for h in read_hits(folder / "hits.jsonl") if h["source"] == "google_news"}
        assert {a["url"]: a["final_url"] for a in read_hits(rf / "articles.jsonl")} == \
            {a["url"]: a["final_url"] for a in read_hits(folder / "articles.jsonl")}


def gdelt_standin(server: HTTPServer, items: list[dict], asked: list) -> str:
    def artlist(request):
        q = request.args.get("query", "")
        asked.append(q)
        dom = re.search(r"domainis:(\S+)", q)
        lo, hi = request.args["startdatetime"][:8], request.args["enddatetime"][:8]
        arts = [{"url": it["url"], "title": it["title"] + " - " + it["publisher"], "seendate": it["date"].replace("-", "") + "T101500Z",
                 "domain": urlsplit(it["url"]).hostname, "language": "Russian", "sourcecountry": "Russia"}
                for it in items if dom and urlsplit(it["url"]).hostname == dom.group(1)
                and lo <= it["date"].replace("-", "") <= hi]
        return Response(json.dumps({"articles": arts} if arts else {}), content_type="application/json")

    server.routes["/api/v2/doc/doc"] = artlist
    return server.url_for("/api/v2/doc/doc")


@pytest.mark.parametrize("refusal", ["robots", "429"])
def test_a_refused_resolution_is_counted_and_falls_back_to_gdelt(tmp_path, servers, refusal):
    gn, pub, items = servers
    pub_base = pub.url_for("").rstrip("/")
    if refusal == "robots":
        gn.robots = "User-agent: *\nDisallow: /_/\n"
        why = "batchexecute: disallowed by robots.txt"
    else:
        gn.batch_status, gn.batch_retry_after = 429, "1"
        why = "batchexecute: HTTP 429 (rate limited: Retry-After 1 s, still refused after 1 retries)"
    asked: list[str] = []
    gd = gdelt_standin(pub, items, asked)
    gdelt = {"id": "gdelt-mirror", "name": "GDELT", "lang": ["en"], "enabled": False,
             "sources": [{"kind": "gdelt", "url": gd, "rate_limit_s": 0}]}
    outlets = outlets_yaml(tmp_path, gn.base, rate=0, extra=[gdelt])
    results = tmp_path / "results"
    search(tmp_path, outlets, results, "--no-articles", "--outlet", "google-news-test")

    hits = gn_hits(results)
    assert hits and all(h["url"].startswith(pub_base + "/") for h in hits)      # every one found again
    assert {h["resolved_by"] for h in hits} == {"gdelt"} and all(h["via"].startswith(gn.base) for h in hits)
    # the near-identical title, not another of the host
    assert all(h["url"] in {it["url"] for it in items if it["title"] == h["title"]} for h in hits)
    assert asked and all(q.startswith("domainis:127.0.0.1") or "domainis:127.0.0.1" in q for q in asked)
    posts = gn.requests("POST")
    assert len(posts) == (0 if refusal == "robots" else 2)                      # 429: asked, retried once, no more
    run = json.loads((folders(results)["soloti-2022"] / "run.json").read_text("utf-8"))
    src = run["outlets"]["google-news-test"]["sources"][0]
    assert src["unresolved"] >= 1 and src["unresolved_reasons"] == {why: src["unresolved"]}
    assert src["resolved"] == {"gdelt": src["unresolved"]}


def test_a_changed_page_without_gdelt_keeps_the_google_link(tmp_path, servers):
    gn, pub, items = servers
    gn.page_without_signature = True
    outlets = outlets_yaml(tmp_path, gn.base, rate=0)     # no GDELT mirror: GDELT's own URL is not reachable here
    results = tmp_path / "results"
    search(tmp_path, outlets, results, "--no-articles", "--no-cache")
    hits = gn_hits(results)
    assert hits and all(h["url"].startswith(gn.base + "/rss/articles/") and "via" not in h for h in hits)
    run = json.loads((folders(results)["soloti-2022"] / "run.json").read_text("utf-8"))
    src = run["outlets"]["google-news-test"]["sources"][0]
    assert src["unresolved_reasons"] == {"article page without data-n-a-sg/data-n-a-ts (a changed page)": src["unresolved"]}
    assert src["unresolved"] >= 1 and src["resolved"] == {} and not gn.requests("POST")


def test_without_gdelt_the_outlets_own_sitemap_is_read_for_the_title(tmp_path, servers):
    gn, pub, items = servers
    pub_base = pub.url_for("").rstrip("/")
    gn.batch_status, gn.batch_retry_after = 429, "1"
    soloti = [it for it in items if "2022-10-14" <= it["date"] <= "2022-12-14"]

    def urlset(chosen):
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(
                    f"<url><loc>{it['url']}</loc><news:news><news:publication><news:name>x</news:name>"
                    f"<news:language>ru</news:language></news:publication><news:publication_date>{it['date']}"
                    f"</news:publication_date><news:title>{it['title']}</news:title></news:news></url>"
                    for it in chosen) + "</urlset>")

    # an index: a child for the incident's days, and one modified before them (never read)
    pub.routes["/sitemap.xml"] = Response(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{pub_base}/sitemap-2022-10.xml</loc><lastmod>2022-10-31</lastmod></sitemap>"
        f"<sitemap><loc>{pub_base}/sitemap-old.xml</loc><lastmod>2021-01-31</lastmod></sitemap></sitemapindex>",
        content_type="application/xml")
    pub.routes["/sitemap-2022-10.xml"] = Response(urlset(soloti), content_type="application/xml")
    asked = []
    pub.routes["/sitemap-old.xml"] = lambda r: asked.append(r.path) or Response(urlset([]), content_type="application/xml")
    own = {"id": "the-publisher", "name": "Publisher", "lang": ["ru"], "home": pub_base, "enabled": False,
           "sources": [{"kind": "sitemap", "url": f"{pub_base}/sitemap.xml"}]}
    outlets = outlets_yaml(tmp_path, gn.base, rate=0, extra=[own])
    results = tmp_path / "results"
    search(tmp_path, outlets, results, "--no-articles", "--outlet", "google-news-test")
    hits = [h for h in gn_hits(results) if h["incident"] == "soloti-2022"]
    assert hits and all(h["url"].startswith(pub_base + "/") and h["resolved_by"] == "sitemap" for h in hits)
    assert all(h["url"] in {it["url"] for it in items if it["title"] == h["title"]} for h in hits) and not asked

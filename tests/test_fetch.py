"""net/ (the Fetcher) against a real HTTP server on 127.0.0.1 (pytest-httpserver); no other network."""
from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import tracemalloc
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response as WResponse

from incidentsearch.net import Fetcher, http_date, parse_retry_after
from incidentsearch.records import Response

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"
UA = "incidentsearch/0.1 (+https://example.invalid/incidentsearch)"


def _need_fixtures() -> None:
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures not present: real fixtures are read from there")


def _make_server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.no_handler_status_code = 404
    server.start()
    return server


@pytest.fixture(scope="module")
def _servers():
    a, b = _make_server(), _make_server()
    yield a, b
    for s in (a, b):
        s.clear()
        s.stop()


@pytest.fixture
def server(_servers) -> HTTPServer:
    s = _servers[0]
    s.clear()
    s.no_handler_status_code = 404
    return s


@pytest.fixture
def server2(_servers) -> HTTPServer:
    """Same address, other port: a different host for politeness (scheme+host+port)."""
    s = _servers[1]
    s.clear()
    s.no_handler_status_code = 404
    return s


def make_fetcher(**kw) -> Fetcher:
    opts = dict(user_agent=UA, timeout_s=5.0, connect_timeout_s=2.0, retries=2, backoff_s=0.01,
                rate_limit_s=0.0, respect_robots=False)
    opts.update(kw)
    return Fetcher(**opts)


def paths(server: HTTPServer) -> list[str]:
    return [req.path for req, _ in server.log]


# --- basics --------------------------------------------------------------------

def test_user_agent_header_arrives(server):
    server.expect_request("/ua").respond_with_data("hello", content_type="text/plain")
    with make_fetcher() as f:
        r = f.get(server.url_for("/ua"))
    assert isinstance(r, Response)
    assert r.ok and r.status == 200 and r.text == "hello" and r.content == b"hello"
    assert server.log[0][0].headers["User-Agent"] == UA
    assert f.stats["requests"] == 1 and f.stats["errors"] == 0


def test_extra_headers_are_sent(server):
    server.expect_request("/h", headers={"Accept-Language": "ru"}).respond_with_data("ok")
    with make_fetcher() as f:
        r = f.get(server.url_for("/h"), headers={"Accept-Language": "ru"})
    assert r.ok


def test_date_header_parsed_to_aware_utc(server):
    server.expect_request("/d").respond_with_data("x")      # werkzeug sends its own Date
    with make_fetcher() as f:
        r = f.get(server.url_for("/d"))
    assert r.date is not None and r.date.utcoffset().total_seconds() == 0
    assert abs((datetime.now(timezone.utc) - r.date).total_seconds()) < 60


def test_http_date_parsing():
    assert http_date("Sat, 15 Oct 2022 12:30:00 +0300") == datetime(2022, 10, 15, 9, 30, tzinfo=timezone.utc)
    assert http_date("Sat, 15 Oct 2022 09:30:00 GMT") == datetime(2022, 10, 15, 9, 30, tzinfo=timezone.utc)
    assert http_date("yesterday") is None and http_date(None) is None


def test_redirects_are_followed_and_final_url_recorded(server):
    server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    server.expect_request("/new").respond_with_data("moved here")
    with make_fetcher() as f:
        r = f.get(server.url_for("/old"))
    assert r.ok and r.text == "moved here"
    assert r.url == server.url_for("/old") and r.final_url == server.url_for("/new")


def test_redirect_loop_gives_error(server):
    server.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with make_fetcher() as f:
        r = f.get(server.url_for("/loop"))
    assert r.error == "too many redirects" and not r.ok
    assert len(server.log) == 11          # the first request and 10 redirects, no retries


def test_unsupported_scheme_is_an_error_not_an_exception():
    with make_fetcher() as f:
        assert f.get("ftp://127.0.0.1/file").error == "unsupported URL scheme"
        assert f.get("file:///etc/passwd").error == "unsupported URL scheme"
        assert f.get("http://").error == "invalid URL"
        assert f.stats["requests"] == 0 and f.stats["errors"] == 3


def test_connection_refused_gives_error():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()                          # nobody listens there now
    with make_fetcher(retries=1) as f:
        r = f.get(f"http://127.0.0.1:{port}/")
    assert r.error == "connection refused" and r.status is None and not r.ok
    assert f.stats["requests"] == 2 and f.stats["errors"] == 1


def test_unreachable_host_is_not_asked_again_in_the_same_run(server):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with make_fetcher(retries=2) as f:
        first = f.get(f"http://127.0.0.1:{port}/a")
        second = f.get(f"http://127.0.0.1:{port}/b")
        assert f.stats["requests"] == 3                  # the first URL's attempts only
        assert first.error == "connection refused"
        assert second.error == "connection refused (host unreachable earlier in this run; not retried)"
        assert f.stats["errors"] == 2
        other = f.get(server.url_for("/ok-after-dead-host"))   # another host is unaffected
        assert other.status is not None


def test_timeout_on_stalled_handler_gives_error(server):
    done = threading.Event()

    def stall(request):
        time.sleep(1.2)
        done.set()
        return WResponse("late")
    server.expect_request("/stall").respond_with_handler(stall)
    with make_fetcher(timeout_s=0.3, retries=0) as f:
        t0 = time.monotonic()
        r = f.get(server.url_for("/stall"))
        took = time.monotonic() - t0
    assert r.error == "timeout after 0.3s" and r.status is None and not r.ok
    assert took < 1.0
    done.wait(5)                          # let the handler finish before the next test


# --- retries -------------------------------------------------------------------

def test_503_then_200_is_retried(server):
    server.expect_oneshot_request("/flaky").respond_with_data("busy", status=503)
    server.expect_request("/flaky").respond_with_data("fine")
    with make_fetcher() as f:
        r = f.get(server.url_for("/flaky"))
    assert r.ok and r.text == "fine"
    assert paths(server) == ["/flaky", "/flaky"]
    assert f.stats["requests"] == 2 and f.stats["retries"] == 1


def test_backoff_is_exponential(server):
    server.expect_request("/down").respond_with_data("no", status=500)
    with make_fetcher(retries=3, backoff_s=0.1) as f:
        t0 = time.monotonic()
        r = f.get(server.url_for("/down"))
        took = time.monotonic() - t0
    assert len(server.log) == 4
    assert took >= 0.1 + 0.2 + 0.4 - 0.02     # 0.1 * 2**attempt
    assert r.error == "HTTP 500" and r.text == "no"


def test_429_retry_after_is_waited(server):
    server.expect_oneshot_request("/rl").respond_with_data("slow down", status=429,
                                                            headers={"Retry-After": "1"})
    server.expect_request("/rl").respond_with_data("ok now")
    with make_fetcher() as f:
        t0 = time.monotonic()
        r = f.get(server.url_for("/rl"))
        took = time.monotonic() - t0
    assert r.ok and r.text == "ok now"
    assert took >= 0.95
    assert len(server.log) == 2


def test_retry_after_above_cap_stops_without_sleeping(server):
    server.expect_request("/rl").respond_with_data("go away", status=503, headers={"Retry-After": "3600"})
    with make_fetcher(max_retry_after_s=5) as f:
        t0 = time.monotonic()
        r = f.get(server.url_for("/rl"))
        took = time.monotonic() - t0
    assert r.error == "rate limited: Retry-After 3600 s exceeds cap"
    assert r.status == 503 and not r.ok
    assert took < 1.0 and len(server.log) == 1


def test_retry_after_http_date():
    now = 1_700_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 30, timezone.utc), usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_retries_exhausted_keeps_status_and_body(server):
    server.expect_request("/busy").respond_with_data("still busy", status=503)
    with make_fetcher(retries=2) as f:
        r = f.get(server.url_for("/busy"))
    assert r.status == 503 and r.error == "HTTP 503" and r.text == "still busy" and not r.ok
    assert len(server.log) == 3 and f.stats["errors"] == 1


def test_404_is_not_retried_and_keeps_body(server):
    server.expect_request("/gone").respond_with_data("not here", status=404)
    with make_fetcher() as f:
        r = f.get(server.url_for("/gone"))
    assert r.status == 404 and r.error == "HTTP 404" and r.text == "not here"
    assert len(server.log) == 1


# --- politeness ----------------------------------------------------------------

def test_politeness_interval_per_host(server, server2):
    server.expect_request("/p").respond_with_data("a")
    server2.expect_request("/q").respond_with_data("b")
    with make_fetcher(rate_limit_s=0.3) as f:
        t0 = time.monotonic()
        for _ in range(3):
            assert f.get(server.url_for("/p")).ok
        same_host = time.monotonic() - t0
        t1 = time.monotonic()
        assert f.get(server2.url_for("/q")).ok      # another host:port, not delayed
        other_host = time.monotonic() - t1
    assert same_host >= 0.6
    assert other_host < 0.25


def test_rate_limit_per_call_overrides_default(server):
    server.expect_request("/p").respond_with_data("a")
    with make_fetcher(rate_limit_s=5.0) as f:
        t0 = time.monotonic()
        for _ in range(3):
            assert f.get(server.url_for("/p"), rate_limit_s=0.1).ok
        took = time.monotonic() - t0
    assert 0.2 <= took < 2.0


def test_politeness_holds_across_threads(server):
    starts: list[float] = []
    lock = threading.Lock()

    def handler(request):
        with lock:
            starts.append(time.monotonic())
        return WResponse("ok")
    server.expect_request("/t").respond_with_handler(handler)
    with make_fetcher(rate_limit_s=0.2) as f:
        results: list[Response] = []
        threads = [threading.Thread(target=lambda: results.append(f.get(server.url_for("/t"))))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert len(results) == 4 and all(r.ok for r in results)
    starts.sort()
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert len(gaps) == 3 and min(gaps) >= 0.18
    assert f.stats["requests"] == 4


# --- robots.txt ----------------------------------------------------------------

def test_robots_disallowed_url_is_not_requested(server):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n",
                                                           content_type="text/plain")
    server.expect_request("/private/x").respond_with_data("secret")
    server.expect_request("/public").respond_with_data("open")
    with make_fetcher(respect_robots=True) as f:
        blocked = f.get(server.url_for("/private/x"))
        allowed = f.get(server.url_for("/public"))
        allowed2 = f.get(server.url_for("/public"))
    assert blocked.robots_blocked and blocked.error == "disallowed by robots.txt" and not blocked.ok
    assert blocked.status is None and blocked.content == b""
    assert allowed.ok and allowed2.ok and not allowed.robots_blocked
    assert "/private/x" not in paths(server)
    assert paths(server).count("/robots.txt") == 1        # fetched once per host
    assert f.stats["robots_blocked"] == 1 and f.stats["errors"] == 0


def test_robots_group_for_our_product_token(server):
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nAllow: /\n\nUser-agent: incidentsearch\nDisallow: /search\n")
    server.expect_request("/search").respond_with_data("results")
    with make_fetcher(respect_robots=True) as f:
        r = f.get(server.url_for("/search"))
    assert r.robots_blocked and "/search" not in paths(server)


def test_robots_404_allows_all(server):
    server.expect_request("/page").respond_with_data("page")
    with make_fetcher(respect_robots=True) as f:
        r = f.get(server.url_for("/page"))
    assert r.ok and paths(server) == ["/robots.txt", "/page"]
    assert f.stats["robots_unavailable"] == 0 and f.stats["errors"] == 0


def test_robots_5xx_allows_all_and_is_noted(server):
    server.expect_request("/robots.txt").respond_with_data("oops", status=500)
    server.expect_request("/page").respond_with_data("page")
    with make_fetcher(respect_robots=True, retries=1) as f:
        r = f.get(server.url_for("/page"))
    assert r.ok
    assert f.stats["robots_unavailable"] == 1
    assert paths(server) == ["/robots.txt", "/robots.txt", "/page"]


def test_robots_fetch_obeys_politeness(server):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    server.expect_request("/page").respond_with_data("page")
    with make_fetcher(respect_robots=True, rate_limit_s=0.4) as f:
        t0 = time.monotonic()
        assert f.get(server.url_for("/page")).ok
        took = time.monotonic() - t0
    assert took >= 0.4


# --- size cap ------------------------------------------------------------------

def test_size_cap_by_content_length(server):
    server.expect_request("/big").respond_with_data(b"x" * 50_000)
    with make_fetcher(max_bytes=10_000) as f:
        r = f.get(server.url_for("/big"))
    assert r.error == "response larger than 10000 bytes" and r.content == b"" and not r.ok
    assert len(server.log) == 1                        # not retried


def test_size_cap_streamed_without_content_length(server):
    def gen():
        for _ in range(100):
            yield b"y" * 10_000
    server.expect_request("/stream").respond_with_handler(
        lambda req: WResponse(gen(), content_type="text/plain"))
    with make_fetcher(max_bytes=100_000) as f:
        r = f.get(server.url_for("/stream"))
    assert "content-length" not in {k.lower() for k in server.log[0][1].headers.keys()}
    assert r.error == "response larger than 100000 bytes"


def test_size_cap_exact_size_is_allowed(server):
    server.expect_request("/fit").respond_with_data(b"z" * 10_000)
    with make_fetcher(max_bytes=10_000) as f:
        r = f.get(server.url_for("/fit"))
    assert r.ok and len(r.content) == 10_000


def test_gzip_bomb_is_capped_with_bounded_memory(server):
    bomb = gzip.compress(b"\0" * 100_000_000, compresslevel=9)      # ~100 KB on the wire
    assert len(bomb) < 200_000
    server.expect_request("/bomb").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
    with make_fetcher(max_bytes=2_000_000) as f:
        tracemalloc.start()
        try:
            r = f.get(server.url_for("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert r.error == "response larger than 2000000 bytes"
    assert peak < 20_000_000


def test_gzip_body_is_decompressed(server):
    body = "Белгород: обстрел".encode("utf-8") * 100
    server.expect_request("/gz").respond_with_data(
        gzip.compress(body), content_type="text/plain; charset=utf-8", headers={"Content-Encoding": "gzip"})
    with make_fetcher() as f:
        r = f.get(server.url_for("/gz"))
    assert r.ok and r.content == body and r.text.startswith("Белгород")


# --- HTTP cache ----------------------------------------------------------------

def test_cache_second_get_is_from_cache(server, tmp_path):
    server.expect_request("/feed").respond_with_data("<rss/>", content_type="application/rss+xml")
    with make_fetcher(cache_dir=tmp_path, rate_limit_s=5.0) as f:
        first = f.get(server.url_for("/feed"))
        t0 = time.monotonic()
        second = f.get(server.url_for("/feed"))
        took = time.monotonic() - t0
    assert (tmp_path / "http_cache.sqlite").exists()
    assert first.ok and not first.from_cache
    assert second.ok and second.from_cache and second.content == b"<rss/>" and second.status == 200
    assert second.headers["Content-Type"] == "application/rss+xml"
    assert len(server.log) == 1
    assert took < 1.0                                   # a cache hit does not wait for politeness
    assert f.stats["requests"] == 1 and f.stats["cache_hits"] == 1


def test_cache_survives_a_new_fetcher(server, tmp_path):
    server.expect_request("/feed").respond_with_data("v1")
    with make_fetcher(cache_dir=tmp_path) as f:
        assert not f.get(server.url_for("/feed")).from_cache
    with make_fetcher(cache_dir=tmp_path) as f:
        r = f.get(server.url_for("/feed"))
    assert r.from_cache and r.text == "v1" and len(server.log) == 1


def test_cache_expire_after_zero_refetches_and_stores(server, tmp_path):
    server.expect_request("/feed").respond_with_data("fresh")
    with make_fetcher(cache_dir=tmp_path) as f:
        f.get(server.url_for("/feed"))
        r = f.get(server.url_for("/feed"), expire_after=0)
        r2 = f.get(server.url_for("/feed"))
    assert not r.from_cache and r2.from_cache
    assert len(server.log) == 2


def test_cache_expiry(server, tmp_path):
    server.expect_request("/feed").respond_with_data("x")
    with make_fetcher(cache_dir=tmp_path, cache_expire_s=0.3) as f:
        f.get(server.url_for("/feed"))
        assert f.get(server.url_for("/feed")).from_cache
        time.sleep(0.4)
        assert not f.get(server.url_for("/feed")).from_cache
        assert f.get(server.url_for("/feed"), expire_after=60).from_cache
    assert len(server.log) == 2


def test_cache_does_not_store_errors_or_oversized_bodies(server, tmp_path):
    server.expect_request("/missing").respond_with_data("nope", status=404)
    server.expect_request("/big").respond_with_handler(
        lambda req: WResponse((b"b" * 10_000 for _ in range(10)), content_type="text/plain"))
    with make_fetcher(cache_dir=tmp_path, max_bytes=50_000) as f:
        a = f.get(server.url_for("/missing"))
        b = f.get(server.url_for("/missing"))
        c = f.get(server.url_for("/big"))
        d = f.get(server.url_for("/big"))
    assert not a.from_cache and not b.from_cache and b.status == 404
    assert c.error == d.error == "response larger than 50000 bytes" and not d.from_cache
    assert paths(server) == ["/missing", "/missing", "/big", "/big"]


def test_cache_stores_redirected_and_gzipped_bodies_decoded(server, tmp_path):
    body = "Валуйки".encode("cp1251") * 50
    server.expect_request("/r").respond_with_data("", status=302, headers={"Location": "/gz"})
    server.expect_request("/gz").respond_with_data(
        gzip.compress(body), content_type="text/html; charset=windows-1251",
        headers={"Content-Encoding": "gzip"})
    with make_fetcher(cache_dir=tmp_path) as f:
        first = f.get(server.url_for("/r"))
        second = f.get(server.url_for("/r"))
    assert second.from_cache and second.content == first.content == body
    assert second.final_url == server.url_for("/gz")
    assert second.text.startswith("Валуйки") and second.encoding == "cp1251"
    assert len(server.log) == 2


# --- decoding over HTTP (real fixtures) ----------------------------------------

def _serve_fixture(server, rel: str, content_type: str) -> str:
    _need_fixtures()
    data = (FIXTURES / rel).read_bytes()
    server.expect_request("/" + rel).respond_with_data(data, content_type=content_type)
    return server.url_for("/" + rel)


def test_decoding_cp1251_declared_in_xml_prolog(server):
    url = _serve_fixture(server, "feeds/pravda.com.ua_rss_rus_cp1251.xml", "application/rss+xml")
    with make_fetcher() as f:
        r = f.get(url)
    assert r.encoding == "cp1251"
    assert "Украинская правда" in r.text and "\ufffd" not in r.text


def test_decoding_undeclared_latin1_feed(server):
    url = _serve_fixture(server, "feeds/noticias.uol.com.br_rss_noencoding.xml", "text/xml")
    with make_fetcher() as f:
        r = f.get(url)
    assert r.encoding == "cp1252"
    assert "Últimas Notícias" in r.text and "\ufffd" not in r.text


def test_decoding_meta_says_cp1251_but_bytes_are_utf8(server):
    url = _serve_fixture(server, "listings/interfax.ru_homepage_2018.html", "text/html; charset=windows-1251")
    with make_fetcher() as f:
        r = f.get(url)
    assert r.encoding == "utf-8"
    assert "Интерфакс: новости" in r.text


def test_decoding_undeclared_cp1251_russian_page(server):
    _need_fixtures()
    lines = (SHARED / "eval" / "dev_headlines.jsonl").read_text(encoding="utf-8").splitlines()
    heads = [json.loads(x)["headline"] for x in lines if json.loads(x).get("lang") == "ru"][:20]
    assert heads
    page = "<html><head><title>Новости</title></head><body>" + "".join(f"<h2>{h}</h2>" for h in heads)
    server.expect_request("/ru").respond_with_data(page.encode("cp1251"), content_type="text/html")
    with make_fetcher() as f:
        r = f.get(server.url_for("/ru"))
    assert r.encoding == "cp1251"
    assert all(h in r.text for h in heads)


def test_the_strictest_interval_asked_for_a_host_holds_for_all_its_requests(server):
    """A redirect or retry from a lax source must not speed up a host a strict source is polite to."""
    with make_fetcher(rate_limit_s=0) as f:
        t0 = time.monotonic()
        f.get(server.url_for("/strict-a"), rate_limit_s=0.4)
        f.get(server.url_for("/lax-b"), rate_limit_s=0.0)
        f.get(server.url_for("/lax-c"), rate_limit_s=0.0)
        assert time.monotonic() - t0 >= 0.75

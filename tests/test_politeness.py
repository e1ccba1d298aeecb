"""One robots.txt path: open_stream (archive scans) and the Fetcher, measured from the server.

Every server is on 127.0.0.1 (pytest-httpserver), one of its own per test: the streams' robots.txt
rules and politeness are kept per host and process, so a fresh port is a fresh host. Each test
streams with a User-Agent of its own as well (the process keeps one fetcher per User-Agent and
settings). The handlers write down when each request reached the server and how many bytes they
got to send."""
from __future__ import annotations

import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response as WResponse

from incidentsearch.net import ROBOTS_MAX_BYTES, Fetcher, StreamError, open_stream

INTERVAL = 0.3
TOLERANCE = 0.03            # the second request's connection set-up may be a little shorter
WARC = b"WARC/1.0\r\n" + b"x" * 5000


class Seen:
    """What the server saw: (monotonic time, path) per request, written by the handlers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[tuple[float, str]] = []

    def note(self, request) -> None:
        with self.lock:
            self.log.append((time.monotonic(), request.path))

    def times(self, path: str) -> list[float]:
        return [t for t, p in self.log if p == path]

    def paths(self) -> list[str]:
        return [p for _, p in self.log]


@pytest.fixture
def server():
    s = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    s.no_handler_status_code = 404
    s.start()
    s.seen = Seen()
    yield s
    s.clear()
    s.stop()


@pytest.fixture
def ua(request) -> str:
    """A User-Agent of this test's own; robots.txt groups match its product token "incidentsearch"."""
    return f"incidentsearch/0.1 (+test {request.node.name})"


def serve(server: HTTPServer, path: str, body: bytes = WARC, status: int = 200) -> None:
    def handler(request):
        server.seen.note(request)
        return WResponse(body, status=status, content_type="application/octet-stream")
    server.expect_request(path).respond_with_handler(handler)


def stream(server: HTTPServer, path: str, ua: str, **kw) -> bytes:
    opts = dict(user_agent=ua, timeout=(2.0, 5.0), retries=0, backoff_s=0.01, rate_limit_s=0.0)
    opts.update(kw)
    raw = open_stream(server.url_for(path), **opts)
    try:
        return raw.read()
    finally:
        raw.close()


def fetcher(ua: str, **kw) -> Fetcher:
    opts = dict(user_agent=ua, timeout_s=5.0, connect_timeout_s=2.0, retries=0, backoff_s=0.01,
                rate_limit_s=0.0, respect_robots=True, cache_dir=None)
    opts.update(kw)
    return Fetcher(**opts)


# --- (a) the size cap ------------------------------------------------------------

HEAD = b"User-agent: *\nDisallow: /private/\n"
LATE = b"\nUser-agent: *\nDisallow: /late/\n"      # a rule past the cap: never read, never obeyed
SLOW_CHUNK, SLOW_CHUNKS = 32 * 1024, 128           # 4 MB more after the cap, one chunk per 5 ms


def big_robots(server: HTTPServer) -> list[dict]:
    """A robots.txt of ROBOTS_MAX_BYTES + 4 MB: a rule at the top, comment lines to the cap,
    then a rule and 4 MB more, dripped (so what the server got to send past the cap is what
    the client asked for before it hung up, not what the sockets' buffers hold)."""
    pad = b"# " + b"p" * 97 + b"\n"
    fast = HEAD + pad * ((ROBOTS_MAX_BYTES - len(HEAD)) // len(pad))
    fast += b"#" * (ROBOTS_MAX_BYTES - len(fast) - 1) + b"\n"
    assert len(fast) == ROBOTS_MAX_BYTES
    tail = LATE + b"#" * (SLOW_CHUNK - len(LATE))
    total = len(fast) + SLOW_CHUNK * SLOW_CHUNKS
    served: list[dict] = []

    def handler(request):
        server.seen.note(request)
        state = {"sent": 0, "finished": False}
        served.append(state)

        def body():
            yield fast
            state["sent"] += len(fast)
            for i in range(SLOW_CHUNKS):
                time.sleep(0.005)
                chunk = tail if i == 0 else b"#" * SLOW_CHUNK
                yield chunk
                state["sent"] += len(chunk)
            state["finished"] = True
        return WResponse(body(), headers={"Content-Length": str(total)}, content_type="text/plain")
    server.expect_request("/robots.txt").respond_with_handler(handler)
    return served


def test_a_robots_txt_over_the_cap_is_read_to_the_cap_and_judged_alike(server, ua):
    served = big_robots(server)
    for p in ("/private/a.warc.gz", "/late/b.warc.gz", "/open/c.warc.gz"):
        serve(server, p)
    # the stream
    with pytest.raises(StreamError, match="disallowed by robots.txt"):
        stream(server, "/private/a.warc.gz", ua)
    assert stream(server, "/late/b.warc.gz", ua) == WARC
    assert stream(server, "/open/c.warc.gz", ua) == WARC
    # the Fetcher, for the same file
    with fetcher(ua) as f:
        private = f.get(server.url_for("/private/a.warc.gz"))
        late = f.get(server.url_for("/late/b.warc.gz"))
    assert private.robots_blocked and private.error == "disallowed by robots.txt"
    assert late.ok and late.content == WARC
    assert f.stats["robots_unavailable"] == 0 and f.stats["errors"] == 0
    # what the server saw: robots.txt once per path (the stream's, the Fetcher's), neither read
    # to its end: past the cap, no more than the chunk the client was reading when it hung up
    assert server.seen.paths() == ["/robots.txt", "/late/b.warc.gz", "/open/c.warc.gz",
                                   "/robots.txt", "/late/b.warc.gz"]
    assert len(served) == 2
    for state in served:
        past = state["sent"] - ROBOTS_MAX_BYTES
        print(f"\nrobots.txt: {state['sent']:,} bytes sent of {ROBOTS_MAX_BYTES + SLOW_CHUNK * SLOW_CHUNKS:,} "
              f"({past:,} past the cap)")
        assert not state["finished"]
        assert past <= 4 * SLOW_CHUNK


# --- (b) politeness: the gaps the server sees ----------------------------------------

def test_robots_txt_then_each_stream_wait_the_interval(server, ua):
    server.expect_request("/robots.txt").respond_with_handler(
        lambda req: (server.seen.note(req), WResponse("User-agent: *\nAllow: /\n"))[1])
    serve(server, "/a.warc.gz")
    serve(server, "/b.warc.gz")
    for p in ("/a.warc.gz", "/b.warc.gz"):
        assert stream(server, p, ua, rate_limit_s=INTERVAL) == WARC
    assert server.seen.paths() == ["/robots.txt", "/a.warc.gz", "/b.warc.gz"]
    starts = [t for t, _ in server.seen.log]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    print(f"\ngaps robots.txt -> stream 1 -> stream 2: {', '.join(f'{g:.3f}' for g in gaps)} s")
    assert min(gaps) >= INTERVAL - TOLERANCE


def test_streams_opened_side_by_side_and_their_retries_wait_their_turn(server, ua):
    server.expect_request("/robots.txt").respond_with_handler(
        lambda req: (server.seen.note(req), WResponse("", status=404))[1])
    answers = iter([503, 200])
    lock = threading.Lock()

    def flaky(request):
        server.seen.note(request)
        with lock:
            status = next(answers, 200)
        return WResponse(WARC if status == 200 else b"busy", status=status)
    server.expect_request("/flaky.warc.gz").respond_with_handler(flaky)
    for p in ("/a.warc.gz", "/b.warc.gz"):
        serve(server, p)
    got: list[bytes] = []

    def one(path: str) -> None:
        got.append(stream(server, path, ua, rate_limit_s=INTERVAL, retries=1))
    threads = [threading.Thread(target=one, args=(p,)) for p in ("/a.warc.gz", "/b.warc.gz", "/flaky.warc.gz")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert got == [WARC] * 3
    assert server.seen.paths().count("/robots.txt") == 1 and server.seen.paths()[0] == "/robots.txt"
    assert server.seen.paths().count("/flaky.warc.gz") == 2                 # the 503, then its retry
    starts = sorted(t for t, _ in server.seen.log)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    print(f"\ngaps between the 5 requests: {', '.join(f'{g:.3f}' for g in gaps)} s")
    assert len(gaps) == 4 and min(gaps) >= INTERVAL - TOLERANCE


# --- (c) the verdict -----------------------------------------------------------------

def test_a_disallowed_path_is_not_streamed_as_it_is_not_fetched(server, ua):
    """Our group (the product token "incidentsearch") rules us, not the "*" one, for both."""
    server.expect_request("/robots.txt").respond_with_handler(
        lambda req: (server.seen.note(req), WResponse("User-agent: *\nDisallow: /\n\n"
                                                      "User-agent: incidentsearch\nDisallow: /cc/\n"
                                                      "Disallow: /*.paths.gz$\n"))[1])
    urls = ("/cc/a.warc.gz", "/crawl/warc.paths.gz", "/open/c.warc.gz")
    for p in urls:
        serve(server, p)
    for p in urls[:2]:
        with pytest.raises(StreamError, match="disallowed by robots.txt"):
            stream(server, p, ua)
    assert stream(server, "/open/c.warc.gz", ua) == WARC
    with fetcher(ua) as f:
        verdicts = {p: f.get(server.url_for(p)) for p in urls}
    assert [p for p, r in verdicts.items() if r.robots_blocked] == list(urls[:2])
    assert verdicts["/open/c.warc.gz"].ok and f.stats["robots_blocked"] == 2
    assert server.seen.paths() == ["/robots.txt", "/open/c.warc.gz", "/robots.txt", "/open/c.warc.gz"]


@pytest.mark.parametrize("status", [404, 403, 500, 503])
def test_an_unreadable_robots_txt_is_judged_alike(server, ua, status):
    """4xx: no robots.txt for us, allow all. 5xx (after the retries): unavailable, allow all and
    note it. The stream asks robots.txt as often as the Fetcher does."""
    server.expect_request("/robots.txt").respond_with_handler(
        lambda req: (server.seen.note(req), WResponse("no", status=status))[1])
    serve(server, "/a.warc.gz")
    assert stream(server, "/a.warc.gz", ua, retries=1) == WARC
    by_stream = server.seen.paths()
    server.seen.log.clear()
    with fetcher(ua, retries=1) as f:
        r = f.get(server.url_for("/a.warc.gz"))
    assert r.ok and r.content == WARC
    assert server.seen.paths() == by_stream
    assert by_stream.count("/robots.txt") == (2 if status >= 500 else 1)
    assert f.stats["robots_unavailable"] == (1 if status >= 500 else 0)

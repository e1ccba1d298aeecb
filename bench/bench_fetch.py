"""Polite concurrent fetching against a local workload (loopback only), side by side.

    python bench/bench_fetch.py [--hosts 40] [--requests 20] [--interval 0.25]

40 hosts (one server each on 127.0.0.1, a port apiece) answer 20 requests each with
100-200 ms of latency; every host asks for 0.25 s between requests. The politeness bound is
about requests x interval (5 s): the fastest honest run. The same workload is run with one
host at a time (a naive script's sum over hosts, ~120 s) and with a thread per host; then
the same run again on the same day, answered from the HTTP cache.

Targets (issue 7): concurrent within 1.15x of the bound; at least 10x faster than
sequential; never two requests in flight to one host; a second identical run makes no
network request for cached listings and takes under 5% of the first run's time.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from incidentsearch.config import OutletsFile, load_incidents  # noqa: E402
from incidentsearch.net import Fetcher  # noqa: E402
from incidentsearch.match import Matcher  # noqa: E402
from incidentsearch.live.listings import ListingSearch, plan  # noqa: E402
from incidentsearch.results.folder import Store  # noqa: E402

FEED = ("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item><title>Day {day}: "
        "market report</title><link>http://127.0.0.1/{day}</link></item></channel></rss>").encode()


class Host:
    """One local server; records when each request arrived and how many were in flight."""

    def __init__(self, rnd: random.Random):
        self.log: list[tuple[float, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        lock = threading.Lock()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    host.in_flight += 1
                    host.max_in_flight = max(host.max_in_flight, host.in_flight)
                start = time.monotonic()
                if self.path == "/robots.txt":
                    body, status = b"", 404
                else:
                    time.sleep(rnd.uniform(0.1, 0.2))
                    body, status = FEED.replace(b"{day}", self.path.encode()[-10:]), 200
                self.send_response(status)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=86400")
                self.end_headers()
                self.wfile.write(body)
                with lock:
                    host.in_flight -= 1
                    if self.path != "/robots.txt":
                        host.log.append((start, time.monotonic()))

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def workload(hosts, n_requests: int, interval: float) -> tuple[OutletsFile, list]:
    """Each host: a listing named by day ({since:%Y-%m-%d}), read once per day of a window of
    n_requests days."""
    inc = next(i for i in load_incidents(ROOT / "queries") if i.id == "soloti-2022")
    from datetime import timedelta
    inc = inc.model_copy(update={"window": inc.window.model_copy(update={"before": 0, "after": n_requests - 1}),
                                 "end": None})
    outlets = OutletsFile.model_validate({"defaults": {"rate_limit_s": interval, "retries": 0}, "outlets": [
        {"id": f"h{k}", "name": f"Host {k}", "lang": ["en"],
         "sources": [{"kind": "rss", "url": f"http://127.0.0.1:{h.port}/day/{{since:%Y-%m-%d}}"}]}
        for k, h in enumerate(hosts)]})
    assert len(plan(outlets, [inc])) == len(hosts) * n_requests, timedelta
    return outlets, [inc]


def one_run(outlets, incs, *, parallel: int, cache: Path | None, interval: float) -> tuple[float, int]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    store = Store(tmp, "2026-01-01")
    fetcher = Fetcher(user_agent="incidentsearch-bench/1", rate_limit_s=interval, retries=0, cache_dir=cache)
    run = ListingSearch(outlets, incs, fetcher=fetcher, store=store, matcher=Matcher(incs, semantic=False))
    t = time.perf_counter()
    run.run_all(plan(outlets, incs), parallel=parallel)
    elapsed = time.perf_counter() - t
    store.close()
    fetcher.close()
    return elapsed, fetcher.stats["requests"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=40)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--skip-sequential", action="store_true", help="estimate the sequential time instead")
    a = ap.parse_args(argv)
    rnd = random.Random(3)
    hosts = [Host(rnd) for _ in range(a.hosts)]
    try:
        outlets, incs = workload(hosts, a.requests, a.interval)
        bound = a.requests * a.interval
        cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
        conc, _ = one_run(outlets, incs, parallel=a.hosts + 8, cache=cache, interval=a.interval)
        max_in_flight = max(h.max_in_flight for h in hosts)
        gaps = [b[0] - a_[0] for h in hosts for a_, b in zip(h.log, h.log[1:])]
        served = sum(len(h.log) for h in hosts)
        rerun, _ = one_run(outlets, incs, parallel=a.hosts + 8, cache=cache, interval=a.interval)
        rerun_req = sum(len(h.log) for h in hosts) - served      # listing requests that reached a server
        if a.skip_sequential:
            seq = sum(e - s for h in hosts for s, e in h.log[: a.requests]) + a.hosts * a.requests * 0.0
            seq_note = "estimated: sum of the first run's service times"
        else:
            seq, _ = one_run(outlets, incs, parallel=1, cache=None, interval=a.interval)
            seq_note = "measured"
    finally:
        for h in hosts:
            h.close()
    res = {"hosts": a.hosts, "requests_per_host": a.requests, "interval_s": a.interval,
           "politeness_bound_s": bound, "concurrent_s": round(conc, 2), "ratio_to_bound": round(conc / bound, 3),
           "sequential_s": round(seq, 2), "sequential": seq_note, "speedup_vs_sequential": round(seq / conc, 1),
           "max_in_flight_per_host": max_in_flight, "min_gap_between_requests_s": round(min(gaps), 3),
           "rerun_s": round(rerun, 3), "rerun_listing_requests": rerun_req,
           "rerun_share_of_first": round(rerun / conc, 4),
           "targets": {"within_1.15x_bound": conc / bound <= 1.15, "10x_faster_than_sequential": seq / conc >= 10,
                       "one_in_flight_per_host": max_in_flight == 1,
                       "rerun_no_requests": rerun_req == 0, "rerun_under_5pct": rerun / conc < 0.05}}
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Parsing speed: a 500-item feed and a ~300 KB search page, each under 20 ms (issue 7).

    python bench/bench_parse.py [--repeat 20]

The feed is RSS 2.0 built from real published headlines (../shared/eval and the real
feeds in ../shared/fixtures/feeds); the page is the real Interfax listing of 2018
(../shared/fixtures/listings), padded with copies of its own timeline to ~300 KB, read
with html_search selectors for its timeline items.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from incidentsearch.text.charset import decode_body  # noqa: E402
from incidentsearch.config import HtmlSearchSource, RssSource  # noqa: E402
from incidentsearch.records import Response  # noqa: E402
from incidentsearch.sources import html_search, rss  # noqa: E402

SHARED = ROOT.parent / "shared"


def titles() -> list[str]:
    out = [json.loads(line)["headline"] for line in (SHARED / "eval" / "dev_headlines.jsonl").open(encoding="utf-8")]
    import feedparser
    for f in sorted((SHARED / "fixtures" / "feeds").glob("*.xml")):
        out += [e.get("title", "") for e in feedparser.parse(f.read_bytes()).entries if e.get("title")]
    return [t for t in out if t]


def feed(n: int) -> bytes:
    ts = titles()
    start = datetime(2023, 5, 22, tzinfo=timezone.utc)
    items = "".join(f"<item><title>{escape(ts[i % len(ts)])}</title><link>https://example.org/news/{i}</link>"
                    f"<pubDate>{format_datetime(start - timedelta(minutes=7 * i))}</pubDate>"
                    f"<description>{escape(ts[(i * 7) % len(ts)])}</description></item>" for i in range(n))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            f"<link>https://example.org/</link>{items}</channel></rss>").encode()


def page(target: int) -> bytes:
    raw = (SHARED / "fixtures" / "listings" / "interfax.ru_homepage_2018.html").read_bytes()
    text = raw.decode("utf-8")
    start = text.index("<div data-time=")                  # the "Новости дня" timeline
    end = text.index("</div>", text.rindex("<div data-time=")) + 6
    block = text[start:end]
    while len(text.encode()) < target:
        text = text[:end] + block + text[end:]
    return text.encode()


def timed(fn, repeat: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        n = len(fn().candidates)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args(argv)
    if not (SHARED / "eval" / "dev_headlines.jsonl").is_file():
        print(f"skipped: {SHARED} is not beside the repo (the benchmark's headlines are read from it)")
        return 0
    body = feed(500)
    text, enc = decode_body(body, "application/rss+xml")
    resp = Response(url="https://example.org/rss", status=200, content=body, text=text, encoding=enc,
                    headers={"Content-Type": "application/rss+xml"})
    spec = RssSource(kind="rss", url="https://example.org/rss")
    feed_ms, feed_n = timed(lambda: rss.parse(spec, resp), a.repeat)

    html = page(300_000)
    htext, henc = decode_body(html, "text/html")
    hresp = Response(url="https://www.interfax.ru/search/", status=200, content=html, text=htext, encoding=henc,
                     headers={"Content-Type": "text/html"})
    hspec = HtmlSearchSource(kind="html_search", url="https://www.interfax.ru/search/?phrase={query}",
                             item="div[data-time]", fields={"title": "a", "date": "@data-time"})
    page_ms, page_n = timed(lambda: html_search.parse(hspec, hresp), a.repeat)
    res = {"feed_items": feed_n, "feed_kb": len(body) // 1024, "feed_ms": round(feed_ms, 2),
           "page_items": page_n, "page_kb": len(html) // 1024, "page_ms": round(page_ms, 2),
           "target_ms": 20, "feed_ok": feed_ms < 20, "page_ok": page_ms < 20}
    for k, v in res.items():
        print(f"{k:>12}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

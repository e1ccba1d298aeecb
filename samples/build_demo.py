"""Build samples/demo.warc.gz: a recording the tool replays with no network.

    python samples/build_demo.py [--shared ../shared]

Real article pages (HuffPost UK and The Irish Times, saved by the htmldate project,
Apache-2.0) are recorded under their original URLs, with the feeds that list them and
a reposted copy of one of them (constructed, the way scraper sites repost wire stories:
the same text under another URL, ending "Source: Read Full Article"). The demo's
outlets and incident (samples/demo/) are recorded in the WARC too, so
`python search.py --replay samples/demo.warc.gz` needs nothing else. See samples/README.md.
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape, unescape
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from incidentsearch.charset import decode_body  # noqa: E402
from incidentsearch.models import Response  # noqa: E402
from incidentsearch.warc import Recorder  # noqa: E402

HUFF = ("https://www.huffingtonpost.co.uk/entry/cnn-host-asks-netanyahu-adviser-to-estimate-deaths-in-refugee-camp"
        "_uk_6543a9a8e4b0cde80b8bdbe5")
IRISH = ("https://www.irishtimes.com/world/middle-east/2023/11/03/israel-hamas-war-israel-war-resembles-something-"
         "approaching-revenge-taoiseach-says/")
REPOST = "https://newsrepost.example/2023/11/03/cnn-host-asks-netanyahu-adviser-over-and-over-to-estimate-deaths/"
FEEDS = {
    "https://www.huffingtonpost.co.uk/feeds/index.xml": [
        ("CNN Host Asks Netanyahu Adviser Over And Over To Estimate Deaths In Gaza Refugee Camp", HUFF,
         datetime(2023, 11, 2, 14, 0, tzinfo=timezone.utc))],
    "https://www.irishtimes.com/arc/outboundfeeds/feed-world/": [
        ("Israel war resembles something ‘approaching revenge’, Taoiseach says", IRISH,
         datetime(2023, 11, 3, 17, 0, tzinfo=timezone.utc))],
    "https://newsrepost.example/feed.xml": [
        ("CNN Host Asks Netanyahu Adviser Over And Over To Estimate Deaths In Gaza Refugee Camp", REPOST,
         datetime(2023, 11, 3, 6, 30, tzinfo=timezone.utc))],
}
WHEN = datetime(2023, 11, 4, 9, 0, tzinfo=timezone.utc)     # when the recording says it was made


def rss(items) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed</title>'
           '<link>https://example.org/</link><description>constructed listing</description>']
    for title, link, when in items:
        out.append(f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
                   f"<pubDate>{format_datetime(when)}</pubDate></item>")
    out.append("</channel></rss>")
    return "".join(out).encode()


def repost_page(huff_html: str) -> bytes:
    """The HuffPost story's paragraphs under another URL, the way scraper sites repost."""
    paras = [unescape(re.sub(r"<[^>]+>", "", p)).strip()
             for p in re.findall(r"<p[^>]*>(.*?)</p>", huff_html, flags=re.S)]
    paras = [p for p in paras if len(p) > 60][:12]
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    title = "CNN Host Asks Netanyahu Adviser Over And Over To Estimate Deaths In Gaza Refugee Camp"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta property='article:published_time' content='2023-11-03T06:30:00+00:00'></head><body>"
            f"<article><h1>{escape(title)}</h1>{body}<p>Source: Read Full Article</p></article></body></html>").encode()


def response(url: str, body: bytes, ctype: str) -> Response:
    text, enc = decode_body(body, ctype)
    return Response(url=url, final_url=url, status=200, headers={"Content-Type": ctype,
                    "Date": format_datetime(WHEN, usegmt=True)}, content=body, text=text, encoding=enc, date=WHEN)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    ap.add_argument("--out", type=Path, default=HERE / "demo.warc.gz")
    a = ap.parse_args()
    arts = a.shared / "fixtures" / "articles"
    huff = (arts / "huffingtonpost.co.uk_article_1_war.html").read_bytes()
    irish = (arts / "irishtimes.com_article_1_war.html").read_bytes()
    a.out.unlink(missing_ok=True)
    demo = HERE / "demo"
    configs = {"outlets.yaml": (demo / "outlets.yaml").read_bytes()}
    for f in sorted((demo / "queries").glob("*.yaml")):
        configs[f"queries/{f.name}"] = f.read_bytes()
    rec = Recorder(a.out, user_agent="incidentsearch/0.1.0 (+https://github.com/incidentsearch/incidentsearch)")
    rec.start(arguments=["samples/build_demo.py"], configs=configs,
              run={"started": WHEN.isoformat(), "incidents": ["jabalia-2023"], "outlets": None,
                   "since": None, "until": None})
    for url, items in FEEDS.items():
        rec.exchange(response(url, rss(items), "application/rss+xml; charset=utf-8"))
    rec.exchange(response(HUFF, huff, "text/html; charset=utf-8"))
    rec.exchange(response(IRISH, irish, "text/html; charset=utf-8"))
    rec.exchange(response(REPOST, repost_page(huff.decode("utf-8", "replace")), "text/html; charset=utf-8"))
    rec.close()
    print(f"wrote {a.out} ({a.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The product's first test: the two seed reports of ../shared/seeds are found end to end.

Both are served on 127.0.0.1 as a small outlet: an RSS feed whose items carry the report's
title, its publication date and its first paragraph (as a feed's description), each linking to
an article page that holds the report's text. The dates are the reports' publication days
(16 Oct 2022 and 23 May 2023); the page around each text is constructed (a title, an h1, a
<time> element and one <p> per paragraph), the text is the seed's own.

`python search.py` runs as a user runs it, articles on, and must file each report under its
incident; the report whose headline and first paragraph name no place is decided by its
article, and the dossier shows both.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone
from email.utils import format_datetime
from html import escape

import pytest

from conftest import ROOT, shared_or_skip

SEEDS = {   # file -> (incident, publication day)
    "000_639ac37d99f8af10.txt": ("soloti-2022", date(2022, 10, 16)),
    "004_852a0b10f4acef58.txt": ("grayvoron-2023", date(2023, 5, 23)),
}


def read_seed(name: str) -> tuple[str, list[str]]:
    """(title, paragraphs): the file's first line, then its non-empty lines, the title's repeat left out."""
    lines = shared_or_skip("seeds", name).read_text(encoding="utf-8").splitlines()
    title = lines[0].strip()
    paras = [ln.strip() for ln in lines[1:] if ln.strip() and ln.strip() != title]
    return title, paras


def first_paragraph(title: str, paras: list[str]) -> str:
    """The lead as a feed would give it: the first paragraph, without a repeated title stuck to it."""
    p = paras[0]
    short = title.split(";")[0].replace("’", "'")
    if p.replace("’", "'").startswith(short):
        p = p[len(short):].lstrip()
    return p.split("Moscow/Kyiv: ", 1)[-1]


def article_page(title: str, day: date, paras: list[str]) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta property='article:published_time' content='{day.isoformat()}T10:00:00+00:00'></head>"
            f"<body><article><h1>{escape(title)}</h1><time datetime='{day.isoformat()}'>{day:%d %B %Y}</time>"
            f"{body}</article></body></html>").encode()


def feed(base: str, items) -> bytes:
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel><title>Seeds</title>'
           f'<link>{base}/</link><language>en</language>']
    for n, (title, day, lead) in enumerate(items):
        when = datetime(day.year, day.month, day.day, 9, 30, tzinfo=timezone.utc)
        out.append(f"<item><title>{escape(title)}</title><link>{base}/news/seed-{n}.html</link>"
                   f"<pubDate>{format_datetime(when)}</pubDate><description>{escape(lead)}</description></item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode()


def seeds_outlets(tmp_path, base: str, more: str = ""):
    """An outlets.yaml with one outlet, the seeds' feed (and ``more`` outlets' YAML after it)."""
    path = tmp_path / "outlets.yaml"
    path.write_text(f"""\
defaults: {{rate_limit_s: 0, timeout_s: 5, connect_timeout_s: 2, retries: 0}}
outlets:
  - id: seeds
    name: The seed reports
    lang: [en]
    sources:
      - {{kind: rss, url: "{base}/feed.xml"}}
{more}""", encoding="utf-8")
    return path


@pytest.fixture
def seeds_site(httpserver):
    base = httpserver.url_for("").rstrip("/")
    items = []
    for n, (name, (inc, day)) in enumerate(SEEDS.items()):
        title, paras = read_seed(name)
        items.append((title, day, first_paragraph(title, paras)))
        httpserver.expect_request(f"/news/seed-{n}.html").respond_with_data(
            article_page(title, day, paras), content_type="text/html; charset=utf-8")
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/feed.xml").respond_with_data(feed(base, items), content_type="application/rss+xml")
    return base, items


def test_both_seed_reports_are_found_end_to_end(tmp_path, seeds_site, guarded_env):
    base, items = seeds_site
    outlets = seeds_outlets(tmp_path, base)
    proc = subprocess.run([sys.executable, str(ROOT / "search.py"), "--outlets", str(outlets), "--queries",
                           str(ROOT / "queries"), "--results", str(tmp_path / "results"), "--cache-dir",
                           str(tmp_path / "cache")], cwd=tmp_path, env=guarded_env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    day = next((tmp_path / "results").iterdir())
    found = {}
    for inc in {inc for inc, _ in SEEDS.values()} | {"shebekino-2023", "belgorod-raids-2024"}:
        path = day / inc / "hits.jsonl"
        for h in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()) if path.exists() else ():
            found.setdefault(h["title"], []).append(h)
    for (title, _, _), (inc, pub) in zip(items, SEEDS.values()):
        assert title in found, f"seed report not found: {title!r}\n{proc.stdout}"
        hits = found[title]
        assert [h["incident"] for h in hits] == [inc], hits          # under its incident, and only there
        assert hits[0]["published"].startswith(pub.isoformat())
        assert hits[0]["decided_by"] in ("headline", "snippet", "article")
    soloti = found[items[0][0]][0]
    # "Soldiers killed in Russia during military training in terrorist incident" names no place, nor does its
    # first paragraph: the page ("in the Belgorod region") decides
    assert soloti["decided_by"] == "article", soloti
    assert any("Belgorod" in m and "(article)" in m for m in soloti["matched"]), soloti["matched"]
    grayvoron = found[items[1][0]][0]
    assert grayvoron["decided_by"] in ("headline", "snippet")      # region, the raiding groups, the only window
    # each report's page was captured, and the dossier lists both under their incidents
    for title, (inc, _) in zip((t for t, _, _ in items), SEEDS.values()):
        arts = [json.loads(x) for x in (day / inc / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
        assert any(a["url"].startswith(base + "/news/seed-") and a["chars"] > 200 for a in arts), arts
        assert escape(title) in (day / inc / "report.html").read_text(encoding="utf-8")

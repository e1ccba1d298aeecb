"""End to end: an undated headline that a date would decide is read, not dropped.

A sitemap on 127.0.0.1 lists three pages without dates, with real published headlines
from ../shared/eval/dev_headlines.jsonl: a wire report of the Grayvoron raid that names
only "Ukraine-backed Russian militants" (any of the three raids), a report of the 2023
Bryansk raid (a hard negative), and a page that gives no date. None can be matched on the
headline; each goes to pending.jsonl of the incidents a date would decide it for, and the
article stage reads the page: its date and lead decide. The page bodies are constructed
(their facts as reported).
"""
from __future__ import annotations

import json
import subprocess
import sys
from html import escape

import pytest

from conftest import ROOT, shared_or_skip

GRAYVORON = "Ukraine-backed Russian militants claim they've taken over a Russian village in a cross-border raid"
BRYANSK = "Стало известно об обстановке в Брянской области после атаки диверсантов"


def _labelled(headline: str) -> dict:
    path = shared_or_skip("eval", "dev_headlines.jsonl")
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        if row["headline"] == headline:
            return row
    pytest.skip(f"dev set changed: {headline!r} not found")


def article(title: str, published: str | None, lead: str) -> str:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = " ".join([lead] + ["Further details were not immediately available."] * 3)
    return (f"<!doctype html><html><head><title>{escape(title)}</title>{meta}</head><body><article>"
            f"<h1>{escape(title)}</h1><p>{escape(body)}</p><p>{escape(lead)}</p></article></body></html>")


PAGES = {
    "/world/militants-claim-village": (GRAYVORON, "2023-05-22T17:40:00+00:00",
                                       "Fighters of the Freedom of Russia Legion and the Russian Volunteer Corps "
                                       "said they had taken the village of Kozinka in the Grayvoron district of "
                                       "Belgorod region after crossing the border from Ukraine."),
    "/obstanovka-bryansk": (BRYANSK, "2023-03-02T12:00:00+03:00",
                            "Губернатор Брянской области Александр Богомаз рассказал об обстановке в Климовском "
                            "районе после атаки украинских диверсантов на сёла Любечане и Сушаны."),
    "/no-date": ("Russian Volunteer Corps raid claim: what we know", None,
                 "Russian Volunteer Corps fighters claimed a cross-border raid; the date of this page is not given."),
}


def sitemap(base: str) -> bytes:
    rows = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">']
    for path, (title, _, _) in PAGES.items():
        rows.append(f"<url><loc>{base}{path}</loc><news:news><news:publication><news:name>Local</news:name>"
                    f"<news:language>en</news:language></news:publication>"
                    f"<news:title>{escape(title)}</news:title></news:news></url>")
    return ("\n".join(rows) + "</urlset>").encode()


def test_undated_headlines_are_decided_by_their_pages(tmp_path, httpserver, guarded_env):
    for h in (GRAYVORON, BRYANSK):
        assert _labelled(h)["date"] is None                 # undated in the labelled set too
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/sitemap.xml").respond_with_data(sitemap(base), content_type="application/xml")
    for path, (title, published, lead) in PAGES.items():
        httpserver.expect_request(path).respond_with_data(article(title, published, lead),
                                                          content_type="text/html; charset=utf-8")
    outlets = tmp_path / "outlets.yaml"
    outlets.write_text("defaults: {rate_limit_s: 0, timeout_s: 5, connect_timeout_s: 2, retries: 0}\n"
                       "outlets:\n  - id: local\n    name: Local wire\n    lang: [en, ru]\n"
                       f"    sources:\n      - {{kind: sitemap, url: '{base}/sitemap.xml'}}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "search.py"), "--outlets", str(outlets),
                           "--queries", str(ROOT / "queries"), "--results", str(tmp_path / "results"),
                           "--cache-dir", str(tmp_path / "cache"),
                           "--incident", "grayvoron-2023", "--incident", "shebekino-2023"],
                          cwd=tmp_path, env=guarded_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [day] = list((tmp_path / "results").iterdir())

    def read(folder, name):
        path = day / folder / name
        return [json.loads(x) for x in path.read_text("utf-8").splitlines()] if path.exists() else []

    # the raid report: pending for all three raids a date would decide; its page dates it 22 May 2023
    pending = {r["url"]: r for r in read("grayvoron-2023", "pending.jsonl")}
    url = f"{base}/world/militants-claim-village"
    assert set(pending[url]["undecided"]) == {"grayvoron-2023", "shebekino-2023", "belgorod-raids-2024"}
    [hit] = read("grayvoron-2023", "hits.jsonl")
    assert hit["url"] == url and hit["title"] == GRAYVORON
    assert hit["decided_by"] == "article" and hit["date_method"] == "article"
    assert hit["published"].startswith("2023-05-22") and hit["source"] == "sitemap"
    # the Bryansk report and the page without a date were read and left pending, with the reason
    arts = {a["url"]: a for a in read("grayvoron-2023", "articles.jsonl")}
    assert arts[url]["match"]["verdict"] == "confirmed"
    assert arts[f"{base}/obstanovka-bryansk"]["match"]["verdict"] == "not this incident"
    assert any("outside the window" in r for r in arts[f"{base}/obstanovka-bryansk"]["match"]["reasons"])
    assert arts[f"{base}/no-date"]["match"]["verdict"] == "undecided"

    # the same page, read for the June 2023 raid, is not its report
    assert read("shebekino-2023", "hits.jsonl") == []
    she = {a["url"]: a for a in read("shebekino-2023", "articles.jsonl")}
    assert she[url]["match"]["verdict"] == "not this incident"

    run = json.loads((day / "grayvoron-2023" / "run.json").read_text("utf-8"))
    src = run["outlets"]["local"]["sources"][0]
    assert src["pending"] == len(pending) and src["hits"] == 0     # the hit came from the article stage
    assert run["hits_total"] == 1

"""End to end: `python search.py` as a subprocess against outlets played on 127.0.0.1.

Four outlets, one per source kind, serve real published headlines from
../shared/eval/dev_headlines.jsonl (labelled with their incident, distractors
included) in the formats of the real sites: an RSS 2.0 feed, a sitemap index
with Google News children, an HTML search page with two result pages, and a
JSON search API. A fifth outlet points at a port nobody listens on.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import date, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from werkzeug import Response

from incidentsearch.config import load_incidents
from incidentsearch.match import Matcher

from conftest import ROOT, shared_or_skip

MSK = ZoneInfo("Europe/Moscow")
HIT_FIELDS = {"incident", "outlet", "lang", "title", "url", "published", "score", "matched", "source",
              "query", "found_at"}


def rows():
    path = shared_or_skip("eval", "dev_headlines.jsonl")
    out = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    for n, r in enumerate(out):
        r["id"] = n
    return out


def split(all_rows):
    """Deal the labelled rows out to the four outlets by language, distractors to each."""
    ru = [r for r in all_rows if r["lang"] == "ru"]
    en = [r for r in all_rows if r["lang"] == "en"]
    return {"rss": ru[: len(ru) // 2], "json": ru[len(ru) // 2:], "sitemap": en[: len(en) // 2],
            "html": en[len(en) // 2:]}


def local_url(base, r):
    d = r["date"].replace("-", "/") + "/" if r.get("date") else ""
    return f"{base}/news/{d}item-{r['id']}.html"


def rss_feed(base, items):
    out = ['<?xml version="1.0" encoding="windows-1251"?>',
           '<rss version="2.0"><channel><title>Local feed</title><link>%s</link><language>ru</language>' % base]
    for r in items:
        pub = ""
        if r.get("date"):
            dt = datetime.combine(date.fromisoformat(r["date"]), datetime.min.time().replace(hour=14), MSK)
            pub = f"<pubDate>{format_datetime(dt)}</pubDate>"
        out.append(f"<item><title>{escape(r['headline'])}</title><link>{local_url(base, r)}</link>{pub}</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode("cp1251", errors="xmlcharrefreplace")


def news_sitemap(base, items):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
           'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">']
    for r in items:
        pub = f"<news:publication_date>{r['date']}</news:publication_date>" if r.get("date") else ""
        out.append(f"<url><loc>{local_url(base, r)}</loc><news:news><news:publication><news:name>Local</news:name>"
                   f"<news:language>en</news:language></news:publication>{pub}"
                   f"<news:title>{escape(r['headline'])}</news:title></news:news></url>")
    out.append("</urlset>")
    return "\n".join(out).encode()


def sitemap_index(base):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<sitemap><loc>{base}/sitemaps/recent.xml</loc><lastmod>2024-06-01T00:00:00+00:00</lastmod></sitemap>'
            f'<sitemap><loc>{base}/sitemaps/2019-01.xml</loc><lastmod>2019-01-31</lastmod></sitemap>'
            '</sitemapindex>').encode()


def html_page(base, items):
    lis = "".join(f'<li class="result"><a class="title" href="/news/item-{r["id"]}.html">{escape(r["headline"])}</a>'
                  f'<time datetime="{r["date"] or ""}">{r["date"] or ""}</time></li>' for r in items)
    return f"<!doctype html><html><head><meta charset='utf-8'><title>Search</title></head><body>" \
           f"<ul class='results'>{lis}</ul></body></html>".encode()


def json_page(items, page):
    docs = {f"news/item-{r['id']}.html": {"title": r["headline"], "url": f"/news/item-{r['id']}.html",
                                          "pub_date": r["date"]} for r in items}
    return json.dumps({"documents": docs, "has_next": page == 0}, ensure_ascii=False).encode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def site(httpserver):
    base = httpserver.url_for("").rstrip("/")
    parts = split(rows())
    html1, html2 = parts["html"][: len(parts["html"]) // 2], parts["html"][len(parts["html"]) // 2:]
    json1, json2 = parts["json"][: len(parts["json"]) // 2], parts["json"][len(parts["json"]) // 2:]

    def html_search(request):
        page = int(request.args.get("page", "1"))
        return Response(html_page(base, {1: html1, 2: html2}.get(page, [])), content_type="text/html; charset=utf-8")

    def json_search(request):
        page = int(request.args.get("page", "0"))
        return Response(json_page({0: json1, 1: json2}.get(page, []), page), content_type="application/json")

    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/rss.xml").respond_with_data(rss_feed(base, parts["rss"]),
                                                            content_type="application/rss+xml")
    httpserver.expect_request("/sitemap_index.xml").respond_with_data(sitemap_index(base), content_type="text/xml")
    httpserver.expect_request("/sitemaps/recent.xml").respond_with_data(news_sitemap(base, parts["sitemap"]),
                                                                        content_type="application/xml")
    httpserver.expect_request("/sitemaps/2019-01.xml").respond_with_data(news_sitemap(base, []),
                                                                         content_type="application/xml")
    httpserver.expect_request("/search").respond_with_handler(html_search)
    httpserver.expect_request("/api/search").respond_with_handler(json_search)
    return base, parts


def outlets_yaml(base, *, dead: bool) -> str:
    text = f"""\
defaults: {{rate_limit_s: 0, timeout_s: 5, connect_timeout_s: 2, retries: 0, max_pages: 5}}
outlets:
  - id: feedy
    name: Feedy (RSS, windows-1251)
    lang: [ru]
    tz: Europe/Moscow
    sources:
      - {{kind: rss, url: "{base}/rss.xml"}}
  - id: mapsite
    name: Mapsite (sitemap index)
    lang: [en]
    sources:
      - {{kind: sitemap, url: "{base}/sitemap_index.xml"}}
  - id: htmls
    name: HTML search
    lang: [en]
    sources:
      - kind: html_search
        url: "{base}/search?q={{query}}&from={{since:%d.%m.%Y}}&page={{page}}"
        item: li.result
        fields: {{title: a.title, date: "time@datetime"}}
  - id: jsonapi
    name: JSON search
    lang: [ru]
    tz: Europe/Moscow
    sources:
      - kind: json_search
        url: "{base}/api/search?term={{query}}&page={{page}}&per_page=50"
        page_start: 0
        items: documents
        fields: {{title: title, url: url, date: pub_date}}
"""
    if dead:
        text += f"""\
  - id: dead
    name: Dead outlet
    lang: [ru]
    sources:
      - {{kind: rss, url: "http://127.0.0.1:{free_port()}/rss.xml"}}
"""
    return text


def run(tmp_path, env, outlets_file, *extra):
    proc = subprocess.run([sys.executable, str(ROOT / "search.py"), "--outlets", str(outlets_file),
                           "--queries", str(ROOT / "queries"), "--results", str(tmp_path / "results"),
                           "--cache-dir", str(tmp_path / "cache"), *extra],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return proc


def day_dir(tmp_path) -> Path:
    days = list((tmp_path / "results").iterdir())
    assert len(days) == 1
    return days[0]


def hits_of(folder: Path) -> list[dict]:
    path = folder / "hits.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def expected(parts) -> dict[str, set[str]]:
    """What the run must store: every served headline the matcher accepts, in its incident's folder."""
    matcher = Matcher.from_folder(ROOT / "queries")
    out: dict[str, set[str]] = {}
    for rs in parts.values():
        for r in rs:
            d = date.fromisoformat(r["date"]) if r.get("date") else None
            for m in matcher.best(r["headline"], published=d, lang=r["lang"]):
                out.setdefault(m.incident, set()).add(r["headline"])
    return out


def test_run_writes_dated_results_and_a_rerun_adds_nothing(tmp_path, site, guarded_env, httpserver):
    base, parts = site
    f = tmp_path / "outlets.yaml"
    f.write_text(outlets_yaml(base, dead=True), encoding="utf-8")

    proc = run(tmp_path, guarded_env, f)
    assert proc.returncode == 1, proc.stderr          # the dead outlet failed, the rest answered
    day = day_dir(tmp_path)
    assert day.name == date.today().isoformat()
    want = expected(parts)
    # rows marked "scored": false are ambiguous from the headline alone (the eval README): no verdict on them
    labels = {r["headline"]: r["incident"] for rs in parts.values() for r in rs if r.get("scored") is not False}
    assert set(want) >= {"soloti-2022", "grayvoron-2023"}, "the served data must exercise several incidents"

    for inc in ["belgorod-raids-2024", "grayvoron-2023", "shebekino-2023", "soloti-2022"]:
        folder = day / inc
        assert (folder / "run.json").exists() and (folder / "hits.csv").exists()
        hits = hits_of(folder)
        assert {h["title"] for h in hits} == want.get(inc, set()), inc
        assert len({h["url"] for h in hits}) == len(hits), "duplicate hits"
        for h in hits:
            assert HIT_FIELDS <= set(h), h
            assert h["incident"] == inc and labels.get(h["title"], inc) == inc, h
            assert 0 <= h["score"] <= 100 and h["matched"]
            assert h["url"].startswith(base + "/news/")
            assert datetime.fromisoformat(h["found_at"]).tzinfo is not None
            if h["published"]:
                date.fromisoformat(h["published"][:10])
            assert h["source"] in {"rss", "sitemap", "html_search", "json_search"}
            assert (h["query"] is None) == (h["source"] in {"rss", "sitemap"})

    # every kind delivered hits, and the windows-1251 feed's Cyrillic came through intact
    all_hits = [h for inc in want for h in hits_of(day / inc)]
    assert {h["outlet"] for h in all_hits} == {"feedy", "mapsite", "htmls", "jsonapi"}
    assert any(h["outlet"] == "feedy" and "Белгородской" in h["title"] for h in all_hits)
    feedy = [h for h in all_hits if h["outlet"] == "feedy" and h["published"]]
    assert feedy and all(h["published"].endswith("+03:00") for h in feedy)

    # run.json: every outlet and source, with statuses, counts and the dead outlet's error
    rec = json.loads((day / "soloti-2022" / "run.json").read_text(encoding="utf-8"))
    assert rec["exit_code"] == 1 and rec["incident"]["id"] == "soloti-2022"
    assert set(rec["outlets"]) == {"feedy", "mapsite", "htmls", "jsonapi", "dead"}
    dead = rec["outlets"]["dead"]["sources"][0]
    assert dead["status"] == "failed" and "connection refused" in dead["errors"][0]
    for oid in ("feedy", "mapsite", "htmls", "jsonapi"):
        src = rec["outlets"][oid]["sources"][0]
        assert src["status"] == "ok" and src["errors"] == [] and src["requests"] >= 1
        assert src["candidates"] > 0 and set(src["statuses"]) == {"200"}
        assert src["capped"] is False
    assert rec["outlets"]["mapsite"]["sources"][0]["requests"] == 2      # index + the recent child only
    assert rec["hits_new"] == len(hits_of(day / "soloti-2022"))
    paths = [e[0].path for e in httpserver.log]
    assert "/sitemaps/2019-01.xml" not in paths, "a child older than the window must not be fetched"
    html_pages = {e[0].args.get("page") for e in httpserver.log if e[0].path == "/search"}
    assert html_pages == {"1", "2", "3"}                                 # page 3 came back empty: stop

    # the summary on stdout names the folder and the failure: a host that refused is one line
    assert str(day) in proc.stdout
    assert re.search(r"^  UNREACHABLE 127\.0\.0\.1:\d+ \(connection refused\): dead\[0\] rss$", proc.stdout, re.M)
    assert not proc.stdout.splitlines()[-1].startswith("no network")     # the other hosts answered

    # a second run the same day adds nothing and keeps the first run in the history
    before = {inc: (day / inc / "hits.jsonl").read_bytes() if (day / inc / "hits.jsonl").exists() else b""
              for inc in want}
    proc2 = run(tmp_path, guarded_env, f)
    assert proc2.returncode == 1, proc2.stderr
    for inc in want:
        assert (day / inc / "hits.jsonl").read_bytes() == before[inc]
    rec2 = json.loads((day / "soloti-2022" / "run.json").read_text(encoding="utf-8"))
    assert rec2["hits_new"] == 0 and rec2["hits_total"] == len(hits_of(day / "soloti-2022"))
    assert len(rec2["history"]) == 1 and rec2["history"][0]["hits_new"] == rec["hits_new"]
    assert rec2["fetch"]["cache_hits"] > 0


def test_all_sources_answering_exits_0_and_dry_run_fetches_nothing(tmp_path, site, guarded_env, httpserver):
    base, _ = site
    f = tmp_path / "outlets.yaml"
    f.write_text(outlets_yaml(base, dead=False), encoding="utf-8")
    dry = run(tmp_path, guarded_env, f, "--dry-run", "--incident", "soloti-2022")
    assert dry.returncode == 0, dry.stderr
    assert httpserver.log == [] and not (tmp_path / "results").exists()
    planned = dry.stdout.splitlines()
    inc = load_incidents(ROOT / "queries")
    soloti = next(i for i in inc if i.id == "soloti-2022")
    # rss + sitemap once each, html per English query, json per Russian query
    assert len(planned) == 2 + len(soloti.queries.en) + len(soloti.queries.ru)
    assert any(f"{base}/search?q=" in p and "&from=14.10.2022&page=1" in p for p in planned)

    proc = run(tmp_path, guarded_env, f, "--incident", "soloti-2022", "--outlet", "feedy", "--outlet", "htmls")
    assert proc.returncode == 0, proc.stderr
    day = day_dir(tmp_path)
    assert [p.name for p in day.iterdir()] == ["soloti-2022"]
    rec = json.loads((day / "soloti-2022" / "run.json").read_text(encoding="utf-8"))
    assert set(rec["outlets"]) == {"feedy", "htmls"} and rec["exit_code"] == 0
    assert {h["outlet"] for h in hits_of(day / "soloti-2022")} <= {"feedy", "htmls"}


def test_replay_of_a_recording_reproduces_the_hits_offline(tmp_path, site, guarded_env, httpserver):
    from warcio.archiveiterator import ArchiveIterator

    base, parts = site
    f = tmp_path / "outlets.yaml"
    f.write_text(outlets_yaml(base, dead=False), encoding="utf-8")
    proc = run(tmp_path, guarded_env, f, "--incident", "soloti-2022", "--incident", "grayvoron-2023",
               "--no-articles")
    assert proc.returncode == 0, proc.stderr
    day = day_dir(tmp_path)
    warc = day / "soloti-2022" / "raw.warc.gz"
    with warc.open("rb") as fh:
        recs = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                 r.http_headers.get_header("Set-Cookie") if r.http_headers else None) for r in ArchiveIterator(fh)]
    kinds = [k for k, _, _ in recs]
    assert kinds[0] == "warcinfo" and "request" in kinds and "response" in kinds
    assert ("resource", "urn:incidentsearch:config/outlets.yaml", None) in recs
    assert all(cookie is None for _, _, cookie in recs)
    served = len(httpserver.log)

    httpserver.stop()                       # nothing answers any more: the replay must not need it
    out = tmp_path / "replayed"
    try:
        proc2 = subprocess.run([sys.executable, str(ROOT / "search.py"), "--replay", str(warc), "--results", str(out),
                                "--no-cache", "--no-articles"], cwd=tmp_path, env=guarded_env,
                               capture_output=True, text=True, timeout=300)
    finally:
        httpserver.start()                  # the server is the session's: later tests need it answering
    assert proc2.returncode == 0, proc2.stderr
    assert len(httpserver.log) == served

    def key(h):   # not "query": the first query that surfaced a hit depends on which incidents ran
        return (h["url"], h["title"], h["published"], h["score"], tuple(h["matched"]), h["outlet"], h["source"])

    replay_day = next(out.iterdir())
    original = sorted(map(key, hits_of(day / "soloti-2022")))
    assert original and sorted(map(key, hits_of(replay_day / "soloti-2022"))) == original
    # the soloti recording holds the listings and soloti's own queries: it replays soloti
    assert [p.name for p in replay_day.iterdir()] == ["soloti-2022"]


def test_the_bundled_demo_replays_into_a_dossier(tmp_path, guarded_env):
    """samples/demo.warc.gz: a run about one of our own incidents, offline, in two languages,
    from several outlets, with a syndication cluster, pages captured live and one read from
    the Wayback fallback (issue 14)."""
    import stat

    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(ROOT / "search.py"), "--replay", str(ROOT / "samples" / "demo.warc.gz"),
                           "--results", str(out), "--no-cache"], cwd=tmp_path, env=guarded_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert [p.name for p in next(out.iterdir()).iterdir()] == ["soloti-2022"]
    assert (ROOT / "queries" / "soloti-2022.yaml").exists()          # one of our own incidents
    folder = next(out.iterdir()) / "soloti-2022"
    hits = hits_of(folder)
    assert len(hits) >= 5 and {h["lang"] for h in hits} == {"ru", "en"}
    assert len({h["outlet"] for h in hits}) >= 5
    assert all(h["published"] and h["published"][:10] in ("2022-10-15", "2022-10-16") for h in hits)
    arts = [json.loads(line) for line in (folder / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(arts) == len(hits) and all(a["chars"] > 200 and a["lead"] for a in arts)
    assert sorted(a["source"] for a in arts).count("wayback") == 1 and "live" in {a["source"] for a in arts}
    gone = next(a for a in arts if a["source"] == "wayback")
    assert gone["status"] == 404 and gone["snapshot"].startswith("https://web.archive.org/web/")
    assert all((folder / a["html"]).exists() and (folder / a["text"]).exists() for a in arts)
    assert all("Constructed page for the incidentsearch demo" in (folder / a["html"]).read_text(encoding="utf-8")
               or "Страница построена для демонстрации" in (folder / a["html"]).read_text(encoding="utf-8")
               for a in arts)
    assert all(a["match"]["verdict"] == "confirmed" for a in arts)
    clusters = json.loads((folder / "clusters.json").read_text(encoding="utf-8"))
    big = [c for c in clusters if len(c["members"]) > 1]
    assert len(big) == 1 and {u.split("/")[2] for u in big[0]["members"]} == {"www.devdiscourse.com", "adaderana.lk"}
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "<svg" in report and "Soloti" in report and 'id="state"' not in report
    assert "Wayback copy" in report and "saved copy" in report and "the day of the incident" in report
    for name in ("hits.csv", "run.json", "report.html", "clusters.json", "hits.jsonl"):
        assert stat.S_IMODE((folder / name).stat().st_mode) & 0o044 == 0o044, name   # readable by colleagues


def test_the_demo_dossier_in_headless_chromium(tmp_path, guarded_env):
    """The demo's dossier as a browser shows it: every report's lead under its headline, its
    saved copy and original one click away, the evidence in words (issue 14)."""
    import shutil as _shutil

    from test_report import CHROMIUM, _chromium
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (bash .ci/chromium.sh installs it as root)")
    import lxml.html

    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, str(ROOT / "search.py"), "--replay", str(ROOT / "samples" / "demo.warc.gz"),
                           "--results", str(out), "--no-cache"], cwd=tmp_path, env=guarded_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = next(out.iterdir()) / "soloti-2022" / "report.html"
    png = tmp_path / "demo.png"
    _chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2400", page.resolve().as_uri())
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("DEMO_SCREENSHOT"):
        _shutil.copy(png, os.environ["DEMO_SCREENSHOT"])
    dom = _chromium(tmp_path, "--dump-dom", page.resolve().as_uri())
    doc = lxml.html.fromstring(dom.stdout)
    rows = doc.xpath("//table[@class='hits']//tr[@class='hit']")
    assert len(rows) == 7
    for r in rows:
        assert len(r.xpath(".//p[@class='lead']")[0].text_content()) > 100
        assert [a.text_content() for a in r.xpath(".//div[contains(@class,'links')]/a")][:2] == ["saved copy",
                                                                                                  "original"]
        words = r.xpath("./td[@class='feat']")[0].text_content()
        assert "in the window" in words and ":" not in words.replace("“", "").split("(")[0][:3]
    assert any("Wayback copy" in r.text_content() for r in rows)
    assert not doc.xpath("//script")

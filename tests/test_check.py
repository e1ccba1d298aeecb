"""`search.py check`: one real request per source against local outlets, the right verdicts."""
from __future__ import annotations

from incidentsearch.cli import main

from conftest import ROOT, shared_or_skip



def outlets_yaml(base: str) -> str:
    return f"""\
defaults: {{rate_limit_s: 0, retries: 0, timeout_s: 5}}
outlets:
  - id: healthy
    name: Healthy feed
    lang: [en]
    sources:
      - {{kind: rss, url: "{base}/healthy.xml"}}
  - id: empty
    name: Empty answer
    lang: [en]
    sources:
      - {{kind: rss, url: "{base}/empty.xml"}}
  - id: blocked
    name: Geoblocked search
    lang: [ru]
    sources:
      - kind: json_search
        url: "{base}/blocked?q={{query}}"
        items: documents
        fields: {{title: title, url: url}}
  - id: broken
    name: Redesigned search page
    lang: [en]
    sources:
      - kind: html_search
        url: "{base}/search?q={{query}}"
        item: li.result
        fields: {{title: a}}
  - id: notafeed
    name: Error page instead of a feed
    lang: [en]
    sources:
      - {{kind: rss, url: "{base}/gone.xml"}}
  - id: private
    name: Disallowed by robots.txt
    lang: [en]
    sources:
      - {{kind: rss, url: "{base}/private/feed.xml"}}
"""


def test_check_verdicts(tmp_path, httpserver, capsys, monkeypatch):
    feed = shared_or_skip("fixtures", "feeds", "theguardian.com_rss_us.xml").read_bytes()
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/healthy.xml").respond_with_data(feed, content_type="application/rss+xml")
    httpserver.expect_request("/empty.xml").respond_with_data(b"", content_type="application/rss+xml")
    httpserver.expect_request("/blocked").respond_with_data("Access denied", status=403)
    # the page answers 200 but its markup no longer has li.result: a parse failure, never "no news"
    httpserver.expect_request("/search").respond_with_data(
        "<html><body><div class='new-layout'><a href='/a'>Story</a></div></body></html>",
        content_type="text/html; charset=utf-8")
    httpserver.expect_request("/gone.xml").respond_with_data(
        "<html><head><title>Page not found</title></head><body>Sorry</body></html>",
        content_type="text/html")
    f = tmp_path / "outlets.yaml"
    f.write_text(outlets_yaml(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    code = main(["check", "--outlets", str(f), "--queries", str(ROOT / "queries"), "--no-cache"])
    out = capsys.readouterr().out
    assert code == 1
    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    verdicts = {k: v.split("  ") for k, v in rows.items()}

    def verdict_of(outlet):
        return [c.strip() for c in verdicts[outlet] if c.strip()][4]

    assert verdict_of("healthy") == "ok"
    assert " 55 " in rows["healthy"]                       # the Guardian feed's 55 items
    assert verdict_of("empty") == "empty"
    assert verdict_of("blocked") == "blocked" and " 403 " in rows["blocked"]
    assert verdict_of("broken") == "parse failure" and "zero items" in rows["broken"]
    assert verdict_of("notafeed") == "parse failure" and "not a feed" in rows["notafeed"]
    assert verdict_of("private") == "robots disallowed"
    assert out.splitlines()[-1] == "1 of 6 sources ok; 2 parse failure, 1 blocked, 1 empty, 1 robots disallowed"
    assert not any(e[0].path == "/private/feed.xml" for e in httpserver.log)
    # the query sent is a real incident query, not a placeholder
    blocked_req = next(e[0] for e in httpserver.log if e[0].path == "/blocked")
    assert blocked_req.args["q"]


def test_check_all_healthy_exits_0(tmp_path, httpserver, capsys):
    feed = shared_or_skip("fixtures", "feeds", "theguardian.com_rss_us.xml").read_bytes()
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/healthy.xml").respond_with_data(feed, content_type="application/rss+xml")
    f = tmp_path / "outlets.yaml"
    f.write_text(outlets_yaml(httpserver.url_for("").rstrip("/")), encoding="utf-8")
    code = main(["check", "--outlets", str(f), "--queries", str(ROOT / "queries"), "--no-cache",
                 "--outlet", "healthy"])
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 of 1 sources ok"

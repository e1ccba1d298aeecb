"""The dossier page: built from real headlines of the Grayvoron raid plus hostile ones,
read back with lxml, and opened in headless Chromium."""
from __future__ import annotations

import ast
import importlib.resources
import json
import os
import shutil
import subprocess
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import shared_or_skip
from incidentsearch.config import load_incident
from incidentsearch.results.dossier import environment, render, safe_href, write_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
XSS_TITLE = "<script>alert(1)</script> Грайворон"
IMG_TITLE = '"><img src=x onerror=alert(1)> Belgorod raid'
EVIL_OUTLET = "Evil & <Co> \"quoted\" 'single'"
JS_URL = "javascript:alert(1)"


def _hit(n, row, **over):
    hit = {"incident": "grayvoron-2023", "outlet": row["outlet"], "lang": row["lang"], "title": row["headline"],
           "url": row["url"], "published": row["date"], "score": 60 + n,
           "matched": ["place:Грайворон", "date:in-window"],
           "source": "rss", "query": None, "found_at": "2023-07-01T00:00:00Z", "date_method": "field",
           "listing_url": "https://example.org/feed.xml"}
    hit.update(over)
    return hit


@pytest.fixture(scope="module")
def dataset():
    rows = [json.loads(line) for line in
            shared_or_skip("eval", "dev_headlines.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("incident") == "grayvoron-2023"]
    assert len(rows) >= 8 and any(r["date"] is None for r in rows)
    hits = [_hit(n, r) for n, r in enumerate(rows)]
    hits[0]["published"] = "2023-05-22T21:40:00+03:00"  # a datetime with an offset
    hits += [
        _hit(90, rows[0], title=XSS_TITLE, url="https://evil.example/a?x=1&y=<2>", published="2023-05-22",
             outlet=EVIL_OUTLET, lang="ru", cluster="c1"),
        _hit(91, rows[0], title=IMG_TITLE, url=JS_URL, published="2023-05-23", lang="en", cluster="c1",
             outlet="Mirror", publisher="<b>Publisher</b>"),
    ]
    hits[1]["cluster"] = "c1"
    articles = {
        hits[1]["url"]: {"final_url": hits[1]["url"], "status": 200, "source": "live", "snapshot": None,
                         "html": "articles/0001.html", "text": "articles/0001.txt", "title": "t", "chars": 900},
        hits[-2]["url"]: {"final_url": "javascript:alert(2)", "status": 200, "source": "wayback",
                          "snapshot": "https://web.archive.org/web/2023/https://evil.example/",
                          "html": "articles/../../etc/passwd", "error": "<b>timeout</b>"},
    }
    clusters = [{"id": "c1", "original": hits[1]["url"], "members": [hits[-1]["url"], hits[-2]["url"], hits[1]["url"]],
                 "reasons": ["wire credit: Reuters", "<i>shingles</i> 0.8"]},
                {"id": "c2", "original": hits[2]["url"], "members": [hits[2]["url"]]}]
    run = {"version": "0.1.0", "started": "2023-07-01T00:00:00Z", "ended": "2023-07-01T00:10:00Z", "exit_code": 1,
           "outlets": {
               "tass": {"name": "ТАСС", "sources": [
                   {"kind": "rss", "url": "https://tass.ru/rss/v2.xml", "status": "ok", "requests": 1,
                    "statuses": {"200": 1}, "candidates": 100, "hits": 3, "errors": [], "capped": False,
                    "robots_blocked": 0},
                   {"kind": "sitemap", "url": "https://tass.ru/sitemap.xml", "status": "failed", "requests": 4,
                    "statuses": {"503": 4}, "candidates": 0, "hits": 0,
                    "errors": ["https://tass.ru/sitemap.xml: HTTP 503"], "capped": False, "robots_blocked": 2}]},
               "evil": {"name": EVIL_OUTLET, "sources": [
                   {"kind": "google_news", "url": JS_URL, "status": "partial", "requests": 7, "statuses": {"200": 7},
                    "candidates": 100, "hits": 2, "errors": ["<script>x</script>"], "capped": True,
                    "robots_blocked": 0}]}}}
    return hits, articles, clusters, run


@pytest.fixture(scope="module")
def report(dataset, tmp_path_factory):
    hits, articles, clusters, run = dataset
    incident = load_incident(ROOT / "queries" / "grayvoron-2023.yaml")
    folder = tmp_path_factory.mktemp("grayvoron-2023")
    path = write_report(folder, incident, hits, articles=articles, clusters=clusters, run=run)
    assert path == folder / "report.html"
    text = path.read_text(encoding="utf-8")
    return path, text, lxml_html.fromstring(text), incident


def test_card(report):
    _, _, doc, incident = report
    card = doc.get_element_by_id("incident")
    text = card.text_content()
    assert incident.title.en in text and incident.title.ru in text
    assert "2023-05-22 – 2023-05-23" in text
    assert "Козинка" in text and incident.descriptions.en[0] in text
    assert card.xpath(".//*[@lang='ru']")


def test_timeline_days_and_languages(report, dataset):
    hits = dataset[0]
    _, _, doc, _ = report
    svg = doc.xpath("//section[@id='timeline']//svg")
    assert len(svg) == 1
    dated = [h for h in hits if h["published"]]
    days = Counter(h["published"][:10] for h in dated)
    groups = svg[0].xpath(".//g[@class='day']")
    assert sorted(g.get("data-date") for g in groups) == sorted(days)
    for g in groups:
        assert int(g.get("data-total")) == days[g.get("data-date")]
        want = Counter(h["lang"] for h in dated if h["published"][:10] == g.get("data-date"))
        got = {r.get("data-lang"): int(r.get("data-count")) for r in g.xpath("./rect")}
        assert got == dict(want)
    legend = {s.get("data-lang"): int(s.get("data-count")) for s in doc.xpath("//span[@class='lg']")}
    assert legend == dict(Counter(h["lang"] for h in dated))
    assert svg[0].xpath(".//g[@class='incident-day']")  # the incident day is marked
    assert svg[0].xpath(".//text[@class='tick']")  # a date axis


def test_table_rows_sorted_and_undated_last(report, dataset):
    hits = dataset[0]
    _, _, doc, _ = report
    rows = doc.xpath("//table[@class='hits']//tr[@class='hit']")
    assert len(rows) == len(hits)
    dated_rows = doc.xpath("//tbody[@class='dated']/tr[@class='hit']")
    undated_rows = doc.xpath("//tbody[@class='undated']/tr[@class='hit']")
    assert len(undated_rows) == sum(1 for h in hits if not h["published"]) > 0
    dates = [r.xpath("./td[1]")[0].get("data-date") for r in dated_rows]
    assert dates == sorted(dates) and all(dates)
    assert all(not r.xpath("./td[1]")[0].text_content() for r in undated_rows)
    # Russian headlines carry lang="ru"
    ru = [h["title"] for h in hits if h["lang"] == "ru"]
    tagged = [e.text_content() for e in doc.xpath("//table[@class='hits']//*[@class='hl'][@lang='ru']")]
    assert sorted(tagged) == sorted(ru)
    # a saved copy: headline links to it, and the original is linked too
    saved = doc.xpath("//a[@href='articles/0001.html']")
    assert len(saved) == 2 and saved[1].text_content() == "saved copy"      # the headline, and said in words
    assert saved[1].getparent().xpath(f".//a[@href='{hits[1]['url']}']")[0].text_content() == "original"


def test_clusters(report, dataset):
    hits = dataset[0]
    _, _, doc, _ = report
    section = doc.get_element_by_id("clusters")
    boxes = section.xpath(".//div[@class='cluster']")
    assert [b.get("id") for b in boxes] == ["cluster-c1"]  # the one-member cluster is not shown
    items = boxes[0].xpath(".//li")
    assert len(items) == 3
    assert "original" in items[0].get("class") and hits[1]["title"] in items[0].text_content()
    assert "2023-05-22" in items[1].text_content() and "2023-05-23" in items[2].text_content()
    assert "<i>shingles</i>" in boxes[0].text_content()


def test_coverage(report):
    _, _, doc, _ = report
    rows = doc.xpath("//table[@class='coverage']//tr[@class='source']")
    assert [(r.get("data-outlet"), r.get("data-status")) for r in rows] == \
        [("tass", "ok"), ("tass", "failed"), ("evil", "partial")]
    stats = doc.get_element_by_id("coverage").xpath(".//ul[@class='stats']")[0].text_content()
    for frag in ("2sources answered", "1failed", "2blocked by robots.txt", "1capped", "12requests", "5hits"):
        assert frag in stats
    assert "ТАСС" in rows[0].text_content() and "HTTP 503" in rows[1].text_content()


def test_hostile_strings_are_text(report):
    _, text, doc, _ = report
    assert not doc.xpath("//script") and "<script" not in text.lower()
    assert not doc.xpath("//img") and not doc.xpath("//i")
    assert not [b for b in doc.xpath("//b") if b.text_content() in ("Publisher", "timeout")]
    assert not any(el.attrib.get(a, "").strip() for el in doc.iter() if isinstance(el.tag, str)
                   for a in el.attrib if a.lower().startswith("on"))
    body = doc.text_content()
    for s in (XSS_TITLE, IMG_TITLE, EVIL_OUTLET, "<b>Publisher</b>", "<b>timeout</b>", "<script>x</script>"):
        assert s in body
    hrefs = [a.get("href") for a in doc.xpath("//a[@href]")]
    assert hrefs and not any(h.strip().lower().startswith(("javascript:", "data:", "vbscript:")) for h in hrefs)
    assert not any(".." in h for h in hrefs if h.startswith("articles/"))
    assert "https://evil.example/a?x=1&amp;y=&lt;2&gt;" in text
    # the javascript: URL is shown nowhere as a link, but its headline still is
    img_cell = [td for td in doc.xpath("//td") if IMG_TITLE in td.text_content()]
    assert img_cell and not img_cell[0].xpath(".//a")


@pytest.mark.parametrize("url,ok", [
    ("https://a.example/x", True), ("HTTP://a.example", True), ("articles/0001.html", True),
    ("javascript:alert(1)", False), (" javascript:alert(1)", False), ("java\tscript:alert(1)", False),
    ("data:text/html,<b>", False), ("articles/../x.html", False), ("/etc/passwd", False), ("//a.example", False),
    ("https:///nohost", False), (None, False), ("", False)])
def test_safe_href(url, ok):
    assert (safe_href(url) is not None) == ok


def test_empty_report(tmp_path):
    incident = load_incident(ROOT / "queries" / "grayvoron-2023.yaml")
    path = write_report(tmp_path, incident, [])
    doc = lxml_html.fromstring(path.read_text(encoding="utf-8"))
    assert "No dated reports" in doc.get_element_by_id("timeline").text_content()
    assert "No run record" in doc.get_element_by_id("coverage").text_content()


TEMPLATES = ("dossier.html.j2", "timeline.html.j2", "dossier.css")


def test_templates_are_package_data_that_render_escaped():
    """The page comes from the package's own template files (package data, so an installed copy
    has them), through an environment that escapes every value and refuses an undefined name."""
    folder = importlib.resources.files("incidentsearch.results") / "templates"
    assert all((folder / name).is_file() for name in TEMPLATES)
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["tool"]["setuptools"]["package-data"]["incidentsearch.results"] == ["templates/*"]
    assert any(d.replace(" ", "").lower().startswith("jinja2>=") for d in data["project"]["dependencies"])
    env = environment()
    assert env.autoescape is True and env.undefined.__name__ == "StrictUndefined"
    assert sorted(env.list_templates()) == sorted(TEMPLATES)

    inc = {"id": "x", "title": {"en": "<script>alert(1)</script>", "ru": "<b>ру</b>"}, "date": "2022-10-15",
           "places": ["<img src=x onerror=alert(1)>"]}
    hit = {"outlet": EVIL_OUTLET, "lang": "en", "title": XSS_TITLE, "url": JS_URL, "published": "2022-10-15",
           "score": 70, "matched": ["place:<i>x</i>"], "source": "<s>", "cluster": '"><script>x</script>',
           "snippet": "<script>lead()</script>", "publisher": "<u>via</u>"}
    copy = dict(hit, url="https://a.example/?q=<1>&x=\"2\"", title=IMG_TITLE, lang="ru")
    run = {"ended": "t", "exit_code": 1, "network": {"verdict": "no network: <img src=x onerror=alert(2)>; check"},
           "outlets": {"<o>": {"name": "<script>n</script>", "sources": [
               {"kind": "<k>", "url": JS_URL, "status": "failed", "errors": ["<script>e</script>"]}]}}}
    text = render(inc, [hit, copy], run=run)
    doc = lxml_html.fromstring(text)
    assert not doc.xpath("//script") and "<script" not in text and not doc.xpath("//img|//i|//u|//s")
    body = doc.text_content()
    for s in ("<script>alert(1)</script>", XSS_TITLE, IMG_TITLE, EVIL_OUTLET, "<img src=x onerror=alert(1)>",
              "<img src=x onerror=alert(2)>", "<script>n</script>", "<script>e</script>", "<u>via</u>"):
        assert s in body, s
    # the javascript: URL is a link nowhere; the https one is (headline, "original", in its cluster), its
    # & and quotes escaped in the attribute
    assert [a.get("href") for a in doc.xpath("//a[@href][not(starts-with(@href, '#'))]")] == \
        ["https://a.example/?q=<1>&x=\"2\""] * 3
    assert 'href="https://a.example/?q=&lt;1&gt;&amp;x=&#34;2&#34;"' in text
    assert doc.xpath("//td[contains(., 'Грайворон')]//span[@class='hl']")      # the headline, as plain text
    # the head: the same Content-Security-Policy, nothing external, the style sheet inlined as it is
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]
    assert not doc.xpath("//link|//iframe|//object|//embed|//*[@src]")
    css = (folder / "dossier.css").read_text(encoding="utf-8")
    assert "</" not in css and "@import" not in css and "url(" not in css
    assert [el.text for el in doc.xpath("//style")] == [css.rstrip("\n")]


def test_dossier_modules_use_no_private_name_of_another():
    """The dossier's modules share only public names (and the templates see only the view's data)."""
    pkg = ROOT / "incidentsearch" / "results"
    for path in sorted(pkg.glob("dossier*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not [a.name for a in node.names if a.name.startswith("_") and not a.name.endswith("__")], \
                    (path.name, node.module)


def _chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    return subprocess.run([str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=120, env=env,
                          check=False)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (bash .ci/chromium.sh installs it as root)")
def test_in_headless_chromium(report, tmp_path):
    path, _, _, _ = report
    url = path.resolve().as_uri()
    png = tmp_path / "report.png"
    shot = _chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", url)
    assert png.exists(), shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    if os.environ.get("REPORT_SCREENSHOT"):
        shutil.copy(png, os.environ["REPORT_SCREENSHOT"])
    dom = _chromium(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    doc = lxml_html.fromstring(dom.stdout)
    body = doc.text_content()
    assert XSS_TITLE in body and IMG_TITLE in body and EVIL_OUTLET in body
    assert not doc.xpath("//img") and not doc.xpath("//script")
    assert doc.xpath("//section[@id='timeline']//svg//g[@class='day']")
    assert doc.xpath("//table[@class='hits']//tr[@class='hit']")
    # an alert() would have blocked or been logged; none ran
    assert "alert" not in (dom.stderr + shot.stderr).lower().replace("alert(1)", "")

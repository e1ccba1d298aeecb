"""--archive: WARC files built here with warcio from the real article pages in
../shared/fixtures/articles/ and pages made from ../shared/eval/dev_headlines.jsonl."""
from __future__ import annotations

import gzip
import html
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT, shared_or_skip
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from incidentsearch import cli
from incidentsearch.archive.locations import cc_news_months, expand
from incidentsearch.archive.prefilter import Prefilter
from incidentsearch.archive.scan import ScanSpec, scan_file
from incidentsearch.config import load_glossary, load_incidents
from incidentsearch.match import Matcher

QUERIES = ROOT / "queries"
NEUTRAL = {"ru": "Подробности будут опубликованы позже.", "uk": "Подробиці згодом.",
           "en": "More details will follow later today."}


def headline_rows(n_per_incident: int = 3, n_none: int = 6) -> list[dict]:
    """Dated rows of the dev set: a few per incident of queries/ and a few distractors."""
    rows = [json.loads(line) for line in shared_or_skip("eval", "dev_headlines.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    known = {i.id for i in load_incidents(QUERIES)}
    out, seen = [], {}
    for r in rows:
        label = r.get("incident")
        if not r.get("date") or (label not in known and label != "none"):
            continue
        cap = n_none if label == "none" else n_per_incident
        if seen.get(label, 0) < cap:
            seen[label] = seen.get(label, 0) + 1
            out.append(r)
    return out


def headline_page(r: dict, k: int) -> tuple[str, bytes, str]:
    """(url, html, WARC-Date) of a small article page carrying the headline and its date."""
    day = date.fromisoformat(r["date"])
    title = html.escape(r["headline"])
    lang = r.get("lang") if r.get("lang") in NEUTRAL else "en"
    body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="{day.isoformat()}T10:00:00+03:00">'
            f'<style>body {{ border: 0 }}</style><script>var x = "Grayvoron";</script></head>'
            f'<body><article><h1>{title}</h1><p>{NEUTRAL[lang]}</p></article></body></html>')
    url = f"https://news{k}.example.org/{day:%Y/%m/%d}/story-{k}.html"
    crawled = datetime(day.year, day.month, day.day, 12) + timedelta(days=1)
    return url, body.encode("utf-8"), crawled.strftime("%Y-%m-%dT%H:%M:%SZ")


def _response(w: WARCWriter, url: str, body: bytes, ctype: str, when: str, status: str = "200 OK"):
    h = StatusAndHeaders(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    return w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=h,
                                warc_headers_dict={"WARC-Date": when})


def build_warc(path: Path, pages: list[tuple[str, bytes, str]], *, extras: bool = True, gz: bool = True) -> Path:
    """A WARC of the pages (as text/html responses), with a request record, an image, a
    revisit and a metadata record between them when ``extras``."""
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "tests"}))
        for n, (url, body, when) in enumerate(pages):
            if extras and n % 3 == 0:
                req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
                w.write_record(w.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=req))
            w.write_record(_response(w, url, body, "text/html; charset=utf-8", when))
            if extras and n % 3 == 1:
                w.write_record(_response(w, url + ".jpg", b"\xff\xd8\xff\xe0" + b"\0" * 500, "image/jpeg", when))
                w.write_record(w.create_revisit_record(url, digest="sha1:AAAA", refers_to_uri=url,
                                                       refers_to_date=when))
                w.write_record(w.create_warc_record(url, "metadata", payload=io.BytesIO(b"via: tests"),
                                                    warc_content_type="text/plain"))
    return path


def fixture_pages(limit: int = 12) -> list[tuple[str, bytes, str]]:
    files = sorted(shared_or_skip("fixtures", "articles").glob("*.html"))[:limit]
    return [(f"https://{f.name.split('_')[0]}/archive/{n}.html", f.read_bytes(), "2023-05-25T08:00:00Z")
            for n, f in enumerate(files)]


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(QUERIES)


@pytest.fixture(scope="module")
def spec(incidents):
    return ScanSpec(incidents=tuple(incidents), chosen=tuple(i.id for i in incidents),
                    glossary=load_glossary(QUERIES), user_agent="incidentsearch-tests")


@pytest.fixture(scope="module")
def expected(incidents):
    """url -> the incidents the live matcher accepts the page's headline for."""
    m = Matcher(incidents, glossary=load_glossary(QUERIES))
    out = {}
    for k, r in enumerate(headline_rows()):
        url, _, _ = headline_page(r, k)
        day = date.fromisoformat(r["date"])
        out[url] = {x.incident for x in m.best(r["headline"], published=day, lang=r.get("lang"))}
    return out


@pytest.fixture
def warcs(tmp_path):
    rows = headline_rows()
    pages = [headline_page(r, k) for k, r in enumerate(rows)]
    d = tmp_path / "warcs"
    d.mkdir()
    build_warc(d / "a.warc.gz", pages[: len(pages) // 2] + fixture_pages(6))
    build_warc(d / "b.warc.gz", pages[len(pages) // 2:])
    build_warc(d / "c.warc", fixture_pages(4), gz=False)
    return d


# ------------------------------------------------------------------ the scan
def test_scan_finds_the_matchers_hits_and_offsets_reread(warcs, spec, expected):
    hits = []
    for f in sorted(warcs.iterdir()):
        res = scan_file(str(f), spec)
        assert res["error"] is None, res
        hits += res["hits"]
        c = res["counts"]
        assert c["html"] >= c["survivors"] >= len({h.url for h in res["hits"]})
    want = {(u, i) for u, incs in expected.items() for i in incs}
    got = {(h.url, h.incident) for h in hits if h.url in expected}
    assert want and got == want               # the prefilter lost none of the matcher's hits
    for h in hits:
        assert h.source == "archive" and h.warc_file.endswith((".warc.gz", ".warc"))
        assert set(h.as_dict()) >= {"incident", "outlet", "lang", "title", "url", "published", "score", "matched",
                          "query", "found_at", "date_method", "listing_url", "warc_offset", "warc_length"}
        with open(h.warc_file, "rb") as fh:         # every hit can be re-read from the archive
            fh.seek(h.warc_offset)
            rec = next(iter(ArchiveIterator(fh)))
            assert rec.rec_headers.get_header("WARC-Target-URI") == h.url
            assert rec.rec_type == "response"


def test_skipped_records_are_counted(tmp_path, spec):
    rows = headline_rows()
    pages = [headline_page(r, k) for k, r in enumerate(rows)][:6]
    f = build_warc(tmp_path / "x.warc.gz", pages)
    c = scan_file(str(f), spec)["counts"]
    assert c["skipped_non_html"] == 2              # the two images
    assert c["skipped_other_records"] == 1 + 2 + 2 + 2   # warcinfo, requests, revisits, metadata
    assert c["html"] == 6 and c["records"] == 1 + 6 + 2 + 2 + 2 + 2


def test_truncated_last_record_is_skipped_with_a_count(tmp_path, spec, expected):
    pages = [headline_page(r, k) for k, r in enumerate(headline_rows())]
    whole = build_warc(tmp_path / "w.warc.gz", pages + fixture_pages(2), extras=False)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) - 3000])       # the last gzip member cut off
    res = scan_file(str(cut), spec)
    assert res["counts"]["skipped_truncated"] == 1
    assert res["error"] is None
    assert {h.url for h in res["hits"]} == {u for u, i in expected.items() if i}


def test_corrupt_data_mid_file_is_an_error(tmp_path, spec):
    pages = [headline_page(r, k) for k, r in enumerate(headline_rows())]
    f = build_warc(tmp_path / "w.warc.gz", pages + fixture_pages(3), extras=False)
    data = bytearray(f.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 200] = b"\0" * 200
    f.write_bytes(bytes(data))
    res = scan_file(str(f), spec)
    assert res["error"] and "not read" in res["error"]


def test_missing_file_is_an_error_not_a_crash(tmp_path, spec):
    res = scan_file(str(tmp_path / "nope.warc.gz"), spec)
    assert res["error"].startswith("FileNotFoundError") and res["hits"] == []


# ------------------------------------------------------------------ the prefilter
@pytest.mark.parametrize("page, hit", [
    ("<title>ДРГ вошла в Грайворонский район</title>", True),
    ("<title>ДРГ ВОШЛА В ГРАЙВОРОН</title>", True),
    ("<p>Raid near Graivoron, officials say</p>", True),
    ("<p>бои за грайворон</p>", True),
    ("<p>Тёткино обстреляли</p>".replace("Тёткино", "Шебекино"), True),
    ("<p>nothing about it: a football match in Madrid</p>", False),
    ("<script>var Grayvoron = 1;</script><p>a football match</p>", False),   # scripts are skipped
    ("<p>xgrayvoron is not a word start</p>", False),
])
def test_prefilter_forms_cases_and_boundaries(spec, page, hit):
    from incidentsearch.archive.scan import scan_tools
    _, pre = scan_tools(spec)
    assert pre(page.encode("utf-8")) is hit


def test_prefilter_reads_windows_1251(spec):
    from incidentsearch.archive.scan import scan_tools
    _, pre = scan_tools(spec)
    assert pre("<p>Украинская ДРГ проникла в Грайворонский район</p>".encode("cp1251"))
    assert not pre("<p>Погода в Москве</p>".encode("cp1251"))


def test_prefilter_multiword_alias_needs_its_words_close():
    pre = Prefilter.for_aliases(["Russian Volunteer Corps"])
    assert pre(b"<p>The Russian Volunteer Corps said</p>")
    assert not pre(b"<p>Russian</p>" + b"x " * 1000 + b"<p>volunteer corps</p>")
    acr = Prefilter.for_aliases(["RDK"])
    assert acr(b"<p>the RDK said</p>") and not acr(b"<p>rdkx</p>")


# ------------------------------------------------------------------ locations
def test_cc_news_months_cover_the_windows():
    assert cc_news_months([(date(2023, 5, 21), date(2023, 7, 7))]) == ["2023/05", "2023/06", "2023/07"]
    assert cc_news_months([(date(2016, 6, 1), date(2016, 9, 1))]) == ["2016/08", "2016/09"]


def test_expand_files_folders_globs_and_listings(warcs, tmp_path):
    files = [p for p, _ in expand([str(warcs)])]
    assert [Path(p).name for p in files] == ["a.warc.gz", "b.warc.gz", "c.warc"]
    assert [Path(p).name for p, _ in expand([str(warcs / "*.gz")])] == ["a.warc.gz", "b.warc.gz"]
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(b"warcs/a.warc.gz\ncrawl-data/CC-NEWS/2023/05/x.warc.gz\n"))
    got = expand([str(listing)], base="http://mirror.example")
    assert got[0] == (str(warcs / "a.warc.gz"), (warcs / "a.warc.gz").stat().st_size)
    assert got[1] == ("http://mirror.example/crawl-data/CC-NEWS/2023/05/x.warc.gz", None)


# ------------------------------------------------------------------ the command line
def _hits(results: Path) -> dict[str, list[dict]]:
    out = {}
    for f in sorted(results.glob("*/*/hits.jsonl")):
        out[f.parent.name] = [json.loads(x) for x in f.read_text("utf-8").splitlines() if x.strip()]
    return out


def strip_volatile(hits: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {k: [{f: v for f, v in h.items() if f != "found_at"} for h in rows] for k, rows in hits.items()}


def test_cli_archive_writes_dated_results(warcs, tmp_path, expected, capsys):
    res = tmp_path / "results"
    code = cli.main(["--queries", str(QUERIES), "--outlets", str(ROOT / "outlets.yaml"), "--results", str(res),
                     "--archive", str(warcs), "--workers", "2"])
    assert code == 0
    hits = _hits(res)
    got = {(h["url"], h["incident"]) for rows in hits.values() for h in rows if h["url"] in expected}
    assert got == {(u, i) for u, incs in expected.items() for i in incs}
    inc = next(iter(hits))
    folder = next(res.glob(f"*/{inc}"))
    run = json.loads((folder / "run.json").read_text("utf-8"))
    a = run["archive"]
    assert a["files"] == 3 and a["files_failed"] == 0 and a["records"] > a["html"] > 0
    assert a["skipped"]["non_html"] > 0 and a["skipped"]["other_records"] > 0
    assert (folder / "hits.csv").exists() and (folder / "report.html").exists()
    arts = [json.loads(x) for x in (folder / "articles.jsonl").read_text("utf-8").splitlines()]
    assert arts and all(x["source"] == "archive" and x["text"] for x in arts)
    # a second run on the same day adds nothing
    assert cli.main(["--queries", str(QUERIES), "--results", str(res), "--archive", str(warcs), "--workers", "1"]) == 0
    assert strip_volatile(_hits(res)) == strip_volatile(hits)
    err = capsys.readouterr().err
    assert "files" in err and "MB/s" in err


def test_cli_archive_exit_1_when_a_file_fails(warcs, tmp_path):
    bad = warcs / "d.warc.gz"
    bad.write_bytes(gzip.compress(b"WARC/1.0\r\n") + b"\x1f\x8b\x08garbage" * 1000)
    code = cli.main(["--queries", str(QUERIES), "--results", str(tmp_path / "r"), "--archive", str(warcs),
                     "--workers", "1", "-q"])
    assert code == 1
    run = json.loads(next((tmp_path / "r").glob("*/*/run.json")).read_text("utf-8"))
    assert run["archive"]["files_failed"] == 1 and run["archive"]["errors"][0]["file"].endswith("d.warc.gz")


def test_cli_archive_usage_errors(tmp_path):
    assert cli.main(["--queries", str(QUERIES), "--archive", str(tmp_path / "none*.warc.gz")]) == 2
    assert cli.main(["--queries", str(QUERIES), "--archive", "cc-news:2023/13"]) == 2
    assert cli.main(["--queries", str(QUERIES), "--scheduler", "tcp://127.0.0.1:1"]) == 2


# ------------------------------------------------------------------ cc-news over HTTP
def test_cc_news_listing_and_streaming_from_a_local_server(httpserver, tmp_path, warcs, expected):
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    paths = ["crawl-data/CC-NEWS/2023/05/CC-NEWS-20230522000000-00001.warc.gz",
             "crawl-data/CC-NEWS/2023/05/CC-NEWS-20230523000000-00002.warc.gz"]
    httpserver.expect_request("/crawl-data/CC-NEWS/2023/05/warc.paths.gz").respond_with_data(
        gzip.compress(("\n".join(paths) + "\n").encode()), content_type="application/octet-stream")
    for p, f in zip(paths, ("a.warc.gz", "b.warc.gz")):
        httpserver.expect_request("/" + p).respond_with_data((warcs / f).read_bytes(),
                                                             content_type="application/octet-stream")
    for mo in ("06", "07"):
        httpserver.expect_request(f"/crawl-data/CC-NEWS/2023/{mo}/warc.paths.gz").respond_with_data(
            gzip.compress(b""), content_type="application/octet-stream")
    base = httpserver.url_for("/").rstrip("/")
    res = tmp_path / "results"
    code = cli.main(["--queries", str(QUERIES), "--results", str(res), "--archive", "cc-news:2023/05",
                     "--archive-base", base, "--workers", "2", "-q"])
    assert code == 0
    got = {(h["url"], h["incident"]) for rows in _hits(res).values() for h in rows}
    assert got == {(u, i) for u, incs in expected.items() for i in incs}
    assert all(h["warc_file"].startswith(base + "/crawl-data/CC-NEWS/2023/05/")
               for rows in _hits(res).values() for h in rows)
    # cc-news: with no month reads the months of the chosen incident's window
    code = cli.main(["--queries", str(QUERIES), "--results", str(tmp_path / "r2"), "--archive", "cc-news:",
                     "--archive-base", base, "--incident", "grayvoron-2023", "--dry-run"])
    assert code == 0
    asked = {r.path for r, _ in httpserver.log}
    assert {"/crawl-data/CC-NEWS/2023/06/warc.paths.gz", "/crawl-data/CC-NEWS/2023/07/warc.paths.gz"} <= asked
    ua = {r.headers.get("User-Agent") for r, _ in httpserver.log}
    assert all(u and u.startswith("incidentsearch") for u in ua)


def test_both_prefilter_engines_agree_on_every_page(monkeypatch):
    """Hyperscan where its wheel installs, the Aho-Corasick DFA elsewhere: the same verdict on
    every real fixture page and every dev headline page (with windows-1251 and UPPER copies)."""
    from incidentsearch.archive import prefilter as archive_filter
    from incidentsearch.match import Matcher

    matcher = Matcher.from_folder(QUERIES)
    chosen = {i.id for i in matcher.incidents}
    if archive_filter._hs is None:
        pytest.skip("hyperscan is not installed here: only the fallback engine can run")
    fast = archive_filter.Prefilter.for_incidents(matcher, chosen)
    monkeypatch.setattr(archive_filter, "_hs", None)
    fallback = archive_filter.Prefilter.for_incidents(matcher, chosen)
    assert type(fast._scan).__name__ == "_Hyperscan" and type(fallback._scan).__name__ == "_AhoCorasick"
    pages = [body for _, body, _ in fixture_pages(60)]
    pages += [body for k, r in enumerate(headline_rows(n_per_incident=20, n_none=20))
              for _, body, _ in [headline_page(r, k)]]
    pages += [p.decode("utf-8", "replace").upper().encode("utf-8") for p in pages[:20]]
    pages += [p.decode("utf-8", "replace").encode("cp1251", "replace") for p in pages[-40:]]
    verdicts = [(fast(p), fallback(p)) for p in pages]
    assert all(a == b for a, b in verdicts), [n for n, (a, b) in enumerate(verdicts) if a != b]
    assert 0 < sum(a for a, _ in verdicts) < len(pages)      # some pages pass, some do not

"""Aggregator sources: Google News RSS search, GDELT DOC 2.0 artlist, Wayback CDX + snapshots.

Fixture files with ``<name>.expected.json`` beside them (built from the raw text by
tests/fixtures/build_aggregator_expectations.py) are run here with the aggregator-only
checks (``next_url``); test_sources.py runs the same files through its generic checks.
The real Google News and GDELT answers have no open licence: they are read from
../shared/fixtures and their expectations are derived below from the raw files.
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation import mutate
from pydantic import TypeAdapter

from incidentsearch.config import GdeltSource, GoogleNewsSource, Source, WaybackSource
from incidentsearch.records import Candidate, Link, Parsed, Response
from incidentsearch.sources import ParseError, build_url, cap_of, gdelt, google_news, module, wayback

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SOURCE = TypeAdapter(Source)
KINDS = ("google_news", "gdelt", "wayback")

GN = GoogleNewsSource(kind="google_news")
GD = GdeltSource(kind="gdelt")
WB = WaybackSource(kind="wayback", prefix="ria.ru/202210")
SINCE, UNTIL = date(2022, 10, 14), date(2022, 12, 14)


def response(content: bytes, url: str = "https://example.org/x", content_type: str | None = None,
             text: str | None = None, status: int = 200) -> Response:
    from incidentsearch.text.charset import decode_body
    headers = {"Content-Type": content_type} if content_type else {}
    if text is None:
        text = decode_body(content, content_type)[0] if content else ""
    return Response(url=url, final_url=url, status=status, headers=headers, content=content, text=text)


def shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"../shared/fixtures is absent ({path} missing): this real fixture is not copied (no open licence)")
    return path


def qs(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)


def col(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


# ------------------------------------------------------------------ fixture files with expectations

def expectation_cases():
    for exp in sorted(FIXTURES.rglob("*.expected.json")):
        kind = json.loads(exp.read_text("utf-8"))["kind"]
        if kind in KINDS:
            rel = exp.relative_to(FIXTURES).as_posix().removesuffix(".expected.json")
            yield pytest.param(exp, rel, id=rel)


CASES = list(expectation_cases())


def test_every_aggregator_kind_has_fixtures():
    kinds = {json.loads(p.values[0].read_text("utf-8"))["kind"] for p in CASES}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("exp_path,rel", CASES)
def test_fixture_expectation(exp_path: Path, rel: str):
    exp = json.loads(exp_path.read_text("utf-8"))
    spec = SOURCE.validate_python(exp["spec"])
    parsed = module(exp["kind"]).parse(spec, response((FIXTURES / rel).read_bytes(), exp["url"], exp["content_type"]))
    assert isinstance(parsed, Parsed)
    assert len(parsed.candidates) == exp["count"]
    assert len(parsed.follow) == exp["follow_count"]
    assert parsed.next_url == exp["next_url"]
    for want in exp["items"]:
        got = parsed.candidates[want["index"]]
        for key in ("title", "url", "date_raw", "lang", "summary", "publisher", "extra"):
            if key in want:
                assert getattr(got, key) == want[key], f"item {want['index']}: {key}"
    assert [(f.url, f.date_raw) for f in parsed.follow] == [(w["url"], w["date_raw"]) for w in exp.get("follow", [])]
    for c in parsed.candidates:
        assert c.title and c.title == " ".join(c.title.split())
        assert re.match(r"https?://[^/\s]+", c.url)


# ------------------------------------------------------------------ build_url

@pytest.mark.parametrize("query,hl,gl,ceid", [
    ("стрельба на полигоне Белгородская область", "ru", "RU", "RU:ru"),
    ("Belgorod training ground shooting", "en-US", "US", "US:en"),
    ("стрілянина на полігоні Бєлгородщина", "uk", "UA", "UA:uk"),
    ("Солоти", "ru", "RU", "RU:ru"),
    ('"Валуйки" OR Soloti', "ru", "RU", "RU:ru"),
])
def test_google_news_url_edition_from_query(query, hl, gl, ceid):
    url = google_news.build_url(GN, query=query, since=SINCE, until=UNTIL)
    assert url.startswith("https://news.google.com/rss/search?")  # url only: never requested
    assert " " not in url
    assert qs(url) == {"q": [f"{query} after:2022-10-14 before:2022-12-15"], "hl": [hl], "gl": [gl], "ceid": [ceid]}


def test_google_news_url_edition_site_endpoint_and_page():
    spec = GoogleNewsSource(kind="google_news", edition="en", site="mirror.co.uk",
                            url="http://127.0.0.1:8080/rss/search?key=abc")
    url = build_url(spec, query="Солоти", since=date(2022, 10, 15), until=date(2022, 10, 31), page=3)
    assert url.startswith("http://127.0.0.1:8080/rss/search?")
    assert qs(url) == {"key": ["abc"], "q": ["Солоти after:2022-10-15 before:2022-11-01 site:mirror.co.uk"],
                       "hl": ["en-US"], "gl": ["US"], "ceid": ["US:en"]}
    # before: is exclusive: the window's last day is included, across a year end too
    assert "before:2023-01-01" in qs(google_news.build_url(GN, query="x", since=SINCE, until=date(2022, 12, 31)))["q"][0]
    assert cap_of(GN) == 100 and cap_of(GoogleNewsSource(kind="google_news", cap=40)) == 40


def test_query_lang():
    assert google_news.query_lang("Шебекино") == "ru"
    assert google_news.query_lang("Шебекине їхали") == "uk"
    assert google_news.query_lang("Shebekino") == "en"
    assert google_news.query_lang(None) == "en"


def test_gdelt_url_every_parameter():
    spec = GdeltSource(kind="gdelt", sourcelang="russian", sourcecountry="russia", domain="tass.ru")
    query = '(Belgorod OR Valuyki) "training ground"'
    url = build_url(spec, query=query, since=date(2022, 10, 14), until=date(2022, 12, 14), page=2)
    assert url.startswith("https://api.gdeltproject.org/api/v2/doc/doc?")  # url only: never requested
    assert qs(url) == {
        "query": [query + " sourcelang:russian sourcecountry:russia domainis:tass.ru"],
        "mode": ["artlist"], "format": ["json"], "maxrecords": ["250"],
        "startdatetime": ["20221014000000"], "enddatetime": ["20221214235959"], "sort": ["datedesc"]}
    assert re.fullmatch(r"\d{14}", qs(url)["startdatetime"][0])
    # no operators: the query alone; a smaller cap asks for fewer records; never more than 250
    assert qs(gdelt.build_url(GD, query="Soloti", since=SINCE, until=SINCE))["query"] == ["Soloti"]
    assert qs(gdelt.build_url(GD, query="Soloti", since=SINCE, until=SINCE))["enddatetime"] == ["20221014235959"]
    assert qs(gdelt.build_url(GdeltSource(kind="gdelt", cap=50), query="x", since=SINCE, until=UNTIL))["maxrecords"] == ["50"]
    assert qs(gdelt.build_url(GdeltSource(kind="gdelt", cap=1000), query="x", since=SINCE, until=UNTIL))["maxrecords"] == ["250"]
    assert qs(gdelt.build_url(GdeltSource(kind="gdelt", domain="rt.com"), query=None, since=SINCE, until=UNTIL))["query"] == ["domainis:rt.com"]
    with pytest.raises(ValueError):
        gdelt.build_url(GD, query="  ", since=SINCE, until=UNTIL)
    assert cap_of(GD) == 250
    assert GD.rate_limit_s == 5.0


def test_wayback_url_every_parameter():
    spec = WaybackSource(kind="wayback", prefix="tass.ru/proisshestviya", limit=1000, url="http://127.0.0.1:9000/")
    url = build_url(spec, query="ignored", since=date(2022, 10, 14), until=date(2022, 12, 14))
    assert url.startswith("http://127.0.0.1:9000/cdx/search/cdx?")
    assert qs(url) == {
        "url": ["tass.ru/proisshestviya"], "matchType": ["prefix"], "from": ["20221014"], "to": ["20221214"],
        "output": ["json"], "fl": ["timestamp,original,statuscode,mimetype,digest"],
        "filter": ["statuscode:200", "mimetype:text/html"], "collapse": ["urlkey"], "limit": ["1000"],
        "showResumeKey": ["true"]}
    # page numbers mean nothing to the CDX server: page 2 comes from the resume key (next_url)
    assert wayback.build_url(spec, query=None, since=SINCE, until=UNTIL, page=2) == \
        wayback.build_url(spec, query=None, since=SINCE, until=UNTIL)
    assert cap_of(WB) is None


def test_next_url_replaces_previous_resume_key():
    first = wayback.build_url(WB, query=None, since=SINCE, until=UNTIL)
    body = b'[["timestamp","original","statuscode","mimetype","digest"],[],["ru%2Cria%29%2F+20221015000000"]]'
    nxt = wayback.parse(WB, response(body, first)).next_url
    assert nxt == first + "&resumeKey=ru%2Cria%29%2F+20221015000000"
    body2 = b'[["timestamp","original","statuscode","mimetype","digest"],[],["ru%2Cria%29%2F+20221016000000"]]'
    nxt2 = wayback.parse(WB, response(body2, nxt)).next_url
    assert nxt2 == first + "&resumeKey=ru%2Cria%29%2F+20221016000000"
    assert qs(nxt2)["filter"] == ["statuscode:200", "mimetype:text/html"]
    # without a request URL there is nothing to page on
    assert wayback.parse(WB, Response(url="", content=body)).next_url is None


# ------------------------------------------------------------------ Google News

def test_google_news_real_topstories_feed():
    raw = shared("feeds/news.google.com_rss_topstories_en-US_20191114.xml").read_text("utf-8")
    import html
    blocks = re.findall(r"<item>(.*?)</item>", raw, re.S)
    parsed = google_news.parse(GN, response(raw.encode(), "https://news.google.com/rss?hl=en-US&gl=US&ceid=US:en",  # url only: never requested
                                            "application/xml; charset=utf-8"))
    assert len(parsed.candidates) == len(blocks) == 38          # redirect links: nothing dropped
    for c, b in zip(parsed.candidates, blocks):
        title = col(html.unescape(re.search(r"<title>(.*?)</title>", b, re.S).group(1)))
        m = re.search(r'<source url="([^"]+)">(.*?)</source>', b)
        pub = col(html.unescape(m.group(2)))
        assert title.endswith(" - " + pub)
        assert c.title == title[: -len(" - " + pub)]
        assert c.publisher == pub and c.extra == {"publisher_url": m.group(1)}
        assert c.url == col(re.search(r"<link>(.*?)</link>", b).group(1))
        assert c.url.startswith("https://news.google.com/__i/rss/rd/articles/")  # url only: never requested
        assert c.date_raw == col(re.search(r"<pubDate>(.*?)</pubDate>", b).group(1))
        assert c.summary is None
    # split on the LAST " - ": the headline's own " - " stays
    assert parsed.candidates[17].title == "Stocks retreat from record closes for S&P 500 and Dow as U.S. - China trade talks stall"


def test_split_title():
    assert google_news.split_title("Солоти: 11 погибших - РИА Новости", "РИА Новости") == "Солоти: 11 погибших"
    assert google_news.split_title("A - B - Reuters", "Reuters") == "A - B"
    assert google_news.split_title("A - B - Reuters", "AP") == "A - B - Reuters"
    assert google_news.split_title("Headline", "Reuters") == "Headline"
    assert google_news.split_title(" - Reuters", "Reuters") == " - Reuters"   # nothing would be left
    assert google_news.split_title("A - Reuters", None) == "A - Reuters"


def test_google_news_empty_and_error_pages():
    empty = (b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>"x" - Google News</title>'
             b'<link>https://news.google.com/search?q=x</link><language>ru</language></channel></rss>')  # url only: never requested
    assert google_news.parse(GN, response(empty)) == Parsed()
    with pytest.raises(ParseError, match="^not a feed: HTML page"):
        google_news.parse(GN, response(b"<!DOCTYPE html><html><head><title>Sorry...</title></head><body>unusual traffic</body></html>",
                                       content_type="text/html"))
    with pytest.raises(ParseError):
        google_news.parse(GN, response(b""))


def test_google_news_item_without_source():
    body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><language>ru</language>'
            '<item><title>Обстрел Валуек - Белгород</title><link>https://news.google.com/rss/articles/CBMiXyz?oc=5</link>'
            '</item></channel></rss>').encode()
    (c,) = google_news.parse(GN, response(body)).candidates
    assert (c.title, c.publisher, c.extra) == ("Обстрел Валуек - Белгород", None, {})


# ------------------------------------------------------------------ GDELT

def test_gdelt_real_artlist():
    path = shared("api/gdelt_doc_artlist_india_250.json")
    arts = json.loads(path.read_text("utf-8"))["articles"]
    parsed = gdelt.parse(GD, response(path.read_bytes(), "https://api.gdeltproject.org/api/v2/doc/doc?query=india",
                                      "application/json; charset=utf-8"))
    want = [a for a in arts if col(a.get("title")) and a.get("url")]
    assert len(parsed.candidates) == len(want) == 250
    iso = {"Russian": "ru", "English": "en", "Ukrainian": "uk"}
    for c, a in zip(parsed.candidates, want):
        assert (c.title, c.url, c.publisher) == (col(a["title"]), a["url"], a["domain"])
        assert c.date_raw is None and c.extra["seendate"] == a["seendate"]
        assert c.lang == iso.get(a["language"], a["language"].lower())
    langs = {c.lang for c in parsed.candidates}
    assert {"ru", "en", "uk", "chinese", "malayalam"} <= langs


@pytest.mark.parametrize("body", [
    b'{"articles": [{"url": "https://tass.ru/a", "title": "x"}',                  # truncated
    b'{"articles": [{"url": "https://tass.ru/a", "title": "x"},, ]}',             # broken
    b'{"articles": [{"url": "https://tass.ru/a" "title": "x"}]}',
    b'[{"a": 1]',
])
def test_gdelt_malformed_json(body):
    with pytest.raises(ParseError, match=r"^malformed JSON from GDELT: line \d+ col \d+"):
        gdelt.parse(GD, response(body, content_type="application/json"))


def test_gdelt_control_characters_and_trailing_garbage_line():
    body = ('{"articles": [{"url": "https://ria.ru/20221015/strelba-1824359.html", "title": "Стрельба\tна\n'
            'полигоне", "seendate": "20221015T120000Z", "domain": "ria.ru", "language": "Russian"}]}\n'
            '<br>Garbage appended by a proxy\n').encode()
    (c,) = gdelt.parse(GD, response(body)).candidates
    assert (c.title, c.lang, c.publisher, c.date_raw) == ("Стрельба на полигоне", "ru", "ria.ru", None)
    assert c.extra == {"seendate": "20221015T120000Z"}


@pytest.mark.parametrize("body,first", [
    (b"Your search contained a phrase that was too short or too long.\nPlease try again.",
     "Your search contained a phrase that was too short or too long."),
    (b"Please limit requests to one every 5 seconds or contact us for larger queries.\n",
     "Please limit requests to one every 5 seconds or contact us for larger queries."),
    (b"\n<br>Invalid query: <b>sourcelang:xx</b>\r\n", "Invalid query: sourcelang:xx"),
])
def test_gdelt_text_errors(body, first):
    with pytest.raises(ParseError) as e:
        gdelt.parse(GD, response(body, content_type="text/html; charset=utf-8"))
    assert str(e.value) == f"GDELT error: {first}"


def test_gdelt_empty_answers_and_wrong_shapes():
    assert gdelt.parse(GD, response(b"{}")) == Parsed()
    assert gdelt.parse(GD, response(b"")) == Parsed()
    assert gdelt.parse(GD, response(b'{"articles": []}')) == Parsed()
    with pytest.raises(ParseError, match="'articles' is not a list"):
        gdelt.parse(GD, response(b'{"articles": {"a": 1}}'))
    with pytest.raises(ParseError, match="JSON without 'articles'"):
        gdelt.parse(GD, response(b'{"timeline": []}'))
    with pytest.raises(ParseError, match="^GDELT error: 42$"):
        gdelt.parse(GD, response(b"42"))


def test_gdelt_language_codes():
    assert gdelt.lang_code("Russian") == "ru" and gdelt.lang_code("Ukrainian") == "uk"
    assert gdelt.lang_code("English") == "en" and gdelt.lang_code("Bulgarian") == "bulgarian"
    assert gdelt.lang_code("") is None and gdelt.lang_code(None) is None


# ------------------------------------------------------------------ Wayback CDX

PLAIN = ["api/wayback_cdx_cnn.com_limit25_page1.txt", "api/wayback_cdx_dw.com_page1.txt",
         "api/wayback_cdx_dw.com_page2.txt", "api/wayback_cdx_dw.com_page3_last.txt",
         "api/wayback_cdx_nasa_prefix_filter404.txt"]


@pytest.mark.parametrize("rel", PLAIN)
def test_plain_cdx_rows_read_from_real_pages(rel):
    text = (FIXTURES / rel).read_text("utf-8")
    lines = text.split("\n")
    body = lines[: lines.index("")] if "" in lines else lines
    key = next((ln for ln in lines[lines.index("") + 1:] if ln), None) if "" in lines[:-1] else None
    rows, got_key = wayback.cdx_rows(text)
    assert got_key == key
    assert len(rows) == len(body)
    for row, line in zip(rows, body):
        assert " ".join(row[f] for f in wayback.PLAIN_FIELDS) == line
        assert re.fullmatch(r"\d{14}", row["timestamp"])


def test_plain_cdx_with_requested_fields_and_real_article_urls():
    # the plain-text format with fl= gives just those fields; here rows an outlet would have
    url = ("https://web.archive.org/cdx/search/cdx?url=tass.ru/&matchType=prefix&from=20221014&to=20221031"
           "&fl=timestamp,original,statuscode,mimetype,digest&limit=3&showResumeKey=true")
    body = (b"20221015093000 https://tass.ru/proisshestviya/16067423 200 text/html AAAA\n"
            b"20221015093100 https://www.pnp.ru/incident/v-sk-vozbudili-ugolovnoe-delo.html 200 text/html BBBB\n"
            b"20221015093200 https://tass.ru/static/main.css 200 text/html CCCC\n"
            b"\ncom%2Ctass%29%2Fstatic%2Fmain.css+20221015093201\n")
    parsed = wayback.parse(WaybackSource(kind="wayback", prefix="tass.ru/"), response(body, url))
    assert [c.title for c in parsed.candidates] == ["v sk vozbudili ugolovnoe delo"]
    assert parsed.follow == (Link("https://web.archive.org/web/20221015093000id_/https://tass.ru/proisshestviya/16067423",
                                  "20221015093000"),)
    assert parsed.next_url == url + "&resumeKey=com%2Ctass%29%2Fstatic%2Fmain.css+20221015093201"


def test_blocked_site_body_is_parse_error():
    body = shared("api/wayback_cdx_blocked_403_nationalpost.txt").read_bytes()
    assert b"AdministrativeAccessControlException" in body
    with pytest.raises(ParseError, match=r"^Wayback refused: Blocked Site Error$"):
        wayback.parse(WB, response(body, "https://web.archive.org/cdx/search/cdx?url=https://nationalpost.com/health"))
    robots = (b"org.archive.util.io.RuntimeIOException: org.archive.wayback.exception.RobotAccessControlException: "
              b"Blocked By Robots\n")
    with pytest.raises(ParseError, match=r"^Wayback refused: Blocked By Robots$"):
        wayback.parse(WB, response(robots))


def test_cdx_not_a_listing():
    with pytest.raises(ParseError, match="^not a CDX listing: HTML page"):
        wayback.parse(WB, response(b"<!DOCTYPE html><html><head><title>Wayback Machine</title></head><body></body></html>"))
    with pytest.raises(ParseError, match="^not a CDX listing: malformed JSON"):
        wayback.parse(WB, response(b'[["timestamp","original"],["2022'))
    with pytest.raises(ParseError, match="^not a CDX listing"):
        wayback.parse(WB, response(b"just some words here"))
    assert wayback.parse(WB, response(b"[]")) == Parsed()
    assert wayback.parse(WB, response(b"   \n")) == Parsed()


def test_wordy_slug_and_clean_original():
    assert wayback.wordy_slug("https://ria.ru/20221015/strelba-1824359.html") == "strelba 1824359"
    assert wayback.wordy_slug("https://tass.ru/proisshestviya/16067423") == ""
    assert wayback.wordy_slug("https://tass.ru/proisshestviya/16067423/amp") == ""
    assert wayback.wordy_slug("https://www.belpressa.ru/svo/49305.html") == ""
    assert wayback.wordy_slug("https://novynarnia.com/2022/10/15/soloti/") == "soloti"
    assert wayback.clean_original("http://www.cnn.com:80/") == "http://www.cnn.com/"
    assert wayback.clean_original("https://ria.ru:443/a") == "https://ria.ru/a"
    assert wayback.clean_original("ria.ru/20221015/x.html") == "http://ria.ru/20221015/x.html"
    assert wayback.clean_original("mailto:someone@example.org") is None


# ------------------------------------------------------------------ Wayback snapshots

SNAP = "https://web.archive.org/web/20221016093012id_/https://tass.ru/proisshestviya/16067423"


def test_snapshot_uses_decoded_text():
    raw = (FIXTURES / "snapshots/constructed_tass.ru_snapshot_cp1251.html").read_bytes()
    text = raw.decode("cp1251")
    # fetch.py decoded it: the parser reads response.text, not the bytes
    (c,) = wayback.parse(WB, Response(url=SNAP, content=raw, text=text, encoding="windows-1251")).candidates
    assert c.title.startswith("На полигоне под Белгородом произошел теракт")
    assert c.url == "https://tass.ru/proisshestviya/16067423"
    assert c.extra == {"snapshot": SNAP, "timestamp": "20221016093012"}


@pytest.mark.parametrize("page,title,date_raw", [
    ('<html><head><meta property="og:title" content="Гладков: &laquo;ситуация под контролем&raquo;"></head></html>',
     "Гладков: «ситуация под контролем»", None),
    ('<html><body><h1> Обстрел  <b>Шебекино</b></h1>'
     '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-06-01T10:00:00+03:00"}</script>'
     '</body></html>', "Обстрел Шебекино", "2023-06-01T10:00:00+03:00"),
    ('<html><head><title>Валуйки</title><meta itemprop="datePublished" content="2022-10-15"></head></html>',
     "Валуйки", "2022-10-15"),
    ('<html><head><title>x</title></head><body><time itemprop="datePublished" datetime="2022-10-16T08:00">16 октября</time>'
     '</body></html>', "x", "2022-10-16T08:00"),
])
def test_snapshot_title_and_date_fallbacks(page, title, date_raw):
    (c,) = wayback.parse(WB, response(page.encode(), SNAP)).candidates
    assert (c.title, c.date_raw) == (title, date_raw)


def test_snapshot_without_title_or_not_html():
    assert wayback.parse(WB, response(b"<html><body><p>no headline</p></body></html>", SNAP)) == Parsed()
    with pytest.raises(ParseError, match="^archived page is not HTML"):
        wayback.parse(WB, response(b'{"json": true}', SNAP))
    with pytest.raises(ParseError, match="^archived page is empty"):
        wayback.parse(WB, response(b"", SNAP))
    # the original URL keeps its own query string
    url = "http://127.0.0.1:9/web/20221015000000id_/https://www.interfax.ru/russia/866412?utm_source=x"
    (c,) = wayback.parse(WB, response(b"<title>T</title>", url)).candidates
    assert c.url == "https://www.interfax.ru/russia/866412?utm_source=x"


def test_cdx_links_round_trip_to_snapshots():
    """A follow link of a listing, fetched, is parsed as a snapshot of its original URL."""
    listing = (FIXTURES / "api/constructed_wayback_cdx_tass.ru.json").read_bytes()
    parsed = wayback.parse(WB, response(listing, wayback.build_url(WB, query=None, since=SINCE, until=UNTIL)))
    page = (FIXTURES / "snapshots/constructed_tass.ru_snapshot_cp1251.html").read_bytes()
    link = parsed.follow[0]
    (c,) = wayback.parse(WB, response(page, link.url, "text/html")).candidates
    assert c.url == "https://tass.ru/proisshestviya/16067423" and c.extra["timestamp"] == link.date_raw


# ------------------------------------------------------------------ fuzz: only ParseError, ever

CDX_URL = "https://web.archive.org/cdx/search/cdx?url=ria.ru/202210&fl=timestamp,original,statuscode,mimetype,digest"
FUZZ = [
    ("feeds/constructed_google_news_search_ru.xml", google_news, GN, "https://news.google.com/rss/search?q=x"),
    ("api/constructed_gdelt_artlist_ru.json", gdelt, GD, "https://api.gdeltproject.org/api/v2/doc/doc?query=x"),
    ("api/constructed_wayback_cdx_ria.ru.json", wayback, WB, CDX_URL),
    ("api/wayback_cdx_cnn.com_limit25_page1.txt", wayback, WB, CDX_URL),
    ("snapshots/constructed_tass.ru_snapshot_cp1251.html", wayback, WB, SNAP),
]
_BODIES = {rel: (FIXTURES / rel).read_bytes()[:6000] for rel, *_ in FUZZ}


@st.composite
def mutated(draw):
    rel, mod, spec, url = draw(st.sampled_from(FUZZ))
    return mutate(draw, _BODIES[rel]), url


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzz_only_parse_error(case):
    body, url = case
    for mod, spec, u in ((google_news, GN, url), (gdelt, GD, url), (wayback, WB, CDX_URL), (wayback, WB, SNAP)):
        try:
            parsed = mod.parse(spec, response(body, u))
        except ParseError as e:
            assert "\n" not in str(e) and str(e)
            continue
        assert isinstance(parsed, Parsed)
        for c in parsed.candidates:
            assert isinstance(c, Candidate) and c.title and c.url.startswith(("http://", "https://"))
        for f in parsed.follow:
            assert isinstance(f, Link) and f.url.startswith(("http://", "https://"))
        assert parsed.next_url is None or parsed.next_url.startswith(("http://", "https://"))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
    st.sampled_from(["", "timestamp", "original", "statuscode", "mimetype", "200", "text/html", "20221015120000",
                     "https://ria.ru/20221015/strelba-1824359.html", "tass.ru/x/1", "Russian", "articles", "url", "title"]) |
    st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=6) | st.dictionaries(
        st.sampled_from(["articles", "url", "title", "seendate", "domain", "language", "sourcecountry", "x"]), kids, max_size=6),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_fuzz_json_shapes(doc):
    body = json.dumps(doc).encode()
    for mod, spec, url in ((gdelt, GD, "https://api.gdeltproject.org/x"), (wayback, WB, CDX_URL)):
        try:
            parsed = mod.parse(spec, response(body, url))
        except ParseError as e:
            assert "\n" not in str(e)
            continue
        for c in parsed.candidates:
            assert c.title and c.url.startswith(("http://", "https://"))

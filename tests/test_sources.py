"""Source parsers (rss, sitemap, html_search, json_search) against real and constructed fixtures.

Model: feedparser's own tests. Each fixture has ``<name>.expected.json`` beside it
(built by reading the raw file, see tests/fixtures/build_expectations.py), and one
parametrized test runs them all. Fixtures whose licence allows it are copied into
tests/fixtures/ (origin in tests/fixtures/PROVENANCE.tsv); the others are read from
../shared/fixtures and their expectations live in tests/fixtures/shared/<relpath>.
"""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation import mutate
from pydantic import TypeAdapter

from incidentsearch.config import HtmlSearchSource, JsonSearchSource, RssSource, SitemapSource, Source
from incidentsearch.records import Candidate, Link, Parsed, Response
from incidentsearch.sources import ParseError, html_search, json_search, module, rss, sitemap

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SOURCE = TypeAdapter(Source)

RSS = RssSource(kind="rss", url="https://example.org/rss")
SITEMAP = SitemapSource(kind="sitemap", url="https://example.org/sitemap.xml")


# ------------------------------------------------------------------ helpers

def decode(content: bytes, content_type: str | None) -> str:
    """Text as fetch.py would decode it (incidentsearch.charset when present)."""
    if content[:2] == b"\x1f\x8b":
        return ""                                   # a gzip body has no text until inflated
    try:
        from incidentsearch.text.charset import decode_body
    except ImportError:                             # pragma: no cover - fallback before charset.py existed
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            m = re.search(rb"""(?:encoding|charset)\s*=\s*["']?([A-Za-z0-9._-]+)""", content[:2048])
            if m:
                try:
                    return content.decode(m.group(1).decode())
                except (LookupError, UnicodeDecodeError):
                    pass
            return content.decode("cp1252", "replace")
    return decode_body(content, content_type)[0]


def response(content: bytes, url: str = "https://example.org/x", content_type: str | None = None,
             text: str | None = None) -> Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return Response(url=url, final_url=url, status=200, headers=headers, content=content,
                    text=decode(content, content_type) if text is None else text)


def fixture_path(rel: str) -> Path:
    """A fixture by its relative name: the copy in tests/fixtures, else ../shared/fixtures."""
    local = FIXTURES / rel
    if local.exists():
        return local
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"../shared/fixtures is absent ({path} missing): this real fixture is not copied into the repo")
    return path


def expectation_cases():
    for exp in sorted(FIXTURES.rglob("*.expected.json")):
        if exp.parent == FIXTURES / "google_news":
            continue        # Google News' link protocol, not a source's answer: test_google_news_links.py
        rel = exp.relative_to(FIXTURES).as_posix().removesuffix(".expected.json")
        shared = rel.startswith("shared/")
        yield pytest.param(exp, rel.removeprefix("shared/") if shared else rel, shared, id=rel)


# ------------------------------------------------------------------ fixture files with expectations

@pytest.mark.parametrize("exp_path,rel,shared", list(expectation_cases()))
def test_fixture_expectation(exp_path: Path, rel: str, shared: bool):
    exp = json.loads(exp_path.read_text("utf-8"))
    if shared:
        path = SHARED / rel
        if not path.exists():
            pytest.skip(f"../shared/fixtures is absent ({path} missing): fixture not copied (no open licence)")
    else:
        path = FIXTURES / rel
    spec = SOURCE.validate_python(exp["spec"])
    assert spec.kind == exp["kind"]
    resp = response(path.read_bytes(), exp["url"], exp.get("content_type"))
    parsed = module(exp["kind"]).parse(spec, resp)

    assert isinstance(parsed, Parsed)
    assert all(isinstance(c, Candidate) for c in parsed.candidates)
    assert all(isinstance(f, Link) for f in parsed.follow)
    assert len(parsed.candidates) == exp["count"]
    assert len(parsed.follow) == exp["follow_count"]
    for want in exp["items"]:
        got = parsed.candidates[want["index"]]
        for key in ("title", "url", "date_raw", "lang", "summary", "publisher", "extra"):
            if key in want:
                assert getattr(got, key) == want[key], f"item {want['index']}: {key}"
    for want in exp.get("follow", []):
        got = parsed.follow[want["index"]]
        assert (got.url, got.date_raw) == (want["url"], want["date_raw"])
    for c in parsed.candidates:                     # invariants of every candidate
        assert c.title and c.title == " ".join(c.title.split())
        assert re.match(r"https?://[^/\s]+", c.url)
        assert "<" not in c.title or ">" not in c.title
        assert c.summary is None or len(c.summary) <= 501


def test_every_copied_fixture_has_provenance_and_expectation():
    rows = (FIXTURES / "PROVENANCE.tsv").read_text("utf-8").splitlines()
    header = rows[0].split("\t")
    assert header[:2] == ["file", "kind"]
    listed = {r.split("\t")[0]: r.split("\t") for r in rows[1:] if r.strip()}
    for f in FIXTURES.rglob("*"):
        rel = f.relative_to(FIXTURES).as_posix()
        if not f.is_file() or rel.endswith((".expected.json", ".py", ".tsv")):
            continue
        assert rel in listed, f"{rel} has no PROVENANCE.tsv row"
        assert len(listed[rel]) == len(header)
        licence = listed[rel][header.index("license_of_repo")]
        assert re.match(r"(MIT|Apache-2\.0|BSD|constructed)", licence), f"{rel}: {licence}"
        assert (FIXTURES / (rel + ".expected.json")).exists(), f"{rel} has no expectation"


# ------------------------------------------------------------------ not of the kind -> ParseError

ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
              b"<body><h1>Service Unavailable</h1><p>Try again later.</p></body></html>")


@pytest.mark.parametrize("mod", [rss, sitemap], ids=["rss", "sitemap"])
def test_html_error_page_is_parse_error(mod):
    with pytest.raises(ParseError, match=r"^not a (feed|sitemap): HTML page"):
        mod.parse(RSS if mod is rss else SITEMAP, response(ERROR_PAGE, content_type="text/html"))


def test_real_html_page_is_not_a_feed_or_sitemap():
    page = fixture_path("listings/cnn.com_main_site_listing.html").read_bytes()
    for mod, spec in ((rss, RSS), (sitemap, SITEMAP)):
        with pytest.raises(ParseError, match="HTML page"):
            mod.parse(spec, response(page, content_type="text/html"))


def test_html_error_page_to_json_search():
    spec = JsonSearchSource(kind="json_search", url="https://example.org/api?q={query}", items="hits",
                            fields={"title": "title", "url": "url"})
    with pytest.raises(ParseError, match=r"^not JSON: looks like an HTML page"):
        json_search.parse(spec, response(ERROR_PAGE, content_type="text/html"))


@pytest.mark.parametrize("body", [b"", b"   \n", b"Service temporarily unavailable", b"\x00\x01\x02garbage"])
def test_garbage_is_parse_error(body):
    for mod, spec in ((rss, RSS), (sitemap, SITEMAP)):
        with pytest.raises(ParseError):
            mod.parse(spec, response(body))


def test_feedparser_never_opens_a_file_or_url():
    # feedparser.parse(x) opens x as a path/URL when it can; the body must never be taken for one
    for body in (b"/etc/passwd", str(Path(__file__)).encode(), b"http://127.0.0.1:9/feed"):
        with pytest.raises(ParseError, match="not a feed"):
            rss.parse(RSS, response(body, text=body.decode()))


def test_rss_body_given_to_sitemap_is_read_as_feed():
    # Google accepts RSS/Atom as sitemaps; the sitemap kind reads them through rss
    body = fixture_path("feeds/theguardian.com_rss_us.xml").read_bytes()
    assert len(sitemap.parse(SITEMAP, response(body)).candidates) == 55


def test_json_that_is_not_a_json_feed():
    with pytest.raises(ParseError, match="not a feed: JSON without a JSON Feed version"):
        rss.parse(RSS, response(b'{"articles": []}', content_type="application/json"))


# ------------------------------------------------------------------ encodings

def test_undeclared_cp1251_feed_uses_text_decoded_upstream():
    raw = fixture_path("feeds/pravda.com.ua_rss_rus_cp1251.xml").read_bytes()
    undeclared = re.sub(rb"^<\?xml[^>]*\?>", b"", raw)       # a server that drops the prolog
    text = undeclared.decode("cp1251")                       # what fetch.py settled on
    parsed = rss.parse(RSS, Response(url="https://www.pravda.com.ua/rus/rss/", content=undeclared,
                                     text=text, encoding="cp1251"))
    assert parsed.candidates[0].title == 'День сердца: инфаркты и инсульты значительно "помолодели"'


def test_html_bytes_only_with_lying_meta_charset():
    body = fixture_path("listings/interfax.ru_homepage_2018.html").read_bytes()
    spec = HtmlSearchSource(kind="html_search", url="https://www.interfax.ru/search/?sw={query}",
                            item="div[data-time]", fields={"title": "h3"})
    parsed = html_search.parse(spec, Response(url="https://www.interfax.ru/", content=body))
    assert parsed.candidates[0].title == "Что случилось этой ночью: суббота, 17 марта"


def test_text_only_response():
    body = fixture_path("feeds/jn.pt_rss_latin1.xml").read_bytes()
    parsed = rss.parse(RSS, Response(url="http://feeds.jn.pt/JN-ULTIMAS", text=body.decode("latin-1")))
    assert parsed.candidates[0].title == "Mãe de utente é a nova presidente da Raríssimas"


def test_gzip_sitemap_equals_plain():
    plain = fixture_path("sitemaps/sitemaps.org_sitemap.xml").read_bytes()
    gz = fixture_path("sitemaps/sitemaps.org_sitemap.xml.gz").read_bytes()
    assert gz[:2] == b"\x1f\x8b"
    a = sitemap.parse(SITEMAP, response(plain, "https://www.sitemaps.org/sitemap.xml"))
    b = sitemap.parse(SITEMAP, response(gz, "https://www.sitemaps.org/sitemap.xml"))
    assert a == b and len(a.candidates) == 83
    # and a freshly gzipped news sitemap
    news = fixture_path("sitemaps/constructed_news_sitemap_ru.xml").read_bytes()
    assert sitemap.parse(SITEMAP, response(gzip.compress(news))) == sitemap.parse(SITEMAP, response(news))


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"<urlset>" + b" " * (51 * 1024 * 1024) + b"</urlset>", compresslevel=9)
    assert len(bomb) < 200_000
    with pytest.raises(ParseError, match="inflates beyond 50 MB"):
        sitemap.parse(SITEMAP, response(bomb))


def test_truncated_gzip_is_parse_error():
    gz = fixture_path("sitemaps/sitemaps.org_sitemap.xml.gz").read_bytes()
    with pytest.raises(ParseError, match="gzip"):
        sitemap.parse(SITEMAP, response(gz[: len(gz) // 2]))


# ------------------------------------------------------------------ XML bombs and external entities

LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
BILLION_LAUGHS_SITEMAP = (
    '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol0 "lol">' + LAUGHS + ']>'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    '<url><loc>https://example.org/news/story-&lol9;</loc><lastmod>&lol9;</lastmod></url></urlset>').encode()
BILLION_LAUGHS_RSS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + LAUGHS + ']>'
    '<rss version="2.0"><channel><title>t</title><item><title>bomb &lol9;</title>'
    '<link>https://example.org/a</link></item></channel></rss>').encode()


def _no_expansion(parsed: Parsed):
    for c in parsed.candidates:
        for v in (c.title, c.url, c.date_raw or "", c.summary or ""):
            assert "lollollol" not in v and len(v) < 10_000


def test_billion_laughs_not_expanded():
    for mod, body, spec in ((sitemap, BILLION_LAUGHS_SITEMAP, SITEMAP), (rss, BILLION_LAUGHS_RSS, RSS)):
        try:
            parsed = mod.parse(spec, response(body))
        except ParseError:
            continue                                # refusing the document is fine too
        _no_expansion(parsed)


def test_external_entity_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    uri = secret.as_uri()
    bodies = [
        (sitemap, SITEMAP, f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{uri}">]>'
                           '<urlset><url><loc>https://example.org/a-news-story</loc>'
                           '<news:news xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                           '<news:title>x &xxe;</news:title></news:news><lastmod>&xxe;</lastmod></url></urlset>'),
        (sitemap, SITEMAP, f'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "{uri}"><urlset>'
                           '<url><loc>https://example.org/a-news-story</loc></url></urlset>'),
        (rss, RSS, f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>'
                   '<rss version="2.0"><channel><title>t</title><item><title>x &xxe;</title>'
                   '<link>https://example.org/a</link><description>&xxe;</description></item></channel></rss>'),
    ]
    for mod, spec, body in bodies:
        try:
            parsed = mod.parse(spec, response(body.encode()))
        except ParseError:
            continue
        dump = repr(parsed)
        assert "TOP-SECRET-MARKER" not in dump


# ------------------------------------------------------------------ html_search

def _interfax():
    body = fixture_path("listings/interfax.ru_homepage_2018.html").read_bytes()
    return response(body, "https://www.interfax.ru/", "text/html; charset=windows-1251")


def test_html_item_attribute_and_url_defaults():
    spec = HtmlSearchSource(kind="html_search", url="https://www.interfax.ru/search/?sw={query}",
                            item="div[data-time]", fields={"title": "h3 a", "date": "@data-time"})
    parsed = html_search.parse(spec, _interfax())
    first = parsed.candidates[0]
    assert first.date_raw == "201803170906"          # the item's own attribute
    assert first.url == "https://www.interfax.ru/world/603985"
    assert first.title == "Что случилось этой ночью: суббота, 17 марта"
    # an explicit url selector reading an attribute
    spec2 = HtmlSearchSource(kind="html_search", url="https://www.interfax.ru/search/?sw={query}",
                             item="div[data-time]", fields={"title": "h3", "url": "span a@href"})
    assert html_search.parse(spec2, _interfax()).candidates[0].url == "https://www.interfax.ru/world/603985"


def test_html_no_hits_is_empty_not_error():
    spec = HtmlSearchSource(kind="html_search", url="https://example.org/s?q={query}",
                            item="div.search-result", fields={"title": "h3"})
    assert html_search.parse(spec, _interfax()) == Parsed()
    assert html_search.parse(spec, response(ERROR_PAGE)) == Parsed()


@pytest.mark.parametrize("body", [b'{"results": []}', b"", b"plain words, no markup",
                                  b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'])
def test_html_search_on_non_html_is_parse_error(body):
    spec = HtmlSearchSource(kind="html_search", url="https://example.org/s?q={query}",
                            item="div.search-result", fields={"title": "h3"})
    with pytest.raises(ParseError, match="not an HTML page"):
        html_search.parse(spec, response(body))


def test_html_empty_title_skipped_and_bad_selector():
    page = (b"<html><body><ul>"
            b"<li><a href='/a'>  First   <b>story</b> &amp; more</a><time datetime='2022-10-15'>15.10</time></li>"
            b"<li><a href='/b'>   </a></li>"
            b"<li><a href='javascript:void(0)'>Script link</a></li>"
            b"<li class='x'><h3>Header only</h3><p><a href='https://other.example/c'>read</a></p></li>"
            b"</ul></body></html>")
    spec = HtmlSearchSource(kind="html_search", url="https://example.org/s?q={query}", item="li",
                            fields={"title": "a, h3", "date": "time@datetime"})
    parsed = html_search.parse(spec, response(page, "https://example.org/s?q=x"))
    assert [(c.title, c.url, c.date_raw) for c in parsed.candidates] == [
        ("First story & more", "https://example.org/a", "2022-10-15"),
        ("Header only", "https://other.example/c", None)]
    # config.py refuses the selector at load time; the parser still defends itself
    with pytest.raises(ValueError, match="bad CSS selector"):
        HtmlSearchSource(kind="html_search", url="https://example.org/s?q={query}", item="li[",
                         fields={"title": "a"})
    bad = HtmlSearchSource.model_construct(kind="html_search", url="https://example.org/s?q={query}", item="li[",
                                           fields={"title": "a"})
    with pytest.raises(ParseError, match="bad CSS selector"):
        html_search.parse(bad, response(page))


def test_html_base_href():
    page = b"<html><head><base href='https://cdn.example.net/ru/'></head><body><div class='r'><a href='news/1'>Story</a></div></body></html>"
    spec = HtmlSearchSource(kind="html_search", url="https://example.org/s?q={query}", item="div.r", fields={"title": "a"})
    assert html_search.parse(spec, response(page)).candidates[0].url == "https://cdn.example.net/ru/news/1"


def test_split_selector():
    assert html_search.split_selector("time@datetime") == ("time", "datetime")
    assert html_search.split_selector("@data-time") == ("", "data-time")
    assert html_search.split_selector("h3 a") == ("h3 a", None)
    assert html_search.split_selector('a[href*="@"]') == ('a[href*="@"]', None)


# ------------------------------------------------------------------ json_search

def _js(items="", **fields):
    return JsonSearchSource(kind="json_search", url="https://example.org/api?q={query}", items=items,
                            fields=fields or {"title": "title", "url": "url", "date": "date"})


@pytest.mark.parametrize("body,where", [(b'{"hits": [', "line 1 col 11"), (b'{"a": 1,\n "b": }', "line 2 col 7")])
def test_malformed_json(body, where):
    with pytest.raises(ParseError, match=f"^malformed JSON: {where}"):
        json_search.parse(_js("hits"), response(body, content_type="application/json"))


def test_json_path_missing_names_path():
    with pytest.raises(ParseError, match=r"'data\.hits' not found"):
        json_search.parse(_js("data.hits"), response(b'{"data": {"total": 0}}'))
    with pytest.raises(ParseError, match="not a list or mapping"):
        json_search.parse(_js("data.total"), response(b'{"data": {"total": 0}}'))


def test_json_index_path_bom_timestamp_and_relative_url():
    body = ('\ufeff{"data": [{"hits": [{"t": {"main": "Стрельба на полигоне"}, "u": ["/news/1"], '
            '"ts": 1665846000, "s": "<p>Текст &laquo;новости&raquo;</p>"}, {"t": {"main": ""}, "u": ["/x"]}]}]}')
    spec = _js("data.0.hits", title="t.main", url="u.0", date="ts", summary="s")
    parsed = json_search.parse(spec, response(body.encode("utf-8"), "https://example.org/api/search?q=x"))
    assert parsed.candidates == (Candidate(title="Стрельба на полигоне", url="https://example.org/news/1",
                                           date_raw="1665846000", summary="Текст «новости»"),)
    # the document itself as the list
    top = json_search.parse(_js("", title="title", url="url"),
                            response(b'[{"title": "A", "url": "https://a.example/1"}]'))
    assert [c.url for c in top.candidates] == ["https://a.example/1"]
    # null results: no hits
    assert json_search.parse(_js("documents"), response(b'{"documents": null}')) == Parsed()


# ------------------------------------------------------------------ fuzz: only ParseError, ever

FUZZ_FILES = [
    ("feeds/theguardian.com_rss_us.xml", rss, RSS),
    ("feeds/npr.org_jsonfeed_technology.json", rss, RSS),
    ("sitemaps/constructed_news_sitemap_ru.xml", sitemap, SITEMAP),
    ("sitemaps/sitemaps.org_sitemap.xml.gz", sitemap, SITEMAP),
    ("api/constructed_meduza_search.json", json_search,
     JsonSearchSource(kind="json_search", url="https://meduza.io/api?q={query}", items="documents",
                      fields={"title": "title", "url": "url", "date": "datetime"}, base_url="https://meduza.io/")),
    ("listings/interfax.ru_homepage_2018.html", html_search,
     HtmlSearchSource(kind="html_search", url="https://www.interfax.ru/s?q={query}", item="div[data-time]",
                      fields={"title": "h3", "date": "time@datetime"})),
]
_BODIES = {rel: (FIXTURES / rel).read_bytes() for rel, _, _ in FUZZ_FILES}
_ALL_KINDS = [(rss, RSS), (sitemap, SITEMAP), (json_search, FUZZ_FILES[4][2]), (html_search, FUZZ_FILES[5][2])]


def _head(body: bytes) -> bytes:
    return body if body[:2] == b"\x1f\x8b" else body[:6000]      # keep the parsers fast


@st.composite
def mutated(draw):
    rel, mod, spec = draw(st.sampled_from(FUZZ_FILES))
    return mutate(draw, _head(_BODIES[rel]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzz_only_parse_error(body):
    for mod, spec in _ALL_KINDS:
        try:
            parsed = mod.parse(spec, response(body, "https://example.org/x/"))
        except ParseError as e:
            assert "\n" not in str(e)
            continue
        assert isinstance(parsed, Parsed)
        for c in parsed.candidates:
            assert isinstance(c.title, str) and c.title and c.url.startswith(("http://", "https://"))


def test_html_fast_path_reads_like_beautifulsoup(monkeypatch):
    """The lxml/cssselect fast path and the BeautifulSoup path give the same candidates."""
    for rel, spec in [("listings/interfax.ru_homepage_2018.html",
                       {"item": "div[data-time]", "fields": {"title": "h3", "date": "time@datetime",
                                                             "summary": "span > a"}}),
                      ("listings/cnn.com_main_site_listing.html",
                       {"item": "ul.cnn_bulletbin > li", "fields": {"title": "a"}})]:
        resp = response(fixture_path(rel).read_bytes(), "https://example.org/s", "text/html")
        s = HtmlSearchSource(kind="html_search", url="https://example.org/s?q={query}", **spec)
        fast = html_search.parse(s, resp)
        monkeypatch.setattr(html_search, "_fast", lambda *a: None)
        slow = html_search.parse(s, resp)
        monkeypatch.undo()
        assert fast.candidates and fast == slow, rel

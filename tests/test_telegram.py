"""Telegram channels (``kind: telegram``): the preview parser on pages built to t.me's public
markup, the config, the pipeline's cursor stop and text pass, politeness shared by every
channel on t.me, and ``check``'s verdict per channel. The whole run is in test_telegram_e2e.py.

The fixtures in tests/fixtures/telegram/ are constructed (no saved t.me page under an open
licence was found; see PROVENANCE.tsv); their expectations are typed in from the files.
"""
from __future__ import annotations

import json
import re
import time
from datetime import date
from html import escape
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from incidentsearch.live import check as checkmod
from incidentsearch.results.folder import IncidentFolder
from incidentsearch.live.articles import capture
from incidentsearch.config import ConfigError, OutletsFile, Source, TelegramSource, load_incidents, load_outlets
from incidentsearch.net import Fetcher
from incidentsearch.match import Matcher
from incidentsearch.records import Parsed, Response
from incidentsearch.live.listings import ListingSearch, plan
from incidentsearch.sources import ParseError, build_url, telegram
from incidentsearch.results.folder import Store, read_hits

from conftest import ROOT


def captured(hit, fetcher, folder, **kw) -> dict:
    """capture, then the results folder saves the page: the record as articles.jsonl holds it."""
    return IncidentFolder(folder.parent, folder.name).save_article(capture(hit, fetcher, **kw)).as_dict()

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "telegram"
SOURCE = TypeAdapter(Source)
INCIDENTS = load_incidents(ROOT / "queries")
SOLOTI = next(i for i in INCIDENTS if i.id == "soloti-2022")
SPEC = TelegramSource(kind="telegram", channel="example_wire")


def resp(body: str | bytes, url: str = "https://t.me/s/example_wire", final_url: str | None = None) -> Response:
    content = body.encode("utf-8") if isinstance(body, str) else body
    return Response(url=url, final_url=final_url or url, status=200, headers={"Content-Type": "text/html"},
                    content=content, text=content.decode("utf-8", "replace"))


# ------------------------------------------------------------------ pages in t.me's markup, for the tests

def post(channel: str, pid: int, when: str, text: str | None, *, forwarded: tuple[str, str] | None = None,
         media: bool = False) -> str:
    """One ``tgme_widget_message`` as t.me writes it; ``text`` lines joined with <br/>."""
    fwd = ""
    if forwarded:
        fwd = (f'<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;<a class='
               f'"tgme_widget_message_forwarded_from_name" href="https://t.me/{forwarded[1]}"><span dir="auto">'
               f'{escape(forwarded[0])}</span></a></div>')
    photo = ('<a class="tgme_widget_message_photo_wrap" href="#" style="background-image:url(\'https://cdn4.'
             'telesco.pe/file/x.jpg\')"></a>') if media else ""
    body = ""
    if text is not None:
        body = ('<div class="tgme_widget_message_text js-message_text" dir="auto">'
                + "<br/>".join(escape(x) for x in text.split("\n")) + "</div>")
    return (f'<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message '
            f'text_not_supported_wrap js-widget_message" data-post="{channel}/{pid}"><div class='
            f'"tgme_widget_message_bubble">{fwd}{photo}{body}<div class="tgme_widget_message_footer"><span class='
            f'"tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{channel}/{pid}">'
            f'<time datetime="{when}" class="time">00:00</time></a></span></div></div></div></div>')


def page(channel: str, posts: list[str], *, before: int | None = None, query: str = "") -> str:
    """A ``t.me/s/<channel>`` page: the channel header, the posts, the 'load older' link."""
    more = ""
    if before is not None:
        q = f"q={escape(query)}&amp;" if query else ""
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{channel}?{q}before='
                f'{before}" class="tme_messages_more js-messages_more" data-before="{before}"></a></div>')
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{channel} – Telegram</title></head>'
            f'<body class="tgme_webpreview"><header class="tgme_header"><div class="tgme_channel_info">'
            f'<div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>'
            f'</div></header><main class="tgme_main"><section class="tgme_channel_history js-message_history">'
            f'{more}{"".join(posts)}</section></main></body></html>')


# What t.me answers for /s/<name> of a private, renamed or deleted channel: a redirect to the
# contact page, which has no channel history and no posts.
CONTACT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Contact @example_closed</title>
<meta property="og:title" content="Telegram: Contact @example_closed"></head><body class="no_transition">
<div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">
Example Closed</span></div><div class="tgme_page_extra">If you have Telegram, you can contact @example_closed
right away.</div><div class="tgme_page_action"><a class="tgme_action_button_new shine"
href="tg://resolve?domain=example_closed">Send Message</a></div></div></div></body></html>"""


# ------------------------------------------------------------------ the parser on the fixtures

def cases():
    for exp in sorted(FIXTURES.glob("*.expected.json")):
        yield pytest.param(exp, id=exp.name.removesuffix(".expected.json"))


@pytest.mark.parametrize("exp_path", list(cases()))
def test_fixture_expectation(exp_path: Path):
    exp = json.loads(exp_path.read_text("utf-8"))
    spec = SOURCE.validate_python(exp["spec"])
    body = (FIXTURES / exp_path.name.removesuffix(".expected.json")).read_bytes()
    parsed = telegram.parse(spec, resp(body, exp["url"]))
    assert len(parsed.candidates) == exp["count"]
    assert parsed.next_url == exp["next_url"]
    assert dict(parsed.skipped) == exp["skipped"]
    assert parsed.empty == exp["empty"]
    for want in exp["items"]:
        got = parsed.candidates[want["index"]]
        for key in ("title", "url", "date_raw", "lang"):
            if key in want:
                assert getattr(got, key) == want[key], f"item {want['index']}: {key}"
        for key in ("text", "forwarded_from", "forwarded_from_url"):
            if key in want:
                assert got.extra.get(key) == want[key], f"item {want['index']}: {key}"
    for c in parsed.candidates:
        assert c.title and len(c.title) <= telegram.TITLE_CHARS + 1 and "\n" not in c.title
        assert re.fullmatch(r"https://t\.me/[A-Za-z0-9_]+/\d+", c.url)
        assert c.extra["text"].startswith(c.title.rstrip("…")[:20])


def test_every_fixture_has_an_expectation_and_a_constructed_provenance_row():
    rows = (FIXTURES.parent / "PROVENANCE.tsv").read_text("utf-8").splitlines()
    listed = {r.split("\t")[0]: r.split("\t") for r in rows[1:]}
    pages = sorted(p for p in FIXTURES.iterdir() if p.suffix == ".html")
    assert len(pages) >= 3
    for p in pages:
        row = listed[f"telegram/{p.name}"]
        assert row[4] == "constructed" and row[1] == "telegram"
        assert (FIXTURES / f"{p.name}.expected.json").exists()


# ------------------------------------------------------------------ the parser's edges

def test_private_renamed_or_gone_channel_is_a_parse_error_not_an_empty_success():
    with pytest.raises(ParseError) as e:
        telegram.parse(SPEC, resp(CONTACT_PAGE, "https://t.me/s/example_closed?q=x",
                                  final_url="https://t.me/example_closed"))
    msg = str(e.value)
    assert msg.startswith(telegram.NO_PREVIEW) and "\n" not in msg and "https://t.me/example_closed" in msg


@pytest.mark.parametrize("body", [b"", b"   ", b'{"ok": false}', b"<?xml version='1.0'?><rss/>",
                                  b"\x00\x01garbage", b"<html><body><h1>502 Bad Gateway</h1></body></html>"])
def test_anything_else_is_a_parse_error(body):
    with pytest.raises(ParseError):
        telegram.parse(SPEC, resp(body))


def test_channel_header_without_posts_is_an_empty_success():
    parsed = telegram.parse(SPEC, resp(page("example_wire", [])))
    assert parsed == Parsed(empty=True)


def test_media_only_posts_are_counted_and_skipped():
    parsed = telegram.parse(SPEC, resp(page("example_wire", [
        post("example_wire", 5, "2022-10-15T10:00:00+00:00", None, media=True),
        post("example_wire", 6, "2022-10-15T10:05:00+00:00", "🔥🔥🔥", media=True),
        post("example_wire", 7, "2022-10-15T10:10:00+00:00", "Подпись к фото", media=True)])))
    assert [c.url for c in parsed.candidates] == ["https://t.me/example_wire/7"]
    assert parsed.skipped == {"media_only": 2} and not parsed.empty


@pytest.mark.parametrize("text,title", [
    ("Короткая строка\nвторая строка", "Короткая строка"),
    ("❗️\n\nСрочно: взрыв в Белгороде", "Срочно: взрыв в Белгороде"),
    ("А" * 150 + ". " + "Б" * 100 + ".", "А" * 150 + "."),
    ("слово " * 60, ("слово " * 60)[:telegram.TITLE_CHARS].rsplit(" ", 1)[0] + "…"),
])
def test_title_is_the_first_line_cut_at_a_sentence_end(text, title):
    assert telegram.title_of(text) == title


def test_query_url_and_the_older_page_keep_the_query():
    url = build_url(SPEC, query="Солоти  полигон", since=date(2022, 10, 14), until=date(2022, 12, 14))
    assert url == "https://t.me/s/example_wire?q=%D0%A1%D0%BE%D0%BB%D0%BE%D1%82%D0%B8+%D0%BF%D0%BE%D0%BB%D0%B8%D0%B3%D0%BE%D0%BD"
    nxt = telegram.next_page(url + "&before=900", "812")
    assert nxt == url + "&before=812"
    assert build_url(SPEC, query=None, since=date(2022, 10, 14), until=date(2022, 10, 15)) == SPEC.url


# ------------------------------------------------------------------ config

def test_config_defaults_and_validation(tmp_path):
    assert SPEC.url == "https://t.me/s/example_wire" and SPEC.placeholders == {"query"}
    assert SPEC.rate_limit_s and SPEC.max_pages and SPEC.max_pages > 5
    local = TelegramSource(kind="telegram", channel="example_wire", url="http://127.0.0.1:8080/s/example_wire")
    assert local.url.startswith("http://127.0.0.1")
    for name in TelegramSource.model_fields:
        assert TelegramSource.model_fields[name].description, name
    f = tmp_path / "outlets.yaml"
    f.write_text("outlets:\n  - {id: t, name: T, lang: [ru], sources: [\n"
                 "      {kind: telegram, channel: '@bad name'},\n"
                 "      {kind: telegram, channel: ok_name, url: 'https://t.me/s/{query}'},\n"
                 "      {kind: telegram, channel: ok_name, site: t.me},\n"
                 "      {kind: telegram}]}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_outlets(f)
    text = "\n".join(e.value.lines)
    assert "sources[0].channel" in text and "sources[1].url" in text and "sources[2].site: unknown key" in text
    assert "sources[3].channel" in text


def test_planned_once_per_query_in_the_outlets_languages():
    outlets = OutletsFile.model_validate({"outlets": [{"id": "t", "name": "T", "lang": ["ru"], "sources": [
        {"kind": "telegram", "channel": "example_wire"}]}]})
    tasks = plan(outlets, [SOLOTI])
    assert [t.query for t in tasks] == SOLOTI.queries.ru
    assert all(t.url(1).startswith("https://t.me/s/example_wire?q=") for t in tasks)


# ------------------------------------------------------------------ the pipeline: cursor stop, text pass

class PagesFetcher:
    """Answers from a dict of before-id -> page; records every URL asked."""

    def __init__(self, pages: dict[str | None, str]):
        self.pages, self.asked = pages, []

    def get(self, url, *, rate_limit_s=None, **_):
        self.asked.append(url)
        m = re.search(r"[?&]before=(\d+)", url)
        body = self.pages.get(m.group(1) if m else None)
        if body is None:
            return Response(url=url, final_url=url, status=404, error="HTTP 404")
        return resp(body, url)


def one_query_run(tmp_path, pages, *, spec=None):
    outlets = OutletsFile.model_validate({"defaults": {"rate_limit_s": 0}, "outlets": [
        {"id": "t", "name": "T", "lang": ["ru"],
         "sources": [spec or {"kind": "telegram", "channel": "example_wire"}]}]})
    store = Store(tmp_path / "results", "2026-11-21")
    fetcher = PagesFetcher(pages)
    run = ListingSearch(outlets, INCIDENTS, fetcher=fetcher, store=store, matcher=Matcher.from_folder(ROOT / "queries"))
    run.run_task(plan(outlets, [SOLOTI])[0])
    store.close()
    return run, fetcher, read_hits(store.folder("soloti-2022").jsonl)


TEXT_ONLY = ("Срочное заявление Минобороны России\nСегодня на полигоне в Валуйском районе Белгородской области "
             "двое граждан одной из стран СНГ открыли огонь по военнослужащим во время огневой подготовки.")


def test_paging_back_stops_once_a_whole_page_is_older_than_the_window(tmp_path):
    chan = "example_wire"
    pages = {
        None: page(chan, [post(chan, 900, "2023-02-01T10:00:00+00:00", "Погода на выходные"),
                          post(chan, 901, "2023-02-02T10:00:00+00:00", "Курс рубля")], before=900),
        "900": page(chan, [post(chan, 500, "2022-10-15T19:00:00+00:00", TEXT_ONLY),
                           post(chan, 501, "2022-10-15T19:30:00+00:00", None, media=True)], before=500),
        "500": page(chan, [post(chan, 400, "2022-09-30T10:00:00+00:00", "Сентябрьские новости")], before=400),
        "400": page(chan, [post(chan, 300, "2022-08-30T10:00:00+00:00", "Августовские новости")], before=300),
    }
    run, fetcher, hits = one_query_run(tmp_path, pages)
    befores = [re.search(r"before=(\d+)", u).group(1) if "before" in u else None for u in fetcher.asked]
    assert befores == [None, "900", "500"]
    assert all("q=" in u for u in fetcher.asked)                  # the query is kept on every older page
    st = run.stats[("t", 0)]
    assert st.status == "ok" and not st.capped and st.skipped == {"media_only": 1}
    assert st.record("soloti-2022")["skipped"] == {"media_only": 1}
    assert st.out_of_window == 3
    [hit] = hits
    assert hit["url"] == "https://t.me/example_wire/500" and hit["matched_on"] == "text"
    assert hit["title"] == "Срочное заявление Минобороны России" and hit["text"] == TEXT_ONLY
    assert hit["source"] == "telegram" and hit["published"].startswith("2022-10-15T19:00")


def test_a_cursor_that_does_not_page_back_in_time_is_followed_to_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(telegram, "NEWEST_FIRST", False)
    chan = "example_wire"
    pages = {None: page(chan, [post(chan, 10, "2022-01-01T00:00:00+00:00", "Старое")], before=10),
             "10": page(chan, [post(chan, 5, "2022-10-16T00:00:00+00:00", TEXT_ONLY)])}
    _, fetcher, hits = one_query_run(tmp_path, pages)
    assert len(fetcher.asked) == 2 and len(hits) == 1


def test_title_match_is_marked_and_forwards_keep_their_origin(tmp_path):
    chan = "example_wire"
    text = "Минобороны: стрельба на полигоне под Белгородом квалифицирована как теракт\nПодробности позже"
    pages = {None: page(chan, [post(chan, 77, "2022-10-15T19:05:00+00:00", text,
                                    forwarded=("Example Wire 2", "example_wire2/12"))])}
    _, _, [hit] = one_query_run(tmp_path, pages)
    assert hit["matched_on"] == "title"
    assert hit["forwarded_from"] == "Example Wire 2" and hit["forwarded_from_url"] == "https://t.me/example_wire2/12"


def test_private_channel_fails_the_source_with_the_reason(tmp_path):
    run, _, hits = one_query_run(tmp_path, {None: CONTACT_PAGE})
    st = run.stats[("t", 0)]
    assert st.status == "failed" and hits == []
    assert telegram.NO_PREVIEW in st.errors[0]


# ------------------------------------------------------------------ articles: the post is the article

class NoFetch:
    def get(self, url, **_):
        raise AssertionError(f"fetched {url}")


def test_a_post_hit_is_captured_from_its_own_text_without_a_fetch(tmp_path):
    hit = {"url": "https://t.me/example_wire/500", "title": "Срочное заявление Минобороны России", "lang": "ru",
           "published": "2022-10-15T19:00:00+00:00", "date_method": "field", "text": TEXT_ONLY}
    art = captured(hit, NoFetch(), tmp_path, window=(date(2022, 10, 14), date(2022, 12, 14)))
    assert art["source"] == "listing" and art["error"] is None and art["html"] is None
    assert (tmp_path / art["text"]).read_text("utf-8") == TEXT_ONLY
    assert art["lead"].startswith("Срочное заявление") and "полигоне" in art["lead"]
    assert art["chars"] == len(TEXT_ONLY) and art["published"] == hit["published"]


# ------------------------------------------------------------------ politeness: t.me is one host

def test_two_channels_share_one_hosts_interval(tmp_path, httpserver):
    times: list[float] = []

    def handler(request):
        from werkzeug import Response as W
        times.append(time.monotonic())
        name = request.path.rsplit("/", 1)[-1]
        return W(page(name, [post(name, 1, "2022-10-15T10:00:00+00:00", "Новости")]), content_type="text/html")

    httpserver.expect_request(re.compile(r"/s/example_(one|two)")).respond_with_handler(handler)
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    base = httpserver.url_for("").rstrip("/")
    outlets = OutletsFile.model_validate({"defaults": {"rate_limit_s": 0}, "outlets": [
        {"id": n, "name": n, "lang": ["ru"], "sources": [
            {"kind": "telegram", "channel": f"example_{n}", "url": f"{base}/s/example_{n}", "rate_limit_s": 0.3}]}
        for n in ("one", "two")]})
    store = Store(tmp_path / "results", "2026-11-21")
    tasks = [t for t in plan(outlets, [SOLOTI]) if t.query == SOLOTI.queries.ru[0]]
    with Fetcher(user_agent="incidentsearch-test/1", rate_limit_s=0, retries=0, cache_dir=None) as f:
        ListingSearch(outlets, INCIDENTS, fetcher=f, store=store,
            matcher=Matcher.from_folder(ROOT / "queries")).run_all(tasks, parallel=8)
    store.close()
    assert len(times) == 2
    assert times[1] - times[0] >= 0.28          # two channels, one host: one interval between them


# ------------------------------------------------------------------ check: each channel's state

def test_check_reports_each_channels_state(tmp_path, httpserver, capsys, monkeypatch):
    from incidentsearch.cli import main
    chan = "example_live"
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request(f"/s/{chan}").respond_with_data(
        page(chan, [post(chan, 1, "2022-10-15T10:00:00+00:00", "Новости"),
                    post(chan, 2, "2022-10-15T11:00:00+00:00", None, media=True)]), content_type="text/html")
    httpserver.expect_request("/s/example_quiet").respond_with_data(page("example_quiet", []), content_type="text/html")
    httpserver.expect_request("/s/example_closed").respond_with_data("", status=302,
                                                                     headers={"Location": "/example_closed"})
    httpserver.expect_request("/example_closed").respond_with_data(CONTACT_PAGE, content_type="text/html")
    httpserver.expect_request("/s/example_limited").respond_with_data("Too Many Requests", status=429,
                                                                      headers={"Retry-After": "1"})
    base = httpserver.url_for("").rstrip("/")
    lines = ["defaults: {rate_limit_s: 0, retries: 0, timeout_s: 5}", "outlets:"]
    for n in ("live", "quiet", "closed", "limited"):
        lines += [f"  - id: {n}", f"    name: {n}", "    lang: [ru]", "    sources:",
                  f"      - {{kind: telegram, channel: example_{n}, url: '{base}/s/example_{n}', rate_limit_s: 0}}"]
    f = tmp_path / "outlets.yaml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = main(["check", "--outlets", str(f), "--queries", str(ROOT / "queries"), "--no-cache"])
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert code == 1
    assert re.search(r"\b1\s+ok\s+skipped media_only: 1", rows["live"])
    assert " empty " in rows["quiet"] and "no public posts" in rows["quiet"]
    assert "parse failure" in rows["closed"] and telegram.NO_PREVIEW in rows["closed"]
    assert "blocked" in rows["limited"] and " 429 " in rows["limited"]
    assert out.splitlines()[-1] == "1 of 4 sources ok; 1 blocked, 1 empty, 1 parse failure"


def test_check_verdict_of_a_page_with_only_skipped_posts():
    parsed = Parsed(skipped={"media_only": 3})
    r = resp("<html>tgme_</html>")
    assert checkmod.verdict(r, parsed) == ("ok", 0, "skipped media_only: 3")
    assert checkmod.verdict(r, Parsed(empty=True))[0] == "empty"
    assert checkmod.verdict(r, Parsed())[0] == "parse failure"


# ------------------------------------------------------------------ the shipped channels

def test_shipped_outlets_have_at_least_ten_channels_each_explained():
    outlets = load_outlets(ROOT / "outlets.yaml")
    chans = [(o, s) for o in outlets.outlets for s in o.sources if s.kind == "telegram"]
    assert len(chans) >= 10
    names = {s.channel for _, s in chans}
    assert {"vvgladkov", "mod_russia", "tass_agency", "rian_ru", "meduzalive", "mediazzzona", "sotaproject",
            "russvolcorps"} <= names
    assert any(o.lang == ["uk"] for o, _ in chans)                 # Ukrainian channels that covered the raids
    lines = (ROOT / "outlets.yaml").read_text("utf-8").splitlines()
    for o, s in chans:
        assert o.enabled and s.url == f"https://t.me/s/{s.channel}" and o.home == f"https://t.me/{s.channel}"
        k = lines.index(f"        channel: {s.channel}") - 2          # the line above "- kind: telegram"
        comment = []
        while lines[k].strip().startswith("#"):
            comment.insert(0, lines[k].strip())
            k -= 1
        assert comment and comment[0].startswith(f"# @{s.channel}:") and "unverified" in " ".join(comment), s.channel

"""Tests for incidentsearch.dates: real fixture strings first, constructed ones marked."""
from __future__ import annotations

import csv
import email.utils
import glob
import json
import re
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

try:
    from incidentsearch.text import dates as D
except ModuleNotFoundError:                 # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from incidentsearch.text import dates as D

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIX = SHARED / "fixtures"
MSK = ZoneInfo("Europe/Moscow")
BASE = datetime(2022, 10, 16, 12, 0, tzinfo=timezone.utc)   # 15:00 in Moscow, a Sunday


def _need_shared() -> None:
    if not FIX.is_dir():
        pytest.skip("../shared not present: real fixtures are read from there")


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


def _same(got, want) -> None:
    """Equal as values, of the same kind, and (datetimes) with the same offset."""
    assert type(got) is type(want), (got, want)
    assert got == want
    if isinstance(want, datetime):
        assert got.utcoffset() == want.utcoffset(), (got, want)


# ---------------------------------------------------------------- real: feeds

def _feed_items():
    _need_shared()
    for f in sorted(glob.glob(str(FIX / "feeds" / "*.xml"))):
        if "uol.com.br" in f:               # Portuguese day/month names: not our languages
            continue
        for item in re.findall(r"<item>(.*?)</item>", _read(Path(f)), re.S):
            link = re.search(r"<link>\s*(?:<!\[CDATA\[)?\s*(.*?)\s*(?:\]\]>)?\s*</link>", item, re.S)
            pub = re.search(r"<pubDate>(.*?)</pubDate>", item)
            if pub:
                yield Path(f).name, pub.group(1), link.group(1) if link else None


def test_feed_pubdates_rfc822():
    n = 0
    for name, pub, _ in _feed_items():
        want = datetime.strptime(pub.replace("GMT", "+0000"), "%a, %d %b %Y %H:%M:%S %z")
        _same(D.parse_date(pub), want)
        n += 1
    assert n > 400


def test_feed_other_date_fields():
    _need_shared()
    guardian = _read(FIX / "feeds" / "theguardian.com_rss_us.xml")
    dc = re.findall(r"<dc:date>([^<]+)</dc:date>", guardian)
    assert dc
    for s in dc:                               # "2018-01-31T20:15:15Z"
        _same(D.parse_date(s), datetime.fromisoformat(s.replace("Z", "+00:00")))
    for s in re.findall(r"<lastBuildDate>([^<]+)</lastBuildDate>", _read(FIX / "feeds" / "jn.pt_rss_latin1.xml")):
        _same(D.parse_date(s), datetime(2018, 1, 3, 14, 11, 52, tzinfo=timezone.utc))


def test_feed_links_carry_the_first_publication_day():
    """A link's date is the first publication; pubDate may be a later update (Lenta, Guardian)."""
    n = 0
    for name, pub, link in _feed_items():
        got = D.from_url(link) if link else None
        if got is None:
            continue
        day = D.day_of(D.parse_date(pub))
        assert day - timedelta(days=2) <= got <= day, (name, link, pub)
        n += 1
    assert n > 250
    # unian slugs end in an *event* day ("...-29-09-2020", published 28 Sep): never read as a date
    assert D.from_url("https://www.unian.ua/sport/football/dinamo-gent-de-divitisya-onlayn-match-"
                      "ligi-chempioniv-29-09-2020") is None


# ------------------------------------------------------------- real: sitemaps

def test_sitemap_dates():
    _need_shared()
    values = []
    for f in sorted((FIX / "sitemaps").glob("*.xml")):
        values += re.findall(r"<(?:lastmod|news:publication_date)>\s*([^<\s]+)\s*<", _read(f))
    assert len(values) > 70
    for s in values:
        want = datetime.fromisoformat(s) if "T" in s else date.fromisoformat(s)
        _same(D.parse_date(s), want)
    assert D.parse_date("2016-11-21") == date(2016, 11, 21)


# ----------------------------------------------------------- real: Interfax 2018

def test_interfax_data_time_and_time_element_agree():
    _need_shared()
    html = _read(FIX / "listings" / "interfax.ru_homepage_2018.html")
    data_times = re.findall(r'data-time="(\d{12})"', html)
    time_attrs = re.findall(r'<time datetime="([^"]+)"', html)
    assert len(data_times) > 90 and len(time_attrs) >= len(data_times)
    for compact, iso in zip(data_times, time_attrs):
        want = datetime.strptime(compact, "%Y%m%d%H%M").replace(tzinfo=MSK)
        _same(D.parse_date(compact, tz="Europe/Moscow"), want)
        assert D.parse_date(iso, tz="Europe/Moscow") == want
    # without a tz, an offset-less time is read as UTC
    assert D.parse_date(data_times[0]) == datetime(2018, 3, 17, 9, 6, tzinfo=timezone.utc)


# ------------------------------------------------------------------ real: ODS CSV

_DATELINE = re.compile(r"(?:^|n)([А-ЯЁа-яё][А-ЯЁа-яё\- ]*[.,] \d{1,2} [а-я]+(?:\.| [–—-] РИА Новости\.))")


def _ods_rows():
    _need_shared()
    for f in sorted((FIX / "api").glob("ods_sample_*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)


def test_ods_date_column_and_urls():
    n_url = 0
    for row in _ods_rows():
        when = datetime.strptime(row["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=MSK)
        _same(D.parse_date(row["date"], tz="Europe/Moscow"), when)
        got = D.from_url(row["url"])
        assert got in (None, when.date()), row["url"]
        n_url += got is not None
    assert n_url >= 24          # ria /YYYYMMDD/, meduza /YYYY/MM/DD/, iz /YYYY-MM-DD/


def test_ods_russian_datelines():
    seen = 0
    for row in _ods_rows():
        m = _DATELINE.search(row["text"][:400])
        if not m:
            continue
        when = datetime.strptime(row["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=MSK)
        got = D.parse_date(m.group(1), relative_base=when, tz="Europe/Moscow")
        assert isinstance(got, date) and not isinstance(got, datetime), m.group(1)
        # the dateline is the day written; the row's timestamp may fall just after midnight
        assert when.date() - timedelta(days=1) <= got <= when.date(), (m.group(1), row["date"])
        seen += 1
    assert seen >= 25


# ------------------------------------------------------------ real: dev headlines

_URL_DAY_FORMS = ("/{y}/{m:02d}/{d:02d}", "/{y}/{m:02d}/{d}/", "{y}-{m:02d}-{d:02d}",
                  "/{y}{m:02d}{d:02d}/", "/{d:02d}/{m:02d}/{y}/")


def _dev_rows():
    _need_shared()
    with (SHARED / "eval" / "dev_headlines.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_dev_headlines_url_dates():
    carrying = 0
    for row in _dev_rows():
        url, want = row.get("url"), row.get("date")
        got = D.from_url(url) if url else None
        if not want:
            assert got is None, url
            continue
        want = date.fromisoformat(want)
        path = url.split("?")[0]
        if any(f.format(y=want.year, m=want.month, d=want.day) in path for f in _URL_DAY_FORMS):
            assert got == want, url
            carrying += 1
        else:
            assert got in (None, want), url        # never a wrong day
    assert carrying >= 20


@pytest.mark.parametrize("url, want", [
    ("https://ria.ru/20221015/strelba-1824359.html", date(2022, 10, 15)),            # constructed (brief)
    ("https://www.pravda.com.ua/eng/news/2023/06/4/7405282/index.amp", date(2023, 6, 4)),
    ("https://amp.rbc.ru/rbcnews/society/13/06/2023/6485e39c9a79477a5cf8909a", date(2023, 6, 13)),
    ("https://www.theguardian.com/world/2024/feb/24/death-toll-in-valencia-fire", date(2024, 2, 24)),
    ("https://stage.rima.media/document/2023-06-01-agents-610306-posle", date(2023, 6, 1)),
    ("https://www.pravda.com.ua/eng/news/2024/03/12/7446024/", date(2024, 3, 12)),
    ("https://www.gazeta.ru/army/news/2024/03/14/22544791.shtml", date(2024, 3, 14)),
    # no date: long numeric ids and impossible or out-of-range days (constructed)
    ("https://www.pravda.com.ua/eng/news/7446024/", None),
    ("https://ria.ru/1824359.html", None),
    ("https://regnum.ru/news/20221015", None),
    ("https://example.com/news/2022/13/45/slug", None),
    ("https://example.com/news/1989/12/31/slug", None),
    ("https://example.com/news/2999/01/01/slug", None),
    ("https://example.com/a/99999999/slug", None),
    ("https://secretmag.ru/news/glavnoe-22-05-2023.htm", None),   # slug text, not a path date
    ("not a url", None),
    ("", None),
])
def test_from_url_table(url, want):
    assert D.from_url(url) == want


def test_from_url_tomorrow_ok_day_after_not():   # constructed
    today = datetime.now(timezone.utc).date()
    for delta, ok in ((1, True), (3, False)):
        d = today + timedelta(days=delta)
        assert (D.from_url(f"https://x.ru/{d:%Y/%m/%d}/s") is not None) is ok


# -------------------------------------------------------------- tables: Russian

def _msk(*a):
    return datetime(*a, tzinfo=MSK)


RU = [
    ("15 октября 2022", date(2022, 10, 15)),
    ("15 октября 2022, 14:30", _msk(2022, 10, 15, 14, 30)),
    ("15 окт 2022", date(2022, 10, 15)),
    ("Суббота, 15 октября 2022 г., 14:30 МСК", _msk(2022, 10, 15, 14, 30)),
    ("опубликовано: 15.10.2022 14:30", _msk(2022, 10, 15, 14, 30)),
    ("Обновлено: 15.10.2022", date(2022, 10, 15)),
    ("14:30 15.10.2022", _msk(2022, 10, 15, 14, 30)),
    ("15\xa0октября\xa02022  года в 14:30", _msk(2022, 10, 15, 14, 30)),
    ("Сегодня, 12:05", _msk(2022, 10, 16, 12, 5)),
    ("вчера в 20:12", _msk(2022, 10, 15, 20, 12)),
    ("2 часа назад", _msk(2022, 10, 16, 13, 0)),
    ("5 минут назад", _msk(2022, 10, 16, 14, 55)),
    ("3 дня назад", date(2022, 10, 13)),
    ("29 июня", date(2022, 6, 29)),
    ("29 октября", date(2021, 10, 29)),       # after the base: the year before
    ("Сб, 15 окт 2022 14:30:00 +0300", _msk(2022, 10, 15, 14, 30)),
    ("15 жовтня 2022", date(2022, 10, 15)),   # Ukrainian
    ("позавчера", date(2022, 10, 14)),        # via the hand parser, like dateparser
]
EN = [
    ("October 16, 2022", date(2022, 10, 16)),
    ("16 Oct 2022 09:15 GMT", datetime(2022, 10, 16, 9, 15, tzinfo=timezone.utc)),
    ("2 hours ago", _msk(2022, 10, 16, 13, 0)),
    ("Updated 3:40 PM EDT, Sun October 16, 2022",
     datetime(2022, 10, 16, 15, 40, tzinfo=timezone(timedelta(hours=-4)))),
    ("Published: Oct. 16, 2022 at 9:15 a.m.", _msk(2022, 10, 16, 9, 15)),
    ("Thu, 14 Nov 2019 10:00:00 +0300", _msk(2019, 11, 14, 10, 0)),
    ("2017-04-25T10:00:36+00:00", datetime(2017, 4, 25, 10, 0, 36, tzinfo=timezone.utc)),
    ("2015-05-21T12:00+01:00", datetime(2015, 5, 21, 12, 0, tzinfo=timezone(timedelta(hours=1)))),
    ("yesterday", date(2022, 10, 15)),
    ("last monday", date(2022, 10, 10)),      # dateparser fallback
]


@pytest.mark.parametrize("raw, want", RU + EN)
def test_parse_table(raw, want):
    got = D.parse_date(raw, relative_base=BASE, tz="Europe/Moscow")
    assert type(got) is type(want) and got == want, (raw, got)


@pytest.mark.parametrize("raw, want", [            # constructed; Kyiv is UTC+3 in October 2022
    ("вчора о 20:12", datetime(2022, 10, 15, 20, 12, tzinfo=ZoneInfo("Europe/Kyiv"))),
    ("2 години тому", datetime(2022, 10, 16, 13, 0, tzinfo=ZoneInfo("Europe/Kyiv"))),
    ("16.10.2022 о 14:30", datetime(2022, 10, 16, 14, 30, tzinfo=ZoneInfo("Europe/Kyiv"))),
])
def test_parse_ukrainian_via_dateparser(raw, want):
    _same(D.parse_date(raw, lang="uk", relative_base=BASE, tz="Europe/Kyiv"), want)
    assert D.parse_date(raw, relative_base=BASE) in (None, want)   # ru+en alone may not know it


@pytest.mark.parametrize("raw", ["", "   ", "hello", "March 2015", "5", "32 октября 2022",
                                 "2022-02-30", "31.02.2022", "опубликовано:", None, 12345])
def test_parse_rejects(raw):     # constructed
    assert D.parse_date(raw, relative_base=BASE) is None


def test_time_of_day_is_honest():  # constructed
    for raw in ("15 октября 2022", "15.10.2022", "2022-10-15", "20221015"):
        v = D.parse_date(raw, tz="Europe/Moscow")
        assert type(v) is date, raw
    v = D.parse_date("15 октября 2022 14:30")
    assert isinstance(v, datetime) and v.tzinfo is not None and v.utcoffset() == timedelta(0)


def test_msk_overrides_tz():  # constructed
    assert D.parse_date("15.10.2022 14:30 мск", tz="UTC") == _msk(2022, 10, 15, 14, 30)


def test_fast_paths_do_not_touch_dateparser(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("dateparser called")
    monkeypatch.setattr(D, "_parser", boom)
    samples = ["2017-04-25T10:00:36+00:00", "2016-11-21", "Thu, 14 Nov 2019 10:00:00 +0300",
               "Thu, 14 Nov 2019 15:28:00 GMT", "15.10.2022 14:30", "201803170906",
               "Сб, 15 окт 2022 14:30:00 +0300", "15 октября 2022", "2 часа назад", "вчера в 20:12"]
    for s in samples:
        assert D.parse_date(s, relative_base=BASE) is not None, s
    t = time.perf_counter()
    for _ in range(500):
        D.parse_date("2017-04-25T10:00:36+00:00")
        D.parse_date("Thu, 14 Nov 2019 10:00:00 +0300")
    assert (time.perf_counter() - t) / 1000 < 200e-6      # microseconds each, generous bound


def test_dateparser_instance_is_cached():
    D.parse_date("last monday", relative_base=BASE)
    D.parse_date("last tuesday", relative_base=BASE)
    assert D._parser.cache_info().hits >= 1


# ------------------------------------------------------------ resolve and helpers

def test_resolve():
    url = "https://ria.ru/20221015/strelba-1824359.html"
    assert D.resolve(raw="15 октября 2022, 14:30", url=url, tz="Europe/Moscow") == (
        _msk(2022, 10, 15, 14, 30), "field")
    assert D.resolve(raw="16 октября 2022, 01:30", url=url, tz="Europe/Moscow")[1] == "field"   # raw wins
    assert D.resolve(raw="нет даты", url=url) == (date(2022, 10, 15), "url")
    assert D.resolve(raw=None, url=url) == (date(2022, 10, 15), "url")
    assert D.resolve(raw="Thu, 01 Jan 1970 00:00:00 GMT", url=url) == (date(2022, 10, 15), "url")
    assert D.resolve() == (None, None)
    assert D.resolve(raw=object(), url=object()) == (None, None)   # never raises


def test_to_iso_day_of_in_window():
    v = _msk(2022, 10, 15, 1, 30)
    assert D.to_iso(v) == "2022-10-15T01:30:00+03:00"
    assert D.to_iso(date(2022, 10, 15)) == "2022-10-15"
    assert D.to_iso(None) is None
    assert D.day_of(v) == date(2022, 10, 15)
    assert D.day_of(v, "UTC") == date(2022, 10, 14)
    assert D.day_of(date(2022, 10, 15), "UTC") == date(2022, 10, 15)
    start, end = date(2022, 10, 14), date(2022, 10, 20)
    assert D.in_window(v, start, end) is True
    assert D.in_window(date(2022, 10, 13), start, end) is False
    assert D.in_window(date(2022, 10, 13), start, end, slack_days=1) is True
    assert D.in_window(None, start, end) is None


# ------------------------------------------------------------------ properties

_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_aware = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31), timezones=_offsets)


@settings(max_examples=200, deadline=None)
@given(_aware)
def test_roundtrip_iso_and_rfc822(x):
    _same(D.parse_date(D.to_iso(x)), x)
    y = x.replace(microsecond=0)                       # RFC 822 has whole seconds
    _same(D.parse_date(email.utils.format_datetime(y)), y)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60), st.sampled_from([None, "ru", "en", "uk", "xx"]))
def test_never_raises(s, lang):
    v = D.parse_date(s, lang=lang, relative_base=BASE, tz="Europe/Moscow")
    assert v is None or isinstance(v, date)
    D.resolve(raw=s, url=s)
    D.from_url(s)

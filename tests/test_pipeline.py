"""Planning: which requests a run sends, and for which windows."""
from __future__ import annotations

from datetime import date

from incidentsearch import sources
from incidentsearch.config import OutletsFile, date_step, load_incidents
from incidentsearch.pipeline import periods, plan

from conftest import ROOT

INCIDENTS = {i.id: i for i in load_incidents(ROOT / "queries")}


def outlets(*srcs, lang=("ru",)) -> OutletsFile:
    return OutletsFile.model_validate({"outlets": [
        {"id": "x", "name": "X", "lang": list(lang), "sources": list(srcs)}]})


def test_date_step_from_the_template():
    assert date_step("https://m.example/map_art_{since:%Y-%m}-01.xml") == "month"
    assert date_step("https://a.example/sitemap.xml?yyyy={since:%Y}&mm={since:%m}&dd={since:%d}") == "day"
    assert date_step("https://a.example/archive/{since:%Y}.xml") == "year"
    assert date_step("https://a.example/day/{since}") == "day"
    assert date_step("https://a.example/s?from={since}&to={until}") is None
    assert date_step("https://a.example/rss") is None


def test_periods_cover_the_window_exactly():
    months = periods(date(2022, 10, 14), date(2022, 12, 14), "month")
    assert months == [(date(2022, 10, 14), date(2022, 10, 31)), (date(2022, 11, 1), date(2022, 11, 30)),
                      (date(2022, 12, 1), date(2022, 12, 14))]
    days = periods(date(2023, 12, 30), date(2024, 1, 2), "day")
    assert [d for d, _ in days] == [date(2023, 12, 30), date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 2)]
    assert periods(date(2023, 12, 1), date(2024, 2, 1), "year") == [
        (date(2023, 12, 1), date(2023, 12, 31)), (date(2024, 1, 1), date(2024, 2, 1))]
    assert periods(date(2023, 1, 1), date(2023, 1, 9), None) == [(date(2023, 1, 1), date(2023, 1, 9))]


def test_monthly_listing_is_read_once_per_month_of_each_window():
    o = outlets({"kind": "sitemap", "url": "https://m.example/map_art_{since:%Y-%m}-01.xml"}, lang=("en",))
    tasks = plan(o, [INCIDENTS["soloti-2022"]])
    assert [t.url() for t in tasks] == [f"https://m.example/map_art_2022-{m}-01.xml" for m in ("10", "11", "12")]
    assert all(t.accept == (INCIDENTS["soloti-2022"].since, INCIDENTS["soloti-2022"].until) for t in tasks)


def test_query_sources_are_asked_every_query_in_their_languages():
    o = outlets({"kind": "json_search", "url": "https://s.example/api?q={query}&from={since:%d.%m.%Y}&p={page}",
                 "fields": {"title": "t", "url": "u"}}, lang=("ru", "en"))
    inc = INCIDENTS["grayvoron-2023"]
    tasks = plan(o, [inc])
    assert [t.query for t in tasks] == inc.queries.ru + inc.queries.en
    assert all("from=21.05.2023" in t.url() and t.url().endswith("&p=1") for t in tasks)


def test_a_feed_is_read_once_for_all_incidents_and_overrides_apply():
    o = outlets({"kind": "rss", "url": "https://f.example/rss"})
    tasks = plan(o, list(INCIDENTS.values()), since=date(2022, 1, 1), until=date(2024, 12, 31))
    assert len(tasks) == 1 and tasks[0].incident is None
    assert (tasks[0].since, tasks[0].until) == (date(2022, 1, 1), date(2024, 12, 31))


def test_unix_seconds_cover_the_whole_last_day():
    url = sources.expand("https://r.example/s?start={since:%s}&end={until:%s}",
                         since=date(2022, 10, 14), until=date(2022, 10, 14))
    assert url == "https://r.example/s?start=1665705600&end=1665791999"

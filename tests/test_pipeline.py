"""Planning: which requests a run sends, and for which windows."""
from __future__ import annotations

from datetime import date

from incidentsearch import sources
from incidentsearch.config import OutletsFile, date_step, load_incidents
from incidentsearch.live.listings import periods, plan

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


# ------------------------------------------------------------------ a re-run from the cache
class _CacheFake:
    """A fetcher whose cache holds ``cached``: records which thread asked for each URL."""

    def __init__(self, cached):
        import threading
        self.cached, self.asked, self.stats, self.lock = set(cached), [], {"requests": 0}, threading.Lock()

    def has_cached(self, url):
        return url in self.cached

    def get(self, url, *, rate_limit_s=None):
        import threading

        from incidentsearch.records import Response
        with self.lock:
            self.asked.append((url, threading.current_thread().name))
            if url not in self.cached:
                self.stats["requests"] += 1
        body = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
        return Response(url=url, final_url=url, status=200, content=body, text=body.decode(),
                        from_cache=url in self.cached)


def _rerun(tmp_path, cached_but):
    from incidentsearch.match import Matcher
    from incidentsearch.live.listings import ListingSearch
    from incidentsearch.results.folder import Store

    out = OutletsFile.model_validate({"outlets": [
        {"id": h, "name": h, "lang": ["en"], "sources": [{"kind": "rss", "url": f"http://{h}.example/day/{{since:%Y-%m-%d}}"}]}
        for h in ("a", "b", "c")]})
    inc = INCIDENTS["soloti-2022"]
    tasks = plan(out, [inc], since=date(2022, 10, 15), until=date(2022, 10, 18))
    urls = [t.url(1) for t in tasks]
    fake = _CacheFake(u for u in urls if u not in cached_but)
    store = Store(tmp_path, "2026-11-22")
    ListingSearch(out, [inc], fetcher=fake, store=store, matcher=Matcher([inc])).run_all(tasks, parallel=8)
    store.close()
    return urls, fake.asked


def test_a_rerun_from_the_cache_runs_in_one_thread(tmp_path):
    urls, asked = _rerun(tmp_path, cached_but=())
    assert [u for u, _ in asked] == urls                       # every task, in order, once
    assert {name for _, name in asked} == {"MainThread"}


def test_a_rerun_goes_to_the_threads_from_the_first_request_the_cache_lacks(tmp_path):
    """The sixth task's page is not cached: the tasks after it run on the host threads, each
    asked once, and a host's tasks still one after another."""
    all_urls, _ = _rerun(tmp_path / "probe", cached_but=())
    missing = all_urls[5]
    urls, asked = _rerun(tmp_path / "run", cached_but={missing})
    assert sorted(u for u, _ in asked) == sorted(urls)
    where = dict(asked)
    assert all(where[u] == "MainThread" for u in urls[:6])
    assert all(where[u].startswith("host") for u in urls[6:])
    for host in ("a", "b", "c"):                                # each host's tasks in their order
        mine = [u for u, _ in asked if u.startswith(f"http://{host}.")]
        assert mine == [u for u in urls if u.startswith(f"http://{host}.")]

"""Planning a run: which requests it sends (``Task``: one source asked once, all pages, for one
query, or a listing read once), for which windows, in which order. No I/O."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from .. import sources
from ..config import Incident, Outlet, OutletsFile, date_step


@dataclass(frozen=True)
class Task:
    """One source asked once (all pages) for one query, or read once if it takes no query."""

    outlet: Outlet
    index: int                      # the source's position in the outlet's list
    incident: Incident | None       # None for listings (feeds, sitemaps) read for every incident
    lang: str | None
    query: str | None
    since: date                     # the window asked of the source
    until: date
    bounds: tuple[date, date] | None = None   # the window accepted, when a split narrowed the asked one

    @property
    def spec(self):
        return self.outlet.sources[self.index]

    @property
    def accept(self) -> tuple[date, date]:
        return self.bounds or (self.since, self.until)

    def url(self, page: int = 1) -> str:
        return sources.build_url(self.spec, query=self.query, since=self.since, until=self.until, page=page)

    def halves(self) -> tuple["Task", "Task"] | None:
        """The task over each half of its window, or None for a single day."""
        if self.until <= self.since:
            return None
        mid = self.since + (self.until - self.since) // 2
        return (replace(self, until=mid, bounds=self.accept),
                replace(self, since=mid + timedelta(days=1), bounds=self.accept))

    def paginated(self) -> bool:
        return bool({"page", "offset"} & self.spec.placeholders)


def periods(since: date, until: date, step: str | None) -> list[tuple[date, date]]:
    """The window cut into calendar days, months or years (clipped to it); whole if no step."""
    if step is None:
        return [(since, until)]
    out, start = [], since
    while start <= until:
        if step == "day":
            end = start
        elif step == "month":
            nxt = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            end = nxt - timedelta(days=1)
        else:
            end = date(start.year, 12, 31)
        out.append((start, min(end, until)))
        start = end + timedelta(days=1)
    return out


def span(incidents: list[Incident], since: date | None = None, until: date | None = None) -> tuple[date, date]:
    """The days the incidents' windows cover together (``since``/``until`` replace either end)."""
    return since or min(i.since for i in incidents), until or max(i.until for i in incidents)


def override_window(incidents: list[Incident], since: date | None, until: date | None) -> tuple[date, date] | None:
    """The window ``--since``/``--until`` set over the chosen incidents (the side not given is
    their earliest start or latest end); None when neither is given (each incident keeps its own)."""
    return span(incidents, since, until) if (since or until) else None


def plan(outlets: OutletsFile, incidents: list[Incident], *, outlet_ids=None,
         since: date | None = None, until: date | None = None) -> list[Task]:
    """Every task of a run, in order. ``since``/``until`` override the incidents' windows."""
    tasks = []
    chosen = outlets.chosen(outlet_ids)
    all_since, all_until = span(incidents, since, until)
    for o in chosen:
        for idx, spec in enumerate(o.sources):
            langs = spec.lang or o.lang
            lang = langs[0] if len(langs) == 1 else None
            if "query" not in spec.placeholders:
                if {"since", "until"} & spec.placeholders:
                    # a date-ranged listing (a sitemap by date, a month's archive): one read
                    # per incident window, or per day/month/year of it when the URL names one
                    spans = dict.fromkeys((since or i.since, until or i.until) for i in incidents)
                    step = date_step(spec.url)
                    tasks += [Task(o, idx, None, lang, None, a, b, bounds=(lo, hi))
                              for lo, hi in spans for a, b in periods(lo, hi, step)]
                else:
                    tasks.append(Task(o, idx, None, lang, None, all_since, all_until))
                continue
            for inc in incidents:
                for lang in langs:
                    for q in inc.queries.get(lang):
                        tasks.append(Task(o, idx, inc, lang, q, since or inc.since, until or inc.until))
    return tasks

"""Runs the stages in order: plan -> fetch -> parse -> dates -> match -> store.

No HTTP here (a Fetcher is handed in) and no formatting (the CLI prints).
A failing source is recorded and the run goes on; a source whose requests
all answered and parsed is ``ok``, one with any failure is ``failed`` (its
errors listed), so an error is never mistaken for "no results".
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Callable, Protocol
from urllib.parse import urlsplit

from ..text import dates, words as text
from .. import sources
from ..config import Incident, Outlet, OutletsFile
from .resolve import Item as LinkItem
from .resolve import Resolver
from ..text.urls import canonical_url
from ..match import Matcher
from ..records import Candidate, Hit, Parsed, Response
from .plan import Task, periods, plan
from ..results.folder import Store

__all__ = ["HTTPClient", "ListingSearch", "SourceStats", "Task", "periods", "plan"]

log = logging.getLogger(__name__)
MAX_DEPTH = 3


class HTTPClient(Protocol):
    def get(self, url: str, *, rate_limit_s: float | None = None) -> Response: ...


@dataclass
class SourceStats:
    outlet: str
    index: int
    kind: str
    url: str
    requests: int = 0
    from_cache: int = 0
    statuses: Counter = field(default_factory=Counter)
    candidates: int = 0
    out_of_window: int = 0
    hits: Counter = field(default_factory=Counter)       # incident id -> hits found now
    errors: list[str] = field(default_factory=list)
    robots_blocked: int = 0
    capped: bool = False
    splits: int = 0                                       # windows halved because an answer was full
    pending: Counter = field(default_factory=Counter)    # incident -> undated headlines left for the article stage
    skipped: Counter = field(default_factory=Counter)    # items the parser left out, by reason
    resolved: Counter = field(default_factory=Counter)   # Google News links -> publisher URL, by how
    unresolved: Counter = field(default_factory=Counter) # ... that Google refused to resolve, by why

    incident: str | None = None                           # None: a listing every incident shares

    @classmethod
    def merged(cls, parts: list["SourceStats"]) -> "SourceStats":
        """One source's figures summed over its parts (per incident, and the shared listing)."""
        from dataclasses import fields

        first = parts[0]
        out = cls(first.outlet, first.index, first.kind, first.url,
                  incident=first.incident if all(p.incident == first.incident for p in parts) else None)
        for f in fields(cls):
            if f.name in ("outlet", "index", "kind", "url", "incident"):
                continue
            values = [getattr(p, f.name) for p in parts]
            if isinstance(values[0], bool):
                setattr(out, f.name, any(values))
            elif isinstance(values[0], Counter):
                setattr(out, f.name, sum(values, Counter()))
            elif isinstance(values[0], list):
                setattr(out, f.name, [x for v in values for x in v])
            elif isinstance(values[0], int):
                setattr(out, f.name, sum(values))
        return out

    @property
    def status(self) -> str:
        if not self.errors:
            return "ok"
        return "failed" if self.requests == self.robots_blocked or self.candidates == 0 else "partial"

    def record(self, incident_id: str | None) -> dict:
        return {"kind": self.kind, "url": self.url, "status": self.status,
                "requests": self.requests, "from_cache": self.from_cache,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
                "candidates": self.candidates, "out_of_window": self.out_of_window,
                "hits": self.hits.get(incident_id, 0) if incident_id else sum(self.hits.values()),
                "errors": self.errors, "robots_blocked": self.robots_blocked, "capped": self.capped,
                "splits": self.splits,
                "pending": self.pending.get(incident_id, 0) if incident_id else sum(self.pending.values()),
                "skipped": dict(sorted(self.skipped.items())),
                **({"resolved": dict(sorted(self.resolved.items())), "unresolved": sum(self.unresolved.values()),
                    "unresolved_reasons": dict(sorted(self.unresolved.items()))}
                   if self.kind == "google_news" else {})}


def _hit(task: Task, c: Candidate, m, lang: str, published, listing_url: str, **more) -> Hit:
    """A hit (or a pending headline) of a candidate and its match, with the listing's provenance."""
    extra = {k: c.extra[k] for k in ("via", "resolved_by", "forwarded_from", "forwarded_from_url")
             if c.extra.get(k)}                     # a Google News link resolved; a forwarded post
    snippet = c.summary if c.summary and c.summary.strip() != c.title.strip() else None
    return Hit.of(m, outlet=task.outlet.id, lang=lang, title=c.title, url=c.url, published=dates.to_iso(published),
                  source=task.spec.kind, query=task.query, listing_url=listing_url, publisher=c.publisher or None,
                  snippet=snippet, **extra, **more)


class ListingSearch:
    """The listing search: each task's requests sent, every answer parsed, every headline dated
    and matched, each hit stored (``results.folder``) and counted per source and incident."""

    def __init__(self, outlets: OutletsFile, incidents: list[Incident], *, fetcher: HTTPClient,
                 store: Store, matcher: Matcher, on_hit: Callable[[Hit], None] | None = None,
                 recorders: dict | None = None):
        self.defaults = outlets.defaults
        self.incidents = {i.id: i for i in incidents}
        self.fetcher, self.store, self.matcher = fetcher, store, matcher
        self.recorders = recorders or {}      # incident id -> warc.Recorder
        self.on_hit = on_hit
        # per source and incident (None: a listing read once for every incident), so each
        # incident's run.json holds its own requests and failures; ``stats`` sums them per source
        self.parts: dict[tuple[str, int, str | None], SourceStats] = {}
        self._logged: set[tuple[str, str]] = set()   # (host, failure) already said at WARNING
        self._seen: set[tuple[str, str]] = set()     # (incident, canonical url) matched this run
        self._lock = threading.Lock()                 # the store and _seen, shared by host threads
        self.resolver = Resolver.for_outlets(outlets, fetcher)   # Google News links -> publisher URLs
        self._counted: set[tuple] = set()        # (source, incident, link) counted in resolved/unresolved

    # ------------------------------------------------------------------ tasks
    def stats_for(self, task: Task) -> SourceStats:
        inc = task.incident.id if task.incident else None
        key = (task.outlet.id, task.index, inc)
        with self._lock:
            if key not in self.parts:
                self.parts[key] = SourceStats(task.outlet.id, task.index, task.spec.kind, task.spec.url,
                                              incident=inc)
            return self.parts[key]

    @property
    def stats(self) -> dict[tuple[str, int], SourceStats]:
        """Each source's figures over the whole run (a snapshot: its parts summed)."""
        by: dict[tuple[str, int], list[SourceStats]] = {}
        with self._lock:
            for (o, i, _), st in self.parts.items():
                by.setdefault((o, i), []).append(st)
        return {k: SourceStats.merged(v) for k, v in by.items()}

    def run_all(self, tasks: list[Task], *, parallel: int = 1,
                on_task: Callable[[Task], None] | None = None,
                on_done: Callable[[Task], None] | None = None) -> None:
        """Every task; with ``parallel`` > 1 one thread per host (at most ``parallel`` at once),
        each running its host's tasks in order, so a host never has two requests in flight and
        a run takes about the slowest host's time instead of the sum over hosts. A source's
        tasks share its host, so its statistics are only ever touched by one thread."""
        def run_group(group: list[Task]) -> None:
            for t in group:
                if on_task:
                    on_task(t)
                self.run_task(t)
                if on_done:
                    on_done(t)

        if parallel <= 1:
            run_group(tasks)
            return
        tasks = self._cached_first(tasks, run_group)
        if not tasks:
            return
        groups: dict[str, list[Task]] = {}
        for t in tasks:
            groups.setdefault(urlsplit(t.url(1)).netloc.lower(), []).append(t)

        with ThreadPoolExecutor(max_workers=min(parallel, len(groups)), thread_name_prefix="host") as ex:
            futures = [ex.submit(run_group, g) for g in sorted(groups.values(), key=len, reverse=True)]
            try:
                for f in as_completed(futures):
                    f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def _cached_first(self, tasks: list[Task], run_group) -> list[Task]:
        """A re-run: when each host's first request is in the HTTP cache, the tasks run here, one
        after another, as long as no request goes to the network (threads contending for cached
        reads take half as long again); the rest, from the first task that did, go to the threads."""
        has = getattr(self.fetcher, "has_cached", None)
        stats = getattr(self.fetcher, "stats", None)
        firsts = {urlsplit(t.url(1)).netloc.lower(): t.url(1) for t in reversed(tasks)}
        if has is None or stats is None or not all(has(u) for u in firsts.values()):
            return tasks
        for n, t in enumerate(tasks):
            before = stats.get("requests", 0)
            run_group([t])
            if stats.get("requests", 0) != before:
                return tasks[n + 1:]
        return []

    def run_task(self, task: Task) -> None:
        """All pages of one task: by page number, or by the cursor the answer names, until a
        page brings nothing new or max_pages is reached (then ``capped``). An answer as full as
        the service's cap is asked again over each half of the window, down to one day.
        A cursor that pages back in time (its module sets ``NEWEST_FIRST``, as a Telegram
        channel does) is no longer followed once every dated item of a page is older than
        the window's start."""
        st = self.stats_for(task)
        spec = task.spec
        cap = sources.cap_of(spec)
        limit = spec.max_pages or self.defaults.max_pages
        seen_urls: set[str] = set()
        url = task.url(1)
        for page in range(1, limit + 1):
            got = self._fetch_parse(task, st, url)
            if got is None:
                return
            parsed, resp = got
            parsed = self._resolve_links(task, st, parsed, url, resp)
            fresh = [c for c in parsed.candidates if c.url not in seen_urls]
            seen_urls.update(c.url for c in parsed.candidates)
            self._follow(task, st, parsed, depth=1)
            days = [self._candidate(task, st, c, url, resp.date) for c in fresh]
            # items without a title or link are dropped by the parser, so "full" allows a few short
            if cap and len(parsed.candidates) >= cap - max(2, cap // 20):
                halves = task.halves()
                if halves is None:
                    st.capped = True
                    log.info("%s[%d]: %r full (%d) on a single day %s", task.outlet.id, task.index,
                             task.query, cap, task.since)
                else:
                    st.splits += 1
                    for half in halves:
                        self.run_task(half)
                return
            if not fresh:
                return
            if parsed.next_url:
                dated = [d for d in days if d is not None]
                if dated and max(dated) < task.accept[0] and sources.kind(spec.kind).newest_first:
                    return      # paged back past the window's start: older pages hold nothing of ours
                url = parsed.next_url
            elif task.paginated():
                url = task.url(page + 1)
            else:
                return
        st.capped = True   # the last page allowed still had new results: there may be more
        log.info("%s[%d]: %r stopped at max_pages=%d with results left", task.outlet.id,
                 task.index, task.query, limit)

    def _fetch_parse(self, task: Task, st: SourceStats, url: str) -> tuple[Parsed, Response] | None:
        resp = self.fetcher.get(url, rate_limit_s=task.spec.rate_limit_s)
        # provenance: a query's exchanges go to its incident's WARC, a listing's to every incident's
        for rec in ([self.recorders[task.incident.id]] if task.incident and task.incident.id in self.recorders
                    else self.recorders.values()):
            rec.exchange(resp)
        st.requests += 1
        st.from_cache += resp.from_cache
        if resp.robots_blocked:
            st.robots_blocked += 1
        if resp.status is not None:
            st.statuses[resp.status] += 1
        if not resp.ok:
            st.errors.append(f"{url}: {resp.error or f'HTTP {resp.status}'}")
            self._log_failure(task, url, resp.error or f"HTTP {resp.status}", st.errors[-1])
            return None
        try:
            parsed = sources.kind(task.spec.kind).parse(task.spec, resp)
        except sources.ParseError as e:
            st.errors.append(f"{url}: cannot parse as {task.spec.kind}: {e}")
            log.warning("%s[%d] %s", task.outlet.id, task.index, st.errors[-1])
            return None
        st.candidates += len(parsed.candidates)
        st.skipped.update(parsed.skipped)
        return parsed, resp

    def _resolve_links(self, task: Task, st: SourceStats, parsed: Parsed, listing_url: str,
                       resp: Response) -> Parsed:
        """A Google News answer's links, for the headlines that may become hits or pending,
        resolved in one batch to the publisher's URL: the candidate's ``url`` becomes it and
        ``extra["via"]`` keeps the Google link (``resolved_by`` says how). A link Google
        would not resolve (and no fallback found) stays as it is, counted in ``unresolved``."""
        if task.spec.kind != "google_news" or not parsed.candidates:
            return parsed
        # one batch per incident the headlines fit (usually the task's own): what is asked for an
        # incident does not depend on the other incidents of the run, so --replay of one incident's
        # WARC sends the very requests recorded in it
        groups: dict[str, dict[str, LinkItem]] = {}
        for c in parsed.candidates:
            got = self._worth_resolving(task, c, resp.date)
            for inc in (got[1] if got else ()):
                groups.setdefault(inc, {}).setdefault(c.url, LinkItem(c.url, c.title, c.extra.get("publisher_url"), got[0]))
        if not groups:
            return parsed
        recs = ([self.recorders[task.incident.id]] if task.incident and task.incident.id in self.recorders
                else list(self.recorders.values()))
        done: dict = {}
        for inc in sorted(groups):
            got = self.resolver.resolve(list(groups[inc].values()), listing_url=listing_url, endpoint=task.spec.url,
                                        rate_limit_s=task.spec.rate_limit_s,
                                        scope=f"{task.incident.id if task.incident else ''}/{inc}",
                                        record=lambda r: [rec.exchange(r) for rec in recs])
            for link, r in got.items():
                if link not in done or (r.url and not done[link].url):
                    done[link] = r
        out = []
        for c in parsed.candidates:
            r = done.get(c.url)
            with self._lock:
                key = (st.outlet, st.index, getattr(st, "incident", None), c.url)
                first = r is not None and key not in self._counted
                self._counted.add(key)
            if first and r.refused:
                st.unresolved[r.refused] += 1
            if first and r.url:
                st.resolved[r.method] += 1
            if r is not None and r.url:
                c = replace(c, url=r.url, extra={**c.extra, "via": c.url, "resolved_by": r.method})
            out.append(c)
        for link, r in done.items():
            if r.refused:
                log.info("%s[%d] Google News link not resolved (%s)%s: %s", task.outlet.id, task.index, r.refused,
                         f"; found by {r.method}" if r.url else "", link)
        return replace(parsed, candidates=tuple(out))

    def _worth_resolving(self, task: Task, c: Candidate, response_date: datetime | None):
        """(publication day or None, the incidents of the run it fits) when the matcher would
        keep it as a hit or a pending headline, else None: a Google News search answers up to
        100 headlines and each opaque link costs a request to Google, so only those that count
        are resolved."""
        if not c.title or not c.url:
            return None
        tz = task.spec.tz or task.outlet.tz
        lang = c.lang[:2].lower() if c.lang else (task.lang or text.script_lang(c.title))
        published, _ = dates.resolve(raw=c.date_raw, url=None, lang=lang, tz=tz, relative_base=response_date)
        day = dates.day_of(published, tz) if published is not None else None
        if day is not None and not (task.accept[0] <= day <= task.accept[1]):
            return None
        hits, read = self.matcher.verdict(c.title, published=published, lang=lang, summary=c.summary)
        fits = {m.incident for m in hits + read} & set(self.incidents)
        return (day, fits) if fits else None

    def _follow(self, task: Task, st: SourceStats, parsed: Parsed, depth: int) -> None:
        """Links the answer names (child sitemaps, archived snapshots): newest first, none dated
        before the window, at most the source's limit (max_children / max_snapshots)."""
        if not parsed.follow:
            return
        if depth > MAX_DEPTH:
            st.errors.append(f"links nested deeper than {MAX_DEPTH} levels; not followed")
            return
        tz = task.spec.tz or task.outlet.tz
        dated = []
        for link in parsed.follow:
            d = dates.parse_date(link.date_raw, tz=tz) if link.date_raw else None
            if d is not None and dates.day_of(d) < task.since:
                continue   # not modified since the window opened: nothing of ours inside
            dated.append((dates.day_of(d) if d else date.min, link))
        dated.sort(key=lambda x: x[0], reverse=True)
        limit = sources.kind(task.spec.kind).follow_limit(task.spec, self.defaults)
        if len(dated) > limit:
            st.capped = True
        for _, link in dated[:limit]:
            got = self._fetch_parse(task, st, link.url)
            if got is None:
                continue
            child, resp = got
            self._follow(task, st, child, depth + 1)
            for c in child.candidates:
                self._candidate(task, st, c, link.url, resp.date)

    # -------------------------------------------------------------- candidates
    def _candidate(self, task: Task, st: SourceStats, c: Candidate, listing_url: str,
                   response_date: datetime | None) -> date | None:
        """Date, match and store one candidate; returns its publication day (None if unknown).

        A candidate that carries its full text (``extra["text"]``: a Telegram post) and whose
        title matches nothing is scored again on the title with the text's lead (the article
        stage's second pass, ``Matcher.best_article``); the hit says which made the match
        (``matched_on``)."""
        if not c.title or not c.url:
            return None
        tz = task.spec.tz or task.outlet.tz
        lang = c.lang[:2].lower() if c.lang else (task.lang or text.script_lang(c.title))
        published, method = dates.resolve(raw=c.date_raw, url=c.url, lang=lang, tz=tz,
                                          relative_base=response_date)
        day = dates.day_of(published, tz) if published is not None else None
        lo, hi = task.accept
        if day is not None and not (lo <= day <= hi):
            st.out_of_window += 1
            return day
        body = c.extra.get("text") if isinstance(c.extra.get("text"), str) else None
        snippet = body if body and body.strip() != c.title.strip() else c.summary
        found, read = self.matcher.verdict(c.title, published=published, lang=lang, url=c.url, summary=snippet)
        if not found and read:
            self._pending(task, st, c, lang, listing_url, read, published, method)
        for m in found:
            if m.incident not in self.incidents:
                continue
            key = (m.incident, canonical_url(c.url))
            with self._lock:
                if key in self._seen:
                    continue
                self._seen.add(key)
            post = {"matched_on": "text" if m.decided_by == "snippet" else "title",
                    "text": body} if body else {}   # the article stage reads the post from here, no fetch
            hit = _hit(task, c, m, lang, published, listing_url, date_method=method, decided_by=m.decided_by, **post)
            with self._lock:
                added = self.store.folder(m.incident).add(hit)
            if added:
                st.hits[m.incident] += 1
                if self.on_hit:
                    self.on_hit(hit)
        return day

    def _pending(self, task: Task, st: SourceStats, c: Candidate, lang: str, listing_url: str, read: list,
                 published, method) -> None:
        """A headline whose listing cannot decide (undated, where a date would; or in the window
        with evidence short of a hit) goes to each such incident's pending.jsonl with the reason;
        the article stage reads its page, whose date, title, lead and body decide. Never a hit
        by itself."""
        for m in (m for m in read if m.incident in self.incidents):
            post = c.extra["text"] if isinstance(c.extra.get("text"), str) else None   # read from here
            rec = _hit(task, c, m, lang, published, listing_url, undecided=tuple(x.incident for x in read),
                       reasons=tuple(m.reasons), date_method=method if published is not None else None, text=post)
            if self.store.folder(m.incident).add_pending(rec):
                st.pending[m.incident] += 1

    def _log_failure(self, task: Task, url: str, reason: str, line: str) -> None:
        """A failed request on stderr: the first of its kind per host at WARNING, the rest at
        INFO (-v), so a host that is down writes one line, not one per query."""
        kind = reason.split(" (host unreachable earlier", 1)[0]
        host = urlsplit(url).netloc.lower()
        with self._lock:
            first = (host, kind) not in self._logged
            self._logged.add((host, kind))
        net = getattr(self.fetcher, "network", None)
        if first and not (net is not None and net.offline):     # offline: the fetcher said so once
            log.warning("%s[%d] %s (the same failure of %s again is logged with -v only)", task.outlet.id,
                        task.index, line, host)
        else:
            log.info("%s[%d] %s", task.outlet.id, task.index, line)

    # ----------------------------------------------------------------- report
    def failed(self) -> list[SourceStats]:
        return [s for s in self.stats.values() if s.status != "ok"]

    def source_record(self, outlet_id: str, index: int, incident_id: str | None) -> dict | None:
        """What one incident's run.json says of one source: the requests sent for that incident
        and, marked ``shared``, a listing read once for every incident (its requests and
        failures appear in each incident's record). None when the source served it nothing."""
        with self._lock:
            own = self.parts.get((outlet_id, index, incident_id)) if incident_id else None
            shared = self.parts.get((outlet_id, index, None))
            if incident_id is None:
                parts = [p for (o, i, _), p in self.parts.items() if (o, i) == (outlet_id, index)]
            else:
                parts = [p for p in (own, shared) if p is not None]
        if not parts:
            return None
        rec = SourceStats.merged(parts).record(incident_id)
        if incident_id is not None and shared is not None:
            rec["shared"] = True                 # the same listing serves every incident of the run
            rec["shared_requests"] = shared.requests
        return rec

    def outlet_records(self, incident_id: str | None, outlets: list[Outlet]) -> dict:
        out = {}
        for o in outlets:
            srcs = [r for r in (self.source_record(o.id, i, incident_id) for i in range(len(o.sources)))
                    if r is not None]
            if srcs:
                out[o.id] = {"name": o.name, "sources": srcs}
        return out

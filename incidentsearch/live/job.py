"""One run of the live search, end to end: the listing search's tasks, then per incident the
article stage, then each incident's folder finished (run.json, clusters, hits.csv, dossier:
``results.finish``). The CLI and :func:`incidentsearch.search` call :func:`run_job`.

Later stages never rewrite hits.jsonl: the article stage appends to ``articles.jsonl`` (one
record per captured URL, so an interrupted run resumes where it stopped), clusters go to
``clusters.json``, and hits.csv and report.html join them to the hits by URL.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

from ..config import Incident, OutletsFile
from ..match import Matcher
from ..match.verdict import decide_pending, second_pass
from ..results.finish import finish_incident
from ..results.folder import IncidentFolder, Store
from ..results.warc import Recorder, Tee
from ..text.urls import canonical_url
from .listings import ListingSearch, Task

log = logging.getLogger(__name__)


@dataclass
class JobOptions:
    """What the CLI's options say of a run (the outlets and incidents come separately)."""

    results: Path
    argv: list[str]
    outlets_file: str = "outlets.yaml"
    since: date | None = None
    until: date | None = None
    outlet_ids: set[str] | None = None
    articles: bool = True
    parallel: int | None = None          # hosts at once; None: the outlets file's defaults.parallel_hosts
    record: bool = True
    configs: dict[str, bytes] = field(default_factory=dict)   # recorded into each WARC for --replay
    on_done: object = None               # called with each finished task (the CLI's progress display)


@dataclass
class JobOutcome:
    store: Store
    run: ListingSearch
    code: int
    interrupted: bool
    articles: dict[str, int] = field(default_factory=dict)    # incident -> articles captured now


def _recorders(opts: JobOptions, store: Store, chosen: list[Incident], user_agent: str, started: str):
    if not opts.record:
        return {}
    recs = {}
    for inc in chosen:
        r = Recorder(store.folder(inc.id).path / "raw.warc.gz", user_agent=user_agent)
        r.start(arguments=opts.argv, configs=opts.configs, run={
            "started": started, "incidents": [inc.id],      # this file holds what this incident needs
            "outlets": sorted(opts.outlet_ids) if opts.outlet_ids else None,
            "since": str(opts.since) if opts.since else None, "until": str(opts.until) if opts.until else None})
        recs[inc.id] = r
    return recs


def run_job(outlets: OutletsFile, chosen: list[Incident], tasks: list[Task], fetcher, matcher: Matcher,
            opts: JobOptions) -> JobOutcome:
    """Send the planned tasks, capture the hits' pages, finish every chosen incident's folder."""
    started = datetime.now(timezone.utc)
    store = Store(opts.results, datetime.now().date().isoformat())
    begun = store.begin_runs(chosen, since=opts.since, until=opts.until, arguments=opts.argv, started=started)
    recorders = _recorders(opts, store, chosen, outlets.defaults.user_agent, started.isoformat(timespec="seconds"))
    run = ListingSearch(outlets, chosen, fetcher=fetcher, store=store, matcher=matcher, recorders=recorders,
                        on_hit=lambda h: log.info("hit %s %s: %s", h.incident, h.outlet, h.title))
    interrupted = False
    captured: dict[str, int] = {}
    article_fetch: dict[str, dict] = {}      # incident -> the fetcher's counters during its article stage
    try:
        done = iter(range(1, len(tasks) + 1))
        run.run_all(tasks, parallel=opts.parallel if opts.parallel else outlets.defaults.parallel_hosts,
                    on_task=lambda t: log.info("[%d/%d] %s %s %s", next(done), len(tasks), t.outlet.id,
                                               t.spec.kind, t.query or ""),
                    on_done=opts.on_done)
        if opts.articles:
            for inc in chosen:
                fetch = Tee(fetcher, [recorders[inc.id]]) if inc.id in recorders else fetcher
                before = dict(getattr(fetcher, "stats", {}))
                captured[inc.id] = capture_articles(store.folder(inc.id), inc, fetch, matcher, opts, outlets)
                after = getattr(fetcher, "stats", {})
                article_fetch[inc.id] = {k: after.get(k, 0) - before.get(k, 0) for k in after
                                         if after.get(k, 0) != before.get(k, 0)}
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: hits found so far are written", file=sys.stderr)
    finally:
        store.close()
        for r in recorders.values():
            r.close()
    code = 1 if run.failed() or interrupted else 0
    ended = datetime.now(timezone.utc)
    chosen_outlets = outlets.chosen(opts.outlet_ids)
    network, net = getattr(fetcher, "network", None), None
    if network is not None:
        net = network.as_dict()
        if network.verdict():
            net["verdict"] = network.verdict()
    for inc in chosen:
        folder = store.folder(inc.id)
        outlet_recs = run.outlet_records(inc.id, chosen_outlets)
        record = begun[inc.id].end(
            ended=ended, exit_code=code, interrupted=interrupted, outlets_file=opts.outlets_file,
            fetch=fetch_counts(outlet_recs, article_fetch.get(inc.id, {})), fetch_run=dict(getattr(fetcher, "stats", {})),
            hits_new=folder.new, hits_total=folder.existing + folder.new, articles_new=captured.get(inc.id, 0),
            outlets=outlet_recs, network=net)
        finish_incident(folder, inc, record)
    return JobOutcome(store, run, code, interrupted, captured)


def fetch_counts(outlet_recs: dict, articles: dict) -> dict:
    """One incident's fetch counters: the search requests of its own queries and of the shared
    listings it was matched against (``shared_requests`` of them), and its article stage's."""
    srcs = [s for o in outlet_recs.values() for s in o["sources"]]
    return {"requests": sum(s["requests"] for s in srcs), "cache_hits": sum(s["from_cache"] for s in srcs),
            "robots_blocked": sum(s["robots_blocked"] for s in srcs),
            "errors": sum(len(s["errors"]) for s in srcs),
            "shared_requests": sum(s.get("shared_requests", 0) for s in srcs),
            "articles": {k: v for k, v in articles.items() if k in ("requests", "cache_hits", "errors",
                                                                 "robots_blocked", "retries")}}


# ------------------------------------------------------------------ articles
def capture_articles(folder: IncidentFolder, inc: Incident, fetcher, matcher: Matcher, opts: JobOptions,
                     outlets: OutletsFile) -> int:
    """Capture every hit of the folder that has no article record yet; run the second pass.
    Pending headlines first: their pages decide whether they are hits at all. A refused page's
    Wayback copy is asked of the configured Wayback source (its mirror, its interval)."""
    from ..sources.wayback import for_articles
    from .articles import capture

    done = folder.articles()
    window = (opts.since or inc.since, opts.until or inc.until)
    n = 0
    for rec in folder.pending_records():         # headlines the listing could not decide: their pages do
        if rec.get("url") in done or canonical_url(rec.get("url") or "") in folder.keys:
            continue                            # read already, or a hit since (another source dated it)
        art = folder.save_article(capture(rec, fetcher, window=window, wayback=for_articles(outlets, rec.get("outlet"))))
        verdict, hit = decide_pending(rec, art.as_dict(), inc, matcher, folder.article_text)
        if hit is not None:
            folder.add(hit)
        done[rec["url"]] = folder.add_article(replace(art, match=verdict))
        n += 1
    for hit in folder.hits():
        if hit["url"] in done:
            continue
        art = folder.save_article(capture(hit, fetcher, window=window, wayback=for_articles(outlets, hit.get("outlet"))))
        verdict = second_pass(hit, art.as_dict(), inc, matcher, folder.article_text)
        done[hit["url"]] = folder.add_article(replace(art, match=verdict))
        n += 1
    return n

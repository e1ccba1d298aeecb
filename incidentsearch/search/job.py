"""One run, end to end: the search tasks, then per incident the article stage, the
syndication clusters, the dossier and run.json. The CLI calls ``execute`` and prints.

Later stages never rewrite hits.jsonl: the article stage appends to
``articles.jsonl`` (one record per captured URL, so an interrupted run resumes where
it stopped), clusters go to ``clusters.json``, and hits.csv and report.html join
them to the hits by URL.
"""
from __future__ import annotations

import json
import logging
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from .. import __version__
from ..text import dates
from ..config import Incident, OutletsFile
from ..text.urls import canonical_url
from ..match import Matcher
from ..match.verdict import decide_pending, second_pass
from .listings import Run, Task
from ..results.folder import IncidentFolder, Store, atomic_write, read_hits
from ..results.warc import Recorder, Tee

log = logging.getLogger(__name__)


@dataclass
class Options:
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
class Outcome:
    store: Store
    run: Run
    code: int
    interrupted: bool
    articles: dict[str, int] = field(default_factory=dict)    # incident -> articles captured now


def _recorders(opts: Options, store: Store, chosen: list[Incident], user_agent: str, started: str):
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


def execute(outlets: OutletsFile, incidents: list[Incident], chosen: list[Incident], tasks: list[Task],
            fetcher, matcher: Matcher, opts: Options) -> Outcome:
    started = datetime.now(timezone.utc)
    store = Store(opts.results, datetime.now().date().isoformat())
    for inc in chosen:          # every chosen incident gets its folder and run.json, hits or not
        store.folder(inc.id).write_run(start_record(inc, opts.argv, started, opts.since, opts.until), running=True)
    recorders = _recorders(opts, store, chosen, outlets.defaults.user_agent, started.isoformat(timespec="seconds"))
    run = Run(outlets, chosen, fetcher=fetcher, store=store, matcher=matcher, recorders=recorders,
              on_hit=lambda h: log.info("hit %s %s: %s", h["incident"], h["outlet"], h["title"]))
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
                captured[inc.id] = capture_articles(store.folder(inc.id), inc, fetch, matcher, opts)
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
    chosen_outlets = [o for o in outlets.outlets if (o.id in opts.outlet_ids if opts.outlet_ids else o.enabled)]
    network = getattr(fetcher, "network", None)
    for inc in chosen:
        folder = store.folder(inc.id)
        outlet_recs = run.outlet_records(inc.id, chosen_outlets)
        record = {
            **start_record(inc, opts.argv, started, opts.since, opts.until),
            "ended": ended.isoformat(timespec="seconds"), "exit_code": code, "interrupted": interrupted,
            "outlets_file": opts.outlets_file,
            "fetch": fetch_counts(outlet_recs, article_fetch.get(inc.id, {})),
            "fetch_run": dict(getattr(fetcher, "stats", {})),
            "hits_new": folder.new, "hits_total": folder.existing + folder.new,
            "articles_new": captured.get(inc.id, 0),
            "outlets": outlet_recs,
        }
        if network is not None:
            record["network"] = network.as_dict()
            if network.verdict():
                record["network"]["verdict"] = network.verdict()
        folder.write_run(record)
        finish_folder(folder, inc, record)
    return Outcome(store, run, code, interrupted, captured)


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


def start_record(inc: Incident, argv: list[str], started: datetime, since: date | None, until: date | None) -> dict:
    """run.json while a run is under way: what it is, and that it has not ended."""
    return {"version": __version__, "arguments": argv, "started": started.isoformat(timespec="seconds"),
            "ended": None, "exit_code": None,
            "incident": {"id": inc.id, "since": str(since or inc.since), "until": str(until or inc.until)}}


# ------------------------------------------------------------------ articles
def read_articles(folder: IncidentFolder) -> dict[str, dict]:
    """URL -> the latest article record of the folder."""
    return {a["url"]: a for a in read_hits(folder.path / "articles.jsonl") if "url" in a}


def capture_articles(folder: IncidentFolder, inc: Incident, fetcher, matcher: Matcher, opts: Options) -> int:
    """Capture every hit of the folder that has no article record yet; run the second pass."""
    from .articles import capture

    done = read_articles(folder)
    window = (opts.since or inc.since, opts.until or inc.until)
    n = 0
    with (folder.path / "articles.jsonl").open("a", encoding="utf-8") as out:
        for rec in read_hits(folder.pending):      # headlines the listing could not decide: their pages do
            if rec.get("url") in done or canonical_url(rec.get("url") or "") in folder.keys:
                continue                            # read already, or a hit since (another source dated it)
            art = capture(rec, fetcher, folder.path, window=window)
            art["match"] = decide_pending(folder, rec, art, inc, matcher)
            out.write(json.dumps(art, ensure_ascii=False) + "\n")
            out.flush()
            done[rec["url"]] = art
            n += 1
        for hit in read_hits(folder.jsonl):
            if hit["url"] in done:
                continue
            art = capture(hit, fetcher, folder.path, window=window)
            art["match"] = second_pass(hit, art, inc, matcher, folder.path)
            out.write(json.dumps(art, ensure_ascii=False) + "\n")
            out.flush()
            done[hit["url"]] = art
            n += 1
    return n


# ------------------------------------------------------------ clusters, report
def finish_folder(folder: IncidentFolder, inc: Incident, record: dict) -> None:
    """Clusters over the hits and their texts, hits.csv joined with them, and the dossier."""
    from ..results.clusters import Item, clusters
    from ..results.dossier import write_report

    hits = read_hits(folder.jsonl)
    arts = read_articles(folder)
    items = []
    for h in hits:
        a = arts.get(h["url"], {})
        body = ""
        if re.fullmatch(r"articles/[0-9a-f]{20}\.txt", a.get("text") or ""):   # only files we named
            try:
                body = (folder.path / a["text"]).read_text(encoding="utf-8")
            except OSError:
                body = ""
        if not body and isinstance(h.get("text"), str):   # a Telegram post's text, also with --no-articles
            body = h["text"]
        iso = a.get("published") or h.get("published")
        when = dates.parse_date(iso) if iso else None
        items.append(Item(key=canonical_url(h["url"]), title=h["title"], text=body, published=when,
                          outlet=h["outlet"]))
    found = clusters(items)
    by_key = {m: c for c in found for m in c.members}
    url_of = {canonical_url(h["url"]): h["url"] for h in hits}
    cl = [{"id": c.id, "original": url_of.get(c.original, c.original),
           "members": [url_of.get(m, m) for m in c.members], "reasons": list(c.reasons)} for c in found]
    atomic_write(folder.path / "clusters.json", json.dumps(cl, ensure_ascii=False, indent=1) + "\n")
    extra = {}
    for h in hits:
        c = by_key.get(canonical_url(h["url"]))
        a = arts.get(h["url"], {})
        extra[h["url"]] = {"cluster": c.id if c else None,
                           "original": url_of.get(c.original) == h["url"] if c else None,
                           "article": a.get("html"), "article_verdict": (a.get("match") or {}).get("verdict")}
    folder.write_csv(extra)
    rows = [dict(h, cluster=extra[h["url"]]["cluster"]) for h in hits]
    write_report(folder.path, inc, rows, articles=arts, clusters=cl, run=record)

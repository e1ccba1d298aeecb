"""Driving an archive scan: one task per WARC file on a local process pool or a Dask
cluster; the driver alone gathers the results and writes them.

Results are written in the order of the files as given (a file's hits wait until every
earlier file is done), so a run writes the same ``hits.jsonl`` on one machine or on a
cluster, whatever order the files finish in. With ``--scheduler`` each file is a Dask task
with retries: a worker lost mid-file has the file re-run elsewhere, from its start.
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ..config import Incident
from ..records import ArticleRecord, Hit, PageCopy
from ..results.finish import finish_incident
from ..results.folder import Store
from .locations import CC_NEWS_BASE, expand
from .scan import ScanSpec, outlet_hosts, scan_file

COUNTS = ("bytes", "records", "responses", "html", "html_bytes", "survivors", "hits")
SKIPS = ("skipped_non_html", "skipped_status", "skipped_truncated", "skipped_other_records",
         "skipped_before_window")


@dataclass
class ArchiveOptions:
    results: Path
    argv: list[str]
    archives: list[str]
    outlets_file: str = "outlets.yaml"
    workers: int | None = None            # local processes; None: os.cpu_count()
    scheduler: str | None = None          # tcp://host:8786: a Dask cluster
    retries: int = 2                      # Dask: re-runs of a file whose task failed
    progress: bool = True


@dataclass
class ArchiveOutcome:
    store: Store
    code: int
    totals: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


class _Progress:
    """Files and bytes done, hits so far and throughput, one line per finished file on stderr."""

    def __init__(self, files: list[tuple[str, int | None]], workers: int, enabled: bool):
        self.total_files = len(files)
        sizes = [s for _, s in files]
        self.total_bytes = sum(sizes) if all(s is not None for s in sizes) else None
        self.workers, self.enabled = max(1, workers), enabled
        self.files = self.bytes = self.hits = 0
        self.t0 = time.monotonic()

    def done(self, res: dict) -> None:
        self.files += 1
        self.bytes += res["counts"].get("bytes", 0)
        self.hits += len(res["hits"])
        if not self.enabled:
            return
        dt = max(time.monotonic() - self.t0, 1e-9)
        of = f" of {self.total_bytes / 1e6:,.1f}" if self.total_bytes else ""
        rate = self.bytes / 1e6 / dt
        err = f"  ERROR {res['file']}: {res['error']}" if res.get("error") else ""
        print(f"archive: {self.files}/{self.total_files} files, {self.bytes / 1e6:,.1f}{of} MB, "
              f"{self.hits} hits, {rate:,.1f} MB/s ({rate / self.workers:,.1f} per worker){err}",
              file=sys.stderr, flush=True)


def _local(locs: list[str], spec: ScanSpec, workers: int):
    """(index, result) as files finish, on a process pool (in this process for one worker)."""
    if workers <= 1 or len(locs) <= 1:
        for i, loc in enumerate(locs):
            yield i, scan_file(loc, spec)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from ..match.semantic import pool_context

    ctx = pool_context()        # fork, unless the sentence encoder ran here (see match.semantic)
    with ProcessPoolExecutor(max_workers=min(workers, len(locs)), mp_context=ctx) as pool:
        futs = {pool.submit(scan_file, loc, spec): i for i, loc in enumerate(locs)}
        try:
            for f in as_completed(futs):
                i = futs[f]
                try:
                    yield i, f.result()
                except Exception as e:        # a worker process died (BrokenProcessPool) or a bug
                    yield i, _failed(locs[i], e)
        except BaseException:
            for f in futs:
                f.cancel()
            raise


def _dask(locs: list[str], spec: ScanSpec, address: str, retries: int):
    """(index, result) as files finish, on an existing Dask distributed cluster."""
    from dask.distributed import Client, as_completed

    with Client(address) as client:
        shipped = client.scatter(spec, broadcast=True, hash=False)
        run = uuid.uuid4().hex[:12]
        futs = [client.submit(scan_file, loc, shipped, key=f"incidentsearch-scan-{run}-{i}",
                              retries=retries, pure=False) for i, loc in enumerate(locs)]
        index = {f.key: i for i, f in enumerate(futs)}
        try:
            for f in as_completed(futs):
                i = index[f.key]
                try:
                    yield i, f.result()
                except Exception as e:        # KilledWorker after the allowed failures, or a bug
                    yield i, _failed(locs[i], e)
        finally:
            client.cancel(futs)


def _failed(loc: str, e: BaseException) -> dict:
    return {"file": loc, "hits": [], "articles": {}, "counts": {}, "seconds": None,
            "error": f"task failed: {type(e).__name__}: {' '.join(str(e).split())[:200]}"}


def _page_copy(hit: Hit, art: dict) -> PageCopy:
    """A matched WARC record's page: its record (``source: archive``, the record's place in the
    file as its snapshot) and the page and text to save."""
    text = art.get("text") or ""
    rec = ArticleRecord(url=hit.url, final_url=hit.url, status=200, source="archive",
                        snapshot=f"{hit.warc_file}#{hit.warc_offset}", title=art.get("title"),
                        published=art.get("published"), date_method=art.get("date_method"), author=art.get("author"),
                        chars=len(text), lead=art.get("lead") or "", lang=art.get("lang"),
                        error=None if text else "no article text found")
    return PageCopy(rec, html=art.get("html") or None, text=text)


def plan_archive(outlets, incidents: list[Incident], chosen: list[Incident], glossary, archives: list[str], *,
                 window=None, base: str | None = None) -> tuple[ScanSpec, list[tuple[str, int | None]]]:
    """The scan's spec (incidents, window, outlets' hosts, politeness) and its WARC files with
    their sizes where known. Raises :class:`~.locations.LocationError` for an argument that names
    nothing readable (a usage error); reads remote listings only (``net.open_stream``)."""
    d = outlets.defaults
    spec = ScanSpec(incidents=tuple(incidents), chosen=tuple(i.id for i in chosen), glossary=glossary,
                    window=window, hosts=outlet_hosts(outlets), user_agent=d.user_agent,
                    respect_robots=d.respect_robots, rate_limit_s=d.rate_limit_s)
    files = expand(archives, base=base or CC_NEWS_BASE, spans=list(spec.windows().values()),
                   user_agent=d.user_agent, respect_robots=d.respect_robots, rate_limit_s=d.rate_limit_s)
    return spec, files


def run_archive(incidents: list[Incident], chosen: list[Incident], spec: ScanSpec,
                files: list[tuple[str, int | None]], opts: ArchiveOptions) -> ArchiveOutcome:
    from ..match import Matcher
    from ..match.verdict import second_pass

    started = datetime.now(UTC)
    store = Store(opts.results, datetime.now().date().isoformat())
    since, until = spec.window or (None, None)
    begun = store.begin_runs(chosen, since=since, until=until, arguments=opts.argv, started=started)
    locs = [loc for loc, _ in files]
    workers = opts.workers or os.cpu_count() or 1
    progress = _Progress(files, 1 if opts.scheduler else workers, opts.progress)
    matcher = Matcher(list(spec.incidents), glossary=spec.glossary, window=spec.window)
    by_id = {i.id: i for i in chosen}
    totals = {k: 0 for k in COUNTS + SKIPS}
    per_file: list[dict] = [{} for _ in locs]
    articles_new = {i.id: 0 for i in chosen}
    done_arts = {i.id: set(store.folder(i.id).articles()) for i in chosen}
    pending: dict[int, dict] = {}
    nxt = 0
    interrupted = False

    def write(res: dict) -> None:
        for hit in res["hits"]:
            inc = by_id.get(hit.incident)
            if inc is None:
                continue
            folder = store.folder(inc.id)
            folder.add(hit)
            art = res["articles"].get(hit.url)
            if art is not None and hit.url not in done_arts[inc.id]:
                rec = folder.save_article(_page_copy(hit, art))
                folder.add_article(replace(rec, match=second_pass(hit.as_dict(), rec.as_dict(), inc, matcher)))
                done_arts[inc.id].add(hit.url)
                articles_new[inc.id] += 1

    source = _dask(locs, spec, opts.scheduler, opts.retries) if opts.scheduler else _local(locs, spec, workers)
    try:
        for i, res in source:
            c = res["counts"]
            for k in totals:
                totals[k] += c.get(k, 0)
            per_file[i] = {"file": res["file"], **{k: c.get(k, 0) for k in COUNTS + SKIPS if c.get(k)},
                           "seconds": res.get("seconds"), "error": res.get("error")}
            progress.done(res)
            pending[i] = res
            while nxt in pending:            # in the files' order, whatever order they finish in
                write(pending.pop(nxt))
                nxt += 1
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: hits of the files finished so far are written", file=sys.stderr)
    finally:
        for j in sorted(pending):
            write(pending.pop(j))
        store.close()
    errors = [{"file": f["file"], "error": f["error"]} for f in per_file if f.get("error")]
    not_done = [locs[j] for j, f in enumerate(per_file) if not f]
    code = 1 if errors or not_done or interrupted else 0
    ended = datetime.now(UTC)
    elapsed = max((ended - started).total_seconds(), 1e-9)
    archive = {"locations": opts.archives, "scheduler": opts.scheduler, "workers": None if opts.scheduler else workers,
               "files": len(locs), "files_done": len(locs) - len(not_done), "files_failed": len(errors),
               **{k: totals[k] for k in COUNTS}, "skipped": {k.removeprefix("skipped_"): totals[k] for k in SKIPS},
               "mb_per_s": round(totals["bytes"] / 1e6 / elapsed, 2), "errors": errors, "not_done": not_done,
               "per_file": per_file}
    for inc in chosen:
        folder = store.folder(inc.id)
        record = begun[inc.id].end(ended=ended, exit_code=code, interrupted=interrupted, outlets_file=opts.outlets_file,
                                   hits_new=folder.new, hits_total=folder.existing + folder.new,
                                   articles_new=articles_new[inc.id], archive=archive)
        finish_incident(folder, inc, record)
    return ArchiveOutcome(store, code, totals, errors)

"""The Python API: what the command line runs, from a notebook or a script.

    import incidentsearch
    run = incidentsearch.search(incident="soloti-2022", since="2022-10-15", until="2022-10-31")
    run.hits[0].title, run.hits[0].url        # the hits.jsonl fields, as attributes
    pandas.DataFrame(run.hits)                # one row a hit
    run.folder                                # results/YYYY-MM-DD/
    run.failures                              # the sources that failed, and why

Errors are exceptions here, not exit codes: a bad config raises ``ConfigError`` (its
``lines`` are the CLI's ``file: path: message`` lines), an unknown incident or outlet or a
results folder that cannot be written raises ``SelectionError``; a failing outlet never
raises: it is in ``run.failures`` and ``run.code`` is 1, as the CLI's exit code would be.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Sequence

from .config import ConfigError, Incident, OutletsFile, load_all, load_glossary
from .config import load_incidents as _load_incidents_dir
from .config import load_outlets as _load_outlets_file
from .records import Hit
from .results.folder import read_hits
from .live.setup import SelectionError, config_bytes, default_cache_dir, make_fetcher, select, unwritable

__all__ = ["ConfigError", "Run", "SelectionError", "load_incidents", "load_outlets", "scan_archive", "search"]


@dataclass
class Run:
    """What a search (or an archive scan) did. ``hits`` are every hit in the chosen incidents'
    folders of the day (this run's and the day's earlier runs', as hits.jsonl holds them)."""

    folder: Path                               # results/YYYY-MM-DD/
    code: int                                  # 0 every source answered; 1 some failed (or interrupted)
    incidents: list[str]
    hits: list[Hit] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)   # {outlet, source, kind, url, errors}
    interrupted: bool = False

    def folder_of(self, incident: str) -> Path:
        """The incident's folder: hits.jsonl, hits.csv, articles/, report.html, run.json."""
        return self.folder / incident

    def __repr__(self) -> str:
        return (f"Run(folder={str(self.folder)!r}, hits={len(self.hits)}, failures={len(self.failures)}, "
                f"code={self.code})")


def load_incidents(queries: str | Path = "queries") -> list[Incident]:
    """The incidents of a queries folder (one YAML file each), validated."""
    return _load_incidents_dir(Path(queries))


def load_outlets(outlets: str | Path = "outlets.yaml") -> OutletsFile:
    """The outlets file, validated."""
    return _load_outlets_file(Path(outlets))


def _day(value: str | date | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SelectionError(f"{name} {value}: not a date (YYYY-MM-DD)") from None


def _ids(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _prepare(queries: Path, outlets: Path, results: Path, *, incident, outlet, since, until):
    """Everything checked before any request, as the CLI does: the configs, the chosen incidents
    and outlets, the results folder writable. (outlets file, incidents, chosen, outlet ids)."""
    outlets_file, incidents = load_all(outlets, queries)
    chosen, outlet_ids = select(outlets_file, incidents, incident_ids=_ids(incident), outlet_ids=_ids(outlet),
                                since=since, until=until, queries=queries, outlets_file=outlets)
    bad = unwritable(results)
    if bad:
        raise SelectionError(bad)
    return outlets_file, incidents, chosen, outlet_ids


def _as_arguments(*, queries, outlets, results, incident, outlet, since, until, articles) -> list[str]:
    """The call as the equivalent command line, for run.json and the WARC's record of the run."""
    out = ["--queries", str(queries), "--outlets", str(outlets), "--results", str(results)]
    out += [a for i in incident for a in ("--incident", i)] + [a for o in outlet for a in ("--outlet", o)]
    out += (["--since", str(since)] if since else []) + (["--until", str(until)] if until else [])
    return out + ([] if articles else ["--no-articles"])


def _hits(folder: Path, incidents: Sequence[str]) -> list[Hit]:
    return [Hit.from_dict(h) for inc in incidents for h in read_hits(folder / inc / "hits.jsonl")]


def search(queries: str | Path = "queries", outlets: str | Path = "outlets.yaml", results: str | Path = "results",
           incident: str | Iterable[str] | None = None, outlet: str | Iterable[str] | None = None,
           since: str | date | None = None, until: str | date | None = None, articles: bool = True, *,
           cache_dir: str | Path | None = None, cache: bool = True, refresh: bool = False,
           record: bool = True, fetcher=None, replay: str | Path | Iterable[str | Path] | None = None) -> Run:
    """Search the outlets for the incidents, as ``python search.py`` does, and return the run.

    ``incident``/``outlet``: one id or several (default: every incident, every enabled outlet);
    ``since``/``until``: override the incidents' windows (``date`` or ``"YYYY-MM-DD"``);
    ``articles``: capture each hit's page (False: headlines only). ``cache_dir``: the HTTP
    cache (default ``~/.cache/incidentsearch``; ``cache=False`` for none, ``refresh=True`` to
    ask again); ``record``: write the WARC recording. ``fetcher``: anything with the Fetcher's
    ``get``/``post``. ``replay``: a run's ``raw.warc.gz`` (or several): its recorded configs and
    answers, no network (``--replay``); ``incident``, ``outlet``, ``since``, ``until`` default to
    the recorded run's, and ``queries``/``outlets`` are not read."""
    if replay is not None:
        return _replayed(replay, results=results, incident=incident, outlet=outlet, since=since, until=until,
                         articles=articles)
    from .match import Matcher
    from .live.job import JobOptions, run_job
    from .live.plan import override_window, plan

    queries, outlets_path, results = Path(queries), Path(outlets), Path(results)
    since, until = _day(since, "since"), _day(until, "until")
    outlets_file, incidents, chosen, outlet_ids = _prepare(queries, outlets_path, results, incident=incident,
                                                           outlet=outlet, since=since, until=until)
    tasks = plan(outlets_file, chosen, outlet_ids=outlet_ids, since=since, until=until)
    matcher = Matcher(incidents, window=override_window(chosen, since, until), glossary=load_glossary(queries))
    own = fetcher is None
    if own:
        where = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        fetcher = make_fetcher(outlets_file, cache_dir=where if cache else None, refresh=refresh)
    argv = _as_arguments(queries=queries, outlets=outlets_path, results=results, incident=_ids(incident),
                         outlet=_ids(outlet), since=since, until=until, articles=articles)
    opts = JobOptions(results=results, argv=argv, outlets_file=str(outlets_path), since=since, until=until,
                      outlet_ids=outlet_ids, articles=articles, record=record,
                      configs=config_bytes(outlets_path, queries) if record else {})
    try:
        out = run_job(outlets_file, chosen, tasks, fetcher, matcher, opts)
    finally:
        if own:
            fetcher.close()
    ids = [i.id for i in chosen]
    failures = [{"outlet": s.outlet, "source": s.index, "kind": s.kind, "url": s.url, "errors": list(s.errors)}
                for s in out.run.failed()]
    return Run(folder=out.store.root, code=out.code, incidents=ids, hits=_hits(out.store.root, ids),
               failures=failures, interrupted=out.interrupted)


def _replayed(paths, *, results, incident, outlet, since, until, articles) -> Run:
    import tempfile

    from .live.setup import unpack_recording
    from .net.replay import Replay, ReplayError

    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    try:
        rec = Replay(paths)
    except (ReplayError, OSError) as e:
        raise SelectionError(str(e)) from None
    with tempfile.TemporaryDirectory(prefix="incidentsearch-replay-") as tmp:
        try:
            outlets, queries, recorded = unpack_recording(rec, Path(tmp))
        except SelectionError as e:
            raise SelectionError(f"{paths[0]}: {e}") from None
        return search(queries=queries, outlets=outlets, results=results,
                      incident=_ids(incident) or recorded["incident_ids"], outlet=_ids(outlet) or recorded["outlet_ids"],
                      since=since or recorded["since"], until=until or recorded["until"], articles=articles,
                      record=False, fetcher=rec)


def scan_archive(archives: str | Iterable[str], queries: str | Path = "queries", outlets: str | Path = "outlets.yaml",
                 results: str | Path = "results", incident: str | Iterable[str] | None = None,
                 since: str | date | None = None, until: str | date | None = None, *,
                 workers: int | None = None, scheduler: str | None = None, progress: bool = False) -> Run:
    """Scan web archives (WARC files, folders, globs, ``*.paths`` listings, URLs, ``cc-news:YYYY/MM``)
    for reports of the incidents, as ``python search.py --archive ...`` does. ``workers``: local
    processes (default: one per core); ``scheduler``: a Dask cluster (``tcp://host:8786``)."""
    from .archive.driver import ArchiveOptions, plan_archive, run_archive
    from .archive.locations import LocationError
    from .live.plan import override_window

    locs = _ids(archives)
    queries, outlets_path, results = Path(queries), Path(outlets), Path(results)
    since, until = _day(since, "since"), _day(until, "until")
    outlets_file, incidents, chosen, _ = _prepare(queries, outlets_path, results, incident=incident, outlet=None,
                                                  since=since, until=until)
    try:
        spec, files = plan_archive(outlets_file, incidents, chosen, load_glossary(queries), locs,
                                   window=override_window(chosen, since, until))
    except LocationError as e:
        raise SelectionError(f"archives: {e}") from None
    if not files:
        raise SelectionError("archives: no WARC files to read")
    argv = _as_arguments(queries=queries, outlets=outlets_path, results=results, incident=_ids(incident), outlet=[],
                         since=since, until=until, articles=True) + ["--archive", *locs]
    opts = ArchiveOptions(results=results, argv=argv, archives=locs,
                          outlets_file=str(outlets_path), workers=workers, scheduler=scheduler, progress=progress)
    out = run_archive(incidents, chosen, spec, files, opts)
    ids = [i.id for i in chosen]
    failures = [{"file": e["file"], "errors": [e["error"]]} for e in out.errors]
    return Run(folder=out.store.root, code=out.code, incidents=ids, hits=_hits(out.store.root, ids),
               failures=failures)

"""Command line: argparse and wiring only.

Exit codes: 0 every source answered; 1 some sources failed (results still
written); 2 usage or config error (nothing fetched).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path

from .. import __version__
from . import console
from ..config import ConfigError, load_all, load_glossary
from ..match import Matcher
from ..live.plan import override_window, plan
from ..live.setup import (SelectionError, config_bytes, default_cache_dir, make_fetcher, select,
                          unpack_recording, unwritable)

EXIT_OK, EXIT_SOURCES_FAILED, EXIT_USAGE = 0, 1, 2


def _day(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {s!r}")


def _options() -> dict[str, list[tuple[tuple[str, ...], dict]]]:
    """Options shared by the run and its subcommands, by group. A subcommand takes its
    groups with defaults suppressed, so a value given before the subcommand's name stays."""
    return {
        "config": [
            (("--outlets",), dict(type=Path, metavar="FILE", default=Path("outlets.yaml"),
                                  help="outlet list (default: outlets.yaml)")),
            (("--queries",), dict(type=Path, metavar="DIR", default=Path("queries"),
                                  help="folder of incident files (default: queries/)")),
        ],
        "select": [
            (("--incident",), dict(action="append", metavar="ID", default=[],
                                   help="only this incident (repeatable; default: all in --queries)")),
            (("--outlet",), dict(action="append", metavar="ID", default=[],
                                 help="only this outlet (repeatable; default: all enabled outlets)")),
        ],
        "fetch": [
            (("--cache-dir",), dict(type=Path, metavar="DIR", default=default_cache_dir(),
                                    help="HTTP cache folder (default: ~/.cache/incidentsearch)")),
            (("--no-cache",), dict(action="store_true", default=False,
                                   help="do not use or fill the HTTP cache")),
            (("--refresh",), dict(action="store_true", default=False,
                                  help="fetch everything again instead of answering from the cache (still stores)")),
        ],
        "log": [
            (("-v", "--verbose"), dict(action="count", default=0, help="more log lines on stderr (-vv: debug)")),
            (("-q", "--quiet"), dict(action="store_true", default=False, help="only warnings and errors on stderr")),
        ],
    }


def _add(p: argparse.ArgumentParser, groups: tuple[str, ...], *, suppress: bool = False) -> None:
    table = _options()
    for g in groups:
        for flags, kw in table[g]:
            p.add_argument(*flags, **(dict(kw, default=argparse.SUPPRESS) if suppress else kw))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="search.py",
        description="Search news outlets and archives for every report of the known incidents in "
                    "queries/ and write the hits to results/YYYY-MM-DD/<incident>/.",
        epilog="Exit codes: 0 all sources answered; 1 some sources failed (results still written); "
               "2 usage or config error (nothing fetched).")
    p.add_argument("--version", action="version", version=f"incidentsearch {__version__}")
    _add(p, ("config", "select"))
    p.add_argument("--results", type=Path, metavar="DIR", default=Path("results"),
                   help="results root; the run writes to DIR/YYYY-MM-DD/ (default: results/)")
    p.add_argument("--since", type=_day, metavar="YYYY-MM-DD",
                   help="search and accept from this day, overriding the incidents' windows")
    p.add_argument("--until", type=_day, metavar="YYYY-MM-DD",
                   help="search and accept up to this day, overriding the incidents' windows")
    p.add_argument("--dry-run", action="store_true",
                   help="print the planned requests; no network, nothing written")
    p.add_argument("--no-articles", action="store_true",
                   help="headlines only: no article capture (pages, text, second-pass match)")
    p.add_argument("--replay", type=Path, nargs="+", metavar="FILE.warc.gz",
                   help="re-run parsing, matching, articles and reports from a recording (a run's "
                        "raw.warc.gz, or samples/demo.warc.gz); no network")
    a = p.add_argument_group("archives", "scan WARC collections instead of asking the outlets (see README: Archives)")
    a.add_argument("--archive", nargs="+", metavar="PATH",
                   help="WARC/WARC.gz files, folders, globs, warc.paths(.gz) listings, http(s) URLs, "
                        "cc-news:YYYY/MM, or cc-news: (the months of the incidents' windows)")
    a.add_argument("--archive-base", metavar="URL", default=None,
                   help="Common Crawl data endpoint for cc-news: and relative listing paths "
                        "(default: https://data.commoncrawl.org; a mirror, or a test server)")
    a.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="run one task per WARC file on this Dask distributed cluster (pip install "
                        "'incidentsearch[cluster]') instead of local processes")
    a.add_argument("--workers", type=int, metavar="N",
                   help="local processes for --archive (default: the machine's cores)")
    _add(p, ("fetch", "log"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    v = sub.add_parser("validate", help="check outlets.yaml and queries/; exit 2 on any error",
                       description="Check outlets.yaml and queries/ without fetching anything.")
    _add(v, ("config", "log"), suppress=True)
    c = sub.add_parser("check", help="outlet health: one small real query per source, a verdict each; "
                                     "exit 1 if any source is broken",
                       description="Ask every source one small real query (not from the cache) and print "
                                   "outlet, source, HTTP status, items parsed and a verdict: ok, empty, "
                                   "parse failure, blocked, robots disallowed, http error, unreachable.")
    _add(c, ("config", "select", "fetch", "log"), suppress=True)
    e = sub.add_parser("explain", help="why a headline matches an incident, or not, for every incident",
                       description="Score one headline against every incident and print the features "
                                   "that fired and the reasons for the verdict. Fetches nothing.")
    e.add_argument("headline", help="the headline, in quotes")
    e.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="its publication day, if known")
    e.add_argument("--lang", choices=("ru", "en", "uk"), help="its language (default: from its letters)")
    e.add_argument("--url", metavar="URL", help="its URL: the slug's words count as evidence, as in a run")
    e.add_argument("--summary", metavar="TEXT", help="the feed's description or snippet, as evidence, as in a run")
    _add(e, ("config", "log"), suppress=True)
    return p


def _setup_logging(args) -> None:
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose > 1 else
                                                 logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def _load(args):
    try:
        return load_all(args.outlets, args.queries)
    except ConfigError as e:
        for line in e.lines:
            print(line, file=sys.stderr)
        return None


def _lint(qdir: Path) -> list[str]:
    """validate's warnings (config.lint): the incidents load, but would match badly."""
    from ..config import incident_files, load_incident
    from ..config.lint import lint

    return lint({f: load_incident(f) for f in incident_files(qdir)}, load_glossary(qdir))


def _select(args, outlets, incidents):
    """The chosen incidents and outlet ids, or an error line."""
    try:
        chosen, outlet_ids = select(outlets, incidents, incident_ids=args.incident, outlet_ids=args.outlet,
                                    since=args.since, until=args.until, queries=args.queries,
                                    outlets_file=args.outlets)
    except SelectionError as e:
        return None, None, str(e)
    return chosen, outlet_ids, None


def _fetcher(args, outlets, *, retries: int | None = None):
    return make_fetcher(outlets, cache_dir=None if args.no_cache else args.cache_dir, refresh=args.refresh,
                        retries=retries)


def main(argv: list[str] | None = None) -> int:
    """The command line; a reader that closes the pipe (``--dry-run | head``) ends it quietly."""
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away: nothing more can be said to it, and Python's own flush at exit
        # must not print a traceback either, so stdout now goes nowhere
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_SOURCES_FAILED


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:          # argparse: --help (0) or usage error (2)
        return int(e.code or 0)
    _setup_logging(args)
    if args.command == "explain":
        return _explain(args)
    if args.replay:
        return _replay(args, argv)
    loaded = _load(args)
    if loaded is None:
        return EXIT_USAGE
    outlets, incidents = loaded
    if args.command == "validate":
        for line in _lint(args.queries):
            print(line, file=sys.stderr)
        n_src = sum(len(o.sources) for o in outlets.outlets)
        print(f"ok: {len(outlets.outlets)} outlets ({n_src} sources) in {args.outlets}; "
              f"{len(incidents)} incidents in {args.queries}")
        return EXIT_OK
    chosen, outlet_ids, err = _select(args, outlets, incidents)
    if err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    if args.command == "check":
        return _check(args, outlets, chosen, outlet_ids)
    if args.archive:
        return _archive(args, argv, outlets, incidents, chosen)
    if args.scheduler or args.workers or args.archive_base:
        print("--scheduler, --workers and --archive-base go with --archive", file=sys.stderr)
        return EXIT_USAGE
    tasks = plan(outlets, chosen, outlet_ids=outlet_ids, since=args.since, until=args.until)
    if args.dry_run:
        return _dry_run(tasks, outlets)
    return _run(args, argv, outlets, incidents, chosen, tasks)


def _archive(args, argv, outlets, incidents, chosen) -> int:
    """--archive: the WARC files named, scanned locally or on a Dask cluster (the archive package)."""
    from ..archive.driver import ArchiveOptions, plan_archive, run_archive
    from ..archive.locations import LocationError

    if args.workers is not None and args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        spec, files = plan_archive(outlets, incidents, chosen, load_glossary(args.queries), args.archive,
                                   window=override_window(chosen, args.since, args.until), base=args.archive_base)
    except LocationError as e:
        print(f"--archive: {e}", file=sys.stderr)
        return EXIT_USAGE
    if not files:
        print("--archive: no WARC files to read", file=sys.stderr)
        return EXIT_USAGE
    if args.dry_run:
        for loc, size in files:
            print(f"{loc}\t{size if size is not None else '-'}")
        print(f"{len(files)} WARC files; nothing read", file=sys.stderr)
        return EXIT_OK
    bad = unwritable(args.results)
    if bad:
        print(bad, file=sys.stderr)
        return EXIT_USAGE
    opts = ArchiveOptions(results=args.results, argv=argv, archives=list(args.archive),
                          outlets_file=str(args.outlets), workers=args.workers, scheduler=args.scheduler,
                          progress=not args.quiet)
    out = run_archive(incidents, chosen, spec, files, opts)
    console.summary(out.store, chosen, None, {i.id: out.store.folder(i.id).new for i in chosen})
    t = out.totals
    print(f"archive: {len(files)} files, {t['bytes'] / 1e6:,.1f} MB, {t['records']} records, {t['html']} HTML, "
          f"{t['survivors']} past the prefilter, {t['hits']} hits; skipped: {t['skipped_non_html']} non-HTML, "
          f"{t['skipped_truncated']} truncated, {t['skipped_status']} non-200")
    for e in out.errors:
        print(f"  FAILED {e['file']}: {e['error']}")
    return out.code


def _dry_run(tasks, outlets) -> int:
    for t in tasks:
        pages = (t.spec.max_pages or outlets.defaults.max_pages) if t.paginated() else 1
        who = t.incident.id if t.incident else "(all incidents)"
        more = f"  (+ up to {pages - 1} more pages)" if pages > 1 else ""
        print(f"{t.outlet.id}\t{t.spec.kind}\t{who}\t{t.query or '-'}\t{t.url(1)}{more}")
    print(f"{len(tasks)} planned requests (first pages); nothing fetched", file=sys.stderr)
    return EXIT_OK


def _explain(args) -> int:
    from ..match import Matcher

    try:
        matcher = Matcher.from_folder(args.queries)
    except ConfigError as e:
        for line in e.lines:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    from ..match.explain import explain

    for line in explain(matcher, args.headline, published=args.date, lang=args.lang, url=args.url,
                        summary=args.summary):
        print(line)
    return EXIT_OK


def _check(args, outlets, chosen, outlet_ids) -> int:
    """Every source probed side by side, each row printed as its answer comes; the last line
    says when no host could be reached at all."""
    from ..live.check import check, row, summary, widths

    fetcher = _fetcher(args, outlets, retries=1)       # a probe: one retry, not the run's patience
    w = widths(outlets)
    bar = console.counter(args, "checking sources")
    print(row(None, w), flush=True)

    def show(h) -> None:
        print(row(h, w), flush=True)
        if bar:
            bar.advance()

    try:
        if bar:
            bar.start()
        rows = check(outlets, chosen, fetcher, outlet_ids=outlet_ids, on_result=show,
                     parallel=outlets.defaults.parallel_hosts)
    finally:
        if bar:
            bar.stop()
        fetcher.close()
    print(summary(rows))
    offline = fetcher.network.verdict()
    if offline:
        print(offline)
    return EXIT_SOURCES_FAILED if any(not h.healthy for h in rows) else EXIT_OK


def _run(args, argv, outlets, incidents, chosen, tasks, *, fetcher=None) -> int:
    from ..live.job import JobOptions, run_job

    bad = unwritable(args.results)
    if bad:
        print(bad, file=sys.stderr)
        if fetcher is not None:
            fetcher.close()
        return EXIT_USAGE

    window = override_window(chosen, args.since, args.until)
    matcher = Matcher(incidents, window=window, glossary=load_glossary(args.queries))
    replaying = fetcher is not None
    fetcher = fetcher or _fetcher(args, outlets)
    opts = JobOptions(results=args.results, argv=argv, outlets_file=str(args.outlets), since=args.since,
                      until=args.until, outlet_ids=set(args.outlet) or None, articles=not args.no_articles,
                      record=not replaying, configs={} if replaying else config_bytes(args.outlets, args.queries))
    progress = console.progress(args, tasks)
    opts.on_done = progress.advance if progress else None
    try:
        if progress:
            progress.start()
        out = run_job(outlets, chosen, tasks, fetcher, matcher, opts)
    finally:
        if progress:
            progress.stop()
        fetcher.close()
    console.summary(out.store, chosen, out.run, out.articles, network=getattr(fetcher, "network", None))
    return out.code


def _replay(args, argv) -> int:
    """--replay: the recorded configs and responses; parsing, matching, articles, dossier; no network."""
    import tempfile

    from ..net.replay import Replay, ReplayError

    missing = [p for p in args.replay if not p.is_file()]
    if missing:
        print(f"{missing[0]}: (file): {'not a file' if missing[0].exists() else 'not found'}", file=sys.stderr)
        return EXIT_USAGE
    try:
        rec = Replay(args.replay)
    except ReplayError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="incidentsearch-replay-") as tmp:
        try:
            args.outlets, args.queries, recorded = unpack_recording(rec, Path(tmp))
        except SelectionError as e:
            print(f"{args.replay[0]}: (file): {e}", file=sys.stderr)
            return EXIT_USAGE
        loaded = _load(args)
        if loaded is None:
            return EXIT_USAGE
        outlets, incidents = loaded
        args.incident = args.incident or recorded["incident_ids"]
        args.outlet = args.outlet or recorded["outlet_ids"]
        args.since = args.since or recorded["since"]
        args.until = args.until or recorded["until"]
        chosen, outlet_ids, err = _select(args, outlets, incidents)
        if err:
            print(err, file=sys.stderr)
            return EXIT_USAGE
        tasks = plan(outlets, chosen, outlet_ids=outlet_ids, since=args.since, until=args.until)
        print(f"replaying {len(rec.responses)} recorded responses from "
              f"{', '.join(str(p) for p in args.replay)}; no network", file=sys.stderr)
        return _run(args, argv, outlets, incidents, chosen, tasks, fetcher=rec)

"""What a run prints on the terminal: progress bars while it runs, a summary when it ends.

Output only: nothing here decides, fetches or writes a file.
"""
from __future__ import annotations

import sys
from urllib.parse import unquote

from ..live.listings import ListingSearch
from ..results.folder import Store


class Bars:
    """On a terminal: one rich progress bar per outlet (its requests planned and done) on stderr."""

    def __init__(self, tasks):
        from collections import Counter

        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        per_outlet = Counter(t.outlet.id for t in tasks)
        self.bars = Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.ids = {o: self.bars.add_task(o, total=n) for o, n in per_outlet.most_common()}

    def start(self):
        self.bars.start()

    def stop(self):
        self.bars.stop()

    def advance(self, task) -> None:
        self.bars.advance(self.ids[task.outlet.id])


class Counter:
    """On a terminal: one bar counting things done (the sources a check has heard from)."""

    def __init__(self, label: str, total: int | None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bars = Progress(TextColumn(f"{label:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             console=Console(stderr=True), transient=True)
        self.id = self.bars.add_task(label, total=total)

    def start(self):
        self.bars.start()

    def stop(self):
        self.bars.stop()

    def advance(self) -> None:
        self.bars.advance(self.id)


def counter(args, label: str, total: int | None = None):
    """A Counter on a terminal (not with -q or -v); None elsewhere."""
    if args.quiet or args.verbose or not sys.stderr.isatty():
        return None
    try:
        return Counter(label, total)
    except ImportError:
        return None


def progress(args, tasks):
    """Bars on a terminal, unless asked to be quiet or verbose; None elsewhere."""
    if args.quiet or args.verbose or not sys.stderr.isatty() or not tasks:
        return None
    try:
        return Bars(tasks)
    except ImportError:
        return None



# failures that mean the host was never reached (fetch's texts for them)
UNREACHED = ("DNS lookup failed", "connection refused", "connect timeout", "network unreachable",
             "proxy unreachable", "host unreachable earlier", "Network is unreachable")


def _unreached_host(stats) -> str | None:
    """The host a failed source could not reach, when every error it met was of that kind."""
    from urllib.parse import urlsplit

    hosts = set()
    for e in stats.errors:
        url, _, why = e.partition(": ")
        if not any(k in why for k in UNREACHED):
            return None
        hosts.add(urlsplit(url).netloc.lower())
    return hosts.pop() if len(hosts) == 1 else None


def summary(store: Store, chosen, run: ListingSearch | None, articles: dict[str, int], network=None) -> None:
    """Per incident: hits new and in all, by language and outlet; then the failures: a host
    that could not be reached is one line (its sources named), any other failure one line per
    source; when no host at all answered, the last line says so."""
    from collections import Counter

    from ..results.folder import read_hits

    print(f"{store.root}/")
    for inc in chosen:
        f = store.folder(inc.id)
        hits = read_hits(f.jsonl)
        langs = Counter(h.get("lang") or "?" for h in hits)
        outlets = Counter(h["outlet"] for h in hits)
        print(f"  {inc.id:<24} {f.new:>5} new hits, {len(hits)} in all, {articles.get(inc.id, 0)} articles captured"
              f"   report: {f.path / 'report.html'}")
        if hits:
            print("    by language: " + ", ".join(f"{k} {v}" for k, v in langs.most_common()))
            print("    by outlet:   " + ", ".join(f"{k} {v}" for k, v in outlets.most_common(8))
                  + (f", +{len(outlets) - 8} more" if len(outlets) > 8 else ""))
    if run is None:                  # an archive scan: no sources
        return
    stats = list(run.stats.values())
    ok = sum(s.status == "ok" for s in stats)
    print(f"sources: {ok} ok, {len(stats) - ok} failed")
    verdict = network.verdict() if network is not None else None
    down: dict[str, list] = {}
    for s in stats:
        host = _unreached_host(s) if s.status != "ok" else None
        if host:
            down.setdefault(host, []).append(s)
    if verdict and down:
        n = sum(len(v) for v in down.values())
        print(f"  UNREACHABLE all {len(down)} hosts ({n} sources); each source's errors are in run.json")
    else:
        for host, srcs in sorted(down.items()):
            why = next(k for k in UNREACHED if any(k in e for e in srcs[0].errors))
            names = [f"{s.outlet}[{s.index}] {s.kind}" for s in srcs]
            print(f"  UNREACHABLE {host} ({why}): " + ", ".join(names[:6])
                  + (f" +{len(names) - 6} more" if len(names) > 6 else ""))
    for s in stats:
        if s.status != "ok" and not any(s in v for v in down.values()):
            print(f"  {s.status.upper()} {s.outlet}[{s.index}] {s.kind}: {unquote(s.errors[0])}"
                  + (f" (+{len(s.errors) - 1} more)" if len(s.errors) > 1 else ""))
        if s.capped:
            print(f"  CAPPED {s.outlet}[{s.index}] {s.kind}: more results than the page limit allowed")
    if verdict:
        print(verdict)

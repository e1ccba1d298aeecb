"""Outlet health: ask every source one small real query and say whether it works.

What a user runs first on a new machine. Each source gets one request (the first
query of the first incident in the source's language, over that incident's
window; a feed or sitemap is simply read; a Telegram channel's own page, which says
whether the channel is public whatever a query finds), never from the cache, and a verdict:

- ``ok``               answered and parsed into items (or links to follow)
- ``empty``            answered 2xx with an empty body, or a page that says it holds
                       nothing (a Telegram channel with no public posts)
- ``parse failure``    answered 200 with a body the parser could not read, or read
                       into zero items: a changed page layout, never "no news"; a
                       Telegram channel that is private, renamed or gone ("no public preview")
- ``blocked``          HTTP 401, 403, 407, 429 or 451 (refused, rate-limited, geoblocked)
- ``robots disallowed`` robots.txt forbids the URL; nothing was requested
- ``http error``       any other 4xx/5xx
- ``unreachable``      no answer: DNS, refused, timeout, TLS, size cap
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .. import sources
from ..config import Incident, OutletsFile
from .listings import plan

BLOCKED = {401, 403, 407, 429, 451}


@dataclass(frozen=True)
class Health:
    outlet: str
    index: int
    kind: str
    url: str
    status: int | None
    items: int
    verdict: str
    detail: str = ""

    @property
    def healthy(self) -> bool:
        return self.verdict == "ok"


def probes(outlets: OutletsFile, incidents: list[Incident], *, outlet_ids=None):
    """One task per source: the first the run would send for it."""
    first = {}
    for task in plan(outlets, incidents, outlet_ids=outlet_ids):
        first.setdefault((task.outlet.id, task.index), task)
    return list(first.values())


def verdict(resp, parsed_or_error) -> tuple[str, int, str]:
    """(verdict, items, detail) of one answer; ``parsed_or_error`` is Parsed, ParseError or None."""
    if resp.robots_blocked:
        return "robots disallowed", 0, "robots.txt forbids this URL"
    if resp.status is None:
        return "unreachable", 0, resp.error or "no answer"
    if resp.status in BLOCKED:
        return "blocked", 0, resp.error or f"HTTP {resp.status}"
    if resp.status >= 400 or resp.error:
        return "http error", 0, resp.error or f"HTTP {resp.status}"
    if not resp.content.strip():
        return "empty", 0, "empty body"
    if isinstance(parsed_or_error, sources.ParseError):
        return "parse failure", 0, str(parsed_or_error)
    n = len(parsed_or_error.candidates) + len(parsed_or_error.follow)
    skipped = sum(parsed_or_error.skipped.values())
    if n == 0 and skipped == 0:
        if parsed_or_error.empty:
            return "empty", 0, "the page says it holds nothing (no public posts)"
        return "parse failure", 0, f"{len(resp.content)} bytes read into zero items"
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(parsed_or_error.skipped.items()))
    return "ok", n, f"skipped {detail}" if detail else ""


def probe(task, fetcher) -> Health:
    """One source's probe: its request (never from the cache), parsed, and the verdict."""
    kind = sources.kind(task.spec.kind)
    url = _probe_url(task)
    resp = fetcher.get(url, rate_limit_s=task.spec.rate_limit_s, expire_after=0)
    parsed = None
    if resp.ok:
        try:
            parsed = kind.parse(task.spec, resp)
        except sources.ParseError as e:
            parsed = e
    v, n, detail = verdict(resp, parsed)
    return Health(task.outlet.id, task.index, task.spec.kind, url, resp.status, n, v, detail)


def _probe_url(task) -> str:
    """What the probe asks: the kind's own probe (a Telegram channel's page), else the run's first request."""
    return sources.kind(task.spec.kind).probe_url(task.spec) or task.url(1)


def _host(task) -> str:
    return urlsplit(_probe_url(task)).netloc.lower()


def check(outlets: OutletsFile, incidents: list[Incident], fetcher, *, outlet_ids=None,
          on_result=None, parallel: int = 16, per_source_s: float = 45.0) -> list[Health]:
    """Every source probed, hosts side by side (one request in flight per host, as a run does,
    at most ``parallel`` hosts at once), each result handed to ``on_result`` as it comes.
    A source with no verdict after ``per_source_s`` is ``unreachable`` ("no answer within N s"),
    and so is the rest of its host's queue: its thread is left behind (a daemon), the check
    goes on. Results come in the order they finish."""
    groups: dict[str, list] = {}
    for task in probes(outlets, incidents, outlet_ids=outlet_ids):
        groups.setdefault(_host(task), []).append(task)
    work: queue.Queue = queue.Queue()
    for host, tasks in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        work.put((host, tasks))
    done: queue.Queue = queue.Queue()
    started: dict[str, tuple] = {}                    # host -> (task, monotonic start) in flight
    lock = threading.Lock()

    def worker() -> None:
        while True:
            try:
                host, tasks = work.get_nowait()
            except queue.Empty:
                return
            for task in tasks:
                with lock:
                    if host in abandoned:
                        return
                    started[host] = (task, time.monotonic())
                try:
                    h = probe(task, fetcher)
                except Exception as e:                 # a bug in one parser must not hang the check
                    h = Health(task.outlet.id, task.index, task.spec.kind, task.url(1), None, 0,
                               "parse failure", f"{type(e).__name__}: {e}")
                with lock:
                    if host in abandoned:
                        return
                    started.pop(host, None)
                done.put(h)

    abandoned: set[str] = set()
    total = sum(len(t) for t in groups.values())
    for _ in range(min(parallel, len(groups))):
        threading.Thread(target=worker, daemon=True, name="check").start()
    out: list[Health] = []

    def give(h: Health) -> None:
        out.append(h)
        if on_result:
            on_result(h)

    while len(out) < total:
        try:
            give(done.get(timeout=0.2))
            continue
        except queue.Empty:
            pass
        now = time.monotonic()
        with lock:
            late = [(host, task, t0) for host, (task, t0) in started.items() if now - t0 > per_source_s]
            for host, _, _ in late:
                abandoned.add(host)
                started.pop(host, None)
                if not work.empty():             # its thread is stuck: another takes the queue on
                    threading.Thread(target=worker, daemon=True, name="check").start()
        for host, task, _ in late:
            rest = groups[host][groups[host].index(task):]
            for t in rest:
                detail = (f"no answer within {per_source_s:g} s" if t is task else
                          f"not asked: {host} gave no answer within {per_source_s:g} s")
                give(Health(t.outlet.id, t.index, t.spec.kind, t.url(1), None, 0, "unreachable", detail))
    return out


HEAD = ("outlet", "source", "status", "items", "verdict", "detail")


def widths(outlets: OutletsFile) -> list[int]:
    """Column widths known before any answer, so rows print aligned as they come."""
    ids = [o.id for o in outlets.outlets] or [""]
    kinds = [f"{i}:{s.kind}" for o in outlets.outlets for i, s in enumerate(o.sources)] or [""]
    return [max(len(HEAD[0]), *map(len, ids)), max(len(HEAD[1]), *map(len, kinds)), 6, 5,
            len("robots disallowed")]


def row(h: Health | None, w: list[int]) -> str:
    """One line of the check's output (the header for None)."""
    r = HEAD if h is None else (h.outlet, f"{h.index}:{h.kind}", str(h.status or "-"), str(h.items), h.verdict,
                                h.detail[:90])
    return ("  ".join(c.ljust(n) for c, n in zip(r, w)) + "  " + r[-1]).rstrip()


def summary(rows: list[Health]) -> str:
    """'3 of 117 sources ok; 114 unreachable', verdicts by count."""
    from collections import Counter

    ok = sum(h.healthy for h in rows)
    bad = Counter(h.verdict for h in rows if not h.healthy)
    return f"{ok} of {len(rows)} sources ok" + ("; " + ", ".join(f"{n} {v}" for v, n in
                                                             sorted(bad.items(), key=lambda kv: (-kv[1], kv[0])))
                                                 if bad else "")


def table(rows: list[Health]) -> str:
    head = ("outlet", "source", "status", "items", "verdict", "detail")
    body = [(h.outlet, f"{h.index}:{h.kind}", str(h.status or "-"), str(h.items), h.verdict, h.detail[:90])
            for h in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head) - 1)]
    lines = []
    for r in [head, *body]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
    return "\n".join(line.rstrip() for line in lines)

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

from dataclasses import dataclass

from . import sources
from .config import Incident, OutletsFile
from .pipeline import plan

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


def check(outlets: OutletsFile, incidents: list[Incident], fetcher, *, outlet_ids=None,
          on_result=None) -> list[Health]:
    out = []
    for task in probes(outlets, incidents, outlet_ids=outlet_ids):
        probe = getattr(sources.module(task.spec.kind), "probe_url", None)
        url = probe(task.spec) if probe else task.url(1)
        resp = fetcher.get(url, rate_limit_s=task.spec.rate_limit_s, expire_after=0)
        parsed = None
        if resp.ok:
            try:
                parsed = sources.module(task.spec.kind).parse(task.spec, resp)
            except sources.ParseError as e:
                parsed = e
        v, n, detail = verdict(resp, parsed)
        h = Health(task.outlet.id, task.index, task.spec.kind, url, resp.status, n, v, detail)
        out.append(h)
        if on_result:
            on_result(h)
    return out


def table(rows: list[Health]) -> str:
    head = ("outlet", "source", "status", "items", "verdict", "detail")
    body = [(h.outlet, f"{h.index}:{h.kind}", str(h.status or "-"), str(h.items), h.verdict, h.detail[:90])
            for h in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head) - 1)]
    lines = []
    for r in [head, *body]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
    return "\n".join(line.rstrip() for line in lines)

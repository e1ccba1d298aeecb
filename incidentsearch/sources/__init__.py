"""Source kinds: how to ask an outlet (URL templates) and how to read its answer.

Each kind is a module with ``parse(spec, response) -> Parsed``; parse never does
I/O and raises only ParseError. Requests are built by ``build_url``: the
source's URL template expanded (``expand``), or, for aggregators (Google News,
GDELT, Wayback) and Telegram channels, the module's own ``build_url`` from the
query and window.
An aggregator module also names ``CAP``, the most results one request returns.
"""
from __future__ import annotations

import calendar
import importlib
from datetime import date
from types import ModuleType
from urllib.parse import quote_plus

KINDS = ("rss", "sitemap", "html_search", "json_search", "google_news", "gdelt", "wayback", "telegram")


class ParseError(Exception):
    """The response is not what this source kind reads (an HTML error page where a feed
    was expected, malformed XML/JSON, ...). The message is one line for run.json."""


def module(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise KeyError(kind)
    return importlib.import_module(f"{__name__}.{kind}")


class _DateArg:
    """``{since}`` formats as ISO by default, ``{since:%d.%m.%Y}`` with strftime; ``%s``
    is Unix seconds (UTC) on every platform, at the start of ``since``'s day and the
    end of ``until``'s, so the window's last day is inside the range."""

    def __init__(self, d: date, *, end: bool = False):
        self.d = d
        self.end = end

    def __format__(self, spec: str) -> str:
        if not spec:
            return self.d.isoformat()
        if "%s" in spec:
            epoch = calendar.timegm(self.d.timetuple()) + (86399 if self.end else 0)
            spec = spec.replace("%s", str(epoch))
        return self.d.strftime(spec)


def expand(template: str, *, query: str | None = None, since: date | None = None,
           until: date | None = None, page: int = 1, page_start: int = 1,
           page_size: int = 20) -> str:
    """Fill a URL template. ``page`` counts from 1 for us; ``{page}`` is rendered
    from the source's ``page_start`` and ``{offset}`` from its ``page_size``."""
    values = {
        "query": quote_plus(query or ""),
        "since": _DateArg(since or date(1990, 1, 1)),
        "until": _DateArg(until or date.today(), end=True),
        "page": page - 1 + page_start,
        "offset": (page - 1) * page_size,
    }
    return template.format(**values)


def build_url(spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
    """The URL of one request of a source: page ``page`` (from 1) of ``query`` in the window."""
    mod = module(spec.kind)
    if hasattr(mod, "build_url"):
        return mod.build_url(spec, query=query, since=since, until=until, page=page)
    return expand(spec.url, query=query, since=since, until=until, page=page,
                  page_start=spec.page_start, page_size=spec.page_size)


def cap_of(spec) -> int | None:
    """Results one request can return at most (None: no known cap)."""
    return getattr(spec, "cap", None) or getattr(module(spec.kind), "CAP", None)

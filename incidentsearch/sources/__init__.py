"""Source kinds: how to ask an outlet (URL templates) and how to read its answer.

Each kind (``kind:`` in outlets.yaml) is a module of this package that declares its config
model, request building, parse (pure, never I/O; raises only ParseError), result cap, health
probe and flags; :mod:`.registry` gathers them (``kind(name)``, a :class:`~.registry.Kind`).
Requests of a source whose ``url`` is a template are the template expanded (``expand``,
``template_url``); aggregators (Google News, GDELT, Wayback) and Telegram channels build
theirs from the query and window.
"""
from __future__ import annotations

import calendar
from datetime import date
from types import ModuleType
from urllib.parse import quote_plus

from .registry import KINDS, Kind, kind


class ParseError(Exception):
    """The response is not what this source kind reads (an HTML error page where a feed
    was expected, malformed XML/JSON, ...). The message is one line for run.json."""


def module(name: str) -> ModuleType:
    """The module of kind ``name`` (KeyError for an unknown one)."""
    return kind(name).module


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


def template_url(spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
    """The request of a source whose ``url`` is a URL template: the template filled in."""
    return expand(spec.url, query=query, since=since, until=until, page=page,
                  page_start=spec.page_start, page_size=spec.page_size)


def build_url(spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
    """The URL of one request of a source: page ``page`` (from 1) of ``query`` in the window."""
    return kind(spec.kind).build_url(spec, query=query, since=since, until=until, page=page)


def cap_of(spec) -> int | None:
    """Results one request can return at most (None: no known cap)."""
    return kind(spec.kind).cap(spec)


__all__ = ["KINDS", "Kind", "ParseError", "build_url", "cap_of", "expand", "kind", "module", "template_url"]

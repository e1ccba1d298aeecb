"""The registry of source kinds: what the pipeline asks of each ``kind:`` of outlets.yaml.

The kinds are :data:`incidentsearch.config.sources.KINDS` (derived from the config models,
the one list); kind ``x`` is the module ``incidentsearch.sources.x``, and that module declares,
in one block and with no defaults filled in here, everything kind-specific:

``CONFIG``        its pydantic model (``config/sources.py``), whose ``kind:`` is the module's name
``build_url``     ``(spec, *, query, since, until, page=1) -> str``: one request (``template_url``
                  when ``spec.url`` is a URL template)
``parse``         ``(spec, response) -> Parsed``: pure, never I/O, raises only ParseError
``CAP``           the most results one request returns (None: no known cap); an aggregator's
                  ``cap:`` replaces it
``probe_url``     ``(spec) -> str`` what ``check`` asks, or None: the run's first request
``NEWEST_FIRST``  True when its cursor (``Parsed.next_url``) pages back in time, so a run stops
                  once a page is older than the window
``follow_limit``  ``(spec, defaults) -> int`` links of one answer followed (child sitemaps,
                  archived snapshots), or None: its answers name none
``site``          ``(spec) -> str | None`` the site (a URL or host/path prefix) the outlet publishes
                  under, as this source names it (the archive scan attributes a page to an outlet
                  by it), or None: the source's answers come from many sites or none

A module that leaves one out fails when its kind is first asked for (:func:`kind`), not with a
silent default. :class:`Kind` reads the module's names when called, so a test may patch them.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import ModuleType

from ..config.sources import KINDS, SOURCE_MODELS, Aggregator, kind_name
from ..records import Parsed, Response

__all__ = ["KINDS", "Kind", "PROTOCOL", "kind"]

PROTOCOL = ("CONFIG", "build_url", "parse", "CAP", "probe_url", "NEWEST_FIRST", "follow_limit", "site")


@dataclass(frozen=True)
class Kind:
    """One source kind as the pipeline sees it (see the module's docstring)."""

    name: str
    module: ModuleType

    @property
    def config(self) -> type:
        return self.module.CONFIG

    def build_url(self, spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
        return self.module.build_url(spec, query=query, since=since, until=until, page=page)

    def parse(self, spec, response: Response) -> Parsed:
        return self.module.parse(spec, response)

    def cap(self, spec) -> int | None:
        """Results one request can return at most (None: no known cap)."""
        own = spec.cap if isinstance(spec, Aggregator) else None
        return own or self.module.CAP

    def probe_url(self, spec) -> str | None:
        """The URL ``check`` asks, or None when the probe is the run's first request."""
        probe = self.module.probe_url
        return probe(spec) if probe is not None else None

    @property
    def newest_first(self) -> bool:
        return bool(self.module.NEWEST_FIRST)

    def follow_limit(self, spec, defaults) -> int:
        """Links of one answer followed at most (0 for a kind whose answers name none)."""
        limit = self.module.follow_limit
        return limit(spec, defaults) if limit is not None else 0

    def site(self, spec) -> str | None:
        """The site the source's outlet publishes under (a URL or host/path prefix), or None."""
        site = self.module.site
        return site(spec) if site is not None else None


@lru_cache(maxsize=None)
def kind(name: str) -> Kind:
    """The kind named ``name`` (KeyError for an unknown one); its module is imported on first use."""
    if name not in KINDS:
        raise KeyError(name)
    module = importlib.import_module(f"{__package__}.{name}")
    missing = [n for n in PROTOCOL if n not in vars(module)]
    if missing:
        raise TypeError(f"source kind module {module.__name__} does not declare {', '.join(missing)}")
    model = dict(zip(KINDS, SOURCE_MODELS))[name]
    if module.CONFIG is not model or kind_name(module.CONFIG) != name:
        raise TypeError(f"{module.__name__}.CONFIG is {module.CONFIG!r}, not the model of kind {name!r} ({model!r})")
    return Kind(name, module)

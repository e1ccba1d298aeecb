"""The models of outlets.yaml (defaults, outlets), queries/*.yaml (incidents) and
queries/glossary.yaml, strict: an unknown key is an error. The source kinds' models are in
:mod:`.sources`, the shared base model and validators in :mod:`.base`."""
from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .. import __version__
from .base import ID_RE, LANGS, Strict, check_tz
from .sources import Source


class Defaults(Strict):
    rate_limit_s: float = Field(1.0, ge=0, description="Minimum seconds between two requests to one host.")
    timeout_s: float = Field(20.0, gt=0, description="Read timeout of one request, in seconds.")
    connect_timeout_s: float = Field(10.0, gt=0, description="Connect timeout, in seconds.")
    retries: int = Field(3, ge=0, le=10, description="Retries on connection errors, 429, 5xx.")
    max_bytes: int = Field(20_000_000, gt=0, description="Largest response body accepted, in bytes.")
    respect_robots: bool = Field(True, description="Obey robots.txt (a disallowed URL is recorded, not fetched).")
    max_pages: int = Field(5, ge=1, le=100, description="Pages asked of a paginated search per query.")
    max_children: int = Field(40, ge=1, description="Child sitemaps followed per sitemap index.")
    parallel_hosts: int = Field(48, ge=1, le=256, description=(
        "Hosts asked at once (one request in flight per host, always); 1 fetches one URL at a time."))
    user_agent: str = Field(f"incidentsearch/{__version__} (+https://github.com/incidentsearch/incidentsearch)",
                            min_length=3, description="User-Agent header sent with every request.")



class Outlet(Strict):
    id: str = Field(pattern=ID_RE, description="Short id: [a-z0-9-].")
    name: str = Field(min_length=1, description="Human name of the outlet.")
    lang: list[Literal["ru", "en", "uk"]] = Field(min_length=1, description="Languages it publishes in.")
    home: str | None = Field(None, pattern=r"^https?://", description="Home page.")
    tz: str = Field("UTC", description="Time zone of its dates without an offset, e.g. Europe/Moscow.")
    enabled: bool = Field(True, description="False keeps the entry but skips it in runs.")
    sources: list[Source] = Field(min_length=1, description="Tried in order; each records its own status.")

    _tz = field_validator("tz")(classmethod(lambda cls, v: check_tz(v)))


class OutletsFile(Strict):
    defaults: Defaults = Field(default_factory=Defaults)
    outlets: list[Outlet] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "OutletsFile":
        seen: set[str] = set()
        for o in self.outlets:
            if o.id in seen:
                raise ValueError(f"duplicate outlet id {o.id!r}")
            seen.add(o.id)
        return self

    def chosen(self, outlet_ids=None) -> list[Outlet]:
        """The outlets a run asks: those named (``--outlet``), else every enabled one."""
        return [o for o in self.outlets if (o.id in outlet_ids if outlet_ids else o.enabled)]


class Window(Strict):
    before: int = Field(1, ge=0, le=3650, description="Days before the incident searched and accepted.")
    after: int = Field(60, ge=0, le=3650, description="Days after the incident's last day searched and accepted.")


class Texts(Strict):
    en: list[str] = Field(default_factory=list)
    ru: list[str] = Field(default_factory=list)
    uk: list[str] = Field(default_factory=list)

    def get(self, lang: str) -> list[str]:
        return list(getattr(self, lang, []) or [])


class Title(Strict):
    en: str = Field(min_length=1)
    ru: str = Field(min_length=1)


class Incident(Strict):
    id: str = Field(pattern=ID_RE, description="The file's stem.")
    title: Title
    date: dt.date = Field(description="Day of the incident (its first day).")
    end: dt.date | None = Field(None, description="Last day of the incident, if it lasted longer than a day.")
    window: Window = Field(default_factory=Window)
    places: list[str] = Field(min_length=1, description="Place aliases, any script (the incident's own places).")
    regions: list[str] = Field(default_factory=list, description=(
        "Broad areas (oblast, region, a big city) that give context but never match on their own."))
    actors: list[str] = Field(default_factory=list, description="Aliases of units, groups, people.")
    figures: list[int] = Field(default_factory=list, description=(
        "Numbers the reports repeat (11 killed, 15 wounded): with an event word they help identify it."))
    events: list[str] = Field(default_factory=list, description=(
        "Concepts of queries/glossary.yaml this incident is an instance of (training-ground, incursion, ...)."))
    terms: Texts = Field(default_factory=Texts, description="Event words that distinguish this incident.")
    descriptions: Texts = Field(description="One-line descriptions matched against headlines.")
    queries: Texts = Field(description="Fixed keyword queries sent to outlets, per language.")

    @model_validator(mode="after")
    def _checks(self) -> "Incident":
        if self.end is not None and self.end < self.date:
            raise ValueError(f"end {self.end} is before date {self.date}")
        if not (self.descriptions.en or self.descriptions.ru):
            raise ValueError("descriptions: needs at least one description in en or ru")
        if not any(self.queries.get(lang) for lang in LANGS):
            raise ValueError("queries: needs at least one query")
        return self

    @property
    def last_day(self) -> dt.date:
        return self.end or self.date

    @property
    def since(self) -> dt.date:
        return self.date - timedelta(days=self.window.before)

    @property
    def until(self) -> dt.date:
        return self.last_day + timedelta(days=self.window.after)


class Glossary(Strict):
    """queries/glossary.yaml: event concepts and their words per language."""

    concepts: dict[Annotated[str, Field(pattern=ID_RE)], Texts] = Field(default_factory=dict)
    broad: list[str] = Field(default_factory=list, description=(
        "Concepts that every war story uses (attack, casualties, soldiers): weak evidence of an incident's kind."))
    generic: Texts = Field(default_factory=Texts, description=(
        "Names too generic to identify an incident (the armed forces, a ministry): validate warns when an "
        "incident lists one as a place or actor (besides its built-in list)."))

    @model_validator(mode="after")
    def _known_broad(self) -> "Glossary":
        unknown = [c for c in self.broad if c not in self.concepts]
        if unknown:
            raise ValueError(f"broad: unknown concept(s) {', '.join(unknown)}")
        return self


# ---------------------------------------------------------------- loading

"""Small frozen dataclasses passed between the pipeline stages.

Every stage takes and returns these; none of them carries behaviour that
touches the network or the disk.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping


@dataclass(frozen=True)
class Response:
    """One HTTP exchange as the fetch package saw it.

    ``error`` is None when a body arrived (whatever the status); otherwise a
    one-line reason ("timeout after 20s", "disallowed by robots.txt", ...).
    ``text`` is the body decoded with the charset the fetch package settled on
    (``encoding``); parsers that want bytes (XML, feeds) use ``content``.
    """

    url: str                                   # the URL asked for
    final_url: str | None = None               # after redirects
    status: int | None = None                  # HTTP status, None if no answer
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""
    text: str = ""
    encoding: str | None = None
    date: datetime | None = None               # the response's Date header (UTC)
    from_cache: bool = False
    elapsed_s: float = 0.0
    error: str | None = None
    robots_blocked: bool = False
    method: str = "GET"                        # what was sent: the method, and a POST's body and type
    request_body: bytes = b""
    request_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Link:
    """A URL a parser wants fetched next (a sitemap index's child)."""

    url: str
    date_raw: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One headline a source returned, before dates are resolved and matching.

    ``date_raw`` is the publication date exactly as the source gave it (a
    feed's pubDate, a sitemap's lastmod or news:publication_date, a search
    page's visible date); dates.py turns it into ``published``.
    """

    title: str
    url: str
    date_raw: str | None = None
    summary: str | None = None
    lang: str | None = None
    publisher: str | None = None               # aggregators: the outlet that published it
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Parsed:
    """What a source parser returns: headlines, and links to follow.

    ``skipped`` counts items the parser saw and left out on purpose, by reason (a
    Telegram post with media and no text: ``{"media_only": 2}``); run.json sums them per
    source. ``empty`` says the answer is a well-formed page that itself says it holds
    nothing (a channel with no public posts), so zero items there is not a layout change.
    """

    candidates: tuple[Candidate, ...] = ()
    follow: tuple[Link, ...] = ()
    next_url: str | None = None                # the next page, where the service pages by cursor
    skipped: Mapping[str, int] = field(default_factory=dict)
    empty: bool = False


@dataclass(frozen=True)
class Match:
    """How well one headline fits one incident, and why."""

    incident: str
    score: float                               # 0-100
    matched: tuple[str, ...] = ()              # aliases/terms/features that fired
    accepted: bool = False
    reasons: tuple[str, ...] = ()              # human explanation lines
    decided_by: str | None = None              # headline | snippet | article: the evidence that decided
    contributions: tuple[tuple[str, float, float], ...] = ()   # (feature, value, weight x value)
    stage: str = "verdict"                     # verdict: judged; read: the page decides; none: not a candidate


Published = date | datetime | None

"""The records of the pipeline, each defined and built in one place.

- ``Response``, ``Link``, ``Candidate``, ``Parsed``: what the fetcher and the source parsers
  hand on (a fetched exchange; a headline before dates and matching).
- ``Match``: how one headline fits one incident, and why.
- ``Hit``: one report of one incident, a line of ``hits.jsonl`` (and, with ``undecided`` and
  ``reasons``, a line of ``pending.jsonl``); the public API hands these out.
- ``ArticleRecord``: one captured page, a line of ``articles.jsonl``.
- ``RunRecord``: what ``run.json`` says of one incident's run.

None of them touches the network or the disk: ``results.folder`` writes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timezone
from typing import Any, ClassVar, Mapping


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
    page's visible date); ``text.dates`` turns it into ``published``.
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


# ------------------------------------------------------------------ hits
@dataclass(frozen=True, kw_only=True)
class Hit:
    """One report of one incident: the fields of a ``hits.jsonl`` line, as attributes.

    Provenance first: which outlet and source said it, under which query, on which listing
    page, when it was found; then how the matcher decided (``score``, ``matched``,
    ``decided_by``). The optional fields say where the hit came from when it was not an
    ordinary listing (an aggregator's ``publisher``, a resolved Google News link's ``via``, a
    Telegram post's ``text``, an archive record's ``warc_*``). ``extra`` keeps any field this
    version does not know (a file written by a later one), so nothing read is lost."""

    incident: str
    outlet: str
    lang: str | None
    title: str
    url: str
    published: str | None                      # ISO 8601: a date, or a datetime with its offset
    score: float
    matched: tuple[str, ...] = ()
    source: str                                # the source kind (rss, sitemap, ..., archive)
    query: str | None
    found_at: str
    listing_url: str | None
    date_method: str | None = None             # where the date came from (dates.resolve / extract)
    decided_by: str | None = None              # headline | snippet | article
    matched_on: str | None = None              # title | text | lead: what the matcher read
    publisher: str | None = None
    snippet: str | None = None
    via: str | None = None
    resolved_by: str | None = None
    text: str | None = None
    forwarded_from: str | None = None
    forwarded_from_url: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    warc_date: str | None = None
    undecided: tuple[str, ...] | None = None   # pending.jsonl only: the incidents a page would decide
    reasons: tuple[str, ...] | None = None     # ... and why the listing could not
    extra: Mapping[str, Any] = field(default_factory=dict)

    ALWAYS: ClassVar[tuple[str, ...]] = ("incident", "outlet", "lang", "title", "url", "published", "score",
                                         "matched", "source", "query", "found_at", "listing_url")

    @classmethod
    def of(cls, match: "Match", *, outlet: str, lang: str | None, title: str, url: str, published: str | None,
           source: str, query: str | None, listing_url: str | None, found_at: str | None = None,
           **more) -> "Hit":
        """The one way a hit is built from a match: its provenance around the match's score."""
        when = found_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        return cls(incident=match.incident, outlet=outlet, lang=lang, title=title, url=url, published=published,
                   score=match.score, matched=tuple(match.matched), source=source, query=query, found_at=when,
                   listing_url=listing_url, **more)

    def as_dict(self) -> dict:
        """The JSON line: the fields every hit has, then the optional ones that are set, then
        ``extra``."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in out.items() if self._shown(k, v)}
        out.update(self.extra)
        return out

    def _shown(self, name: str, value) -> bool:
        if name in self.ALWAYS or value is not None:
            return True
        if name in ("date_method", "decided_by"):
            return self.undecided is None      # a hit says them, null or not; a pending headline when set
        return name == "warc_date" and self.warc_file is not None   # an archive hit: its crawl date, or null

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Hit":
        """A hit read back from hits.jsonl (or pending.jsonl)."""
        known = {f.name for f in fields(cls)} - {"extra"}
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in known}
        for k in cls.ALWAYS:
            kw.setdefault(k, None)
        kw.setdefault("matched", ())
        return cls(**kw, extra={k: v for k, v in d.items() if k not in known})

    def decided_by_page(self, match: "Match", *, published: str | None, date_method: str | None) -> "Hit":
        """A pending headline that its page made a hit: the page's date and the match on its text."""
        return replace(self, published=published, date_method=date_method, score=match.score,
                       matched=tuple(match.matched), decided_by="article", undecided=None, reasons=None)

    def to_dict(self) -> dict:
        """Alias of :meth:`as_dict` (what pandas and most notebook code look for)."""
        return self.as_dict()


# ------------------------------------------------------------------ articles
@dataclass(frozen=True, kw_only=True)
class ArticleRecord:
    """One captured page: a line of ``articles.jsonl``. ``html`` and ``text`` name the saved copy
    under ``articles/`` (set when the folder saves it); ``source`` says where it was read
    (``live``, ``wayback``, ``listing`` for a post read whole from its channel, ``archive`` for a
    WARC record); ``error`` says why nothing usable came, never raised."""

    url: str
    final_url: str | None = None
    status: int | None = None
    source: str | None = None
    snapshot: str | None = None
    html: str | None = None
    text: str | None = None
    title: str | None = None
    published: str | None = None
    date_method: str | None = None
    author: str | None = None
    chars: int = 0
    lead: str = ""
    lang: str | None = None
    error: str | None = None
    match: Mapping[str, Any] | None = None     # the article stage's verdict on the hit with this page

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if out["match"] is None:
            del out["match"]
        else:
            out["match"] = dict(out["match"])
        return out


@dataclass(frozen=True)
class PageCopy:
    """What the article stage got for one hit: its record, and the page to save (the bytes as
    fetched, and the text; None when nothing usable came). ``results.folder`` saves it."""

    record: ArticleRecord
    html: bytes | None = None
    text: str | None = None


# ------------------------------------------------------------------ run.json
@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """What ``run.json`` says of one incident's run. While the run is under way (``ended`` None)
    it says only what the run is; the final record adds how it ended and what it did."""

    version: str
    incident: str
    since: date
    until: date
    arguments: tuple[str, ...]
    started: datetime
    outlets_file: str | None = None
    ended: datetime | None = None
    exit_code: int | None = None
    interrupted: bool = False
    fetch: Mapping[str, Any] = field(default_factory=dict)
    fetch_run: Mapping[str, Any] | None = None   # the fetcher's counters over the whole run (live search)
    hits_new: int = 0
    hits_total: int = 0
    articles_new: int = 0
    outlets: Mapping[str, Any] = field(default_factory=dict)
    network: Mapping[str, Any] | None = None     # what the network watch saw (live search)
    archive: Mapping[str, Any] | None = None     # the archive scan's counts (--archive)

    @classmethod
    def begin(cls, *, incident: str, since: date, until: date, arguments, started: datetime) -> "RunRecord":
        """The record of a run that has started and not ended (run.json's ``running`` marker)."""
        from . import __version__
        return cls(version=__version__, incident=incident, since=since, until=until,
                   arguments=tuple(arguments), started=started)

    def end(self, **how) -> "RunRecord":
        """The final record: this one with how the run ended and what it did (``ended`` now
        unless given)."""
        how.setdefault("ended", datetime.now(timezone.utc))
        return replace(self, **how)

    def as_dict(self) -> dict:
        out = {"version": self.version, "arguments": list(self.arguments),
               "started": self.started.isoformat(timespec="seconds"),
               "ended": self.ended.isoformat(timespec="seconds") if self.ended else None,
               "exit_code": self.exit_code,
               "incident": {"id": self.incident, "since": str(self.since), "until": str(self.until)}}
        if self.ended is None:
            return out
        out.update(interrupted=self.interrupted, outlets_file=self.outlets_file, fetch=dict(self.fetch))
        if self.fetch_run is not None:
            out["fetch_run"] = dict(self.fetch_run)
        out.update(hits_new=self.hits_new, hits_total=self.hits_total, articles_new=self.articles_new,
                   outlets=dict(self.outlets))
        for k in ("network", "archive"):
            if getattr(self, k) is not None:
                out[k] = dict(getattr(self, k))
        return out

"""Pydantic models of outlets.yaml and queries/*.yaml.

Unknown keys are rejected; every problem comes back as one line
``file: path: message`` so a user can fix a config without reading a traceback.
Loading never touches the network.
"""
from __future__ import annotations

import re
import string
import datetime as dt
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import __version__

ID_RE = r"^[a-z0-9][a-z0-9-]*$"
LANGS = ("ru", "en", "uk")
PLACEHOLDERS = {"query", "since", "until", "page", "offset"}
KINDS = ("rss", "sitemap", "html_search", "json_search", "google_news", "gdelt", "wayback", "telegram")


class ConfigError(Exception):
    """One or more config problems, each a ready ``file: path: message`` line."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def template_fields(url: str) -> set[str]:
    """The placeholder names in a URL template; raises ValueError on bad syntax."""
    names = set()
    for _, name, spec, conv in string.Formatter().parse(url):
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}} in URL template; allowed: "
                             + ", ".join("{%s}" % p for p in sorted(PLACEHOLDERS)))
        if conv:
            raise ValueError(f"conversion !{conv} not allowed in {{{name}}}")
        if spec and name not in ("since", "until"):
            raise ValueError(f"format spec only allowed on {{since}}/{{until}}, not {{{name}}}")
        names.add(name)
    return names


def date_step(url: str) -> str | None:
    """For a template that names {since} but not {until} (one file or page per day,
    month or year: ``map_art_{since:%Y-%m}-01.xml``), the step that walks a window:
    'day', 'month' or 'year'. None when the template takes a range or no date."""
    specs = {name: spec for _, name, spec, _ in string.Formatter().parse(url) if name}
    if "since" not in specs or "until" in specs:
        return None
    spec = specs["since"] or "%Y-%m-%d"
    if any(d in spec for d in ("%d", "%j", "%s", "%a", "%A")):
        return "day"
    if any(m in spec for m in ("%m", "%b", "%B")):
        return "month"
    return "year"


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


class _Source(Strict):
    url: str = Field(description="URL or URL template ({query}, {since[:fmt]}, {until[:fmt]}, {page}, {offset}).")
    lang: list[Literal["ru", "en", "uk"]] | None = Field(None, description="Languages of this source; default: the outlet's.")
    rate_limit_s: float | None = Field(None, ge=0, description="Overrides the default politeness interval.")
    max_pages: int | None = Field(None, ge=1, le=100, description="Overrides defaults.max_pages.")
    page_start: int = Field(1, ge=0, description="Number of the first page for {page}.")
    page_size: int = Field(20, ge=1, description="Items per page, for {offset} = (page-1)*page_size.")
    tz: str | None = Field(None, description="Time zone of dates without an offset; default: the outlet's.")

    @field_validator("url")
    @classmethod
    def _check_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s{}]+", v):
            raise ValueError("must be an http(s) URL with a literal host")
        template_fields(v)
        return v

    _tz = field_validator("tz")(classmethod(lambda cls, v: _check_tz(v)))

    @property
    def placeholders(self) -> set[str]:
        return template_fields(self.url)


class RssSource(_Source):
    kind: Literal["rss"] = Field(description="RSS 2.0, RSS 1.0/RDF or Atom feed (also JSON Feed).")


class SitemapSource(_Source):
    kind: Literal["sitemap"] = Field(description="XML sitemap, sitemap index or Google News sitemap, gzip or not.")
    max_children: int | None = Field(None, ge=1, description="Overrides defaults.max_children.")


def _check_css(sel: str, where: str) -> None:
    """A selector that soupsieve cannot compile fails validation, not the run."""
    import soupsieve

    from .sources.html_search import split_selector
    css, _ = split_selector(sel)
    if css.strip():
        try:
            soupsieve.compile(css)
        except soupsieve.SelectorSyntaxError as e:
            raise ValueError(f"bad CSS selector {sel!r}: {str(e).splitlines()[0]}")


class HtmlSearchSource(_Source):
    kind: Literal["html_search"] = Field(description="An outlet's own HTML search page read with CSS selectors.")
    item: str = Field(min_length=1, description="CSS selector of one result.")
    fields: dict[Literal["title", "url", "date", "summary"], str] = Field(
        description="CSS selector per field inside an item; 'sel@attr' reads an attribute; "
                    "url defaults to the item's first link's href.")

    @field_validator("fields")
    @classmethod
    def _title_needed(cls, v: dict) -> dict:
        if "title" not in v:
            raise ValueError("needs a 'title' selector")
        for name, sel in v.items():
            _check_css(sel, f"fields.{name}")
        return v

    @field_validator("item")
    @classmethod
    def _item_css(cls, v: str) -> str:
        _check_css(v, "item")
        return v


class JsonSearchSource(_Source):
    kind: Literal["json_search"] = Field(description="An outlet's own JSON search API read with dotted paths.")
    items: str = Field("", description="Dotted path to the list (or mapping) of results; '' = the document itself.")
    fields: dict[Literal["title", "url", "date", "summary"], str] = Field(
        description="Dotted path per field inside an item.")
    base_url: str | None = Field(None, description="Prefix for relative result URLs; default: the request URL.")

    @field_validator("fields")
    @classmethod
    def _title_url_needed(cls, v: dict) -> dict:
        missing = [k for k in ("title", "url") if k not in v]
        if missing:
            raise ValueError("needs " + " and ".join(repr(m) for m in missing) + " paths")
        return v


class _Aggregator(_Source):
    """A search service of its own (Google News, GDELT, Wayback). Its module builds the
    request from the query and window; ``url`` only replaces the public endpoint
    (a mirror, a proxy, a local test server) and takes no placeholders."""

    cap: int | None = Field(None, ge=1, description=(
        "Results one request can return at most; a full answer splits the date window in halves "
        "down to one day. Default: the service's own cap."))

    @field_validator("url")
    @classmethod
    def _no_placeholders(cls, v: str) -> str:
        if template_fields(v):
            raise ValueError("an aggregator's url is its endpoint and takes no placeholders")
        return v

    @property
    def placeholders(self) -> set[str]:
        return {"query", "since", "until"}


class GoogleNewsSource(_Aggregator):
    kind: Literal["google_news"] = Field(description="Google News RSS search (a few days to years back).")
    url: str = Field("https://news.google.com/rss/search", description="Endpoint of the RSS search.")
    edition: Literal["ru", "en", "uk"] | None = Field(
        None, description="Edition asked (ru: hl=ru&gl=RU, en: hl=en-US&gl=US, uk: hl=uk&gl=UA); "
                          "default: the query's language.")
    site: str | None = Field(None, pattern=r"^[a-z0-9.-]+(/[^\s]*)?$",
                             description="Restrict to one site (site: operator), e.g. mirror.co.uk.")


class GdeltSource(_Aggregator):
    kind: Literal["gdelt"] = Field(description="GDELT DOC 2.0 API, mode=artlist (English queries, "
                                               "non-English coverage searched through translation).")
    url: str = Field("https://api.gdeltproject.org/api/v2/doc/doc", description="Endpoint of the DOC API.")
    lang: list[Literal["ru", "en", "uk"]] | None = Field(
        ["en"], description="Languages of the queries sent; GDELT is asked in English.")
    rate_limit_s: float | None = Field(5.0, ge=0, description="GDELT asks for one request per 5 s.")
    sourcelang: str | None = Field(None, pattern=r"^[a-z]+$", description="sourcelang: operator, e.g. russian.")
    sourcecountry: str | None = Field(None, pattern=r"^[a-z]+$", description="sourcecountry: operator, e.g. russia.")
    domain: str | None = Field(None, pattern=r"^[a-z0-9.-]+$", description="domainis: operator, e.g. tass.ru.")


class WaybackSource(_Aggregator):
    kind: Literal["wayback"] = Field(description="Wayback Machine CDX index of an outlet's archived URLs "
                                                 "in the window; snapshots read through /web/<ts>id_/<url>.")
    url: str = Field("https://web.archive.org", description="Base of the Wayback Machine.")
    prefix: str = Field(min_length=3, pattern=r"^[^\s]+$",
                        description="host/path prefix whose captures are listed, e.g. ria.ru/2022 or tass.ru/.")
    limit: int = Field(5000, ge=1, le=150000, description="Rows per CDX page (resume keys page on).")
    max_snapshots: int = Field(50, ge=0, description=(
        "Archived pages read per window to get titles for URLs whose slug says nothing."))
    rate_limit_s: float | None = Field(4.0, ge=0, description="The Wayback Machine throttles at about 15 requests a minute.")

    @property
    def placeholders(self) -> set[str]:
        return {"since", "until"}


TELEGRAM_USERNAME = r"^[A-Za-z][A-Za-z0-9_]{3,31}$"


class TelegramSource(_Source):
    """A public Telegram channel read through its web preview (``t.me/s/<channel>``): no
    account, no API key. The incident's queries go to the preview's in-channel search
    (``?q=``); older posts are paged with ``?before=<post id>`` until the window's start."""

    kind: Literal["telegram"] = Field(description="A public Telegram channel's web preview (t.me/s/<channel>), "
                                                  "searched with the incident's queries.")
    channel: str = Field(pattern=TELEGRAM_USERNAME, description=(
        "The channel's public username without '@' (t.me/<channel>), e.g. vvgladkov."))
    url: str = Field("", description=(
        "The channel's preview page; default https://t.me/s/<channel>. Replace it only for a mirror, "
        "a proxy or a local test server; no placeholders."))
    rate_limit_s: float | None = Field(3.0, ge=0, description=(
        "t.me is one host for every channel: the strictest interval asked holds for all of them."))
    max_pages: int | None = Field(20, ge=1, le=100, description=(
        "Pages (about 20 posts each) read back per query before giving up on reaching the window."))

    @model_validator(mode="before")
    @classmethod
    def _default_url(cls, data):
        if isinstance(data, dict) and not data.get("url") and isinstance(data.get("channel"), str):
            data = {**data, "url": f"https://t.me/s/{data['channel']}"}
        return data

    @field_validator("url")
    @classmethod
    def _no_placeholders(cls, v: str) -> str:
        if template_fields(v):
            raise ValueError("a telegram source's url is the channel's preview page and takes no placeholders")
        return v

    @property
    def placeholders(self) -> set[str]:
        return {"query"}


Source = Annotated[Union[RssSource, SitemapSource, HtmlSearchSource, JsonSearchSource,
                         GoogleNewsSource, GdeltSource, WaybackSource, TelegramSource],
                   Field(discriminator="kind")]


def _check_tz(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {v!r}")
    return v


class Outlet(Strict):
    id: str = Field(pattern=ID_RE, description="Short id: [a-z0-9-].")
    name: str = Field(min_length=1, description="Human name of the outlet.")
    lang: list[Literal["ru", "en", "uk"]] = Field(min_length=1, description="Languages it publishes in.")
    home: str | None = Field(None, pattern=r"^https?://", description="Home page.")
    tz: str = Field("UTC", description="Time zone of its dates without an offset, e.g. Europe/Moscow.")
    enabled: bool = Field(True, description="False keeps the entry but skips it in runs.")
    sources: list[Source] = Field(min_length=1, description="Tried in order; each records its own status.")

    _tz = field_validator("tz")(classmethod(lambda cls, v: _check_tz(v)))


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


# ---------------------------------------------------------------- loading

def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in KINDS and out.endswith("]"):
            continue  # the discriminated union's tag adds nothing for the reader
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def _errors(file: Path, exc: ValidationError) -> list[str]:
    lines = []
    for e in exc.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{file}: {_loc(e['loc'])}: {msg}")
    return lines


def _read_yaml(file: Path):
    try:
        raw = file.read_bytes()
    except OSError as e:
        raise ConfigError([f"{file}: (file): cannot read: {e.strerror or e}"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise ConfigError([f"{file}: line {line}: not UTF-8 (byte {e.start} is {raw[e.start]:#04x})"])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError([f"{file}: {where}: YAML syntax: {problem}"])


def load_outlets(file: Path) -> OutletsFile:
    data = _read_yaml(file)
    if not isinstance(data, dict):
        raise ConfigError([f"{file}: (top): must be a mapping with 'outlets'"])
    try:
        return OutletsFile.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_errors(file, e))


def load_incident(file: Path) -> Incident:
    data = _read_yaml(file)
    if not isinstance(data, dict):
        raise ConfigError([f"{file}: (top): must be a mapping"])
    try:
        inc = Incident.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_errors(file, e))
    if inc.id != file.stem:
        raise ConfigError([f"{file}: id: {inc.id!r} differs from the file name {file.stem!r}"])
    return inc


def incident_files(qdir: Path) -> list[Path]:
    """Incident files of a queries folder; glossary-like data files start with '_' or are named glossary."""
    return sorted(p for p in qdir.glob("*.yaml") if not p.name.startswith("_") and p.stem != "glossary")


def load_glossary(qdir: Path) -> Glossary:
    """The folder's glossary.yaml; an empty glossary when there is none."""
    file = qdir / "glossary.yaml"
    if not file.exists():
        return Glossary()
    data = _read_yaml(file)
    try:
        return Glossary.model_validate(data or {})
    except ValidationError as e:
        raise ConfigError(_errors(file, e))


def load_incidents(qdir: Path) -> list[Incident]:
    if not qdir.is_dir():
        raise ConfigError([f"{qdir}: (folder): not found"])
    files = incident_files(qdir)
    if not files:
        raise ConfigError([f"{qdir}: (folder): no incident files (*.yaml)"])
    out, lines = [], []
    try:
        glossary = load_glossary(qdir)
    except ConfigError as e:
        lines.extend(e.lines)
        glossary = None
    for f in files:
        try:
            inc = load_incident(f)
        except ConfigError as e:
            lines.extend(e.lines)
            continue
        if glossary is not None:
            lines += [f"{f}: events[{n}]: unknown event {ev!r} (not in {qdir / 'glossary.yaml'})"
                      for n, ev in enumerate(inc.events) if ev not in glossary.concepts]
        out.append(inc)
    if lines:
        raise ConfigError(lines)
    return out


def load_all(outlets_file: Path, qdir: Path) -> tuple[OutletsFile, list[Incident]]:
    """Both configs, every problem of both reported together."""
    lines: list[str] = []
    outlets = incidents = None
    try:
        outlets = load_outlets(outlets_file)
    except ConfigError as e:
        lines.extend(e.lines)
    try:
        incidents = load_incidents(qdir)
    except ConfigError as e:
        lines.extend(e.lines)
    if lines:
        raise ConfigError(lines)
    return outlets, incidents

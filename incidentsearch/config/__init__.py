"""Pydantic models of outlets.yaml and queries/*.yaml.

Unknown keys are rejected; every problem comes back as one line
``file: path: message`` so a user can fix a config without reading a traceback.
Loading never touches the network.

The source kinds (``RssSource`` ... ``TelegramSource``, the ``Source`` union) live in
:mod:`.config_sources`, the shared constants, base model and validators in
:mod:`.config_base`; both are re-exported here, so ``from incidentsearch.config import X``
works for every name.
"""
from __future__ import annotations

import datetime as dt
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from .. import __version__
from .base import ID_RE, LANGS, PLACEHOLDERS, Strict, _check_tz, date_step, template_fields
from .sources import KINDS, TELEGRAM_USERNAME, GdeltSource, GoogleNewsSource, HtmlSearchSource, JsonSearchSource, RssSource, SitemapSource, Source, TelegramSource, WaybackSource

__all__ = [
    "ID_RE", "KINDS", "LANGS", "PLACEHOLDERS", "TELEGRAM_USERNAME", "ConfigError", "Defaults", "GdeltSource",
    "Glossary", "GoogleNewsSource", "HtmlSearchSource", "Incident", "JsonSearchSource", "Outlet",
    "OutletsFile", "RssSource", "SitemapSource", "Source", "Strict", "TelegramSource", "Texts", "Title",
    "WaybackSource", "Window", "date_step", "incident_files", "load_all", "load_glossary", "load_incident",
    "load_incidents", "load_outlets", "template_fields",
]


class ConfigError(Exception):
    """One or more config problems, each a ready ``file: path: message`` line."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines



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
        raise ConfigError([f"{file}: {_syntax_error(text, e)}"])
    except (ValueError, OverflowError, TypeError) as e:   # a scalar YAML could not build: 2023-02-30
        raise ConfigError([f"{file}: {_bad_scalar(text, e)}"])


def _content_line(lines: list[str], line: int, column: int) -> int:
    """The 0-based line a parse error belongs to: PyYAML notices a missing ']' or '"' only at
    the next token, after any comment and blank lines; the error is on the last line with
    content before them."""
    if line >= len(lines) or lines[line][:column].strip() == "":
        n = min(line, len(lines)) - 1
        while n >= 0 and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
            n -= 1
        if 0 <= n < line:
            return n
    return line


def _syntax_error(text: str, e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    if mark is None:
        return f"(file): YAML syntax: {problem}"
    line = _content_line(text.splitlines(), mark.line, mark.column)
    ctx, ctx_mark = getattr(e, "context", None), getattr(e, "context_mark", None)
    more = f" ({ctx} from line {ctx_mark.line + 1})" if ctx and ctx_mark and ctx_mark.line < line else ""
    return f"line {line + 1}: YAML syntax: {problem}{more}"


def _bad_scalar(text: str, e: Exception) -> str:
    """Where a value that parses but cannot be built (a date such as 2023-02-30) stands."""
    constructor = yaml.constructor.SafeConstructor()
    todo = [yaml.compose(text, Loader=yaml.SafeLoader)]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            todo += [x for kv in reversed(node.value) for x in reversed(kv)]
        elif isinstance(node, yaml.SequenceNode):
            todo += reversed(node.value)
        elif isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node, deep=True)
            except (ValueError, OverflowError, TypeError) as bad:
                what = "not a valid date" if node.tag.endswith(":timestamp") else "not a valid value"
                return f"line {node.start_mark.line + 1}: {what}: {node.value} ({bad})"
    return f"(file): cannot read a value: {e}"


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

"""The source kinds of outlets.yaml (``kind:`` rss, sitemap, html_search, json_search,
google_news, gdelt, wayback, telegram), one pydantic model each, :data:`Source`, their
union discriminated on ``kind``, and :data:`KINDS`, the kinds' names derived from it (the
one list of kinds: ``incidentsearch.sources.registry`` finds each kind's module by it).
Also the selector syntax of ``html_search`` fields (:func:`split_selector`), which
validation checks and the parser reads. Re-exported by :mod:`incidentsearch.config`."""
from __future__ import annotations

import re
from typing import Annotated, Literal, Union, get_args

from pydantic import Field, field_validator, model_validator

from .base import Strict, check_tz, template_fields


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

    _tz = field_validator("tz")(classmethod(lambda cls, v: check_tz(v)))

    @property
    def placeholders(self) -> set[str]:
        return template_fields(self.url)


class RssSource(_Source):
    kind: Literal["rss"] = Field(description="RSS 2.0, RSS 1.0/RDF or Atom feed (also JSON Feed).")


class SitemapSource(_Source):
    kind: Literal["sitemap"] = Field(description="XML sitemap, sitemap index or Google News sitemap, gzip or not.")
    max_children: int | None = Field(None, ge=1, description="Overrides defaults.max_children.")


_ATTR = re.compile(r"^(.*?)@([A-Za-z_:][\w:.-]*)$", re.S)


def split_selector(sel: str) -> tuple[str, str | None]:
    """An ``html_search`` field selector: ``"time@datetime"`` -> ``("time", "datetime")``
    (read the attribute), ``"h3 a"`` -> ``("h3 a", None)`` (read the text), ``"@data-time"``
    -> ``("", "data-time")`` (the item's own attribute). An '@' inside an attribute selector
    (``a[href*="@"]``) is left alone."""
    sel = sel.strip()
    m = _ATTR.match(sel)
    if m and m.group(1).count("[") == m.group(1).count("]"):
        return m.group(1).strip(), m.group(2)
    return sel, None


def _check_css(sel: str, where: str) -> None:
    """A selector that soupsieve cannot compile fails validation, not the run."""
    import soupsieve

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


class Aggregator(_Source):
    """A search service of its own (Google News, GDELT, Wayback). Its module builds the
    request from the query and window; ``url`` only replaces the public endpoint
    (a mirror, a proxy, a local test server) and takes no placeholders. ``cap``, when
    given, replaces the service's own result cap (the kind's ``CAP``)."""

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


class GoogleNewsSource(Aggregator):
    kind: Literal["google_news"] = Field(description="Google News RSS search (a few days to years back).")
    url: str = Field("https://news.google.com/rss/search", description="Endpoint of the RSS search.")
    edition: Literal["ru", "en", "uk"] | None = Field(
        None, description="Edition asked (ru: hl=ru&gl=RU, en: hl=en-US&gl=US, uk: hl=uk&gl=UA); "
                          "default: the query's language.")
    site: str | None = Field(None, pattern=r"^[a-z0-9.-]+(/[^\s]*)?$",
                             description="Restrict to one site (site: operator), e.g. mirror.co.uk.")


class GdeltSource(Aggregator):
    kind: Literal["gdelt"] = Field(description="GDELT DOC 2.0 API, mode=artlist (English queries, "
                                               "non-English coverage searched through translation).")
    url: str = Field("https://api.gdeltproject.org/api/v2/doc/doc", description="Endpoint of the DOC API.")
    lang: list[Literal["ru", "en", "uk"]] | None = Field(
        ["en"], description="Languages of the queries sent; GDELT is asked in English.")
    rate_limit_s: float | None = Field(5.0, ge=0, description="GDELT asks for one request per 5 s.")
    sourcelang: str | None = Field(None, pattern=r"^[a-z]+$", description="sourcelang: operator, e.g. russian.")
    sourcecountry: str | None = Field(None, pattern=r"^[a-z]+$", description="sourcecountry: operator, e.g. russia.")
    domain: str | None = Field(None, pattern=r"^[a-z0-9.-]+$", description="domainis: operator, e.g. tass.ru.")


class WaybackSource(Aggregator):
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


SOURCE_MODELS = (RssSource, SitemapSource, HtmlSearchSource, JsonSearchSource,
                 GoogleNewsSource, GdeltSource, WaybackSource, TelegramSource)
Source = Annotated[Union[SOURCE_MODELS], Field(discriminator="kind")]


def kind_name(model: type[_Source]) -> str:
    """The ``kind:`` a source model accepts (its ``Literal``)."""
    (name,) = get_args(model.model_fields["kind"].annotation)
    return name


KINDS: tuple[str, ...] = tuple(kind_name(m) for m in SOURCE_MODELS)

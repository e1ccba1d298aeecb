"""The incident dossier: one self-contained ``report.html`` in the incident's folder.

The page needs nothing but itself: no scripts (a Content-Security-Policy forbids
them), no external fonts, images or style sheets. It shows the incident's card,
a timeline of reports per day and language (inline SVG), every hit in a table,
the syndication clusters and the run's coverage per outlet.

``dossier_view`` turns the hits, articles, clusters and run record into plain data;
the Jinja2 templates in ``templates/`` (``dossier.html.j2``, ``timeline.html.j2``, and
``dossier.css`` inlined into a <style> element) make the page of it, with autoescape on:
every string that came from an outlet or a file is HTML-escaped, and a URL becomes a
link only when it is http(s) or a saved copy under ``articles/`` (``safe_href``).

In the templates, a line break and the blanks around it are layout, not output: the
page comes out as one line (a space that matters is kept on its line, or written
``{{ " " }}``), as it did when it was built from strings.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token

from .. import __version__
from .dossier_view import page, safe_href
from .folder import atomic_write

__all__ = ["environment", "render", "safe_href", "write_report"]

_LAYOUT = re.compile(r"[ \t]*\n[ \t]*")


class _Layout(Extension):
    """Drops the line breaks (and the blanks around them) from the text of the ``.j2``
    templates, never from what their tags print nor from other files (the CSS)."""

    def filter_stream(self, stream):
        if not (stream.name or "").endswith(".j2"):
            yield from stream
            return
        for token in stream:
            if token.type == "data":
                token = Token(token.lineno, "data", _LAYOUT.sub("", token.value))
            yield token


@functools.cache
def environment() -> jinja2.Environment:
    """The templates of ``incidentsearch/results/templates``, escaping every value they print;
    an undefined name is an error, and None prints as nothing."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("incidentsearch.results", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, extensions=[_Layout],
                             finalize=lambda value: "" if value is None else value)
    env.filters["coord"] = lambda value: f"{value:.1f}"      # an SVG coordinate, to 0.1 of a unit
    return env


def render(incident, hits: list[dict], *, articles: dict[str, dict] | None = None,
           clusters: list[dict] | None = None, run: dict | None = None) -> str:
    """The whole report page as a string."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return environment().get_template("dossier.html.j2").render(
        page(incident, hits, articles=articles, clusters=clusters, run=run), generated=now, version=__version__)


def write_report(folder: Path, incident, hits: list[dict], *, articles: dict[str, dict] | None = None,
                 clusters: list[dict] | None = None, run: dict | None = None) -> Path:
    """Write ``folder/report.html`` atomically and return its path."""
    path = Path(folder) / "report.html"
    atomic_write(path, render(incident, hits, articles=articles, clusters=clusters, run=run))
    return path

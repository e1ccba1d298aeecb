"""GDELT DOC 2.0 API, ``mode=artlist&format=json``.

Request: ``query=<q>[ sourcelang:x][ sourcecountry:x][ domainis:x]`` (the user's query is
passed as given: GDELT takes "quoted phrases" and (a OR b) in parentheses), at most
``maxrecords`` = the cap (250, GDELT's own maximum), the window as
``startdatetime=YYYYMMDD000000`` .. ``enddatetime=YYYYMMDD235959`` (UTC), newest first.

Answer: ``{"articles": [{url, url_mobile, title, seendate, socialimage, domain, language,
sourcecountry}, ...]}``; ``{}`` (or an empty body) means no results.

- ``seendate`` ("20260123T031500Z") is when GDELT saw the page, not when it was
  published: it goes to ``extra["seendate"]``; ``date_raw`` stays None (the URL path may
  still give a date later).
- ``lang``: GDELT's language name as an ISO code (Russian -> ru, English -> en,
  Ukrainian -> uk), other names lowercased.
- ``publisher``: the domain.
- The JSON is sometimes malformed: control characters inside strings are accepted
  (``strict=False``), and a trailing garbage line after a complete document is ignored;
  anything else is ``ParseError("malformed JSON from GDELT: ...")``.
- Errors come as plain text with status 200 ("Your search contained a phrase that was
  too short...", "Please limit requests to one every 5 seconds..."): ParseError quoting
  the first line.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date

from ..config.sources import GdeltSource
from ..records import Candidate, Parsed, Response
from . import ParseError
from .common import absolute, body_bytes, clean_title, collapse, join_query, maybe_gunzip

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = GdeltSource
CAP: int | None = 250                # a full answer splits the window (spec.cap replaces it)
probe_url = None                     # check asks the first query, as a run does
NEWEST_FIRST = False                 # one page per window, no cursor
follow_limit = None                  # an artlist names no links to follow
site = None                          # answers come from every site GDELT watches
# build_url and parse: below

MAX_RECORDS = 250                                  # GDELT refuses to return more per request

LANGS = {"russian": "ru", "english": "en", "ukrainian": "uk"}


def build_url(spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
    """The artlist URL; ``page`` is ignored (GDELT has no paging: the window is split instead)."""
    terms = [collapse(query)] if collapse(query) else []
    for op, value in (("sourcelang", spec.sourcelang), ("sourcecountry", spec.sourcecountry),
                      ("domainis", spec.domain)):
        if value:
            terms.append(f"{op}:{value}")
    if not terms:
        raise ValueError("gdelt: a query or an operator (sourcelang, sourcecountry, domain) is needed")
    cap = min(spec.cap or CAP, MAX_RECORDS)
    params = [
        ("query", " ".join(terms)),
        ("mode", "artlist"),
        ("format", "json"),
        ("maxrecords", str(cap)),
        ("startdatetime", since.strftime("%Y%m%d") + "000000"),
        ("enddatetime", until.strftime("%Y%m%d") + "235959"),
        ("sort", "datedesc"),
    ]
    return join_query(spec.url, params)


def lang_code(name) -> str | None:
    name = collapse(name) if isinstance(name, str) else ""
    if not name:
        return None
    return LANGS.get(name.casefold(), name.casefold())


def parse(spec, response: Response) -> Parsed:
    data = maybe_gunzip(body_bytes(response))
    text = data.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not text.strip():
        return Parsed()
    if not text.startswith(("{", "[")):
        raise ParseError(f"GDELT error: {_first_line(text)}")
    doc = _loads(text)
    if isinstance(doc, list):                      # a bare list of articles: be lenient
        items = doc
    elif isinstance(doc, dict):
        if not doc:
            return Parsed()                        # {} = no results
        if "articles" not in doc:
            keys = collapse(", ".join(sorted(str(k) for k in doc)[:5]))[:100]
            raise ParseError(f"not a GDELT artlist: JSON without 'articles' (keys: {keys})")
        items = doc["articles"] if doc["articles"] is not None else []
    else:
        raise ParseError(f"malformed JSON from GDELT: top level is {type(doc).__name__}")
    if not isinstance(items, list):
        raise ParseError("malformed JSON from GDELT: 'articles' is not a list")
    out = []
    for a in items:
        if not isinstance(a, dict):
            continue
        title = clean_title(_s(a.get("title")))
        url = absolute(_s(a.get("url")), None)
        if not title or not url:
            continue
        extra = {}
        if _s(a.get("seendate")):
            extra["seendate"] = collapse(a["seendate"])
        if _s(a.get("sourcecountry")):
            extra["sourcecountry"] = collapse(a["sourcecountry"])
        out.append(Candidate(title=title, url=url, date_raw=None, lang=lang_code(a.get("language")),
                             publisher=collapse(_s(a.get("domain"))) or None, extra=extra))
    return Parsed(candidates=tuple(out))


def _loads(text: str):
    try:
        return json.loads(text, strict=False)
    except RecursionError:
        raise ParseError("malformed JSON from GDELT: nested too deep") from None
    except ValueError as e:
        first = e
    # a complete document followed by a garbage line: keep the document
    if isinstance(first, json.JSONDecodeError) and first.msg == "Extra data":
        try:
            return json.JSONDecoder(strict=False).raw_decode(text)[0]
        except (ValueError, RecursionError):
            pass
    msg = f"line {first.lineno} col {first.colno}: {first.msg}" if isinstance(first, json.JSONDecodeError) \
        else type(first).__name__
    raise ParseError(f"malformed JSON from GDELT: {msg}")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = collapse(html.unescape(re.sub(r"<[^>]*>", " ", line)))
        if line:
            return line[:200]
    return "empty"


def _s(v) -> str:
    return v if isinstance(v, str) else ""

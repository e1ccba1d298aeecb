"""An outlet's JSON search API read with dotted paths.

``spec.items`` is a dotted path to the results ('' = the document itself; a
segment may be a list index, e.g. ``data.0.hits``). The results may be a list,
or a mapping whose values are the results in order (Meduza's search returns
``documents`` keyed by URL). ``spec.fields`` maps title/url/date/summary to
dotted paths inside one result. A number is kept as its decimal string (a Unix
timestamp -> ``"1665846000"``; ``text.dates`` decides seconds vs milliseconds).
Relative URLs are resolved against ``spec.base_url``, else the response URL.
Titles have HTML tags (search-term highlighting) stripped and entities decoded.
"""
from __future__ import annotations

import json

from ..config.sources import JsonSearchSource
from ..records import Candidate, Parsed, Response
from . import ParseError, template_url
from .common import absolute, base_url, clean_title, collapse, looks_like_html, summary_text

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = JsonSearchSource
build_url = template_url             # spec.url is a URL template ({query}, {page}, {offset}, ...)
CAP: int | None = None               # pages are followed instead ({page}/{offset}, max_pages)
probe_url = None                     # check asks the first query, as a run does
NEWEST_FIRST = False
follow_limit = None                  # a results document names no links to follow

_MISSING = object()


def site(spec) -> str:
    """The outlet's own site: the source's URL."""
    return spec.url


def walk(doc, path: str):
    """The value at a dotted path, or _MISSING."""
    if path == "":
        return doc
    cur = doc
    for seg in path.split("."):
        if isinstance(cur, dict):
            if seg not in cur:
                return _MISSING
            cur = cur[seg]
        elif isinstance(cur, list):
            try:
                cur = cur[int(seg)]
            except (ValueError, IndexError):
                return _MISSING
        else:
            return _MISSING
    return cur


def load(response: Response):
    """The JSON document of a response; ParseError if it is not JSON."""
    text = response.text
    if not text:
        raw = response.content or b""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                return json.loads(raw)              # UTF-16/32 detected from the bytes
            except (ValueError, RecursionError, UnicodeDecodeError):
                raise ParseError("not JSON: body is not UTF-8 text") from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ParseError("not JSON: empty body")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        if looks_like_html(text[:4096]):
            raise ParseError(f"not JSON: looks like an HTML page (line {e.lineno} col {e.colno})") from None
        raise ParseError(f"malformed JSON: line {e.lineno} col {e.colno}: {e.msg}") from None
    except (ValueError, RecursionError) as e:       # too deep, too long an integer
        raise ParseError(f"malformed JSON: {type(e).__name__}: {collapse(str(e))[:80]}") from None


def parse(spec, response: Response) -> Parsed:
    doc = load(response)
    path = spec.items or ""
    found = walk(doc, path)
    if found is _MISSING:
        raise ParseError(f"items path {path!r} not found in the JSON response")
    if isinstance(found, dict):
        items = list(found.values())
    elif isinstance(found, list):
        items = found
    elif found is None:
        items = []                                  # "documents": null on no hits
    else:
        raise ParseError(f"items path {path!r} is a {type(found).__name__}, not a list or mapping")
    base = spec.base_url or base_url(response)
    fields = dict(spec.fields)
    out = []
    for it in items:
        title = clean_title(_scalar(walk(it, fields["title"])))
        url = absolute(_scalar(walk(it, fields["url"])), base)
        if not title or url is None:
            continue
        date_raw = _scalar(walk(it, fields["date"])) or None if "date" in fields else None
        summary = summary_text(_scalar(walk(it, fields["summary"]))) if "summary" in fields else None
        out.append(Candidate(title=title, url=url, date_raw=date_raw, summary=summary))
    return Parsed(candidates=tuple(out))


def _scalar(v) -> str:
    """A field value as a string: str as is, numbers as decimal (ints without '.0'),
    the first scalar of a list; "" for anything else."""
    if isinstance(v, list):
        v = next((x for x in v if isinstance(x, (str, int, float)) and not isinstance(x, bool)), "")
    if isinstance(v, bool) or v is None or v is _MISSING:
        return ""
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return ""
        return str(int(v))                          # a timestamp with a fraction: whole seconds
    if isinstance(v, int):
        return str(v)
    return v if isinstance(v, str) else ""

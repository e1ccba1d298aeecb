"""An outlet's HTML search (or listing) page read with CSS selectors.

``spec.item`` selects the results; ``spec.fields`` maps title/url/date/summary
to selectors relative to one result:
- ``sel`` reads the text of the first match, ``sel@attr`` its attribute
  (``time@datetime``, ``a@href``); ``@attr`` alone reads the item's own
  attribute (``@data-time``); an empty selector means the item itself.
- url defaults to the title element's link (the element itself, an enclosing
  <a>, or an <a href> inside it), else the item's first ``a[href]``.
An item with an empty title is skipped. No item at all is a search with no
hits (empty Parsed) unless the body is not an HTML page (ParseError).
"""
from __future__ import annotations

import re
import threading
import warnings

from ..config.sources import HtmlSearchSource, split_selector
from ..records import Candidate, Parsed, Response
from . import ParseError, template_url
from .common import absolute, base_url, collapse, describe, looks_like_html, summary_text

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = HtmlSearchSource
build_url = template_url             # spec.url is a URL template ({query}, {page}, ...)
CAP: int | None = None               # pages are followed instead ({page}/{offset}, max_pages)
probe_url = None                     # check asks the first query, as a run does
NEWEST_FIRST = False
follow_limit = None                  # a results page names no links to follow


def site(spec) -> str:
    """The outlet's own site: the source's URL."""
    return spec.url


def parse(spec, response: Response) -> Parsed:
    from bs4 import BeautifulSoup
    text = response.text or ""
    if not text and response.content:
        try:                                        # a <meta charset> may lie (interfax.ru 2018): UTF-8 first
            text = response.content.decode("utf-8")
        except UnicodeDecodeError:
            pass                                    # let bs4 sniff BOM / meta / guess
    if not text and not response.content:
        raise ParseError("not an HTML page: empty body")
    if text:
        fast = _fast(spec, text, base_url(response))
        if fast is not None:
            return fast
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            soup = BeautifulSoup(text if text else response.content, "lxml")
    except Exception as e:                          # lxml/bs4 failures on garbage input
        raise ParseError(f"not an HTML page: parser failed ({type(e).__name__})") from None
    items = _select(soup, spec.item)
    if not items:
        if not _is_html(text or response.content.decode("utf-8", "replace")):
            raise ParseError(f"not an HTML page: {describe(response.content or text.encode('utf-8'))}")
        return Parsed()
    base = base_url(response)
    tag = soup.find("base", href=True)              # <base href> moves relative links
    if tag is not None:
        base = absolute(tag["href"] if isinstance(tag["href"], str) else "", base) or base
    fields = dict(spec.fields)
    out = []
    for item in items:
        c = _item(item, fields, base)
        if c is not None:
            out.append(c)
    return Parsed(candidates=tuple(out))


def _is_html(text: str) -> bool:
    """An HTML page or fragment (not JSON, plain text, RSS or other XML)."""
    return looks_like_html(text[:4096]) or bool(re.search(r"<(?:html|body)\b", text[:65536], re.I))


def _select(node, css: str):
    try:
        return node.select(css)
    except Exception as e:                          # soupsieve.SelectorSyntaxError and kin
        raise ParseError(f"bad CSS selector {css!r}: {collapse(str(e)).split(' line ')[0][:80]}") from None


def _select_one(node, css: str):
    if not css:
        return node
    found = _select(node, css)
    return found[0] if found else None


def _value(item, sel: str, sep: str = "") -> tuple[str | None, object]:
    """(value, element) for one field selector."""
    css, attr = split_selector(sel)
    el = _select_one(item, css)
    if el is None:
        return None, None
    if attr:
        v = el.get(attr)
        if isinstance(v, list):                     # class and other multi-valued attributes
            v = " ".join(v)
        return (collapse(v) or None), el
    return (collapse(el.get_text(sep)) or None), el


def _link_of(el, item) -> str | None:
    if el is None:
        return None
    if el.name == "a" and el.get("href"):
        return el.get("href")
    for parent in el.parents:                       # <a href><h3>title</h3></a>
        if parent is item.parent:
            break
        if parent.name == "a" and parent.get("href"):
            return parent.get("href")
    a = el.find("a", href=True) if hasattr(el, "find") else None
    return a.get("href") if a is not None else None


def _item(item, fields: dict, base: str) -> Candidate | None:
    title, title_el = _value(item, fields["title"])
    if not title:
        return None
    href = None
    if "url" in fields:
        href, el = _value(item, fields["url"])
        if split_selector(fields["url"])[1] is None:
            # a plain selector for url: the element's link, else its text
            href = _link_of(el, item) or href
    else:
        href = _link_of(title_el, item)
        if href is None:
            a = item if item.name == "a" and item.get("href") else item.find("a", href=True)
            href = a.get("href") if a is not None else None
    url = absolute(href, base)
    if url is None:
        return None
    date_raw = _value(item, fields["date"])[0] if "date" in fields else None
    summary = None
    if "summary" in fields:
        summary = summary_text(_value(item, fields["summary"], " ")[0], is_html=False)
    return Candidate(title=title, url=url, date_raw=date_raw, summary=summary)


# ------------------------------------------------------------ the fast path
def _fast(spec, text: str, base: str) -> Parsed | None:
    """The same reading with lxml.html and cssselect (C parsing, XPath selection), several
    times faster than BeautifulSoup on a large page. None whenever it cannot be sure to give
    the same answer (a selector cssselect does not know, no item found, odd markup): the
    BeautifulSoup path then decides."""
    try:
        import lxml.html
        from cssselect import GenericTranslator, SelectorError
    except ImportError:
        return None
    sels = {"item": spec.item, **{k: split_selector(v)[0] for k, v in spec.fields.items()}}
    try:
        from lxml import etree
        xp = {k: (etree.XPath(GenericTranslator().css_to_xpath(v, prefix="descendant::")) if v else None)
              for k, v in sels.items() if k != "item"}
        item_xp = etree.XPath(GenericTranslator().css_to_xpath(sels["item"], prefix="descendant-or-self::"))
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=_parser())
    except (SelectorError, ValueError, TypeError, Exception):
        return None
    try:
        items = item_xp(root)
    except Exception:
        return None
    if not items:
        return None
    for b in root.iter("base"):
        if b.get("href"):
            base = absolute(b.get("href"), base) or base
            break
    out = []
    for item in items:
        c = _fast_item(item, spec.fields, xp, base)
        if c is not None:
            out.append(c)
    return Parsed(candidates=tuple(out))


_LOCAL = threading.local()


def _parser():
    """One lxml parser per thread (lxml parsers are not to be shared between threads)."""
    if not hasattr(_LOCAL, "parser"):
        import lxml.html
        _LOCAL.parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True)
    return _LOCAL.parser


def _fast_value(item, name: str, sel: str, xp: dict, sep: str = ""):
    css, attr = split_selector(sel)
    if css:
        found = xp[name](item)
        el = found[0] if found else None
    else:
        el = item
    if el is None:
        return None, None
    if attr:
        return (collapse(el.get(attr)) or None), el
    return (collapse(sep.join(el.itertext())) or None), el


def _fast_link(el, item) -> str | None:
    if el is None:
        return None
    if el.tag == "a" and el.get("href"):
        return el.get("href")
    parent, stop = el.getparent(), item.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == "a" and parent.get("href"):
            return parent.get("href")
        parent = parent.getparent()
    for a in el.iter("a"):
        if a is not el and a.get("href"):
            return a.get("href")
    return None


def _fast_item(item, fields: dict, xp: dict, base: str) -> Candidate | None:
    title, title_el = _fast_value(item, "title", fields["title"], xp)
    if not title:
        return None
    if "url" in fields:
        href, el = _fast_value(item, "url", fields["url"], xp)
        if split_selector(fields["url"])[1] is None:
            href = _fast_link(el, item) or href
    else:
        href = _fast_link(title_el, item)
        if href is None:
            if item.tag == "a" and item.get("href"):
                href = item.get("href")
            else:
                href = next((a.get("href") for a in item.iter("a") if a is not item and a.get("href")), None)
    url = absolute(href, base)
    if url is None:
        return None
    date_raw = _fast_value(item, "date", fields["date"], xp)[0] if "date" in fields else None
    summary = None
    if "summary" in fields:
        summary = summary_text(_fast_value(item, "summary", fields["summary"], xp, " ")[0], is_html=False)
    return Candidate(title=title, url=url, date_raw=date_raw, summary=summary)

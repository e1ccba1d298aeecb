"""Telegram public channels through their web preview: ``t.me/s/<channel>``.

No account and no API key: the preview is a public HTML page of a channel's latest
posts (about 20), with an in-channel search (``?q=<query>``) and a "load older" link
that pages back by post id (``?before=<id>``).

Request: ``<spec.url>?q=<query>`` (``spec.url`` defaults to ``https://t.me/s/<channel>``;
it can point at a mirror or a local server). The window is not part of the request:
the preview has no date filter, so the pipeline pages back until every dated post of a
page is older than the window's start (``Parsed.next_url`` and the stop rule in
``live.listings.ListingSearch.run_task``).

Answer, in the markup t.me serves (and that public scrapers read):
- one ``div.tgme_widget_message[data-post="<channel>/<id>"]`` per post, newest last;
- its text in ``.tgme_widget_message_text.js-message_text`` (a reply's quote is
  ``js-message_reply_text`` inside ``a.tgme_widget_message_reply``: not the post's text);
- its time in ``a.tgme_widget_message_date time[datetime]`` (ISO 8601 with offset);
- a forward's origin in ``.tgme_widget_message_forwarded_from_name`` (an ``a`` with the
  original post's link, or a ``span`` when the origin hides its account);
- the older page in ``a.tme_messages_more[data-before]`` (and ``link rel=prev``).

Each post with text becomes a Candidate: ``url`` = ``https://t.me/<channel>/<id>``,
``date_raw`` = the ``datetime``, ``title`` = the first line with a letter in it (cut at a
sentence end near TITLE_CHARS), ``summary`` the text cut short, ``extra["text"]`` the
whole text (the pipeline's text pass and the article stage use it: no page is fetched
again), ``extra["forwarded_from"]`` the origin's name and ``extra["forwarded_from_url"]``
its link. Posts without text (photo, video, sticker, poll, voice, file) are counted in
``Parsed.skipped["media_only"]``, service messages ("channel photo updated") in
``skipped["service"]``.

A page with neither a channel header nor posts is what t.me answers for a private,
renamed or deleted channel (``/s/<name>`` redirects to the contact page): ParseError, so
the source is ``failed`` in run.json. A channel header with no posts is a real channel
whose search found nothing: an empty success (``Parsed.empty``).
"""
from __future__ import annotations

import re
import warnings
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..config.sources import TelegramSource
from ..records import Candidate, Parsed, Response
from . import ParseError
from .common import body_bytes, body_text, collapse, describe, looks_like_html, summary_text

# ------------------------------------------------------------------ the kind (see sources/registry.py)
CONFIG = TelegramSource
CAP: int | None = None               # older pages are followed by ``before`` instead
NEWEST_FIRST = True                  # each "before" page is older: the pipeline stops once past the window
follow_limit = None                  # a channel page names no links to follow
site = None                          # posts, on t.me: not the outlet's own site
# build_url, probe_url (the channel's own page) and parse: below

TITLE_CHARS = 200
NO_PREVIEW = "no public preview: the channel is private, renamed or gone"
_SENTENCE_END = re.compile(r"[.!?…](?=[\s\"»”)]|$)")
_POST = re.compile(r"^([A-Za-z0-9_]{1,64})/(\d{1,12})$")
_BLOCKS = ("blockquote", "pre", "div", "p", "li")


def build_url(spec, *, query: str | None, since: date, until: date, page: int = 1) -> str:
    """The channel's preview with ``q=<query>``; ``page`` is ignored (pages go by ``before``)."""
    q = collapse(query)
    if not q:
        return spec.url
    return spec.url + ("&" if "?" in spec.url else "?") + urlencode([("q", q)])


def probe_url(spec) -> str:
    """What ``check`` asks: the channel's own page (its latest posts), which says whether the
    channel is public and readable whatever a query would find."""
    return spec.url


def title_of(text: str) -> str:
    """The first line that has a letter, whole up to TITLE_CHARS; a longer one is cut at its
    last sentence end before the limit, else at a word boundary with an ellipsis."""
    line = next((collapse(x) for x in text.splitlines() if any(ch.isalpha() for ch in x)), "")
    if len(line) <= TITLE_CHARS:
        return line
    head = line[:TITLE_CHARS + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() <= TITLE_CHARS]
    if ends and ends[-1] >= 40:
        return head[:ends[-1]].rstrip()
    sp = head.rfind(" ", 0, TITLE_CHARS)
    return head[:sp if sp > TITLE_CHARS * 0.6 else TITLE_CHARS].rstrip(" ,;:-—") + "…"


def _text(node) -> str:
    """A post's text: line breaks and block elements kept as newlines, each line collapsed."""
    if node is None:
        return ""
    for br in node.find_all("br"):
        br.replace_with("\n")
    for block in node.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = (collapse(x) for x in node.get_text("").split("\n"))
    return "\n".join(x for x in lines if x)


def _post_text_node(message):
    """The post's own text block: not a replied-to post's quote, not a link preview."""
    for node in message.select(".tgme_widget_message_text"):
        classes = node.get("class") or []
        if "js-message_reply_text" in classes:
            continue
        if node.find_parent(class_="tgme_widget_message_reply") is not None:
            continue
        return node
    return None


def _forwarded(message) -> dict:
    node = message.select_one(".tgme_widget_message_forwarded_from_name")
    if node is None:
        return {}
    out = {"forwarded_from": collapse(node.get_text(" "))}
    href = collapse(node.get("href")) if node.name == "a" else ""
    if href.startswith(("https://t.me/", "http://t.me/")):
        out["forwarded_from_url"] = href
        out["forwarded_from_channel"] = urlsplit(href).path.strip("/").split("/")[0]
    return {k: v for k, v in out.items() if v}


def _before(soup) -> str | None:
    more = soup.select_one("a.tme_messages_more[data-before]")
    if more is not None and str(more.get("data-before", "")).isdigit():
        return str(more["data-before"])
    for link in soup.select("link[rel~=prev][href], a.tme_messages_more[href]"):
        m = re.search(r"[?&]before=(\d+)", link.get("href") or "")
        if m:
            return m.group(1)
    return None


def next_page(url: str, before: str) -> str:
    """``url`` with ``before=<id>``, every other parameter (the query) kept."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "before"]
    return urlunsplit(parts._replace(query=urlencode(params + [("before", before)])))


def parse(spec, response: Response) -> Parsed:
    text = body_text(response)
    if not text.strip():
        raise ParseError("empty body")
    if "tgme_" not in text and not looks_like_html(text):
        raise ParseError(f"not a Telegram preview page: {describe(body_bytes(response))}")
    from bs4 import BeautifulSoup
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            soup = BeautifulSoup(text, "lxml")
        except Exception as e:                      # lxml's own failures on odd bytes
            raise ParseError(f"unreadable HTML: {type(e).__name__}") from None
    messages = soup.select("div.tgme_widget_message[data-post]")
    channel_page = soup.select_one(".tgme_channel_info, .tgme_channel_history, .tgme_header_search_form")
    if not messages and channel_page is None:
        where = response.final_url or response.url
        raise ParseError(f"{NO_PREVIEW} ({where} shows no channel or posts)")
    out: list[Candidate] = []
    skipped: dict[str, int] = {}
    for m in messages:
        found = _POST.match(collapse(m.get("data-post")))
        if not found:
            skipped["malformed"] = skipped.get("malformed", 0) + 1
            continue
        channel, post_id = found.groups()
        if "service_message" in (m.get("class") or []):
            skipped["service"] = skipped.get("service", 0) + 1
            continue
        body = _text(_post_text_node(m))
        title = title_of(body)
        if not title:
            skipped["media_only"] = skipped.get("media_only", 0) + 1
            continue
        when = m.select_one("a.tgme_widget_message_date time[datetime]") or m.select_one("time[datetime]")
        extra = {"text": body, "channel": channel, "post_id": int(post_id), **_forwarded(m)}
        out.append(Candidate(title=title, url=f"https://t.me/{channel}/{post_id}",
                             date_raw=collapse(when.get("datetime")) or None if when is not None else None,
                             summary=summary_text(body, is_html=False), extra=extra))
    before = _before(soup)
    return Parsed(candidates=tuple(out), next_url=next_page(response.url, before) if before else None,
                  skipped=skipped, empty=not messages)


__all__ = ["NEWEST_FIRST", "NO_PREVIEW", "TITLE_CHARS", "build_url", "next_page", "parse", "probe_url", "title_of"]

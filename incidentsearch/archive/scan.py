"""Scanning web archives (WARC files, CC-NEWS) for reports of the incidents.

One task per WARC file: :func:`scan_file` is a pure function of (file location,
:class:`ScanSpec`) returning plain data, so it runs the same in this process, in a local
process pool or on a Dask worker (``archive.driver`` drives it and alone writes results).

Per file, records are streamed with warcio (memory stays flat in the size of the file: one
record, capped at ``max_record_bytes``, is in memory at a time). For each HTML response a
cheap prefilter (:class:`Prefilter`) looks for the incidents' aliases in the raw bytes before
any HTML is parsed; only survivors are extracted (``text.extract``: title, date, lead) and scored
by the same :class:`~incidentsearch.match.Matcher` as live runs, title first, then title and
lead. Network access (CC-NEWS listings and files over HTTP) goes through
:func:`incidentsearch.net.open_stream` (the locations: ``archive.locations``).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from ..text import dates, words as text
from .locations import is_remote
from .prefilter import Prefilter
from ..config import Glossary, Incident
from ..records import Hit

MAX_RECORD_BYTES = 5_000_000                  # HTML read per record; the rest is skipped unread
SCAN_DELAY_ENV = "INCIDENTSEARCH_SCAN_DELAY_S"  # tests only: sleep this long per record

__all__ = ["ScanSpec", "outlet_hosts", "scan_file", "scan_tools"]


# ------------------------------------------------------------------ the task's input
@dataclass(frozen=True)
class ScanSpec:
    """Everything a scan needs, picklable: shipped once to each worker."""
    incidents: tuple[Incident, ...]            # all incidents: the matcher demotes shared aliases
    chosen: tuple[str, ...]                    # ids of the incidents hits are kept for
    glossary: Glossary | None = None
    window: tuple[date, date] | None = None    # --since/--until override of every window
    hosts: dict[str, str] = field(default_factory=dict)   # host -> outlet id (outlets.yaml)
    user_agent: str = "incidentsearch"
    respect_robots: bool = True
    rate_limit_s: float = 1.0                  # between two requests to a host (outlets.yaml's defaults)
    max_record_bytes: int = MAX_RECORD_BYTES
    # the sentence encoder costs ~20 ms a page the matcher is unsure of: at CC-NEWS scale that would be
    # the scan's bottleneck, so a scan weighs with the matcher's lexical weights unless asked
    semantic: bool = False

    @property
    def key(self) -> str:
        """A digest of the spec: each worker process builds its matcher once per key."""
        k = self.__dict__.get("_key")
        if k is None:
            parts = [i.model_dump_json() for i in self.incidents]
            parts += [self.glossary.model_dump_json() if self.glossary else "", json.dumps(
                [list(self.chosen), [str(d) for d in self.window or ()], sorted(self.hosts.items()), self.semantic])]
            k = hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()
            object.__setattr__(self, "_key", k)
        return k

    def windows(self) -> dict[str, tuple[date, date]]:
        return {i.id: self.window or (i.since, i.until) for i in self.incidents if i.id in self.chosen}


def outlet_hosts(outlets) -> dict[str, str]:
    """host (no ``www.``) -> outlet id, from the site each outlet's sources name (their URLs,
    a Google News ``site:``, a Wayback prefix: ``sources.kind(...).site``)."""
    from ..sources import kind

    out: dict[str, str] = {}
    for o in outlets.outlets:
        for s in o.sources:
            raw = kind(s.kind).site(s)
            if not raw:
                continue
            host = urlsplit(raw if "//" in raw else "//" + raw).hostname or ""
            host = host.removeprefix("www.")
            if host and "{" not in host:
                out.setdefault(host, o.id)
    return out


def _outlet_of(url: str, hosts: dict[str, str]) -> str:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    h = host
    while h:
        if h in hosts:
            return hosts[h]
        h = h.partition(".")[2]
    return host or "unknown"


# ------------------------------------------------------------------ one file
_CACHE: dict[str, tuple] = {}


def scan_tools(spec: ScanSpec):
    """(Matcher, Prefilter) for this spec, built once per process."""
    got = _CACHE.get(spec.key)
    if got is None:
        from ..match import Matcher

        matcher = Matcher(list(spec.incidents), glossary=spec.glossary, window=spec.window,
                          semantic=None if spec.semantic else False)
        pre = Prefilter.for_incidents(matcher, set(spec.chosen))
        _CACHE.clear()
        got = _CACHE[spec.key] = (matcher, pre)
    return got


class _Counting(io.RawIOBase):
    """A read-only byte stream that counts what was read (warcio asks it for ``tell``)."""

    def __init__(self, raw):
        self.raw, self.n = raw, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        b = self.raw.read(size) if size is not None and size >= 0 else self.raw.read()
        self.n += len(b or b"")
        return b or b""

    def readinto(self, buf) -> int:
        b = self.read(len(buf))
        buf[:len(b)] = b
        return len(b)

    def tell(self) -> int:
        return self.n

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


def _open(loc: str, spec: ScanSpec):
    if is_remote(loc):
        from ..net import open_stream
        return open_stream(loc, user_agent=spec.user_agent, respect_robots=spec.respect_robots,
                           rate_limit_s=spec.rate_limit_s)
    return open(loc, "rb")


def _warc_date(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_html(ctype: str | None, body_head: bytes) -> bool:
    ct = (ctype or "").lower()
    if ct:
        return "html" in ct
    head = body_head[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def scan_file(loc: str, spec: ScanSpec) -> dict:
    """Scan one WARC file (a local path or an http(s) URL) for the spec's incidents.

    Returns ``{"file", "hits", "articles", "counts", "error", "seconds"}``: the hit dicts
    (the keys of a live hit plus ``warc_file``, ``warc_offset``, ``warc_length``,
    ``warc_date``), the extracted article per hit URL, counters, and the reason the file
    could not be read to its end (None when it was). Never raises for a bad file."""
    from warcio.archiveiterator import ArchiveIterator

    matcher, pre = scan_tools(spec)
    t0 = time.monotonic()
    delay = float(os.environ.get(SCAN_DELAY_ENV) or 0)
    counts: Counter = Counter()
    hits: list[dict] = []
    articles: dict[str, dict] = {}
    windows = spec.windows()
    earliest = min((w[0] for w in windows.values()), default=None)
    error = None
    stream = None
    try:
        stream = _Counting(_open(loc, spec))
        it = ArchiveIterator(stream)
        for rec in it:
            if delay:
                time.sleep(delay)
            counts["records"] += 1
            if rec.rec_type != "response":
                counts["skipped_other_records"] += 1
                continue
            counts["responses"] += 1
            hh = rec.http_headers
            ctype = hh.get_header("Content-Type") if hh else None
            if hh is None or (ctype and "html" not in ctype.lower()):
                counts["skipped_non_html"] += 1
                continue
            if hh.get_statuscode() != "200":
                counts["skipped_status"] += 1
                continue
            crawled = _warc_date(rec.rec_headers.get_header("WARC-Date"))
            if earliest and crawled and crawled.date() < earliest:
                counts["skipped_before_window"] += 1   # published no later than crawled
                continue
            try:
                body = rec.content_stream().read(spec.max_record_bytes)
                while rec.raw_stream.read(1 << 16):
                    pass
            except Exception:                          # a broken chunked/gzip/brotli body
                counts["skipped_truncated"] += 1
                continue
            if getattr(rec.raw_stream, "limit", 0) > 0:  # the record ended before its Content-Length
                counts["skipped_truncated"] += 1
                continue
            if not ctype and not _is_html(ctype, body):
                counts["skipped_non_html"] += 1
                continue
            counts["html"] += 1
            counts["html_bytes"] += len(body)
            if not pre(body) and not pre((rec.rec_headers.get_header("WARC-Target-URI") or "").encode()):
                continue                               # the URL's slug is evidence too, as in a live run
            counts["survivors"] += 1
            found = _score(rec, body, ctype, crawled, loc, it, spec, matcher, windows)
            if found:
                for hit, art in found:
                    hits.append(hit)
                    articles.setdefault(hit.url, art)
        if stream.raw.read(1):
            error = f"unreadable WARC data near byte {stream.n}: the rest of the file was not read"
    except Exception as e:
        msg = "".join(ch if ch.isprintable() and ord(ch) < 0x250 else "?" for ch in " ".join(str(e).split()))
        error = f"{type(e).__name__}: {msg[:120]}" + (
            f" (near byte {stream.n}; the rest of the file was not read)" if stream is not None else "")
    finally:
        if stream is not None:
            try:
                stream.close()
            except Exception:
                pass
    counts["bytes"] = stream.n if stream is not None else 0
    counts["hits"] = len(hits)
    return {"file": loc, "hits": hits, "articles": articles, "counts": dict(counts), "error": error,
            "seconds": round(time.monotonic() - t0, 3)}


def _score(rec, body: bytes, ctype, crawled, loc, it, spec: ScanSpec, matcher, windows):
    """Extract and match one surviving page: [(hit, article)] for the chosen incidents."""
    from ..text.charset import decode_body
    from ..text.extract import extract

    url = rec.rec_headers.get_header("WARC-Target-URI") or ""
    html = decode_body(body, ctype)[0]
    span = (min(w[0] for w in windows.values()), max(w[1] for w in windows.values()))
    art = extract(html, url, relative_base=crawled, window=span, fast=True)
    if not art.title:
        return []
    lang = art.lang if art.lang in ("ru", "en", "uk") else text.script_lang(art.title)
    published = art.published
    how = "title"
    matches = [m for m in matcher.best(art.title, published=published, lang=lang, url=url) if m.incident in windows]
    if not matches and art.lead:
        how = "lead"
        matches = [m for m in matcher.best_article(art.title, art.lead, published=published, lang=lang, url=url)
                   if m.incident in windows]
    if published is None and crawled is not None:   # undated: it existed when crawled
        matches = [m for m in matches if crawled.date() >= windows[m.incident][0]]
    if not matches:
        return []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    offset, length = it.get_record_offset(), it.get_record_length()
    out = []
    for m in matches:
        hit = Hit.of(m, outlet=_outlet_of(url, spec.hosts), lang=lang, title=art.title, url=url,
                     published=dates.to_iso(published), source="archive", query=None, listing_url=loc, found_at=now,
                     date_method=art.date_method, warc_file=loc, warc_offset=offset, warc_length=length,
                     warc_date=crawled.isoformat() if crawled else None, matched_on=how,
                     decided_by=m.decided_by if how == "title" else "article")
        art_rec = {"title": art.title, "published": dates.to_iso(published), "date_method": art.date_method,
                   "author": art.author, "text": art.text, "lead": art.lead, "lang": lang, "html": body}
        out.append((hit, art_rec))
    return out

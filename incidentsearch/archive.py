"""Scanning web archives (WARC files, CC-NEWS) for reports of the incidents.

One task per WARC file: :func:`scan_file` is a pure function of (file location,
:class:`ScanSpec`) returning plain data, so it runs the same in this process, in a local
process pool or on a Dask worker (``archive_run.py`` drives it and alone writes results).

Per file, records are streamed with warcio (memory stays flat in the size of the file: one
record, capped at ``max_record_bytes``, is in memory at a time). For each HTML response a
cheap prefilter (:class:`Prefilter`) looks for the incidents' aliases in the raw bytes before
any HTML is parsed; only survivors are extracted (``extract.py``: title, date, lead) and scored
by the same :class:`~incidentsearch.match.Matcher` as live runs, title first, then title and
lead. Network access (CC-NEWS listings and files over HTTP) goes through
:func:`incidentsearch.fetch.open_stream`.
"""
from __future__ import annotations

import bisect
import glob
import gzip
import hashlib
import io
import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from . import dates, text
from .config import Glossary, Incident

CC_NEWS_BASE = "https://data.commoncrawl.org"
CC_NEWS_FIRST = (2016, 8)                     # CC-NEWS starts in August 2016
MAX_RECORD_BYTES = 5_000_000                  # HTML read per record; the rest is skipped unread
SCAN_DELAY_ENV = "INCIDENTSEARCH_SCAN_DELAY_S"  # tests only: sleep this long per record

__all__ = [
    "CC_NEWS_BASE",
    "LocationError",
    "Prefilter",
    "ScanSpec",
    "cc_news_months",
    "expand",
    "outlet_hosts",
    "scan_file",
]


class LocationError(ValueError):
    """An --archive argument that names nothing readable (a usage error)."""


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
    max_record_bytes: int = MAX_RECORD_BYTES

    @property
    def key(self) -> str:
        """A digest of the spec: each worker process builds its matcher once per key."""
        k = self.__dict__.get("_key")
        if k is None:
            parts = [i.model_dump_json() for i in self.incidents]
            parts += [self.glossary.model_dump_json() if self.glossary else "", json.dumps(
                [list(self.chosen), [str(d) for d in self.window or ()], sorted(self.hosts.items())])]
            k = hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()
            object.__setattr__(self, "_key", k)
        return k

    def windows(self) -> dict[str, tuple[date, date]]:
        return {i.id: self.window or (i.since, i.until) for i in self.incidents if i.id in self.chosen}


def outlet_hosts(outlets) -> dict[str, str]:
    """host (no ``www.``) -> outlet id, from each outlet's own sources, ``site:`` and Wayback prefixes."""
    out: dict[str, str] = {}
    for o in outlets.outlets:
        for s in o.sources:
            kind = getattr(s, "kind", "")
            raw = getattr(s, "site", None) if kind == "google_news" else \
                getattr(s, "prefix", None) if kind == "wayback" else \
                None if kind in ("gdelt", "telegram") else getattr(s, "url", None)
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


# ------------------------------------------------------------------ the prefilter
def _needles(stem: str) -> list[bytes]:
    """Byte strings a page shows when it has a word of this stem: the stem as a prefix, in
    UTF-8 and windows-1251, lower-case, Capitalised and UPPER, with ё for е. Latin stems lose a final e/i/y
    (Snowball writes "kozinki" for "Kozinky")."""
    if stem.isascii():
        s = stem.rstrip("eiy")
        s = s if len(s) >= 3 else stem
        return sorted({c.encode("ascii") for c in (s, s[:1].upper() + s[1:], s.upper())})
    variants = {stem}
    for i, ch in enumerate(stem):
        if ch == "е" and len(variants) < 8:
            variants |= {v[:i] + "ё" + v[i + 1:] for v in variants}
    out = set()
    for v in variants:
        for c in (v, v[:1].upper() + v[1:], v.upper()):
            out.add(c.encode("utf-8"))
            try:
                out.add(c.encode("cp1251"))
            except UnicodeEncodeError:
                pass
    return sorted(out)


_ASCII_WORD = [chr(b).isalnum() for b in range(128)]


def _letter_before(hay: bytes, pos: int) -> bool:
    """Is hay[pos] preceded by a letter or digit (ASCII, UTF-8 Cyrillic, windows-1251 Cyrillic)?
    Lenient: other non-ASCII context counts as a boundary, so a doubtful page survives."""
    if pos <= 0:
        return False
    b = hay[pos - 1]
    if b < 0x80:
        return _ASCII_WORD[b]
    if b >= 0xC0:
        return True                                        # a windows-1251 letter
    return pos >= 2 and 0xD0 <= hay[pos - 2] <= 0xD3       # the 2nd byte of a UTF-8 Cyrillic letter


def _letter_at(hay: bytes, pos: int) -> bool:
    if pos >= len(hay):
        return False
    b = hay[pos]
    return b >= 0xC0 or (b < 0x80 and _ASCII_WORD[b])


class Prefilter:
    """Does a page name any alias (place, actor, region, own event word) of the chosen incidents?

    Every word of an alias is expanded, as the matcher does, with ``text.word_forms``
    (inflected forms, Ukrainian, Latin spellings) to byte needles (:func:`_needles`). One Aho-Corasick DFA over bytes
    (ahocorasick_rs: Rust's aho-corasick; about 8x pyahocorasick here) holds the needles of
    every alias word and reports where each starts a word; an alias is present when its
    longest word is, with each other word starting within ``NEAR`` bytes of it (a headline's
    or lead's reach). A page passes when some alias is present so: a necessary condition for
    the matcher to accept, as the headline and lead are in the page: identity needs an own
    place or actor, or two of a region, a shared actor, an own event word, a figure and the
    date. (Only a figure with the date is left out: numbers are in every page.)"""

    def __init__(self, phrases):
        """``phrases``: per alias, one set of stems per word (``text.phrase_forms``)."""
        found: list[list[tuple[tuple[bytes, ...], bool]]] = []
        tiny: set[tuple[bytes, ...]] = set()                 # words with a needle of 3 bytes or fewer
        for forms in phrases:
            words = []
            for stems in forms:
                needles = {n for st in stems for n in _needles(st)}
                if needles:     # an acronym alone (РДК, RVC) must be a whole word
                    words.append((tuple(sorted(needles)), len(forms) == 1 and max(map(len, stems)) <= 3))
                    if min(map(len, needles)) <= 3:
                        tiny.add(words[-1][0])
            if words and words not in found:
                found.append(words)
        # one DFA over the needles of every word; a word is its set of needles, shared by aliases
        word_ids: dict[tuple[bytes, ...], int] = {}
        self.short: list[bool] = []
        self.alias_words: list[tuple[int, ...]] = []    # alias -> its word ids, the rarest first
        for words in found:
            for needles, short in words:
                if needles not in word_ids:
                    word_ids[needles] = len(self.short)
                    self.short.append(short)
        for words in found:
            ids = {word_ids[n]: min(map(len, n)) for n, _ in words}
            self.alias_words.append(tuple(sorted(ids, key=lambda w: -ids[w])))
        self.by_first: dict[int, list[int]] = {}        # word id -> aliases it is the first word of
        for aid, ws in enumerate(self.alias_words):
            self.by_first.setdefault(ws[0], []).append(aid)
        # short words ("pro", "of", "из") of longer aliases are not in the DFA (they would match
        # everywhere); they are looked for near the alias's other words only
        firsts = {ws[0] for ws in self.alias_words}
        self.lazy = {w: (n, False) for n, w in word_ids.items() if w not in firsts and n in tiny}
        self.dfa = _Dfa({n: w for n, w in word_ids.items() if w not in self.lazy})

    def __call__(self, hay: bytes) -> bool:
        """One pass of the DFA collects where each word starts; then the aliases are checked."""
        if self.dfa.automaton is None:
            return False
        at: dict[int, list[int]] = {}                     # word id -> where it starts a word
        short, words = self.short, self.dfa.words
        view = memoryview(hay)
        for lo, hi in _text_spans(hay):
            for idx, start, end in self.dfa.find(view[lo:hi]) if hi > lo else ():
                start, end = start + lo, end + lo
                if _letter_before(hay, start):
                    continue
                for wid in words[idx]:
                    if not (short[wid] and _letter_at(hay, end)):
                        at.setdefault(wid, []).append(start)
        ordered: set[int] = set()
        for wid in at:
            for aid in self.by_first.get(wid, ()):
                ws = self.alias_words[aid]
                if len(ws) == 1:
                    return True
                rest = [o for o in ws[1:] if o not in self.lazy]
                if not all(o in at for o in rest):
                    continue
                for o in rest:
                    if o not in ordered:
                        at[o].sort()
                        ordered.add(o)
                lazy = [self.lazy[o] for o in ws[1:] if o in self.lazy]
                for p in at[wid]:
                    if all(_near(at[o], p) for o in rest) and all(
                            _word_in(hay, n, whole, p - NEAR, p + NEAR) for n, whole in lazy):
                        return True
        return False

    @classmethod
    def for_incidents(cls, matcher, chosen) -> Prefilter:
        """The aliases the matcher indexes for the chosen incidents: own and shared places,
        regions, own and shared actors, and the event words only one incident has (a page
        naming none of these cannot be accepted, but for a figure with a date)."""
        phrases = []
        for ix in matcher._index:                 # match.py's per-incident index (its aliases)
            if ix.incident.id not in chosen:
                continue
            for group in (ix.places, ix.regions, ix.actors, ix.shared_actors):
                phrases += [a.words for a in group]
            phrases += [a.words for a in ix.terms if a.label in ix.own_terms]
        return cls(phrases)

    @classmethod
    def for_aliases(cls, aliases: list[str]) -> Prefilter:
        return cls([text.phrase_forms(a) for a in aliases])


_SKIP = re.compile(rb"<(script|style)[\s>]", re.IGNORECASE)


def _text_spans(hay: bytes):
    """(lo, hi) of the page outside <script> and <style>: half a news page's bytes, and
    nothing the matcher reads (the title, og:title and text come from elsewhere)."""
    pos, n = 0, len(hay)
    while pos < n:
        m = _SKIP.search(hay, pos)
        if m is None:
            yield pos, n
            return
        yield pos, m.start()
        tag = m.group(1)
        end = hay.find(b"</" + tag, m.end())
        if end < 0:
            end = hay.find(b"</" + tag.swapcase(), m.end())
        if end < 0:
            return
        pos = end


NEAR = 400      # bytes either side of an alias's first word in which its other words must start


def _word_in(hay: bytes, needles, whole: bool, lo: int, hi: int) -> bool:
    """Does a needle start a word (and end one, if ``whole``) in hay[lo:hi]?"""
    lo = max(lo, 0)
    for x in needles:
        i = hay.find(x, lo, hi + len(x))
        while i >= 0:
            if not _letter_before(hay, i) and not (whole and _letter_at(hay, i + len(x))):
                return True
            i = hay.find(x, i + 1, hi + len(x))
    return False


def _near(positions: list[int], p: int) -> bool:
    i = bisect.bisect_left(positions, p - NEAR)
    return i < len(positions) and positions[i] <= p + NEAR


class _Dfa:
    """An Aho-Corasick DFA over byte needles, each naming the word ids it stands for."""

    def __init__(self, words: dict[tuple[bytes, ...], int]):
        import ahocorasick_rs

        of: dict[bytes, set[int]] = {}
        for needles, wid in words.items():
            for n in needles:
                of.setdefault(n, set()).add(wid)
        self.keys = list(of)
        self.words = [tuple(of[n]) for n in self.keys]
        self.automaton = ahocorasick_rs.BytesAhoCorasick(
            self.keys, implementation=ahocorasick_rs.Implementation.DFA) if self.keys else None

    def find(self, hay: bytes):
        return self.automaton.find_matches_as_indexes(hay, overlapping=True) if self.automaton else ()


# ------------------------------------------------------------------ one file
_CACHE: dict[str, tuple] = {}


def _tools(spec: ScanSpec):
    """(Matcher, Prefilter) for this spec, built once per process."""
    got = _CACHE.get(spec.key)
    if got is None:
        from .match import Matcher

        matcher = Matcher(list(spec.incidents), glossary=spec.glossary, window=spec.window)
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


def is_remote(loc: str) -> bool:
    return loc.startswith(("http://", "https://"))


def _open(loc: str, spec: ScanSpec):
    if is_remote(loc):
        from .fetch import open_stream
        return open_stream(loc, user_agent=spec.user_agent, respect_robots=spec.respect_robots)
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

    matcher, pre = _tools(spec)
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
            if not pre(body):
                continue
            counts["survivors"] += 1
            found = _score(rec, body, ctype, crawled, loc, it, spec, matcher, windows)
            if found:
                for hit, art in found:
                    hits.append(hit)
                    articles.setdefault(hit["url"], art)
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
    from .charset import decode_body
    from .extract import extract

    url = rec.rec_headers.get_header("WARC-Target-URI") or ""
    html = decode_body(body, ctype)[0]
    span = (min(w[0] for w in windows.values()), max(w[1] for w in windows.values()))
    art = extract(html, url, relative_base=crawled, window=span)
    if not art.title:
        return []
    lang = art.lang if art.lang in ("ru", "en", "uk") else text.script_lang(art.title)
    published = art.published
    how = "title"
    matches = [m for m in matcher.best(art.title, published=published, lang=lang) if m.incident in windows]
    if not matches and art.lead:
        how = "lead"
        matches = [m for m in matcher.best_article(art.title, art.lead, published=published, lang=lang)
                   if m.incident in windows]
    if published is None and crawled is not None:   # undated: it existed when crawled
        matches = [m for m in matches if crawled.date() >= windows[m.incident][0]]
    if not matches:
        return []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    offset, length = it.get_record_offset(), it.get_record_length()
    out = []
    for m in matches:
        hit = {
            "incident": m.incident, "outlet": _outlet_of(url, spec.hosts), "lang": lang, "title": art.title,
            "url": url, "published": dates.to_iso(published), "score": m.score, "matched": list(m.matched),
            "source": "archive", "query": None, "found_at": now, "date_method": art.date_method,
            "listing_url": loc, "warc_file": loc, "warc_offset": offset, "warc_length": length,
            "warc_date": crawled.isoformat() if crawled else None, "matched_on": how,
        }
        art_rec = {"title": art.title, "published": dates.to_iso(published), "date_method": art.date_method,
                   "author": art.author, "text": art.text, "lead": art.lead, "lang": lang, "html": body}
        out.append((hit, art_rec))
    return out


# ------------------------------------------------------------------ locations
def cc_news_months(spans: list[tuple[date, date]]) -> list[str]:
    """YYYY/MM of every month the windows touch, from August 2016 (CC-NEWS's first)."""
    months = set()
    for lo, hi in spans:
        y, m = lo.year, lo.month
        while (y, m) <= (hi.year, hi.month):
            if (y, m) >= CC_NEWS_FIRST:
                months.add(f"{y:04d}/{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return sorted(months)


def _listing_lines(stream, gzipped: bool) -> list[str]:
    with stream:
        data = gzip.GzipFile(fileobj=stream) if gzipped else stream
        return [ln.strip() for ln in io.TextIOWrapper(data, encoding="utf-8") if ln.strip()]


def _resolve(path: str, base: str, local_dir: Path | None) -> str:
    if is_remote(path):
        return path
    if local_dir is not None and (local_dir / path).is_file():
        return str((local_dir / path).resolve())
    if Path(path).is_absolute() and Path(path).is_file():
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


_WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def expand(args: list[str], *, base: str = CC_NEWS_BASE, spans: list[tuple[date, date]] = (),
           user_agent: str = "incidentsearch", respect_robots: bool = True) -> list[tuple[str, int | None]]:
    """Each --archive argument to WARC file locations, with their sizes when known (local).

    Local WARC/WARC.gz files; folders (their ``*.warc(.gz)`` files, recursively); globs;
    ``*.paths`` / ``*.paths.gz`` listings (a line is a path relative to the listing's folder,
    an absolute path or URL, or else a path under ``base``); http(s) URLs of WARC files or
    listings; ``cc-news:YYYY/MM`` (the month's ``crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz``
    under ``base``) and ``cc-news:`` (every month the ``spans`` touch)."""
    from .fetch import StreamError, open_stream

    def remote(url):
        try:
            return open_stream(url, user_agent=user_agent, respect_robots=respect_robots)
        except StreamError as e:
            raise LocationError(str(e)) from e

    out: list[tuple[str, int | None]] = []
    for a in args:
        if a.startswith("cc-news:"):
            month = a[len("cc-news:"):].strip("/")
            months = [month] if month else cc_news_months(list(spans))
            for mo in months:
                try:
                    y, m = (int(x) for x in mo.split("/"))
                    if not 1 <= m <= 12:
                        raise ValueError
                except ValueError:
                    raise LocationError(f"{a}: not cc-news:YYYY/MM") from None
                listing = f"{base.rstrip('/')}/crawl-data/CC-NEWS/{y:04d}/{m:02d}/warc.paths.gz"
                out += [(_resolve(p, base, None), None) for p in _listing_lines(remote(listing), True)]
        elif is_remote(a):
            if a.endswith((".paths", ".paths.gz")):
                out += [(_resolve(p, base, None), None) for p in _listing_lines(remote(a), a.endswith(".gz"))]
            else:
                out.append((a, None))
        elif a.endswith((".paths", ".paths.gz")) and Path(a).is_file():
            with open(a, "rb") as fh:
                lines = _listing_lines(fh, a.endswith(".gz"))
            for p in lines:
                loc = _resolve(p, base, Path(a).resolve().parent)
                out.append((loc, None if is_remote(loc) else os.path.getsize(loc)))
        elif Path(a).is_dir():
            files = sorted(str(p.resolve()) for p in Path(a).rglob("*") if p.name.endswith(_WARC_SUFFIXES)
                           and p.is_file())
            if not files:
                raise LocationError(f"{a}: no *.warc or *.warc.gz files in this folder")
            out += [(f, os.path.getsize(f)) for f in files]
        elif Path(a).is_file():
            out.append((str(Path(a).resolve()), os.path.getsize(a)))
        elif glob.has_magic(a):
            files = sorted(str(Path(p).resolve()) for p in glob.glob(a, recursive=True) if Path(p).is_file())
            if not files:
                raise LocationError(f"{a}: matches no file")
            out += [(f, os.path.getsize(f)) for f in files]
        else:
            raise LocationError(f"{a}: no such file, folder, listing or cc-news:YYYY/MM")
    seen: set[str] = set()
    return [(loc, size) for loc, size in out if not (loc in seen or seen.add(loc))]

"""Syndication clusters and wire credit lines (canonical URLs: ``text.urls``, re-exported here).

``clusters`` groups one incident's hits into syndication clusters. Complexity: the
shingles and a 128-bin one-permutation MinHash are linear in the text; the signatures
are cut into LSH bands, and only items sharing a band bucket, published within
``days`` of each other and not yet joined are compared (exact shingle Jaccard, then
rapidfuzz). Each item meets at most ``_NEIGHBOURS`` others per bucket: worst case
O(n * bands * _NEIGHBOURS), usually O(n * copies per story); 10,000 articles of
~1,700 characters take ~5 s. Pure Python: datasketch would add scipy for the same.
"""
from __future__ import annotations

import gc
import hashlib
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from ..text.words import normalize, tokens
from ..text.urls import canonical_url

__all__ = ["Cluster", "Item", "canonical_url", "clusters", "credit_line"]


# ------------------------------------------------------------------ credit lines
_AGENCIES = [   # (name, spellings, hosts); longer names first where one contains another
    ("Interfax-Ukraine", r"Интерфакс[- ]Украина|Interfax[- ]Ukraine", ("interfax.com.ua",)),
    ("RIA Novosti", r"РИА\s+[«\"]?Новости[»\"]?|RIA\s+Novosti", ("ria.ru",)),
    ("TASS", r"ИТАР-ТАСС|ITAR-TASS|ТАСС|TASS", ("tass.ru", "tass.com")),
    ("Interfax", r"INTERFAX\.RU|Interfax\.ru|Интерфакс|INTERFAX|Interfax", ("interfax.ru", "interfax.com")),
    ("Reuters", r"Reuters|REUTERS|Рейтер", ("reuters.com",)),
    ("AP", r"AP|Associated\s+Press|Ассошиэйтед\s+Пресс", ("apnews.com",)),
    ("AFP", r"AFP|Agence\s+France[- ]Presse|Франс[- ]Пресс", ("afp.com",)),
    ("RBC", r"РБК|RBC", ("rbc.ru",)),
    ("Bloomberg", r"Bloomberg", ("bloomberg.com",)),
    ("UNIAN", r"УНИАН|UNIAN", ("unian.net", "unian.ua")),
    ("Ukrinform", r"Укринформ|Ukrinform", ("ukrinform.ru", "ukrinform.net", "ukrinform.ua")),
    ("Xinhua", r"Xinhua|Синьхуа", ("xinhuanet.com",)),
    ("Mirror", r"(?:The\s+|Daily\s+)?Mirror", ("mirror.co.uk",)),
]
_HOSTS = {name: hosts for name, _, hosts in _AGENCIES}
_NAME = ("(?<!\\w)(?:" + "|".join(f"(?P<a{i}>{rx})" for i, (_, rx, _) in enumerate(_AGENCIES))
         + ")(?!\\w)")
_LEAD_PATTERNS = [re.compile(p.replace("NAME", _NAME), re.M) for p in (
    r"/NAME/",                                   # МОСКВА, 15 октября. /ТАСС/.
    r"\(NAME\)\s*[-—–:]",                        # LONDON, Oct 15 (Reuters) -
    r"[-—–]\s*NAME\s*(?:[.:]|$)",                # МОСКВА, 10 авг - РИА Новости.
    r"\A\W{0,3}NAME\s*[,.:—–-]",                 # ТАСС, 11 августа.
    r"[.,]\s*NAME\s*[-—–]\s",                    # Москва. 30 апреля. INTERFAX.RU -
)]
_TAIL_PATTERNS = [re.compile(p.replace("NAME", _NAME), re.M) for p in (
    r"/NAME/",
    r"[-—–]\s*NAME\s*\.?\s*\Z",                  # ... — ТАСС
    r"(?i:source|источник|по материалам|via)\s*:?\s*NAME",
    r"(?i:originally (?:appeared|published) (?:on|in|at))\s+NAME",
    r"^\s*[-—–(]?\s*NAME\s*\)?\s*\.?\s*\Z",      # a last line that is only the credit
)]
_PHOTO = re.compile(r"(?i)фото|photo|getty|scanpix|shutterstock|©|\bimages?\b|\bpicture")
_REPOST = re.compile(r"(?i)source:\s*read full article")


def _agency(m: re.Match, region: str) -> str | None:
    line_start = max(region.rfind("\n", 0, m.start()) + 1, m.start() - 40)
    if _PHOTO.search(region[line_start:m.start()]):
        return None                              # a photo credit (Фото: Getty Images/AFP/), not the story's
    for name, value in m.groupdict().items():
        if value is not None:
            return _AGENCIES[int(name[1:])][0]
    return None


def credit_line(text: str) -> str | None:
    """The wire agency the article credits in its dateline or closing line ("TASS",
    "RIA Novosti", "Interfax", "Reuters", "AP", "AFP", "RBC", "Mirror", ...: _AGENCIES);
    else "repost" for a scraper's "Source: Read Full Article"; else None. Attributions
    in the body ("сообщили ТАСС", "told Reuters") and photo credits are not credits."""
    text = (text or "").strip()
    if not text:
        return None
    for region, patterns in ((text[:400], _LEAD_PATTERNS), (text[-300:], _TAIL_PATTERNS)):
        for rx in patterns:
            for m in rx.finditer(region):
                if name := _agency(m, region):
                    return name
    return "repost" if _REPOST.search(text[-400:]) else None


# ------------------------------------------------------------------ clusters
@dataclass(frozen=True)
class Item:
    key: str                                     # the hit's canonical URL
    title: str
    text: str
    published: date | datetime | None
    outlet: str


@dataclass(frozen=True)
class Cluster:
    id: str                                      # "c-" + sha1(original)[:10]
    original: str                                # key of the earliest copy
    members: tuple[str, ...]                     # keys, earliest first
    reasons: tuple[str, ...]


SHINGLE_K = 5                                    # words per shingle of a text
TITLE_K = 3                                      # ... of a headline (item without text)
MIN_TITLE_WORDS = 5
_BINS = 128                                      # one-permutation MinHash bins (power of 2)
_CONFIRM_CHARS = 1000
_NEIGHBOURS = 200                                # per item and bucket: caps a huge bucket


_WORD = re.compile(r"[^\W_]+")


def _words(s: str) -> tuple[list[str], str]:
    """(text.tokens(s), text.normalize(s)) from one normalisation: tokens() is the runs of
    letters and digits of normalize() (tests/test_dedup.py checks the two agree)."""
    norm = normalize(s)
    return _WORD.findall(norm), norm


_IDS: dict[str, int] = {}


def _shingles(words: list[str], k: int) -> set[int]:
    """Hashes of the k-word shingles: deterministic (crc32 of each word, then the
    tuple hash of ints, which Python does not salt)."""
    if not words:
        return set()
    if len(_IDS) > 1_000_000:
        _IDS.clear()
    for w in set(words).difference(_IDS):
        _IDS[w] = zlib.crc32(w.encode("utf-8"))
    ids = tuple(map(_IDS.__getitem__, words))
    if len(ids) <= k:
        return {hash(ids)}
    return set(map(hash, zip(*(ids[i:] for i in range(k)))))


def _signature(sh: set[int]) -> list:
    """One-permutation MinHash with rotation densification (Shrivastava & Li 2014):
    bin = low 7 bits of the shingle hash, value = the smallest rest in the bin; an
    empty bin borrows from the next filled one, marked by the distance."""
    mins = {h & (_BINS - 1): h >> 7 for h in sorted(sh, reverse=True)}     # the last (smallest) wins
    out: list = [mins.get(i) for i in range(_BINS)]
    if not mins or len(mins) == _BINS:
        return out
    for i in range(_BINS):
        d = 1
        while out[i] is None:
            j = mins.get((i + d) % _BINS)
            out[i] = None if j is None else (j, d)
            d += 1
    return out


def _rows(jaccard: float) -> int:
    """Rows per band: the most that still makes a pair at the threshold a candidate 99% of the time."""
    best = 1
    for r in range(1, 9):
        if 1 - (1 - max(jaccard, 0.05) ** r) ** (_BINS // r) >= 0.99:
            best = r
    return best


def _when(p) -> tuple[int | None, float | None]:
    """(UTC calendar day ordinal, UTC timestamp) of a date or datetime (a bare date is its midnight)."""
    if isinstance(p, datetime):
        dt = p.astimezone(timezone.utc) if p.tzinfo else p.replace(tzinfo=timezone.utc)
        return dt.date().toordinal(), dt.timestamp()
    if isinstance(p, date):
        return p.toordinal(), datetime(p.year, p.month, p.day, tzinfo=timezone.utc).timestamp()
    return None, None


def _is_agency(item: Item, agency: str | None) -> bool:
    if not agency or agency == "repost":
        return False
    hosts = _HOSTS.get(agency, ())
    slug = re.sub(r"[^a-z0-9]", "", item.outlet.lower())
    host = (urlsplit(item.key).hostname or "").lower()
    return (slug == re.sub(r"[^a-z0-9]", "", agency.lower()) or slug in {h.split(".")[0] for h in hosts}
            or any(host == h or host.endswith("." + h) for h in hosts))


def clusters(items: list[Item], *, days: int = 3, jaccard: float = 0.5, confirm: float = 80.0,
             stats: dict | None = None) -> list[Cluster]:
    """Syndication clusters over ``items`` (every item is in exactly one; duplicate keys
    are merged). Two items join when published within ``days`` of each other (an
    unknown date compares with everything) and either their word shingles have a
    Jaccard >= ``jaccard`` confirmed by rapidfuzz ``ratio`` >= ``confirm`` on the first
    1,000 normalised characters, or their normalised headlines are identical and at
    least five words long. ``stats`` (if given) receives the work done: items,
    compared (distinct pairs that shared a bucket, fell within the window, were not
    yet joined, and had their Jaccard computed) and joined."""
    enabled = gc.isenabled()
    gc.disable()                  # millions of small sets and tuples: the cyclic GC would cost ~20%
    try:
        return _clusters(items, days, jaccard, confirm, stats)
    finally:
        if enabled:
            gc.enable()


def _clusters(items: list[Item], days: int, jaccard: float, confirm: float, stats: dict | None) -> list[Cluster]:
    by_key: dict[str, Item] = {}
    for it in items:                             # one item per key: the longest text, the earliest date
        if (old := by_key.get(it.key)) is not None:
            known = sorted((p for p in (old.published, it.published) if _when(p)[1] is not None),
                           key=lambda p: _when(p)[1])
            it = replace(it if len(it.text or "") > len(old.text or "") else old, published=(known or [None])[0])
        by_key[it.key] = it
    its = sorted(by_key.values(), key=lambda i: i.key)
    n = len(its)
    when = [_when(i.published) for i in its]
    day = [w[0] for w in when]
    body = [(i.text or "").strip() or (i.title or "") for i in its]
    words, head = zip(*(_words(b) for b in body)) if body else ((), ())
    head = [h[:_CONFIRM_CHARS] for h in head]
    sh = [_shingles(w, SHINGLE_K) if (i.text or "").strip() else            # a headline: if long enough
          _shingles(w, TITLE_K) if len(w) >= MIN_TITLE_WORDS else set() for w, i in zip(words, its)]
    rows = _rows(jaccard)
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for idx, s in enumerate(sh):
        if not s:
            continue
        sig = _signature(s)
        for band, key in enumerate(map(hash, zip(*[iter(sig)] * rows))):
            buckets[(band, key)].append(idx)
    titles: dict[str, list[int]] = defaultdict(list)
    for idx, it in enumerate(its):
        tw = tokens(it.title or "")
        if len(tw) >= MIN_TITLE_WORDS:
            titles[" ".join(tw)].append(idx)

    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def pairs(members: list[int]):
        known = sorted((m for m in members if day[m] is not None), key=day.__getitem__)
        unknown = [m for m in members if day[m] is None]
        for pos, a in enumerate(known):
            lo = pos - 1
            while lo >= 0 and day[a] - day[known[lo]] <= days and pos - lo <= _NEIGHBOURS:
                yield known[lo], a
                lo -= 1
        for pos, u in enumerate(unknown):
            yield from ((o, u) for o in (unknown[:pos] + known)[-_NEIGHBOURS:])

    seen: set[tuple[int, int]] = set()
    edges: list[tuple[int, int, str, float]] = []
    count = Counter()
    for members in titles.values():
        for a, b in pairs(members) if len(members) > 1 else ():
            if find(a) != find(b):
                parent[find(a)] = find(b)
                edges.append((a, b, "title", 1.0))
    for members in buckets.values():
        if len(members) < 2 or len({find(m) for m in members}) < 2:     # all joined already
            continue
        for a, b in pairs(members):
            if find(a) == find(b):                                # already joined: nothing to learn
                continue
            pair = (a, b) if a < b else (b, a)
            if pair in seen:
                continue
            seen.add(pair)
            count["compared"] += 1
            inter = len(sh[a] & sh[b])
            j = inter / (len(sh[a]) + len(sh[b]) - inter)
            if j >= jaccard and fuzz.ratio(head[a], head[b]) >= confirm:
                parent[find(a)] = find(b)
                edges.append((a, b, "text", j))
    count["joined"] = len(edges)

    groups: dict[int, list[int]] = defaultdict(list)
    for idx in range(n):
        groups[find(idx)].append(idx)
    by_root: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for a, _, kind, j in edges:
        by_root[find(a)].append((kind, j))
    credit = [credit_line(i.text or "") or credit_line(i.title or "") for i in its]
    out = []
    for root, members in groups.items():
        wires = Counter(credit[m] for m in members if credit[m] and credit[m] != "repost")
        agency = min(wires, key=lambda a: (-wires[a], a)) if wires else None
        order = sorted(members, key=lambda m: (when[m][1] is None, when[m][1] or 0.0,
                                               not _is_agency(its[m], agency), its[m].key))
        original = its[order[0]].key
        texts = [j for kind, j in by_root[root] if kind == "text"]
        reasons = [f"near-duplicate text {min(texts):.2f}"] if texts else []
        reasons += ["same headline"] * any(kind == "title" for kind, _ in by_root[root])
        reasons += [f"credit: {agency}"] * bool(agency)
        reasons += ["credit: repost"] * any(credit[m] == "repost" for m in members)
        out.append((when[order[0]][1] is None, when[order[0]][1] or 0.0, original,
                    Cluster(id="c-" + hashlib.sha1(original.encode("utf-8")).hexdigest()[:10], original=original,
                            members=tuple(its[m].key for m in order), reasons=tuple(reasons))))
    out.sort(key=lambda t: t[:3])
    if stats is not None:
        stats.update(items=n, bands=_BINS // rows, rows=rows, compared=count["compared"],
                     joined=count["joined"])
    return [c for *_, c in out]

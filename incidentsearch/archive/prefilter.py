"""The archive scan's prefilter: does a page's raw HTML name any alias of the incidents?

A page passes when it names an alias the matcher indexes (a place, region, actor, or an
event word only one incident has): a necessary condition for the matcher to accept it, as
the headline and lead are in the page. Every word of an alias is expanded, as the matcher
does, with ``text.word_forms`` (inflected forms, Ukrainian, Latin spellings) to byte needles
(:func:`needles`: UTF-8 and windows-1251, lower, Capitalised and UPPER case, ё for е).

Each alias has an *anchor*, its word with the longest shortest needle (the least common, as
a rule). One multi-pattern scan over the page finds where the anchors start a word, outside
``<script>`` and ``<style>``; an alias is present when its anchor is and each of its other
words starts a word within ``NEAR`` bytes of it (a headline's or a lead's reach), checked
there with ``bytes.find``.

The scan is Hyperscan's (Intel's regex engine for network inspection, several GB/s over
thousands of literals; one pass that also tracks script and style tags), or, where its
wheel cannot be installed, an Aho-Corasick DFA (ahocorasick_rs) over the page's text spans.
"""
from __future__ import annotations

import re

from ..text import words as text

NEAR = 400      # bytes either side of an alias's anchor in which its other words must start

try:                                    # pragma: no cover - the platform decides
    import hyperscan as _hs
except ImportError:                     # pragma: no cover
    _hs = None

ENGINE = "hyperscan" if _hs is not None else "ahocorasick"


def needles(stem: str) -> list[bytes]:
    """Byte strings a page shows when it has a word of this stem: the stem as a prefix, in
    UTF-8 and windows-1251, lower-case, Capitalised and UPPER, with ё for е. Latin stems lose
    a final e/i/y (Snowball writes "kozinki" for "Kozinky")."""
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


def letter_before(hay: bytes, pos: int) -> bool:
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


def letter_at(hay: bytes, pos: int) -> bool:
    if pos >= len(hay):
        return False
    b = hay[pos]
    return b >= 0xC0 or (b < 0x80 and _ASCII_WORD[b])


def word_in(hay: bytes, words: tuple[bytes, ...], whole: bool, lo: int, hi: int) -> bool:
    """Does one of the needles start a word (and end one, if ``whole``) in hay[lo:hi]?"""
    lo = max(lo, 0)
    for x in words:
        i = hay.find(x, lo, hi + len(x))
        while i >= 0:
            if not letter_before(hay, i) and not (whole and letter_at(hay, i + len(x))):
                return True
            i = hay.find(x, i + 1, hi + len(x))
    return False


class Prefilter:
    """``Prefilter(phrases)(page_bytes) -> bool``; see the module's docstring."""

    def __init__(self, phrases):
        """``phrases``: per alias, one set of stems per word (``text.phrase_forms``)."""
        word_ids: dict[tuple[bytes, ...], int] = {}
        self.needles: list[tuple[bytes, ...]] = []      # word id -> its needles
        self.whole: list[bool] = []                     # word id -> must end a word (an acronym)
        aliases = set()
        for forms in phrases:
            ids = []
            for stems in forms:
                ns = tuple(sorted({n for st in stems for n in needles(st)}))
                if not ns:
                    continue
                whole = len(forms) == 1 and max(map(len, stems)) <= 3    # РДК, RVC: whole words only
                if (ns, whole) not in word_ids:
                    word_ids[(ns, whole)] = len(self.needles)
                    self.needles.append(ns)
                    self.whole.append(whole)
                ids.append(word_ids[(ns, whole)])
            if ids:     # the anchor first: the word whose shortest needle is longest
                aliases.add(tuple(sorted(set(ids), key=lambda w: (-min(map(len, self.needles[w])), w))))
        self.by_anchor: dict[int, list[tuple[int, ...]]] = {}     # anchor word -> its aliases' other words
        for ws in sorted(aliases):
            self.by_anchor.setdefault(ws[0], []).append(ws[1:])
        anchors = sorted(self.by_anchor)
        of: dict[bytes, set[int]] = {}
        for w in anchors:
            for n in self.needles[w]:
                of.setdefault(n, set()).add(w)
        self._keys = list(of)
        self._words = [tuple(sorted(of[k])) for k in self._keys]
        rest = sorted({o for ws in self.by_anchor.values() for r in ws for o in r})
        seen: dict[bytes, set[int]] = {}            # the other words' needles: is one anywhere in the page?
        for w in rest:
            for n in self.needles[w]:
                seen.setdefault(n, set()).add(w)
        self._rest_words = [tuple(sorted(v)) for v in seen.values()]
        self._scan = _Hyperscan(self._keys, list(seen)) if _hs is not None else _AhoCorasick(self._keys)

    def __call__(self, hay: bytes) -> bool:
        if not self._keys:
            return False
        found, seen = self._scan.find(hay)
        present = None if seen is None else {w for i in seen for w in self._rest_words[i]}
        for idx, start, end in found:
            if letter_before(hay, start):
                continue
            for w in self._words[idx]:
                if self.whole[w] and letter_at(hay, end):
                    continue
                for rest in self.by_anchor[w]:
                    if not rest:
                        return True
                    if present is not None and not present.issuperset(rest):
                        continue                # one of its words is nowhere in the page
                    if all(word_in(hay, self.needles[o], self.whole[o], start - NEAR, start + NEAR)
                           for o in rest):
                        return True
        return False

    @classmethod
    def for_incidents(cls, matcher, chosen) -> Prefilter:
        """The aliases the matcher indexes for the chosen incidents: own and shared places,
        regions, own and shared actors, and the event words only one incident has (a page
        naming none of these cannot be accepted, but for a figure with a date)."""
        return cls(matcher.alias_forms(chosen))

    @classmethod
    def for_aliases(cls, aliases: list[str]) -> Prefilter:
        return cls([text.phrase_forms(a) for a in aliases])


_TAGS = (rb"<script", rb"<style", rb"</script", rb"</style")


class _Hyperscan:
    """One block-mode pass: the anchors' matches (in order of their end) outside script and
    style elements, as (needle index, start, end); and which of the other words' needles
    occur anywhere (each reported once), as indexes."""

    def __init__(self, keys: list[bytes], others: list[bytes]):
        def lit(k: bytes) -> bytes:
            return b"".join(b"\\x%02x" % c for c in k)
        exprs = [lit(k) for k in keys] + list(_TAGS) + [lit(k) for k in others]
        flags = [0] * len(keys) + [_hs.HS_FLAG_CASELESS] * len(_TAGS) + [_hs.HS_FLAG_SINGLEMATCH] * len(others)
        self.db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        self.db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs), flags=flags)
        self.scratch = _hs.Scratch(self.db)
        self.lens = [len(k) for k in keys]

    def find(self, hay: bytes) -> tuple[list[tuple[int, int, int]], list[int]]:
        out: list[tuple[int, int, int]] = []
        seen: list[int] = []
        n, lens, tags = len(self.lens), self.lens, len(self.lens) + len(_TAGS)
        inside = [False]

        def on(i, _frm, to, _flags, _ctx):
            if i < n:
                if not inside[0]:
                    out.append((i, to - lens[i], to))
            elif i < tags:
                inside[0] = i < n + 2           # an opening tag, until its closing one
            else:
                seen.append(i - tags)

        self.db.scan(hay, match_event_handler=on, scratch=self.scratch)
        return out, seen


_SKIP = re.compile(rb"<(script|style)[\s>]", re.IGNORECASE)


class _AhoCorasick:
    """The fallback: an Aho-Corasick DFA over each text span (outside script and style)."""

    def __init__(self, keys: list[bytes]):
        import ahocorasick_rs

        self.ac = ahocorasick_rs.BytesAhoCorasick(keys, implementation=ahocorasick_rs.Implementation.DFA)

    def find(self, hay: bytes) -> tuple[list[tuple[int, int, int]], None]:
        view, out = memoryview(hay), []
        for lo, hi in _text_spans(hay):
            if hi > lo:
                out += [(i, s + lo, e + lo) for i, s, e in self.ac.find_matches_as_indexes(view[lo:hi],
                                                                                           overlapping=True)]
        return out, None


def _text_spans(hay: bytes):
    """(lo, hi) of the page outside <script> and <style>."""
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


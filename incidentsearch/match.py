"""Scores a headline against every incident, and explains the score.

Named features, each visible in a hit's ``matched`` list:
- ``place:<alias>``   one of the incident's own places (specific to it)
- ``region:<alias>``  a broad area (the incident's ``regions``, or a place or actor
                      alias that several incidents share): context only
- ``actor:<alias>``   a unit, group or person of the incident
- ``term:<word>``     an event word of the incident's own (``terms``)
- ``event:<concept>=<word>`` a word of one of the incident's glossary concepts
                      (``events``, queries/glossary.yaml)
- ``similar:<n>``     fuzzy similarity (0-100) of the stemmed headline to the
                      closest description
- ``date:in-window`` / ``date:unknown``

Words match in any case form and either script: every alias and term is expanded
once to the stems of all its inflected forms (pymorphy3, Russian and Ukrainian)
and of their Latin spellings (iuliia), so a headline costs one Snowball stem per
token.

A headline is accepted when
- it identifies the incident: an own place or own actor, or two of: a region, a
  shared actor, an event word no other incident has, a date inside the window;
- it shows the event: an event word, an own actor, an own place with a shared
  actor, or a close description;
- it is not dated outside the window; and it scores at least ``threshold``.
A bare place name never matches; a region with a date needs an event word too.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from rapidfuzz import fuzz

from . import dates, text
from pathlib import Path

from .config import Glossary, Incident, load_glossary, load_incidents
from .models import Match

W_PLACE, W_REGION, W_ACTOR, W_SHARED_ACTOR = 40, 20, 30, 10
W_TERM, W_TERM2, W_SIMILAR_MAX, W_DATE = 25, 10, 20, 10
SIMILAR_FLOOR = 50          # similarity below this adds nothing
SIMILAR_EVIDENCE = 75       # similarity at or above this counts as evidence of the event
THRESHOLD = 30
_NAMED_KINDS = frozenset({"place", "region", "actor", "figure"})   # features labelled by an alias


@dataclass(frozen=True)
class _Alias:
    label: str
    stems: tuple[str, ...]                    # identity: the stems of the alias as written
    words: tuple[frozenset[str], ...]         # per word, every stem a headline may show for it


def _aliases(values, labels=None) -> list[_Alias]:
    out = []
    for n, v in enumerate(values):
        st = tuple(text.stems(v))
        if st:
            out.append(_Alias(labels[n] if labels else v, st, text.phrase_forms(v)))
    return out


@dataclass(frozen=True)
class _Index:
    incident: Incident
    places: tuple[_Alias, ...]
    regions: tuple[_Alias, ...]
    actors: tuple[_Alias, ...]
    shared_actors: tuple[_Alias, ...]
    terms: tuple[_Alias, ...]
    own_terms: frozenset[str]                  # labels of terms no other incident has
    area_of: dict[str, frozenset[str]]          # region label -> the incidents that name it: one area
    figures: tuple[str, ...]                    # the incident's reported numbers, as tokens
    descriptions: dict[str, tuple[str, ...]]   # lang -> stemmed descriptions


class Matcher:
    """Scores headlines against a fixed set of incidents.

    Aliases that several incidents share (Belgorod oblast, the governor's name)
    are demoted to context for all of them, so build the matcher from every
    known incident, not just the ones a run asks for.
    """

    def __init__(self, incidents: list[Incident], *, glossary: Glossary | None = None,
                 threshold: float = THRESHOLD, window: tuple[date, date] | None = None):
        self.threshold = threshold
        self.window = window   # overrides every incident's own window (--since/--until)
        self.glossary = glossary or Glossary()
        count: Counter[tuple[str, ...]] = Counter()
        term_count: Counter[tuple[str, ...]] = Counter()
        listed_by: dict[tuple[str, ...], set[str]] = {}      # area alias -> incidents naming it
        for inc in incidents:
            count.update({a.stems for a in _aliases(inc.places + inc.actors)})
            term_count.update({a.stems for a in _aliases([w for w, _ in self._terms(inc)])})
            for a in _aliases(inc.places + inc.regions):
                listed_by.setdefault(a.stems, set()).add(inc.id)
        self._index: list[_Index] = []
        for inc in incidents:
            places = _aliases(inc.places)
            actors = _aliases(inc.actors)
            pairs = self._terms(inc)
            terms = _aliases([w for w, _ in pairs], [label for _, label in pairs])
            descs = {lang: tuple(text.stem_text(d) for d in inc.descriptions.get(lang))
                     for lang in ("ru", "en", "uk")}
            self._index.append(_Index(
                incident=inc,
                places=tuple(a for a in places if count[a.stems] == 1),
                regions=tuple(a for a in places if count[a.stems] > 1) + tuple(_aliases(inc.regions)),
                actors=tuple(a for a in actors if count[a.stems] == 1),
                shared_actors=tuple(a for a in actors if count[a.stems] > 1),
                terms=tuple(terms),
                own_terms=frozenset(a.label for a in terms if term_count[a.stems] == 1),
                descriptions=descs,
                area_of={a.label: frozenset(listed_by.get(a.stems, ())) for a in _aliases(inc.places + inc.regions)},
                figures=tuple(str(n) for n in inc.figures),
            ))

        # the prefilter: word form -> distinct aliases (an alias several incidents list is checked
        # once); an alias is named when all its words are, and then counts for each of them
        self._alias_ids: dict[tuple, int] = {}
        self._aliases: list[tuple[tuple, list]] = []   # (other words, [(incident index, kind, label)])
        self._by_stem: dict[str, list[int]] = {}
        self._order: dict[tuple[int, str, str], int] = {}
        for n, ix in enumerate(self._index):
            groups = (("place", ix.places), ("region", ix.regions), ("actor", ix.actors),
                      ("shared", ix.shared_actors), ("term", ix.terms))
            for kind, aliases in groups:
                for a in aliases:
                    self._add_alias(a.words, (n, kind, a.label))
            for fig in ix.figures:
                self._add_alias((frozenset([fig]),), (n, "figure", fig))
        self._windows = [self.window or (ix.incident.since, ix.incident.until) for ix in self._index]


    @classmethod
    def from_folder(cls, qdir: Path, **kw) -> "Matcher":
        """Every incident of a queries folder, with its glossary."""
        return cls(load_incidents(qdir), glossary=load_glossary(qdir), **kw)

    def _terms(self, inc: Incident) -> list[tuple[str, str]]:
        """(word, feature label) of the incident's own event words ("term:Humvee"), then of
        its glossary concepts ("event:training-ground=полигон")."""
        out = {t: f"term:{t}" for lang in ("ru", "en", "uk") for t in inc.terms.get(lang)}
        for ev in inc.events:
            concept = self.glossary.concepts.get(ev)
            for t in (t for lang in ("ru", "en", "uk") for t in concept.get(lang)) if concept else ():
                out.setdefault(t, f"event:{ev}={t}")
        return list(out.items())

    def alias_forms(self, chosen) -> list[tuple[frozenset[str], ...]]:
        """Per alias indexed for the ``chosen`` incident ids, one set of acceptable stems per
        word: own and shared places, regions, own and shared actors, and the event words only
        one incident has (the archive's prefilter looks for these in raw pages)."""
        out = []
        for ix in self._index:
            if ix.incident.id in chosen:
                for group in (ix.places, ix.regions, ix.actors, ix.shared_actors):
                    out += [a.words for a in group]
                out += [a.words for a in ix.terms if a.label in ix.own_terms]
        return out

    @property
    def incidents(self) -> list[Incident]:
        return [ix.incident for ix in self._index]

    def score_all(self, title: str, *, published: date | datetime | None = None,
                  lang: str | None = None, url: str | None = None, **_) -> list[Match]:
        """One Match per incident, in the incidents' order."""
        words = text.stems(title)
        named, from_url = self._named_with_url(words, url)
        stem_title = " ".join(words)
        lang = lang or text.script_lang(title)
        return [self._score(ix, named.get(n, {}), stem_title, published, lang, from_url.get(n, frozenset()))
                for n, ix in enumerate(self._index)]

    def _named_with_url(self, words: list[str], url: str | None):
        """_named over the headline's words and its URL's slug words, and per incident the
        labels only the URL named (shown as ``<feature> (url)``; never used for similarity)."""
        title = frozenset(words)
        extra = frozenset(text.stems(text.url_words(url))) - title if url else frozenset()
        if not extra:
            return self._named(title), {}
        named = self._named(title | extra)
        if not named:
            return named, {}
        own = self._named(title)
        from_url = {}
        for n, found in named.items():
            mine = {label for labels in own.get(n, {}).values() for label in labels}
            only = frozenset(label for labels in found.values() for label in labels if label not in mine)
            if only:
                from_url[n] = only
        return named, from_url

    def _add_alias(self, words: tuple[frozenset[str], ...], use: tuple[int, str, str]) -> None:
        """Index a distinct alias under its longest word only (the least common, as a rule);
        its other words are checked when that one is present."""
        aid = self._alias_ids.get(words)
        if aid is None:
            aid = self._alias_ids[words] = len(self._aliases)
            key = max(range(len(words)), key=lambda k: max(map(len, words[k])))
            self._aliases.append((words[:key] + words[key + 1:], []))
            for st in words[key]:
                self._by_stem.setdefault(st, []).append(aid)
        self._aliases[aid][1].append(use)
        self._order.setdefault(use, len(self._order))   # features keep the incident's own order

    def _named(self, hay: frozenset[str]) -> dict[int, dict[str, list[str]]]:
        """incident -> feature kind -> labels of the aliases, terms and figures the headline names
        (every word of an alias present in some form), in the incident's own order."""
        seen: set[int] = set()
        for w in hay:
            seen.update(self._by_stem.get(w, ()))
        uses = []
        for aid in seen:
            others, used = self._aliases[aid]
            if all(not forms.isdisjoint(hay) for forms in others):
                uses += used
        named: dict[int, dict[str, list[str]]] = {}
        for n, kind, label in sorted(uses, key=self._order.__getitem__):
            named.setdefault(n, {}).setdefault(kind, []).append(label)
        return named

    def best(self, title: str, *, published: date | datetime | None = None,
             lang: str | None = None, url: str | None = None, **_) -> list[Match]:
        """The accepted matches with the top score (several only on a tie).

        Only incidents that share at least one word form with the headline are scored: an
        accepted match needs two identity points, and all but the date come from an indexed
        word (a place, region, actor, event word or figure), so the others cannot match.
        The result equals scoring every incident (tests/test_match.py checks it)."""
        words = text.stems(title)
        named, from_url = self._named_with_url(words, url)
        candidates = [n for n, found in named.items() if self._may_accept(n, found, published)]
        if not candidates:
            return []
        stem_title = " ".join(words)
        lang = lang or text.script_lang(title)
        accepted = [m for m in (self._score(self._index[n], named[n], stem_title, published, lang,
                                            from_url.get(n, frozenset()))
                                for n in sorted(candidates)) if m.accepted]
        if not accepted:
            return []
        top = max(m.score for m in accepted)
        return [m for m in accepted if m.score == top]

    def undecided(self, title: str, *, lang: str | None = None, url: str | None = None) -> list[Match]:
        """For an undated headline that ``best`` leaves unmatched: the incidents a publication
        date inside their window would decide it for, best first ("Russia says cross-border
        attack from Ukraine crushed" could be any of the three raids). The pipeline keeps such
        a headline pending, and the article stage reads its page: the page's date and lead
        decide. Empty when a date would not help (nothing of the event named)."""
        words = text.stems(title)
        named, from_url = self._named_with_url(words, url)
        stem_title = " ".join(words)
        lang = lang or text.script_lang(title)
        out = []
        for n in sorted(named):
            day = self._windows[n][0]
            if not self._may_accept(n, named[n], day):
                continue
            m = self._score(self._index[n], named[n], stem_title, day, lang, from_url.get(n, frozenset()))
            if m.accepted:
                out.append(m)
        return sorted(out, key=lambda m: -m.score)

    def best_article(self, title: str, lead: str, *, max_chars: int = 600, **kw) -> list[Match]:
        """The second pass, for the article stage: the same scorer on the headline with the
        article's lead (its first ``max_chars`` characters, cut at a sentence end), so a
        report whose headline names no place ("Soldiers killed in Russia during military
        training") is matched on what its first paragraphs say."""
        head = (lead or "").strip()[:max_chars]
        cut = max(head.rfind(". "), head.rfind(".\n"))
        if cut > max_chars // 3:
            head = head[:cut + 1]
        return self.best(f"{title}. {head}" if head else title, **kw)

    def _may_accept(self, n: int, found: dict[str, list[str]], published) -> bool:
        """A cheap upper bound of _score's gates from the features named: False only when the
        full score cannot accept (identity below 2, or no evidence but a fuzzy description)."""
        ix = self._index[n]
        lo, hi = self._windows[n]
        in_window = dates.in_window(published, lo, hi)
        if in_window is False:
            return False
        own_term = any(t in ix.own_terms for t in found.get("term", ()))
        identity = (2 if "place" in found or "actor" in found else 0) + min(2, len(found.get("region", ()))) \
            + ("shared" in found) + ("figure" in found) + own_term + bool(in_window)
        return identity >= 2

    def _score(self, ix: _Index, found: dict[str, list[str]], stem_title, published, lang,
               from_url: frozenset[str] = frozenset()) -> Match:
        """The features ``found`` (from _named) weighed, gated and explained for one incident;
        labels in ``from_url`` were named by the URL's slug only."""
        inc = ix.incident
        fired: list[str] = []
        reasons: list[str] = []
        score = 0.0
        places, regions = found.get("place", []), found.get("region", [])
        actors, shared = found.get("actor", []), found.get("shared", [])
        terms = list(dict.fromkeys(found.get("term", [])))
        if places:
            score += W_PLACE
            fired += [f"place:{p}" for p in places]
        elif regions:
            score += W_REGION
        fired += [f"region:{r}" for r in regions]
        if actors:
            score += W_ACTOR
            fired += [f"actor:{a}" for a in actors]
        elif shared:
            score += W_SHARED_ACTOR
        fired += [f"actor:{a}" for a in shared]
        if terms:
            score += W_TERM + (W_TERM2 if len(terms) > 1 else 0)
            fired += terms

        descs = ix.descriptions.get(lang) or ()
        if not descs:  # e.g. a Ukrainian headline and no uk descriptions: compare with all
            descs = tuple(d for v in ix.descriptions.values() for d in v)
        sim = max((fuzz.token_sort_ratio(stem_title, d) for d in descs), default=0.0)
        if sim > SIMILAR_FLOOR:
            score += W_SIMILAR_MAX * (sim - SIMILAR_FLOOR) / (100 - SIMILAR_FLOOR)
            fired.append(f"similar:{sim:.0f}")

        lo, hi = self.window or (inc.since, inc.until)
        in_window = dates.in_window(published, lo, hi)
        if in_window:
            score += W_DATE
            fired.append("date:in-window")
        elif in_window is None:
            fired.append("date:unknown")
        score = min(100.0, round(score, 1))

        own_terms = [t for t in terms if t in ix.own_terms]
        # identity: how surely the headline is about *this* incident rather than another
        # event of its kind. Own places and actors settle it; a region, a shared actor, an
        # event word only this incident has, and a date inside the window each count one.
        areas = len({ix.area_of.get(r) for r in regions})      # Belgorod and Kursk oblasts: two
        figures = found.get("figure", [])
        fired += [f"figure:{n}" for n in figures]
        identity = (2 if places or actors else 0) + min(areas, 2) + (1 if shared else 0) + (1 if figures else 0) \
            + (1 if own_terms else 0) + (1 if in_window else 0)
        anchored = identity >= 2
        evidence = bool(terms or actors or (places and shared) or sim >= SIMILAR_EVIDENCE)
        accepted = anchored and evidence and in_window is not False and score >= self.threshold
        if in_window is False:
            reasons.append(f"published {dates.to_iso(published)} is outside the window "
                           f"{lo}..{hi}")
        if not anchored:
            reasons.append(f"not identified (identity {identity} of 2): needs an own place or actor, or two of "
                           "a region, a shared actor, an event word only this incident has, a date in the window")
        if not evidence:
            reasons.append("no event word, own actor, own place with an actor, or close description")
        if score < self.threshold:
            reasons.append(f"score {score} below threshold {self.threshold}")
        if from_url:
            fired = [f + " (url)" if f in from_url or (f.partition(":")[0] in _NAMED_KINDS
                                                      and f.partition(":")[2] in from_url) else f
                     for f in fired]
        return Match(incident=inc.id, score=score, matched=tuple(fired), accepted=accepted,
                     reasons=tuple(reasons) if not accepted else ("accepted",))

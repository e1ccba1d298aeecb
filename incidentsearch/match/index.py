"""The word-form index: which of the incidents' aliases, event words and figures a text names.

Every alias (place, region, actor), event word (the incident's own ``terms``; the words of
its kind, i.e. the glossary concepts it lists under ``events`` or that its descriptions use)
and reported figure is expanded once to the stems of all its inflected forms and Latin
spellings (``text.phrase_forms``), so a text costs one Snowball stem per token and one
dictionary look-up per stem. An alias is indexed under its longest word; its other words are
checked only when that one is present.

Kinds of what is named, per incident (the ``kind`` of ``Named``):
- ``place``   an own place (only this incident lists it)
- ``region``  a broad area: the incident's ``regions``, or a place several incidents list
- ``actor``   an own actor; ``shared`` an actor several incidents list
- ``term``    an event word only this incident has
- ``event``   a word of the incident's kind (a glossary concept, or a term several incidents share)
- ``figure``  a number the reports repeat (11 killed)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..text import words as text
from ..config import Glossary, Incident

LANGS = ("ru", "en", "uk")
Forms = tuple[frozenset[str], ...]          # per word of a phrase, the stems it may show


@dataclass(frozen=True)
class Alias:
    label: str
    stems: tuple[str, ...]                  # identity: the stems of the alias as written
    words: Forms


def aliases(values, labels=None) -> list[Alias]:
    out = []
    for n, v in enumerate(values):
        st = tuple(text.stems(v))
        if st:
            out.append(Alias(labels[n] if labels else v, st, text.phrase_forms(v)))
    return out


def names(forms: Forms, hay: frozenset[str]) -> bool:
    """Every word of the phrase present in some form."""
    return all(not f.isdisjoint(hay) for f in forms)


def kinds_of(inc: Incident, glossary: Glossary) -> list[str]:
    """The glossary concepts an incident is an instance of: those it lists under ``events``,
    and those whose words its title or descriptions use (so a short incident file, with no
    ``events``, still gets the words of its kind)."""
    own = [ev for ev in inc.events if ev in glossary.concepts]
    said = frozenset(w for lang in LANGS for d in (*inc.descriptions.get(lang), getattr(inc.title, lang, "") or "")
                     for w in text.stems(d))
    for name, words in glossary.concepts.items():
        if name not in own and any(names(text.phrase_forms(w), said)
                                   for lang in LANGS for w in words.get(lang)):
            own.append(name)
    return own


@dataclass(frozen=True)
class Entry:
    """One incident as the matcher sees it."""

    incident: Incident
    kinds: tuple[str, ...]                  # glossary concepts
    descriptions: dict[str, tuple[str, ...]]   # lang -> stemmed descriptions
    area_of: dict[str, frozenset[str]]      # region label -> the incidents naming it (one area)


class Index:
    """Aliases, event words and figures of a fixed set of incidents, looked up by word form.

    Aliases that several incidents share (Belgorod oblast, the governor's name) are demoted to
    context (``region``, ``shared``) for all of them, so build it from every known incident."""

    def __init__(self, incidents: list[Incident], glossary: Glossary):
        self.glossary = glossary
        count: Counter[tuple[str, ...]] = Counter()
        term_count: Counter[tuple[str, ...]] = Counter()
        listed_by: dict[tuple[str, ...], set[str]] = {}
        for inc in incidents:
            count.update({a.stems for a in aliases(inc.places + inc.actors)})
            term_count.update({a.stems for a in aliases(self._terms(inc))})
            for a in aliases(inc.places + inc.regions):
                listed_by.setdefault(a.stems, set()).add(inc.id)
        self._ids: dict[Forms, int] = {}
        self._entries: list[tuple[Forms, list]] = []     # (other words, [(incident, kind, label)])
        self._by_stem: dict[str, list[int]] = {}
        self._order: dict[tuple[int, str, str], int] = {}
        self.entries: list[Entry] = []
        self.uses: list[dict[str, list[Forms]]] = []      # per incident, kind -> the forms indexed
        for n, inc in enumerate(incidents):
            kinds = tuple(kinds_of(inc, glossary))
            places = aliases(inc.places)
            actors = aliases(inc.actors)
            groups = {
                "place": [a for a in places if count[a.stems] == 1],
                "region": [a for a in places if count[a.stems] > 1] + aliases(inc.regions),
                "actor": [a for a in actors if count[a.stems] == 1],
                "shared": [a for a in actors if count[a.stems] > 1],
            }
            terms = aliases(self._terms(inc))
            groups["term"] = [a for a in terms if term_count[a.stems] == 1]
            groups["event"] = [Alias(f"term={a.label}", a.stems, a.words)
                               for a in terms if term_count[a.stems] > 1]
            for k in kinds:
                words = [w for lang in LANGS for w in glossary.concepts[k].get(lang)]
                groups["event"] += aliases(words, [f"{k}={w}" for w in words])
            for kind, group in groups.items():
                for a in group:
                    self._add(a.words, (n, kind, a.label))
            for fig in inc.figures:
                self._add((frozenset([str(fig)]),), (n, "figure", str(fig)))
            self.uses.append({kind: [a.words for a in group] for kind, group in groups.items()})
            self.entries.append(Entry(
                incident=inc, kinds=kinds,
                descriptions={lang: tuple(text.stem_text(d) for d in inc.descriptions.get(lang)) for lang in LANGS},
                area_of={a.label: frozenset(listed_by.get(a.stems, ())) for a in aliases(inc.places + inc.regions)}))

    @staticmethod
    def _terms(inc: Incident) -> list[str]:
        return list(dict.fromkeys(t for lang in LANGS for t in inc.terms.get(lang)))

    def _add(self, words: Forms, use: tuple[int, str, str]) -> None:
        aid = self._ids.get(words)
        if aid is None:
            aid = self._ids[words] = len(self._entries)
            key = max(range(len(words)), key=lambda k: max(map(len, words[k])))
            self._entries.append((words[:key] + words[key + 1:], []))
            for st in words[key]:
                self._by_stem.setdefault(st, []).append(aid)
        if use not in self._order:
            self._entries[aid][1].append(use)
            self._order[use] = len(self._order)     # features keep the incident's own order

    def named(self, hay: frozenset[str]) -> dict[int, dict[str, list[str]]]:
        """incident -> kind -> labels named in ``hay`` (a set of stems), in the incident's order."""
        seen: set[int] = set()
        for w in hay:
            got = self._by_stem.get(w)
            if got:
                seen.update(got)
        if not seen:
            return {}
        uses = []
        for aid in seen:
            others, used = self._entries[aid]
            if not others or names(others, hay):
                uses += used
        out: dict[int, dict[str, list[str]]] = {}
        for n, kind, label in sorted(uses, key=self._order.__getitem__):
            out.setdefault(n, {}).setdefault(kind, []).append(label)
        return out

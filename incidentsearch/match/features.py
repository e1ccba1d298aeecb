"""The table of features a verdict weighs, and how the evidence becomes their values.

A feature is named, has a role (what it tells a reader) and a value in [0, 1]; its weight
comes from ``weights.json`` (fitted by ``python -m incidentsearch.evaluate --fit``). The
``matched`` list of a hit names what fired, with the words that made it:

``place:Soloti``, ``region:Belgorod``, ``actor:RDK``, ``term:Humvee``,
``event:incursion=raid``, ``figure:11``, ``similar:61``, ``semantic:88``,
``date:in-window``, ``date:only-window``, ``date:unknown``

and a suffix `` (url)``, `` (snippet)`` or `` (article)`` where only that evidence named it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    role: str        # identity | event | text | date
    help: str


FEATURES: tuple[Feature, ...] = (
    Feature("place", "identity", "names one of the incident's own places"),
    Feature("region", "identity", "names a broad area of the incident (its oblast, a place several incidents share)"),
    Feature("own_region", "identity", "names a broad area no other known incident lists"),
    Feature("actor", "identity", "names one of the incident's own actors"),
    Feature("shared", "identity", "names an actor several incidents share"),
    Feature("figure", "identity", "repeats a number the incident is known by (11 killed)"),
    Feature("term", "event", "uses an event word only this incident has"),
    Feature("kind", "event", "uses a word of the incident's kind of event (a glossary concept, not a broad one)"),
    Feature("kind2", "event", "uses words of two or more such concepts"),
    Feature("broad", "event", "uses a word of a broad concept of its kind (attack, casualties, soldiers)"),
    Feature("broad2", "event", "uses words of two or more broad concepts"),
    Feature("similar", "text", "lexical similarity to the closest description in its language (50-100 -> 0-1)"),
    Feature("semantic", "text", "multilingual sentence similarity to the closest description (0.80-0.95 -> 0-1)"),
    Feature("in_window", "date", "published inside the incident's window"),
    Feature("only_window", "date", "the only incident it names anything of whose window holds the date"),
    Feature("undated", "date", "no publication date known"),
)
NAMES = tuple(f.name for f in FEATURES)
ROLE = {f.name: f.role for f in FEATURES}
HELP = {f.name: f.help for f in FEATURES}

SIMILAR_FLOOR = 50.0
SEMANTIC_LO, SEMANTIC_HI = 0.80, 0.95


def similar_value(ratio: float) -> float:
    return max(0.0, min(1.0, (ratio - SIMILAR_FLOOR) / (100.0 - SIMILAR_FLOOR)))


def semantic_value(cosine: float) -> float:
    return max(0.0, min(1.0, (cosine - SEMANTIC_LO) / (SEMANTIC_HI - SEMANTIC_LO)))


def values(found: dict[str, list[str]], areas: int, in_window: bool | None, only_window: bool,
           similar: float = 0.0, semantic: float = 0.0, *, broad: frozenset[str] = frozenset(),
           own_region: bool = False) -> dict[str, float]:
    """The feature values of one incident from what the evidence named (``Index.named``);
    ``broad``: the glossary's broad concepts."""
    events = {e.partition("=")[0] for e in found.get("event", ())}
    concepts = events - broad
    weak = events & broad
    return {
        "place": float("place" in found),
        "region": float(areas > 0),
        "own_region": float(own_region),
        "actor": float("actor" in found),
        "shared": float("shared" in found),
        "figure": float("figure" in found),
        "term": float("term" in found),
        "kind": float(bool(concepts)),
        "kind2": float(len(concepts) > 1),
        "broad": float(bool(weak)),
        "broad2": float(len(weak) > 1),
        "similar": similar,
        "semantic": semantic,
        "in_window": float(bool(in_window)),
        "only_window": float(bool(in_window) and only_window),
        "undated": float(in_window is None),
    }


def identity(vals: dict[str, float]) -> bool:
    """The listing says where or who: an own place or actor, or a region no other known incident
    lists; or a region or an actor several incidents share, with what only this incident has (a date inside its window, an event word
    or a figure of its own). When only the date, a number or the event's words point to the
    incident, or a region that several incidents share without a date, the page decides."""
    if vals["place"] or vals["actor"] or vals["own_region"]:
        return True
    return bool((vals["region"] or vals["shared"]) and (vals["in_window"] or vals["term"] or vals["figure"]))


def event(vals: dict[str, float], words: int = 4) -> bool:
    """Something says what happened: an event word of its kind, an own actor, or, in a title of
    at least four words (a bare place name is close to a description that names it), a
    description close in words or meaning. Broad words (killed, attack, soldier) count only
    when two of them are dated inside the window; without a date the meaning must be closer."""
    dated = bool(vals["in_window"])
    if vals["kind"] or vals["term"] or vals["actor"] or (vals["broad2"] and dated):
        return True
    return words >= 4 and (vals["similar"] >= 0.2 or vals["semantic"] >= (0.6 if dated else 0.65))


def labels(found: dict[str, list[str]], vals: dict[str, float], ratio: float, cosine: float | None,
           where: dict[str, str]) -> tuple[str, ...]:
    """The ``matched`` labels: what fired, with the words; ``where`` maps a label to the
    evidence that alone named it (url, snippet, article)."""
    out = []
    for kind in ("place", "region", "actor", "shared", "term", "event", "figure"):
        labs = found.get(kind, ())
        if kind == "event":     # one word per concept ("killed", not also "kills")
            labs = list({lab.partition("=")[0]: lab for lab in reversed(labs)}.values())[::-1]
        for lab in labs:
            full = f"{'actor' if kind == 'shared' else kind}:{lab}"
            out.append(f"{full} ({where[lab]})" if lab in where else full)
    if vals["similar"] > 0:
        out.append(f"similar:{ratio:.0f}")
    if cosine is not None and vals["semantic"] > 0:
        out.append(f"semantic:{cosine * 100:.0f}")
    if vals["in_window"]:
        out.append("date:in-window")
    if vals["only_window"]:
        out.append("date:only-window")
    if vals["undated"]:
        out.append("date:unknown")
    return tuple(dict.fromkeys(out))

"""``search.py explain``: the verdict on one headline, per incident, in words and numbers."""
from __future__ import annotations

from . import features as F
from .matcher import Matcher


def explain(matcher: Matcher, title: str, *, published=None, lang=None, url=None, summary=None,
            article=None) -> list[str]:
    """Lines for a terminal: per incident, best first, the stage that decided, the features that
    fired with their weights (weight x value, in log-odds), and why it is not a hit."""
    ask = dict(published=published, lang=lang, url=url, summary=summary)
    ms = matcher.assess(title, article=article, every=True, **ask)
    best = {m.incident for m in matcher.best(title, article=article, **ask)}
    w = matcher.weights
    out = [f"headline: {title}",
           f"date: {published or 'unknown'}   model: {'semantic' if matcher.semantic else 'lexical'} weights, "
           f"hit at {w.accept * 100:.0f}, page read from {w.read * 100:.0f}   bias {w.bias:+.2f}"]
    if summary:
        out.append(f"snippet: {summary[:200]}")
    for m in sorted(ms, key=lambda m: (m.incident not in best, -m.score)):
        if m.incident in best:
            verdict = f"HIT, decided by the {m.decided_by}"
        elif m.accepted:
            verdict = "accepted, but another incident scores higher"
        elif m.stage == "read":
            verdict = "candidate: the article page decides"
        elif m.stage == "none":
            verdict = "not a candidate"
        else:
            verdict = "no"
        out.append(f"\n{m.incident}: {verdict} (score {m.score:g})")
        if m.stage == "none":
            continue
        out.append("  evidence: " + (", ".join(m.matched) or "none"))
        for name, value, contrib in (c for c in m.contributions if abs(c[2]) >= 0.005):   # weight 0: nothing
            shown = f" = {value:.2f}" if value not in (0.0, 1.0) else ""
            out.append(f"    {contrib:+6.2f}  {name}{shown}: {F.HELP.get(name, '')}")
        if m.incident not in best:
            out += [f"  why not: {r}" for r in m.reasons if r != "accepted"]
    hits = sorted(best)
    read = [m.incident for m in sorted(ms, key=lambda m: -m.score) if m.stage == "read" and not best]   # best first
    out.append(f"\nverdict: {', '.join(hits) or 'no incident'}")
    if read:
        out.append(f"to read: {', '.join(read)} (a run reads the page: pending.jsonl, then the article decides)")
    return out

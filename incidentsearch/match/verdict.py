"""The article stage's verdicts: the page decides what the listing could not.

A pending headline (undated, or in the window with evidence short of a hit) is judged again
with its page: the page's date (else the listing's), and the page's title, lead and the
beginning of its body as ``article`` evidence. A hit's page is read too, and the verdict on it
(``confirmed`` or ``contradicted``) is recorded beside the hit, never dropping it.
"""
from __future__ import annotations

from typing import Callable

from ..text import dates
from ..config import Incident
from ..records import Hit
from .matcher import Matcher

BODY_CHARS = 1500          # of the page's text, after its lead, read as evidence


def article_text(art: dict, saved: Callable[..., str] | None = None) -> str:
    """What a reader reads first: the page's title, lead and the beginning of its body, read
    through ``saved(art, limit=...)`` (the results folder's ``article_text``) when given."""
    parts = [art.get("title") or "", art.get("lead") or ""]
    if saved is not None:
        parts.append(saved(art, limit=BODY_CHARS + len(art.get("lead") or "")))
    return "\n".join(p for p in parts if p.strip())


def judge(matcher: Matcher, inc: Incident, title: str, article: str, *, published, lang, url):
    """(this incident's match when the page makes it the best, else None; its match with the
    page as evidence; why it is not accepted; the incidents the page fits)."""
    ms = {m.incident: m for m in matcher.assess(title, published=published, lang=lang, url=url, article=article,
                                                 every=True)}
    found = {m.incident for m in matcher.best(title, published=published, lang=lang, url=url, article=article)}
    mine = ms.get(inc.id)
    why = [r for r in mine.reasons if r != "accepted"] if mine else []
    return (mine if inc.id in found else None), mine, why, sorted(found)


def decide_pending(rec: dict, art: dict, inc: Incident, matcher: Matcher,
                   saved: Callable[..., str] | None = None) -> tuple[dict, Hit | None]:
    """A pending headline's page read: with the page's date (else the listing's) and its text it
    is this incident's (the hit to write, ``decided_by: article``) or not (left in pending.jsonl;
    the verdict says why). ``saved`` reads the page's saved text (see :func:`article_text`)."""
    published = dates.parse_date(art["published"]) if art.get("published") else None
    method = "article" if published is not None else rec.get("date_method")
    if published is None and rec.get("published"):
        published = dates.parse_date(rec["published"])
    text = article_text(art, saved)
    if not text.strip() and published is None:
        return {"verdict": "undecided", "reasons": [art.get("error") or "the page gives no date and no text"]}, None
    best, mine, why, fits = judge(matcher, inc, rec["title"], text, published=published, lang=rec.get("lang"),
                                  url=rec["url"])
    if best is None:
        if fits:
            why.append("the page fits " + ", ".join(fits) + " better")
        elif published is None:         # nothing dates it, and its text alone does not decide
            return {"verdict": "undecided", "reasons": ["the page gives no publication date"] + why}, None
        return {"verdict": "not this incident", "published": dates.to_iso(published), "reasons": why}, None
    hit = Hit.from_dict(rec).decided_by_page(best, published=dates.to_iso(published), date_method=method)
    return {"verdict": "confirmed", "score": best.score, "matched": list(best.matched)}, hit


def second_pass(hit: dict, art: dict, inc: Incident, matcher: Matcher,
                saved: Callable[..., str] | None = None) -> dict:
    """The matcher on the headline with its page: ``confirmed``, ``contradicted`` (the page points
    elsewhere or outside the window: marked, never dropped) or ``no text``."""
    text = article_text(art, saved)
    if not (art.get("lead") or "").strip() and not text.strip():
        return {"verdict": "no text"}
    published = dates.parse_date(art["published"]) if art.get("published") else None
    if published is None and hit.get("published"):
        published = dates.parse_date(hit["published"])
    best, mine, why, fits = judge(matcher, inc, hit["title"], text, published=published, lang=hit.get("lang"),
                                  url=hit.get("url"))
    if best is not None:
        return {"verdict": "confirmed", "score": mine.score, "matched": list(mine.matched)}
    if fits:
        why.append("the text fits " + ", ".join(fits) + " better")
    return {"verdict": "contradicted", "score": mine.score if mine else 0, "reasons": why}

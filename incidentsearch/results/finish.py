"""Finishing an incident's folder after a run (the live search's or the archive scan's): its
final run.json, the syndication clusters over the hits and their texts (``clusters.json``),
hits.csv joined with them, and the dossier. The one place a run's final record is written."""
from __future__ import annotations

import json

from ..config import Incident
from ..records import RunRecord
from ..text import dates
from ..text.urls import canonical_url
from .clusters import Item, clusters
from .dossier import write_report
from .folder import IncidentFolder


def finish_incident(folder: IncidentFolder, inc: Incident, record: RunRecord) -> None:
    """run.json's final record, then clusters, hits.csv and report.html from what the folder holds."""
    folder.write_run(record)
    hits = folder.hits()
    arts = folder.articles()
    items = []
    for h in hits:
        a = arts.get(h["url"], {})
        body = folder.article_text(a)
        if not body and isinstance(h.get("text"), str):   # a Telegram post's text, also with --no-articles
            body = h["text"]
        iso = a.get("published") or h.get("published")
        when = dates.parse_date(iso) if iso else None
        items.append(Item(key=canonical_url(h["url"]), title=h["title"], text=body, published=when,
                          outlet=h["outlet"]))
    found = clusters(items)
    by_key = {m: c for c in found for m in c.members}
    url_of = {canonical_url(h["url"]): h["url"] for h in hits}
    cl = [{"id": c.id, "original": url_of.get(c.original, c.original),
           "members": [url_of.get(m, m) for m in c.members], "reasons": list(c.reasons)} for c in found]
    folder.write_clusters(json.dumps(cl, ensure_ascii=False, indent=1) + "\n")
    extra = {}
    for h in hits:
        c = by_key.get(canonical_url(h["url"]))
        a = arts.get(h["url"], {})
        extra[h["url"]] = {"cluster": c.id if c else None,
                           "original": url_of.get(c.original) == h["url"] if c else None,
                           "article": a.get("html"), "article_verdict": (a.get("match") or {}).get("verdict")}
    folder.write_csv(extra)
    rows = [dict(h, cluster=extra[h["url"]]["cluster"]) for h in hits]
    write_report(folder.path, inc, rows, articles=arts, clusters=cl, run=record.as_dict())

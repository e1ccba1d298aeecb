"""What each section of the dossier shows, as plain data for its templates: the run's state,
the incident's card, the timeline's geometry, the reports, the clusters and the coverage.

Nothing here writes HTML: values are plain strings and numbers that the templates escape
(Jinja2 with autoescape on), and a URL that may become a link is a :class:`Link`, whose
``href`` is set only when :func:`safe_href` allows it.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from .dossier_words import (as_date, evidence_words, field, lang_label, lang_of, lang_order, lead_of, reader_date,
                            shown_date, texts_by_lang)

LANG_COLOURS = {"ru": "#3a6ea5", "en": "#d9822b", "uk": "#4a9a5c"}
OTHER_COLOUR = "#8c8c8c"
_ARTICLE_PATH = re.compile(r"articles/(?:[A-Za-z0-9_][A-Za-z0-9._-]*/)*[A-Za-z0-9_][A-Za-z0-9._-]*")


def safe_href(url) -> Markup | None:
    """The escaped href for an http(s) URL or a saved copy under articles/; None otherwise."""
    if not isinstance(url, str) or not url or url != url.strip() or any(ord(c) < 0x21 or c == "\x7f" for c in url):
        return None
    if _ARTICLE_PATH.fullmatch(url) and "/../" not in f"/{url}/":
        return escape(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return escape(url)
    return None


@dataclass(frozen=True)
class Link:
    """``text`` as a link when ``href`` is set (a :func:`safe_href`), as plain text otherwise."""
    text: str
    href: Markup | None
    cls: str = ""
    lang: str = ""
    external: bool = True       # another site's page: rel="noopener noreferrer nofollow"


def link(url, text, *, cls: str = "", lang: str = "", external: bool = True) -> Link:
    return Link("" if text is None else str(text), safe_href(url), cls, lang, external)


def colour(lang: str) -> str:
    return LANG_COLOURS.get(lang, OTHER_COLOUR)


def sort_key(hit: dict):
    """Reports in the order of their day, then outlet and title; undated ones last."""
    pub = hit.get("published")
    return (as_date(pub) or dt.date.max, str(pub or ""), str(hit.get("outlet") or ""), str(hit.get("title") or ""))


# ---------------------------------------------------------------- the run's state

def state(run: dict | None, n_hits: int) -> dict | None:
    """A failed, partial or unfinished run's state, above every count of reports: a run that
    reached nothing must not read like a finding of "0 reports". None for a run that went well.

    ``kind`` is "unfinished", "nothing" (no host reachable: ``reason``), "failed" (no source
    answered), "partial" or "interrupted"; the counts of sources, and the first 8 ``names`` of the
    outlets with a source that failed or answered in part, say the rest."""
    if not run:
        return None
    srcs = [s for o in (run.get("outlets") or {}).values() for s in ((o or {}).get("sources") or [])
            if isinstance(s, dict)]
    failed = [s for s in srcs if s.get("status") == "failed"]
    partial = [s for s in srcs if s.get("status") == "partial"]
    names = [f"{oid}" for oid, o in (run.get("outlets") or {}).items()
             if any(isinstance(s, dict) and s.get("status") in ("failed", "partial") for s in (o or {}).get("sources") or [])]
    verdict = (run.get("network") or {}).get("verdict")
    out = {"n_hits": n_hits, "sources": len(srcs), "failed": len(failed), "partial": len(partial),
           "names": names[:8], "more": len(names) > 8, "reason": ""}
    if run.get("ended") is None and run.get("exit_code") is None:
        out["kind"] = "unfinished"
    elif verdict or (srcs and len(failed) == len(srcs)):
        out["kind"] = "nothing" if verdict else "failed"
        if verdict:     # "no network: could not reach any of 39 hosts (...); check ..." -> its middle
            out["reason"] = str(verdict).split(": ", 1)[-1].split(";")[0]
    elif failed or partial:
        out["kind"] = "partial"
    elif run.get("interrupted"):
        out["kind"] = "interrupted"
    else:
        return None
    return out


# ---------------------------------------------------------------- the incident's card

def card(incident, hits: list[dict], clusters: list[dict]) -> dict:
    """The incident: its titles, days, id, places, regions, actors and descriptions, and the
    counts of reports, outlets, dated and undated ones, clusters and reports per language."""
    title = field(incident, "title")
    start, end = as_date(field(incident, "date")), as_date(field(incident, "end"))
    when = start.isoformat() if start else "unknown date"
    if end and end != start:
        when += f" – {end.isoformat()}"
    lists = [(label, ", ".join(str(v) for v in vals))
             for label, vals in (("Places", field(incident, "places")), ("Regions", field(incident, "regions")),
                                 ("Actors", field(incident, "actors"))) if vals]
    descs = [(lg, d) for lg, ds in texts_by_lang(field(incident, "descriptions")).items() for d in ds]
    langs = Counter(lang_of(h) for h in hits)
    dated = sum(1 for h in hits if as_date(h.get("published")))
    stats = [(len(hits), "reports"), (len({h.get("outlet") for h in hits}), "outlets"),
             (dated, "dated"), (len(hits) - dated, "undated"),
             (sum(1 for c in clusters if len(c.get("members") or []) > 1), "clusters")]
    stats += [(langs[lg], lang_label(lg)) for lg in lang_order(langs)]
    return {"en": field(title, "en") or field(incident, "id") or "Incident", "ru": field(title, "ru"),
            "when": when, "id": field(incident, "id"), "lists": lists, "descriptions": descs, "stats": stats}


# ---------------------------------------------------------------- the timeline

SVG_WIDTH, SVG_HEIGHT = 1180, 280
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 26, 48


def timeline(incident, hits: list[dict]) -> dict:
    """Reports per day and language, as the geometry of a stacked bar chart (in SVG user units):
    the incident's days marked, a y grid, a bar per day and language, date ticks, a legend.
    ``days`` is empty when no report is dated."""
    per_day: dict[dt.date, Counter] = defaultdict(Counter)
    for h in hits:
        day = as_date(h.get("published"))
        if day:
            per_day[day][lang_of(h)] += 1
    undated = len(hits) - sum(sum(c.values()) for c in per_day.values())
    if not per_day:
        return {"days": [], "undated": undated}
    inc_start = as_date(field(incident, "date"))
    inc_end = as_date(field(incident, "end")) or inc_start
    first, last = min(per_day), max(per_day)
    if inc_start:  # keep the incident's days in view so they can be marked
        first, last = min(first, inc_start), max(last, inc_end)
    ndays = (last - first).days + 1
    width, height, left, right, top = SVG_WIDTH, SVG_HEIGHT, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP
    pw, ph = width - left - right, height - top - MARGIN_BOTTOM
    slot = pw / ndays
    bar = max(1.0, min(slot * 0.8, 36.0))
    peak = max(sum(c.values()) for c in per_day.values())
    step_y = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 10**9) if peak / s <= 6)
    ymax = max(step_y, -(-peak // step_y) * step_y)
    sy = ph / ymax
    x_of = lambda d: left + (d - first).days * slot  # noqa: E731
    marked = None
    if inc_start:
        x0, x1 = x_of(inc_start), x_of(inc_end) + slot
        marked = {"x": x0, "width": x1 - x0, "day": inc_start.isoformat()}
    grid = [(v, top + ph - v * sy) for v in range(0, ymax + 1, step_y)]
    order = lang_order(Counter({lg: 1 for c in per_day.values() for lg in c}))
    days = []
    for day in sorted(per_day):
        counts, y = per_day[day], top + ph
        bars = []
        for lang in order:
            n = counts.get(lang, 0)
            if not n:
                continue
            y -= n * sy
            bars.append({"lang": lang, "count": n, "y": y, "height": n * sy, "colour": colour(lang),
                         "label": lang_label(lang)})
        days.append({"date": day.isoformat(), "total": sum(counts.values()), "x": x_of(day) + (slot - bar) / 2,
                     "bars": bars})
    tick = next(s for s in (1, 2, 3, 7, 14, 28, 61, 91, 182, 365, 730, 10**6) if ndays / s <= pw / 72)
    ticks, prev_year = [], None
    for i in range(0, ndays, tick):
        d = first + dt.timedelta(days=i)
        ticks.append({"x": x_of(d) + slot / 2, "label": d.strftime("%d %b"),
                      "year": d.strftime("%Y") if d.year != prev_year else ""})
        prev_year = d.year
    total = Counter()
    for c in per_day.values():
        total.update(c)
    legend = [{"lang": lg, "count": total[lg], "colour": colour(lg), "label": lang_label(lg)} for lg in order]
    return {"days": days, "undated": undated, "first": first.isoformat(), "last": last.isoformat(),
            "width": width, "height": height, "left": left, "right": width - right, "top": top, "plot_height": ph,
            "bottom": top + ph, "bar": bar, "incident": marked, "grid": grid, "ticks": ticks, "legend": legend}


# ---------------------------------------------------------------- the reports

def report_row(hit: dict, article: dict | None, incident_day: dt.date | None = None) -> dict:
    """One report: its date (and how far from the incident), outlet, headline with its lead
    under it, the saved copy and the original one click away, and the evidence in words."""
    lang = lang_of(hit)
    title = hit.get("title") or hit.get("url") or "(no title)"
    saved = article.get("html") if article else None
    saved_ok = bool(saved and safe_href(saved))
    if saved_ok:
        head = link(saved, title, cls="hl", lang=lang, external=False)
    else:
        head = link(hit.get("url"), title, cls="hl", lang=lang)
    lead, lead_from = lead_of(hit, article)
    links: list[Link] = []
    if saved_ok:
        links.append(link(saved, "saved copy", external=False))
    original = link(hit.get("url"), "original")
    if original.href is not None:
        links.append(original)
    error = None
    if article:
        if article.get("source") == "wayback" and safe_href(article.get("snapshot")):
            links.append(link(article.get("snapshot"), "Wayback copy"))
        final = article.get("final_url")
        if final and final != hit.get("url") and safe_href(final):
            links.append(link(final, "publisher page"))
        error = article.get("error") or None
    publisher = hit.get("publisher")
    score = hit.get("score")
    matched = hit.get("matched") or []
    cluster = hit.get("cluster")
    shown, rel = reader_date(hit.get("published"), incident_day)
    iso = as_date(hit.get("published"))
    return {"lang": lang, "iso": iso.isoformat() if iso else "", "shown": shown, "rel": rel,
            "outlet": hit.get("outlet"),
            "publisher": publisher if publisher and publisher != hit.get("outlet") else None,
            "head": head, "lead": lead, "lead_from": lead_from, "links": links, "error": error,
            "score": f"{score:g}" if isinstance(score, (int, float)) else score,
            "cluster": None if cluster in (None, "") else cluster, "source": hit.get("source"),
            "evidence": evidence_words(matched, hit.get("decided_by")),
            "matched": "; ".join(str(m) for m in matched) if isinstance(matched, list) else matched}


def reports(hits: list[dict], articles: dict[str, dict], incident_day: dt.date | None = None) -> dict:
    """The reports' rows, dated ones by day, then the undated ones."""
    dated = sorted((h for h in hits if as_date(h.get("published"))), key=sort_key)
    undated = sorted((h for h in hits if not as_date(h.get("published"))), key=sort_key)
    return {"count": len(hits),
            "dated": [report_row(h, articles.get(h.get("url")), incident_day) for h in dated],
            "undated": [report_row(h, articles.get(h.get("url")), incident_day) for h in undated]}


# ---------------------------------------------------------------- the clusters

def derive_clusters(hits: list[dict]) -> list[dict]:
    """Clusters from the hits' own ``cluster`` ids, the earliest report the original."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for h in hits:
        if h.get("cluster") not in (None, ""):
            groups[str(h["cluster"])].append(h)
    out = []
    for cid, members in groups.items():
        members.sort(key=sort_key)
        out.append({"id": cid, "original": members[0].get("url"), "members": [m.get("url") for m in members]})
    return out


def syndication(clusters: list[dict], hits: list[dict]) -> list[dict]:
    """The clusters of more than one copy, each with its original first, then the copies by day."""
    by_url = {h.get("url"): h for h in hits}
    out = []
    for c in clusters:
        if len(c.get("members") or []) <= 1:
            continue
        members = list(dict.fromkeys(c.get("members") or []))
        orig = c.get("original")
        if orig in members:
            members.remove(orig)
        members.sort(key=lambda u: sort_key(by_url.get(u, {})))
        reasons = c.get("reasons") or []
        shown = []
        for n, url in enumerate(([orig] if orig else []) + members):
            h = by_url.get(url, {})
            shown.append({"link": link(url, h.get("title") or url, lang=lang_of(h)),
                          "outlet": h.get("outlet") or "unknown outlet",
                          "date": shown_date(h.get("published")) or "undated", "original": bool(n == 0 and orig)})
        out.append({"id": c.get("id"), "copies": len(members) + (1 if orig else 0),
                    "reasons": "; ".join(str(r) for r in reasons) if reasons else None, "members": shown})
    return out


# ---------------------------------------------------------------- the coverage

def _num(value) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, (list, dict)):
        return len(value)
    return 0


def _statuses(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}×{v}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def coverage(run: dict | None) -> dict | None:
    """The run's coverage per outlet and source (requests, HTTP statuses, candidates, hits,
    robots.txt, caps, errors) and its totals; None without a run record."""
    if not run:
        return None
    meta = [(k.replace("_", " "), run.get(k)) for k in ("version", "started", "ended", "exit_code")
            if run.get(k) is not None]
    rows, totals = [], Counter()
    for oid, outlet in (run.get("outlets") or {}).items():
        sources = (outlet or {}).get("sources") or []
        name = (outlet or {}).get("name") or oid
        for i, s in enumerate(sources or [{}]):
            status = str(s.get("status") or "")
            failed = status == "failed"
            errors = s.get("errors") or []
            errors = errors if isinstance(errors, list) else [errors]
            capped = s.get("capped")
            vals = dict(req=_num(s.get("requests")), cand=_num(s.get("candidates")), hits=_num(s.get("hits")),
                        robots=_num(s.get("robots_blocked")), capped=_num(capped))
            totals.update(vals)
            totals["answered" if status in ("ok", "partial") else "failed" if failed else "other"] += 1
            rows.append({"outlet": oid, "name": name, "group": (len(sources) or 1) if i == 0 else 0,
                         "kind": s.get("kind"), "url": link(s.get("url"), s.get("url")) if s.get("url") else None,
                         "status": status, "status_class": status if status in ("ok", "partial", "failed") else "",
                         "statuses": _statuses(s.get("statuses")), "errors": errors, "capped": bool(capped), **vals})
    return {"meta": meta, "rows": rows,
            "totals": {k: totals[k] for k in ("answered", "failed", "robots", "capped", "req", "hits")}}


# ---------------------------------------------------------------- the page

def page(incident, hits: list[dict], *, articles: dict[str, dict] | None = None,
         clusters: list[dict] | None = None, run: dict | None = None) -> dict:
    """Everything the page shows, by section."""
    hits = [h for h in hits if isinstance(h, dict)]
    articles = articles or {}
    clusters = clusters if clusters is not None else derive_clusters(hits)
    return {"title": field(field(incident, "title"), "en") or field(incident, "id") or "Incident",
            "state": state(run, len(hits)), "card": card(incident, hits, clusters),
            "timeline": timeline(incident, hits),
            "reports": reports(hits, articles, incident_day=as_date(field(incident, "date"))),
            "clusters": syndication(clusters, hits), "coverage": coverage(run)}

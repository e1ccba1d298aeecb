"""The incident dossier: one self-contained ``report.html`` in the incident's folder.

The page needs nothing but itself: no scripts (a Content-Security-Policy forbids
them), no external fonts, images or style sheets. It shows the incident's card,
a timeline of reports per day and language (inline SVG), every hit in a table,
the syndication clusters and the run's coverage per outlet.

Every string that came from an outlet or a file is HTML-escaped; a URL becomes
a link only when it is http(s) or a saved copy under ``articles/``.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

from .. import __version__
from .dossier_parts import _as_date, _e, _get, _lang, _lang_label, _lang_order, _link, _shown_date, _texts, _timeline, evidence_words, lead_of, reader_date, safe_href
from .folder import atomic_write

CSS = """
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#d9dce1;--bg2:#f5f6f8;--accent:#3a6ea5}*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;
 color:var(--fg);margin:0 auto;max-width:1240px;padding:24px 28px 48px;background:#fff}
h1{font-size:1.6em;margin:0 0 2px;line-height:1.2}
h2{font-size:1.15em;margin:34px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--fg)}
h3{font-size:1em;margin:16px 0 6px}a{color:var(--accent)}
.sub{font-size:1.15em;color:var(--muted);margin:0 0 14px}.muted,.small{color:var(--muted)}.small{font-size:.8em}
.card{border:1px solid var(--line);border-left:5px solid var(--accent);background:var(--bg2);
 padding:14px 18px;border-radius:4px}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
.card dt{font-weight:600;color:var(--muted)}.card dd{margin:0}.card ul{margin:0;padding-left:1.1em}
.card ul.stats,.stats{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 0;padding:0;list-style:none}
.card dd.list{font-size:.88em}
.stats li{border:1px solid var(--line);border-radius:4px;padding:6px 12px;background:#fff}
.stats b{font-size:1.25em;margin-right:4px}svg{display:block;max-width:100%;height:auto}
svg text{font-family:inherit;font-size:11px;fill:#444}
.legend{display:flex;gap:16px;flex-wrap:wrap;font-size:.9em;margin:6px 0}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
thead th{background:var(--bg2);border-bottom:2px solid #b9bdc4;position:sticky;top:0}
tbody th{background:#eef0f3;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.date{white-space:nowrap;font-variant-numeric:tabular-nums}
td.feat{font-size:.8em;color:var(--muted);min-width:220px;max-width:320px}
p.lead{margin:3px 0 2px;font-size:.92em;color:#333;max-width:60em}.hl{font-weight:500}
.tag{display:inline-block;font-size:.75em;padding:0 5px;border-radius:3px;border:1px solid var(--line);
 background:var(--bg2);white-space:nowrap}
.ok{color:#2e7d32}.partial{color:#b26a00}.failed{color:#c62828;font-weight:600}
.cluster{border:1px solid var(--line);border-radius:4px;padding:8px 14px;margin:10px 0;break-inside:avoid}
.cluster ol{margin:4px 0;padding-left:1.4em}.cluster li.original{font-weight:600}details summary{cursor:pointer}
.state{border:2px solid #c62828;background:#fdecea;border-radius:4px;padding:4px 16px;margin:0 0 18px}
.state h2{border:0;margin:8px 0 2px;color:#c62828}
footer{margin-top:40px;font-size:.8em;color:var(--muted)}
@media print{body{max-width:none;padding:0;font-size:11px}thead th{position:static}
 a{color:inherit;text-decoration:none}h2{break-after:avoid}tr{break-inside:avoid}}
"""


def _state(run: dict | None, n_hits: int) -> str:
    """A failed, partial or unfinished run's state, in words, above every count of reports: a
    run that reached nothing must not read like a finding of "0 reports"."""
    if not run:
        return ""
    srcs = [s for o in (run.get("outlets") or {}).values() for s in ((o or {}).get("sources") or [])
            if isinstance(s, dict)]
    failed = [s for s in srcs if s.get("status") == "failed"]
    partial = [s for s in srcs if s.get("status") == "partial"]
    names = [f"{oid}" for oid, o in (run.get("outlets") or {}).items()
             if any(isinstance(s, dict) and s.get("status") in ("failed", "partial") for s in (o or {}).get("sources") or [])]
    verdict = (run.get("network") or {}).get("verdict")
    found = (f"the {n_hits} report{'s' if n_hits != 1 else ''} below {'are' if n_hits != 1 else 'is'} what the "
             "sources that answered gave" if n_hits else "no report was found by the sources that answered")
    if run.get("ended") is None and run.get("exit_code") is None:
        head, text = "Unfinished run", ("This run had not ended when this page was written (it is under way, "
                                        "or was killed): what is below is what it had found so far.")
    elif verdict or (srcs and len(failed) == len(srcs)):
        head = "Nothing was searched" if verdict else "The search failed"
        why = ("No host could be reached: " + verdict.split(": ", 1)[1].split(";")[0] + ". " if verdict
               else f"None of the {len(srcs)} sources answered. ")
        text = (why + "The count of reports below says nothing about what was published; "
                "run the search again when the sources can be reached (<code>python search.py check</code> "
                "tells which answer).")
    elif failed or partial:
        head = "Partial search"
        text = (f"{len(failed)} of {len(srcs)} sources failed" + (f" and {len(partial)} answered in part" if partial
                                                                  else "")
                + f" ({_e(', '.join(names[:8]))}{', …' if len(names) > 8 else ''}): reports from them may be "
                f"missing, and {found}. Each failure is listed under Coverage below.")
    elif run.get("interrupted"):
        head, text = "Interrupted run", f"The run was interrupted before it ended: {found}."
    else:
        return ""
    return f'<section id="state" class="state"><h2>{_e(head)}</h2><p>{text}</p></section>'


def _card(incident, hits: list[dict], clusters: list[dict]) -> str:
    title = _get(incident, "title")
    en, ru = _get(title, "en") or _get(incident, "id") or "Incident", _get(title, "ru")
    start, end = _as_date(_get(incident, "date")), _as_date(_get(incident, "end"))
    when = start.isoformat() if start else "unknown date"
    if end and end != start:
        when += f" – {end.isoformat()}"
    rows = [("Date", _e(when), ""), ("Incident id", f"<code>{_e(_get(incident, 'id'))}</code>", "")]
    for label, attr in (("Places", "places"), ("Regions", "regions"), ("Actors", "actors")):
        vals = _get(incident, attr) or []
        if vals:
            rows.append((label, _e(", ".join(str(v) for v in vals)), "list"))
    descs = _texts(_get(incident, "descriptions"))
    if descs:
        items = "".join(f'<li lang="{lg}">{_e(d)} <span class="tag">{lg}</span></li>'
                        for lg, ds in descs.items() for d in ds)
        rows.append(("Descriptions", f"<ul>{items}</ul>", ""))
    langs = Counter(_lang(h) for h in hits)
    dated = sum(1 for h in hits if _as_date(h.get("published")))
    stats = [(len(hits), "reports"), (len({h.get("outlet") for h in hits}), "outlets"),
             (dated, "dated"), (len(hits) - dated, "undated"),
             (sum(1 for c in clusters if len(c.get("members") or []) > 1), "clusters")]
    stats += [(langs[lg], _lang_label(lg)) for lg in _lang_order(langs)]
    return ('<section id="incident" class="card">'
            f'<h1 lang="en">{_e(en)}</h1>'
            + (f'<p class="sub" lang="ru">{_e(ru)}</p>' if ru else "")
            + "<dl>" + "".join(f'<dt>{k}</dt><dd class="{c}">{v}</dd>' for k, v, c in rows) + "</dl>"
            + '<ul class="stats">' + "".join(f"<li><b>{n}</b>{_e(t)}</li>" for n, t in stats) + "</ul>"
            + "</section>")


def _sort_key(hit: dict):
    pub = hit.get("published")
    return (_as_date(pub) or dt.date.max, str(pub or ""), str(hit.get("outlet") or ""), str(hit.get("title") or ""))


def _hit_row(hit: dict, article: dict | None, incident_day: dt.date | None = None) -> str:
    """One report: its date (and how far from the incident), outlet, headline with its lead
    under it, the saved copy and the original one click away, and the evidence in words."""
    lang = _lang(hit)
    title = _e(hit.get("title") or hit.get("url") or "(no title)")
    lang_attr = lang or None
    saved = article.get("html") if article else None
    if saved and safe_href(saved):
        head = _link(saved, title, cls="hl", lang=lang_attr, external=False)
    else:
        head = _link(hit.get("url"), title, cls="hl", lang=lang_attr)
    lead, where = lead_of(hit, article)
    if lead:
        head += (f'<p class="lead"{f" lang={chr(34)}{lang}{chr(34)}" if lang else ""}>{_e(lead)}'
                 f' <span class="small">({_e(where)})</span></p>')
    links = []
    if saved and safe_href(saved):
        links.append(_link(saved, "saved copy", external=False))
    orig = _link(hit.get("url"), "original")
    if "<a " in orig:
        links.append(orig)
    if article:
        if article.get("source") == "wayback" and safe_href(article.get("snapshot")):
            links.append(_link(article.get("snapshot"), "Wayback copy"))
        final = article.get("final_url")
        if final and final != hit.get("url") and safe_href(final):
            links.append(_link(final, "publisher page"))
        if article.get("error"):
            links.append(f'<span class="failed">capture failed: {_e(article.get("error"))}</span>')
    extra = f'<div class="small links">{" · ".join(links)}</div>' if links else ""
    outlet = _e(hit.get("outlet"))
    if hit.get("publisher") and hit.get("publisher") != hit.get("outlet"):
        outlet += f'<div class="small">via {_e(hit.get("publisher"))}</div>'
    score = hit.get("score")
    score = f"{score:g}" if isinstance(score, (int, float)) else _e(score)
    matched = hit.get("matched") or []
    feats = _e(evidence_words(matched, hit.get("decided_by")))
    raw = _e("; ".join(str(m) for m in matched) if isinstance(matched, list) else matched)
    cluster = hit.get("cluster")
    cluster = f'<a href="#cluster-{_e(cluster)}">{_e(cluster)}</a>' if cluster not in (None, "") else ""
    shown, rel = reader_date(hit.get("published"), incident_day)
    iso = _as_date(hit.get("published"))
    when = (f'{_e(shown)}<div class="small">{_e(rel)}</div>' if rel else _e(shown))
    return (f'<tr class="hit" data-lang="{_e(lang)}"><td class="date" data-date="{iso.isoformat() if iso else ""}">'
            f"{when}</td>"
            f"<td>{outlet}</td><td>{_e(lang)}</td><td>{head}{extra}</td><td class=\"num\">{score}</td>"
            f'<td>{cluster}</td><td><span class="tag">{_e(hit.get("source"))}</span></td>'
            f'<td class="feat" title="{raw}">{feats}</td></tr>')


def _table(hits: list[dict], articles: dict[str, dict], *, failed: bool = False,
           incident_day: dt.date | None = None) -> str:
    dated = sorted((h for h in hits if _as_date(h.get("published"))), key=_sort_key)
    undated = sorted((h for h in hits if not _as_date(h.get("published"))), key=_sort_key)
    head = ("<thead><tr><th>Date</th><th>Outlet</th><th>Lang</th><th>Headline</th><th class=\"num\">Score</th>"
            "<th>Cluster</th><th>Source</th><th>Evidence</th></tr></thead>")
    body = '<tbody class="dated">' + "".join(_hit_row(h, articles.get(h.get("url")), incident_day) for h in dated) + "</tbody>"
    if undated:
        body += ('<tbody class="undated"><tr><th colspan="8">Undated reports</th></tr>'
                 + "".join(_hit_row(h, articles.get(h.get("url")), incident_day) for h in undated) + "</tbody>")
    return (f'<section id="hits"><h2>Reports ({len(hits)})</h2>'
            + (f'<table class="hits">{head}{body}</table>' if hits else
               '<p class="muted">No reports found' + (" by the sources that answered (see the top of the page)."
                                                      if failed else ".") + "</p>")
            + "</section>")


def _derive_clusters(hits: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for h in hits:
        if h.get("cluster") not in (None, ""):
            groups[str(h["cluster"])].append(h)
    out = []
    for cid, members in groups.items():
        members.sort(key=_sort_key)
        out.append({"id": cid, "original": members[0].get("url"), "members": [m.get("url") for m in members]})
    return out


def _clusters(clusters: list[dict], hits: list[dict]) -> str:
    by_url = {h.get("url"): h for h in hits}
    shown = [c for c in clusters if len(c.get("members") or []) > 1]
    parts = [f'<section id="clusters"><h2>Syndication clusters ({len(shown)})</h2>']
    if not shown:
        parts.append('<p class="muted">No report was found in more than one copy.</p>')
    for c in shown:
        members = list(dict.fromkeys(c.get("members") or []))
        orig = c.get("original")
        if orig in members:
            members.remove(orig)
        members.sort(key=lambda u: _sort_key(by_url.get(u, {})))
        reasons = c.get("reasons") or []
        parts.append(f'<div class="cluster" id="cluster-{_e(c.get("id"))}"><h3>Cluster {_e(c.get("id"))} '
                     f'<span class="small">{len(members) + (1 if orig else 0)} copies'
                     + (f" · {_e('; '.join(str(r) for r in reasons))}" if reasons else "") + "</span></h3><ol>")
        for n, url in enumerate(([orig] if orig else []) + members):
            h = by_url.get(url, {})
            lang = _lang(h)
            label = _e(h.get("title") or url)
            who = f'{_e(h.get("outlet") or "unknown outlet")}, {_e(_shown_date(h.get("published")) or "undated")}'
            mark = ' <span class="tag">original</span>' if n == 0 and orig else ""
            parts.append(f'<li class="{"original" if mark else "copy"}">{_link(url, label, lang=lang or None)}'
                         f' <span class="small">— {who}</span>{mark}</li>')
        parts.append("</ol></div>")
    return "".join(parts) + "</section>"


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


def _coverage(run: dict | None) -> str:
    head = '<section id="coverage"><h2>Coverage of the run</h2>'
    if not run:
        return head + '<p class="muted">No run record (run.json) was given.</p></section>'
    meta = [(k, run.get(k)) for k in ("version", "started", "ended", "exit_code") if run.get(k) is not None]
    info = " · ".join(f"{_e(k.replace('_', ' '))}: {_e(v)}" for k, v in meta)
    rows, totals = [], Counter()
    for oid, outlet in (run.get("outlets") or {}).items():
        sources = (outlet or {}).get("sources") or []
        name = _e((outlet or {}).get("name") or oid)
        for i, s in enumerate(sources or [{}]):
            status = str(s.get("status") or "")
            failed = status == "failed"
            errors = s.get("errors") or []
            errors = errors if isinstance(errors, list) else [errors]
            err_html = (f'<details><summary>{len(errors)} error(s)</summary><ul class="small">'
                        + "".join(f"<li>{_e(e)}</li>" for e in errors) + "</ul></details>") if errors else ""
            capped = s.get("capped")
            vals = dict(req=_num(s.get("requests")), cand=_num(s.get("candidates")), hits=_num(s.get("hits")),
                        robots=_num(s.get("robots_blocked")), capped=_num(capped))
            totals.update(vals)
            totals["answered" if status in ("ok", "partial") else "failed" if failed else "other"] += 1
            cls = {"ok": "ok", "partial": "partial", "failed": "failed"}.get(status, "")
            first = (f'<th rowspan="{len(sources) or 1}" scope="rowgroup">{name}<div class="small">'
                     f'<code>{_e(oid)}</code></div></th>') if i == 0 else ""
            src = f'<span class="tag">{_e(s.get("kind"))}</span> ' + (
                f'<span class="small">{_link(s.get("url"), _e(s.get("url")))}</span>' if s.get("url") else "")
            rows.append(f'<tr class="source" data-outlet="{_e(oid)}" data-status="{_e(status)}">{first}<td>{src}</td>'
                        f'<td class="{cls}">{_e(status or "—")}</td><td class="num">{vals["req"]}</td>'
                        f'<td class="small">{_e(_statuses(s.get("statuses")))}</td>'
                        f'<td class="num">{vals["cand"]}</td><td class="num">{vals["hits"]}</td>'
                        f'<td class="num">{vals["robots"] or ""}</td>'
                        f'<td>{"capped" if capped else ""}</td><td>{err_html}</td></tr>')
    summary = (f'<ul class="stats"><li><b>{totals["answered"]}</b>sources answered</li>'
               f'<li><b>{totals["failed"]}</b>failed</li><li><b>{totals["robots"]}</b>blocked by robots.txt</li>'
               f'<li><b>{totals["capped"]}</b>capped</li><li><b>{totals["req"]}</b>requests</li>'
               f'<li><b>{totals["hits"]}</b>hits</li></ul>')
    table = ('<table class="coverage"><thead><tr><th>Outlet</th><th>Source</th><th>Status</th>'
             '<th class="num">Requests</th><th>HTTP statuses</th><th class="num">Candidates</th>'
             '<th class="num">Hits</th><th class="num">Robots-blocked</th><th>Capped</th><th>Errors</th>'
             "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>") if rows else \
        '<p class="muted">The run record names no outlets.</p>'
    return head + (f'<p class="small">{info}</p>' if info else "") + summary + table + "</section>"


def render(incident, hits: list[dict], *, articles: dict[str, dict] | None = None,
           clusters: list[dict] | None = None, run: dict | None = None) -> str:
    """The whole report page as a string."""
    hits = [h for h in hits if isinstance(h, dict)]
    articles = articles or {}
    clusters = clusters if clusters is not None else _derive_clusters(hits)
    title = _get(_get(incident, "title"), "en") or _get(incident, "id") or "Incident"
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            '<meta name="referrer" content="no-referrer">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)} — reports</title><style>{CSS}</style></head><body>"
            + _state(run, len(hits)) + _card(incident, hits, clusters) + _timeline(incident, hits)
            + _table(hits, articles, failed=bool(_state(run, len(hits))),
                     incident_day=_as_date(_get(incident, "date")))
            + _clusters(clusters, hits) + _coverage(run)
            + f"<footer>Generated {now} by incidentsearch {_e(__version__)}.</footer></body></html>\n")


def write_report(folder: Path, incident, hits: list[dict], *, articles: dict[str, dict] | None = None,
                 clusters: list[dict] | None = None, run: dict | None = None) -> Path:
    """Write ``folder/report.html`` atomically and return its path."""
    path = Path(folder) / "report.html"
    atomic_write(path, render(incident, hits, articles=articles, clusters=clusters, run=run))
    return path

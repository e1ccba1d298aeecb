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
import re
from collections import Counter, defaultdict
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__
from .store import atomic_write

LANG_COLOURS = {"ru": "#3a6ea5", "en": "#d9822b", "uk": "#4a9a5c"}
OTHER_COLOUR = "#8c8c8c"
LANG_NAMES = {"ru": "Russian", "en": "English", "uk": "Ukrainian"}
_ARTICLE_PATH = re.compile(r"articles/(?:[A-Za-z0-9_][A-Za-z0-9._-]*/)*[A-Za-z0-9_][A-Za-z0-9._-]*")
_LANG_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")

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
td.feat{font-size:.75em;color:var(--muted);max-width:220px}.hl{font-weight:500}
.tag{display:inline-block;font-size:.75em;padding:0 5px;border-radius:3px;border:1px solid var(--line);
 background:var(--bg2);white-space:nowrap}
.ok{color:#2e7d32}.partial{color:#b26a00}.failed{color:#c62828;font-weight:600}
.cluster{border:1px solid var(--line);border-radius:4px;padding:8px 14px;margin:10px 0;break-inside:avoid}
.cluster ol{margin:4px 0;padding-left:1.4em}.cluster li.original{font-weight:600}details summary{cursor:pointer}
footer{margin-top:40px;font-size:.8em;color:var(--muted)}
@media print{body{max-width:none;padding:0;font-size:11px}thead th{position:static}
 a{color:inherit;text-decoration:none}h2{break-after:avoid}tr{break-inside:avoid}}
"""


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def safe_href(url) -> str | None:
    """The escaped href for an http(s) URL or a saved copy under articles/; None otherwise."""
    if not isinstance(url, str) or not url or url != url.strip() or any(ord(c) < 0x21 or c == "\x7f" for c in url):
        return None
    if _ARTICLE_PATH.fullmatch(url) and "/../" not in f"/{url}/":
        return _e(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return _e(url)
    return None


def _link(url, text: str, *, cls: str = "", lang: str | None = None, external: bool = True) -> str:
    """``text`` (already escaped) as a link to url when the URL is safe, as plain text otherwise."""
    attrs = f' class="{cls}"' if cls else ""
    if lang:
        attrs += f' lang="{lang}"'
    href = safe_href(url)
    if href is None:
        return f"<span{attrs}>{text}</span>"
    rel = ' rel="noopener noreferrer nofollow"' if external else ""
    return f'<a href="{href}"{attrs}{rel}>{text}</a>'


def _get(obj, name, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _texts(obj) -> dict[str, list[str]]:
    """A Texts model or a dict of lists, per language."""
    out = {}
    for lang in ("en", "ru", "uk"):
        vals = _get(obj, lang) or []
        if isinstance(vals, str):
            vals = [vals]
        if vals:
            out[lang] = [str(v) for v in vals]
    return out


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _lang(hit) -> str:
    code = str(hit.get("lang") or "").strip().lower()
    return code if _LANG_CODE.fullmatch(code) else ""


def _shown_date(published) -> str:
    day = _as_date(published)
    if day is None:
        return ""
    time = published[11:16] if isinstance(published, str) and len(published) >= 16 else ""
    return day.isoformat() + (f" {time}" if re.fullmatch(r"\d\d:\d\d", time) else "")


def _colour(lang: str) -> str:
    return LANG_COLOURS.get(lang, OTHER_COLOUR)


def _lang_order(counts: Counter) -> list[str]:
    known = [lg for lg in LANG_COLOURS if lg in counts]
    return known + sorted(lg for lg in counts if lg not in LANG_COLOURS)


def _lang_label(lang: str) -> str:
    return LANG_NAMES.get(lang, lang or "unknown")


# ---------------------------------------------------------------- sections

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


def _timeline(incident, hits: list[dict]) -> str:
    per_day: dict[dt.date, Counter] = defaultdict(Counter)
    for h in hits:
        day = _as_date(h.get("published"))
        if day:
            per_day[day][_lang(h)] += 1
    undated = len(hits) - sum(sum(c.values()) for c in per_day.values())
    head = '<section id="timeline"><h2>Reports per day</h2>'
    if not per_day:
        return head + f'<p class="muted">No dated reports ({undated} undated).</p></section>'
    inc_start = _as_date(_get(incident, "date"))
    inc_end = _as_date(_get(incident, "end")) or inc_start
    first, last = min(per_day), max(per_day)
    if inc_start:  # keep the incident's days in view so they can be marked
        first, last = min(first, inc_start), max(last, inc_end)
    ndays = (last - first).days + 1
    width, height, left, right, top, bottom = 1180, 280, 44, 12, 26, 48
    pw, ph = width - left - right, height - top - bottom
    slot = pw / ndays
    bar = max(1.0, min(slot * 0.8, 36.0))
    peak = max(sum(c.values()) for c in per_day.values())
    step_y = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 10**9) if peak / s <= 6)
    ymax = max(step_y, -(-peak // step_y) * step_y)
    sy = ph / ymax
    x_of = lambda d: left + (d - first).days * slot  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="Reports per day by language">']
    if inc_start:
        x0, x1 = x_of(inc_start), x_of(inc_end) + slot
        out.append(f'<g class="incident-day"><rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{ph}" '
                   f'fill="#c62828" fill-opacity="0.09"/><line x1="{x0:.1f}" x2="{x0:.1f}" y1="{top - 6}" '
                   f'y2="{top + ph}" stroke="#c62828" stroke-dasharray="4 3"/>'
                   f'<text x="{x0 + 3:.1f}" y="{top - 9}" style="fill:#c62828;font-weight:600">'
                   f'incident {_e(inc_start.isoformat())}</text></g>')
    for v in range(0, ymax + 1, step_y):
        y = top + ph - v * sy
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e5e8"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v}</text>')
    order = _lang_order(Counter({lg: 1 for c in per_day.values() for lg in c}))
    for day in sorted(per_day):
        counts, y = per_day[day], top + ph
        x = x_of(day) + (slot - bar) / 2
        out.append(f'<g class="day" data-date="{day.isoformat()}" data-total="{sum(counts.values())}">')
        for lang in order:
            n = counts.get(lang, 0)
            if not n:
                continue
            y -= n * sy
            out.append(f'<rect class="bar" data-lang="{_e(lang)}" data-count="{n}" x="{x:.1f}" y="{y:.1f}" '
                       f'width="{bar:.1f}" height="{n * sy:.1f}" fill="{_colour(lang)}">'
                       f'<title>{day.isoformat()}: {n} {_e(_lang_label(lang))}</title></rect>')
        out.append("</g>")
    tick = next(s for s in (1, 2, 3, 7, 14, 28, 61, 91, 182, 365, 730, 10**6) if ndays / s <= pw / 72)
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#555"/>')
    prev_year = None
    for i in range(0, ndays, tick):
        d = first + dt.timedelta(days=i)
        xc = x_of(d) + slot / 2
        label = d.strftime("%d %b")
        year = d.strftime("%Y") if d.year != prev_year else ""
        prev_year = d.year
        out.append(f'<line x1="{xc:.1f}" x2="{xc:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#555"/>'
                   f'<text class="tick" x="{xc:.1f}" y="{top + ph + 17}" text-anchor="middle">{label}</text>'
                   + (f'<text x="{xc:.1f}" y="{top + ph + 31}" text-anchor="middle">{year}</text>' if year else ""))
    out.append("</svg>")
    total = Counter()
    for c in per_day.values():
        total.update(c)
    legend = "".join(f'<span class="lg" data-lang="{_e(lg)}" data-count="{total[lg]}"><span class="sw" '
                     f'style="background:{_colour(lg)}"></span>{_e(_lang_label(lg))}: {total[lg]}</span>'
                     for lg in order)
    legend += ('<span><span class="sw" style="background:#c62828;opacity:.25"></span>incident days</span>'
               if inc_start else "")
    note = (f'<p class="small">{first.isoformat()} – {last.isoformat()}, {len(per_day)} days with reports'
            + (f"; {undated} undated reports are not shown" if undated else "") + ".</p>")
    return head + f'<div class="legend">{legend}</div>' + "".join(out) + note + "</section>"


def _sort_key(hit: dict):
    pub = hit.get("published")
    return (_as_date(pub) or dt.date.max, str(pub or ""), str(hit.get("outlet") or ""), str(hit.get("title") or ""))


def _hit_row(hit: dict, article: dict | None) -> str:
    lang = _lang(hit)
    title = _e(hit.get("title") or hit.get("url") or "(no title)")
    lang_attr = lang or None
    saved = article.get("html") if article else None
    if saved and safe_href(saved):
        head = _link(saved, title, cls="hl", lang=lang_attr, external=False)
    else:
        head = _link(hit.get("url"), title, cls="hl", lang=lang_attr)
    links = []
    orig = _link(hit.get("url"), "original")
    if "<a " in orig and saved and safe_href(saved):
        links.append(orig)
    if article:
        if article.get("source") == "wayback" and safe_href(article.get("snapshot")):
            links.append(_link(article.get("snapshot"), "Wayback copy"))
        final = article.get("final_url")
        if final and final != hit.get("url") and safe_href(final):
            links.append(_link(final, "publisher page"))
        if article.get("error"):
            links.append(f'<span class="failed">capture failed: {_e(article.get("error"))}</span>')
    extra = f'<div class="small">{" · ".join(links)}</div>' if links else ""
    outlet = _e(hit.get("outlet"))
    if hit.get("publisher") and hit.get("publisher") != hit.get("outlet"):
        outlet += f'<div class="small">via {_e(hit.get("publisher"))}</div>'
    score = hit.get("score")
    score = f"{score:g}" if isinstance(score, (int, float)) else _e(score)
    matched = hit.get("matched") or []
    feats = _e("; ".join(str(m) for m in matched) if isinstance(matched, list) else matched)
    cluster = hit.get("cluster")
    cluster = f'<a href="#cluster-{_e(cluster)}">{_e(cluster)}</a>' if cluster not in (None, "") else ""
    return (f'<tr class="hit" data-lang="{_e(lang)}"><td class="date">{_e(_shown_date(hit.get("published")))}</td>'
            f"<td>{outlet}</td><td>{_e(lang)}</td><td>{head}{extra}</td><td class=\"num\">{score}</td>"
            f'<td>{cluster}</td><td><span class="tag">{_e(hit.get("source"))}</span></td>'
            f'<td class="feat">{feats}</td></tr>')


def _table(hits: list[dict], articles: dict[str, dict]) -> str:
    dated = sorted((h for h in hits if _as_date(h.get("published"))), key=_sort_key)
    undated = sorted((h for h in hits if not _as_date(h.get("published"))), key=_sort_key)
    head = ("<thead><tr><th>Date</th><th>Outlet</th><th>Lang</th><th>Headline</th><th class=\"num\">Score</th>"
            "<th>Cluster</th><th>Source</th><th>Features</th></tr></thead>")
    body = '<tbody class="dated">' + "".join(_hit_row(h, articles.get(h.get("url"))) for h in dated) + "</tbody>"
    if undated:
        body += ('<tbody class="undated"><tr><th colspan="8">Undated reports</th></tr>'
                 + "".join(_hit_row(h, articles.get(h.get("url"))) for h in undated) + "</tbody>")
    return (f'<section id="hits"><h2>Reports ({len(hits)})</h2>'
            + (f'<table class="hits">{head}{body}</table>' if hits else '<p class="muted">No reports found.</p>')
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
            + _card(incident, hits, clusters) + _timeline(incident, hits) + _table(hits, articles)
            + _clusters(clusters, hits) + _coverage(run)
            + f"<footer>Generated {now} by incidentsearch {_e(__version__)}.</footer></body></html>\n")


def write_report(folder: Path, incident, hits: list[dict], *, articles: dict[str, dict] | None = None,
                 clusters: list[dict] | None = None, run: dict | None = None) -> Path:
    """Write ``folder/report.html`` atomically and return its path."""
    path = Path(folder) / "report.html"
    atomic_write(path, render(incident, hits, articles=articles, clusters=clusters, run=run))
    return path

"""The dossier's building blocks: escaping and safe links, dates and languages of hits,
and the timeline of reports per day and language (inline SVG). ``report.py`` assembles them."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from html import escape
from urllib.parse import urlsplit

LANG_COLOURS = {"ru": "#3a6ea5", "en": "#d9822b", "uk": "#4a9a5c"}
OTHER_COLOUR = "#8c8c8c"
LANG_NAMES = {"ru": "Russian", "en": "English", "uk": "Ukrainian"}
_ARTICLE_PATH = re.compile(r"articles/(?:[A-Za-z0-9_][A-Za-z0-9._-]*/)*[A-Za-z0-9_][A-Za-z0-9._-]*")
_LANG_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")


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


# ---------------------------------------------------------------- in words

_SOURCE_OF = {"url": "in the URL", "snippet": "in the summary", "article": "in the article", "text": "in the post"}
_DATES = {"in-window": "in the window", "unknown": "undated", "only-window": "the only incident of its kind "
          "whose window holds the date"}


def _feature_parts(label: str) -> tuple[str, str, str] | None:
    """(phrase, value, where) of one ``matched`` label: ("names", "Soloti", ""), ("tells of",
    "shooting", "in the URL"); None for a kind this page does not know."""
    raw = str(label)
    m = re.fullmatch(r"(.*?) \((url|snippet|article|text)\)", raw)
    body, where = (m.group(1), _SOURCE_OF[m.group(2)]) if m else (raw, "")
    kind, _, value = body.partition(":")
    value = value.strip()
    if not value:
        return None
    if kind in ("place", "actor"):
        return "names", value, where
    if kind == "region":
        return "names the region", value, where
    if kind == "term":
        return "says", f"“{value}”", where
    if kind == "event":
        return "tells of", value.partition("=")[0].replace("_", " ").replace("-", " "), where
    if kind == "figure":
        return "repeats the figure", value, where
    if kind == "similar":
        return f"close to a description ({value})", "", where
    if kind == "semantic":
        return f"means what a description says ({value})", "", where
    if kind == "date" and value in _DATES:
        return _DATES[value], "", where
    if kind == "kind":
        return "an event of the kind", value.replace("_", " ").replace("-", " "), where
    return None


def _feature_words(label: str) -> str:
    """One ``matched`` label ("place:Soloti", "similar:52", "event:shooting=стрельба (url)") said
    for a reader ("names Soloti", "close to a description (52)"); an unknown kind stays as it is."""
    got = _feature_parts(label)
    if got is None:
        return str(label)
    phrase, value, where = got
    said = f"{phrase} {value}" if value else phrase
    return f"{said} ({where})" if where else said


def evidence_words(matched, decided_by=None) -> str:
    """A hit's matched features in words, those of one kind and one source of evidence said
    together ("names Soloti, Valuyki (in the article)"), in the order they first fired, joined
    by '; ', then what decided it. A kind this page does not know is shown as its label."""
    items = matched if isinstance(matched, list) else ([matched] if matched else [])
    groups: dict[tuple[str, str], list[str]] = {}
    for m in items:
        got = _feature_parts(m)
        key = (got[0], got[2]) if got else (str(m), "\0raw")
        vals = groups.setdefault(key, [])
        if got and got[1] and got[1] not in vals:
            vals.append(got[1])
    parts = []
    for (phrase, where), vals in groups.items():
        if where == "\0raw":
            parts.append(phrase)
            continue
        said = f"{phrase} {', '.join(vals)}" if vals else phrase
        parts.append(f"{said} ({where})" if where else said)
    out = "; ".join(parts)
    if decided_by in ("headline", "snippet", "article"):
        out += ("; " if out else "") + {"headline": "decided by the headline", "snippet": "decided by the summary",
                                         "article": "decided by the article's page"}[decided_by]
    return out


def reader_date(published, incident_day: dt.date | None) -> tuple[str, str]:
    """(a publication date as a reader says it, "Sat 15 Oct 2022, 14:30", and how far it is from
    the incident's day: "the day of the incident", "2 days after"); ("", "") when undated."""
    day = _as_date(published)
    if day is None:
        return "", ""
    time = published[11:16] if isinstance(published, str) and len(published) >= 16 else ""
    shown = f"{day:%a} {day.day} {day:%b %Y}" + (f", {time}" if re.fullmatch(r"\d\d:\d\d", time) else "")
    if incident_day is None:
        return shown, ""
    n = (day - incident_day).days
    rel = ("the day of the incident" if n == 0 else "the day after" if n == 1 else "the day before" if n == -1
           else f"{n} days after" if n > 0 else f"{-n} days before")
    return shown, rel


def lead_of(hit: dict, article: dict | None, limit: int = 320) -> tuple[str, str]:
    """(the report's opening text, where it came from): the captured page's lead, a post's own
    text, or the feed's summary; ("", "") when there is none. Cut on a word near ``limit``."""
    for text, where in (((article or {}).get("lead"), "the captured page" if (article or {}).get("source") != "wayback"
                         else "the Wayback copy"),
                        (hit.get("text"), "the post"), (hit.get("snippet"), "the feed's summary")):
        if isinstance(text, str) and text.strip():
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]{0,200}>", " ", text)).strip()
            if len(text) > limit:
                text = text[:limit].rsplit(" ", 1)[0] + " …"
            return text, where
    return "", ""

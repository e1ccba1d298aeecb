"""The matcher measured on labelled headlines.

    python -m incidentsearch.evaluate LABELLED.jsonl [--queries DIR] [--baseline NAME] [-v]

Each line: ``{"headline", "lang", "date" (or null), "url" (optional), "incident" (an
id or "none"), "scored" (optional; false leaves the row out)}``. A row counts as found
when the matcher's best accepted incident is its label. The matcher sees what a live
run sees: the headline, its URL (slug words; a date in the path when the row has
none), the date and the language; ``--headline-only`` hides the URL. Prints precision, recall and F1 per
incident and per language, and the confusion between incidents (label -> answer).

``--baseline`` measures a naive matcher instead, for comparison:
``token-set`` (rapidfuzz token_set_ratio against the descriptions, at its best
threshold on this file) and ``keywords`` (a boolean keyword set per incident: every
word of one of its fixed queries present).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz

from . import dates, text
from .match import Matcher

NONE = "none"


def load_rows(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [r for r in rows if r.get("scored") is not False]


def _prf(c: Counter) -> dict:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "precision": round(p, 3), "recall": round(r, 3),
            "f1": round(f, 3)}


def score(rows: list[dict], predict) -> dict:
    """``predict(row) -> set of incident ids``. Figures by language group, by incident, overall."""
    by_lang: dict[str, Counter] = defaultdict(Counter)
    by_inc: dict[str, Counter] = defaultdict(Counter)
    confusion: Counter = Counter()
    errors = []
    for r in rows:
        got, want = predict(r), r["incident"]
        group = r.get("lang") if r.get("lang") in ("ru", "en") else "other"
        tp = want != NONE and want in got
        fps = got - {want}
        for c in (by_lang[group], by_lang["all"]):
            c["tp"] += tp
            c["fn"] += want != NONE and not tp
            c["fp"] += len(fps)
        if want != NONE:
            by_inc[want]["tp"] += tp
            by_inc[want]["fn"] += not tp
        for g in fps:
            by_inc[g]["fp"] += 1
        confusion[(want, ",".join(sorted(got)) or NONE)] += 1
        if (want != NONE and not tp) or fps:
            errors.append({"want": want, "got": sorted(got), "date": r.get("date"), "headline": r["headline"]})
    return {"lang": {g: _prf(c) for g, c in by_lang.items()},
            "incident": {i: _prf(c) for i, c in sorted(by_inc.items())},
            "confusion": confusion, "errors": errors}


def _day(r: dict) -> date | None:
    return date.fromisoformat(r["date"]) if r.get("date") else None


def matcher_predict(matcher: Matcher, *, use_url: bool = True):
    """As the pipeline asks: the row's date, else one in its URL; the URL's slug as evidence."""
    def predict(r):
        url = r.get("url") if use_url else None
        day = _day(r) or (dates.resolve(url=url)[0] if url else None)
        return {m.incident for m in matcher.best(r["headline"], published=day, lang=r.get("lang"), url=url)}
    return predict


def token_set_predict(matcher: Matcher, threshold: float):
    descs = {i.id: [d for lang in ("ru", "en", "uk") for d in i.descriptions.get(lang)] for i in matcher.incidents}

    def predict(r):
        best = {i: max(fuzz.token_set_ratio(text.normalize(r["headline"]), text.normalize(d)) for d in ds)
                for i, ds in descs.items()}
        top = max(best.values())
        return {i for i, s in best.items() if s == top and s >= threshold}
    return predict


def keywords_predict(matcher: Matcher):
    sets = {i.id: [set(text.stems(q)) for lang in ("ru", "en", "uk") for q in i.queries.get(lang)]
            for i in matcher.incidents}

    def predict(r):
        words = set(text.stems(r["headline"]))
        return {i for i, qs in sets.items() if any(q <= words for q in qs)}
    return predict


def run(rows: list[dict], matcher: Matcher, baseline: str | None = None, *,
        use_url: bool = True) -> tuple[dict, str]:
    """The figures, and the name of what was measured."""
    if baseline == "keywords":
        return score(rows, keywords_predict(matcher)), "keywords baseline"
    if baseline == "token-set":
        best, best_t = None, 0
        for t in range(50, 101, 5):
            res = score(rows, token_set_predict(matcher, t))
            if best is None or res["lang"]["all"]["f1"] > best["lang"]["all"]["f1"]:
                best, best_t = res, t
        return best, f"token-set baseline (best threshold {best_t})"
    return score(rows, matcher_predict(matcher, use_url=use_url)), "matcher" + ("" if use_url else " (headlines only)")


def report(res: dict, name: str, *, verbose: bool = False) -> str:
    lines = [f"{name}", f"{'':<22}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}"]
    for title, table in (("language", res["lang"]), ("incident", res["incident"])):
        lines.append(f"by {title}:")
        for k, v in table.items():
            lines.append(f"  {k:<20}{v['precision']:>7.3f}{v['recall']:>7.3f}{v['f1']:>7.3f}"
                         f"{v['tp']:>5}{v['fp']:>5}{v['fn']:>5}")
    lines.append("confusion (label -> answer: rows):")
    for (want, got), n in sorted(res["confusion"].items()):
        lines.append(f"  {want} -> {got}: {n}")
    if verbose:
        lines.append("errors:")
        lines += [f"  want {e['want']} got {e['got'] or NONE} [{e['date']}] {e['headline']}" for e in res["errors"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m incidentsearch.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path, help="labelled headlines, JSON Lines")
    ap.add_argument("--queries", type=Path, default=Path("queries"), help="incident folder (default: queries/)")
    ap.add_argument("--baseline", choices=("token-set", "keywords"), help="measure a naive matcher instead")
    ap.add_argument("--headline-only", action="store_true",
                    help="hide the rows' URLs from the matcher (no slug words, no date from the path)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss and false hit")
    a = ap.parse_args(argv)
    res, name = run(load_rows(a.file), Matcher.from_folder(a.queries), a.baseline, use_url=not a.headline_only)
    if a.json:
        print(json.dumps({"measured": name, "lang": res["lang"], "incident": res["incident"]}, indent=2))
    else:
        print(report(res, name, verbose=a.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The matcher measured on labelled headlines, by leave-one-incident-out cross-validation.

    python -m incidentsearch.evaluate [FILE ...] [--queries DIR] [--incidents DIR] [--cv] [--fit] [-v]

Each line of a FILE: ``{"headline", "lang", "date" (or null), "url" (optional), "incident" (an id
or "none"), "scored" (optional; false leaves the row out), "summary" (optional: the feed's
description), "lead" (optional: the article's lead)}``. With no FILE: the project's labelled set,
``../shared/eval/dev_headlines.jsonl`` (its leads from ``dev_leads.jsonl``) and ``eval/headlines/``
(with ``eval/relabel.jsonl``), over the incidents of ``queries/`` and ``eval/incidents/``.

A row is asked as a live run asks (``--evidence article``, the default): the headline with its URL
(slug words; a date in the path when the row has none), its date, language and feed summary; a
headline whose page the run would read is then decided with the article's lead. ``--evidence
headline`` stops before the page. A row counts as found when the answer is its label.

``--cv``: leave-one-incident-out. For each incident the weights are fitted on the rows of every
other incident (and on the negatives outside its share), and judged on that incident's rows and
its share of the negatives; the figures add up over the folds. Without ``--cv`` the shipped
weights are measured (on rows they were fitted on: not a result). ``--fit`` fits the weights on
every row and writes ``incidentsearch/match/weights.json``.

``--baseline`` measures a naive matcher instead: ``token-set`` (rapidfuzz token_set_ratio against
the descriptions, at its best threshold) or ``keywords`` (every word of one fixed query present).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz

from ..text import dates, words as text
from ..config import load_glossary, load_incidents
from ..results.folder import atomic_write
from . import scoring
from .matcher import Matcher

NONE = "none"
ROOT = Path(__file__).resolve().parents[2]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
EVAL = ROOT / "eval"


# ------------------------------------------------------------------- rows
def load_rows(path: Path, *, scored_only: bool = True) -> list[dict]:
    """A labelled file's rows; ``<name>_headlines.jsonl`` gets its leads from ``<name>_leads.jsonl``
    beside it (rows in the same order, ``i`` the row's index), as ../shared/eval lays them out."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    leads = path.with_name(path.name.replace("_headlines.jsonl", "_leads.jsonl"))
    if path.name.endswith("_headlines.jsonl") and leads.is_file():
        for rec in (json.loads(line) for line in leads.open(encoding="utf-8") if line.strip()):
            i = rec.get("i")
            if isinstance(i, int) and 0 <= i < len(rows) and rec.get("lead") and not rows[i].get("lead"):
                rows[i]["lead"] = rec["lead"]
    for r in rows:
        r.setdefault("file", path.name)
    return [r for r in rows if r.get("scored") is not False] if scored_only else rows


def default_files() -> list[Path]:
    files = [SHARED_EVAL / "dev_headlines.jsonl"] if (SHARED_EVAL / "dev_headlines.jsonl").is_file() else []
    return files + sorted((EVAL / "headlines").glob("*.jsonl"))


def relabel(rows: list[dict], path: Path = EVAL / "relabel.jsonl") -> list[dict]:
    """Rows of the shared dev set that report an incident the project's set adds (labelled
    ``none`` there, as a distractor) take that incident's label (and ``scored: false`` where
    the relabelling says the row is ambiguous)."""
    if not path.is_file():
        return rows
    to = {r["headline"]: r for r in map(json.loads, path.open(encoding="utf-8")) if r.get("headline")}
    out = []
    for r in rows:
        new = to.get(r["headline"]) if r.get("incident") == NONE else None
        if new is not None:
            r = dict(r, incident=new["incident"], **({"scored": False} if new.get("scored") is False else {}))
        out.append(r)
    return out


def load_set(files: list[Path], *, relabelled: bool = True) -> list[dict]:
    """The rows of ``files``; with ``relabelled``, the project's relabelling of the dev set applied
    (the default set: files named on the command line are taken as they are)."""
    rows = [r for f in files for r in load_rows(f)]
    rows = relabel(rows) if relabelled else rows
    return [r for r in rows if r.get("scored") is not False]


def _day(r: dict) -> date | None:
    if r.get("date"):
        return date.fromisoformat(r["date"])
    return dates.resolve(url=r["url"])[0] if r.get("url") else None


# ---------------------------------------------------------------- figures
def _prf(c: Counter) -> dict:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "n": c["n"], "precision": round(p, 3),
            "recall": round(r, 3), "f1": round(f, 3)}


def score(rows: list[dict], predict) -> dict:
    """``predict(row) -> set of incident ids``. Figures by language (ru, en, other; each also for
    dated and undated rows apart), by incident, overall; the confusion and the errors."""
    by_lang: dict[str, Counter] = defaultdict(Counter)
    by_inc: dict[str, Counter] = defaultdict(Counter)
    confusion: Counter = Counter()
    errors = []
    for r in rows:
        got, want = predict(r), r["incident"]
        group = r.get("lang") if r.get("lang") in ("ru", "en") else "other"
        dated = "dated" if _day(r) else "undated"
        tp = want != NONE and want in got
        fps = got - {want}
        for key in (group, f"{group} {dated}", "all", f"all {dated}"):
            c = by_lang[key]
            c["n"] += 1
            c["tp"] += tp
            c["fn"] += want != NONE and not tp
            c["fp"] += len(fps)
        if want != NONE:
            by_inc[want]["n"] += 1
            by_inc[want]["tp"] += tp
            by_inc[want]["fn"] += not tp
        for g in fps:
            by_inc[g]["fp"] += 1
        confusion[(want, ",".join(sorted(got)) or NONE)] += 1
        if (want != NONE and not tp) or fps:
            errors.append({"want": want, "got": sorted(got), "date": r.get("date"), "lang": r.get("lang"),
                           "headline": r["headline"], "file": r.get("file")})
    order = ["ru", "ru dated", "ru undated", "en", "en dated", "en undated", "other", "other dated",
             "other undated", "all", "all dated", "all undated"]
    return {"lang": {g: _prf(by_lang[g]) for g in order if g in by_lang},
            "incident": {i: _prf(c) for i, c in sorted(by_inc.items())},
            "confusion": confusion, "errors": errors}


# ------------------------------------------------------------- predictors
def ask(r: dict, use_url: bool = True) -> dict:
    """What a live run gives the matcher for a row."""
    url = r.get("url") if use_url else None
    return dict(published=_day(r) if use_url else (date.fromisoformat(r["date"]) if r.get("date") else None),
                lang=r.get("lang"), url=url, summary=r.get("summary"))


def matcher_predict(matcher: Matcher, *, use_url: bool = True, articles: bool = True):
    """As the pipeline decides: the verdict on the listing's evidence; where it says read the
    page, the article stage's verdict on the row's lead (when it has one)."""
    def predict(r):
        q = ask(r, use_url)
        hits, read = matcher.verdict(r["headline"], **q)
        if hits:
            return {m.incident for m in hits}
        if not (articles and read and r.get("lead")):
            return set()
        q.pop("summary")
        if q["published"] is None and r.get("lead_date"):
            q["published"] = date.fromisoformat(r["lead_date"])
        wanted = {m.incident for m in read}
        return {m.incident for m in matcher.best_article(r["headline"], r["lead"], **q)} & wanted
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


# ------------------------------------------------------------ fitting, CV
def pairs(matcher: Matcher, rows: list[dict], *, use_url: bool = True) -> list[tuple[dict, int, int]]:
    """(feature values, 1 if the row reports that incident, row number) for every candidate
    incident of every row: on the listing's evidence, and on the article's where the row has a lead."""
    out = []
    for k, r in enumerate(rows):
        q = ask(r, use_url)
        views = [matcher.feature_values(r["headline"], **q)]
        if r.get("lead"):
            views.append(matcher.feature_values(r["headline"], article=r["lead"],
                                                **{**q, "summary": None}))
        for view in views:
            for inc, vals in view.items():
                out.append((vals, int(inc == r["incident"]), k))
    return out


def _share(r: dict, n: int) -> int:
    return int(hashlib.sha1(r["headline"].encode("utf-8")).hexdigest(), 16) % n


def cross_validate(matcher: Matcher, rows: list[dict], *, use_url: bool = True, articles: bool = True,
                   **fit_kw) -> tuple[dict, dict[str, scoring.Weights]]:
    """Leave one incident out: the weights judged on an incident they were not fitted on."""
    labelled = sorted({r["incident"] for r in rows} - {NONE})
    P = pairs(matcher, rows, use_url=use_url)
    shipped = matcher.weights
    preds: dict[int, set] = {}          # id(row) -> its answer, from the fold that held it out
    fold_weights = {}
    try:
        for f, inc in enumerate(labelled):
            test = {k for k, r in enumerate(rows)
                    if r["incident"] == inc or (r["incident"] == NONE and _share(r, len(labelled)) == f)}
            train = [(v, y) for v, y, k in P if k not in test]
            w = scoring.fit([v for v, _ in train], [y for _, y in train], use=_use(matcher), **fit_kw)
            fold_weights[inc] = w
            matcher.weights = w
            predict = matcher_predict(matcher, use_url=use_url, articles=articles)
            for k in test:
                preds[id(rows[k])] = predict(rows[k])
    finally:
        matcher.weights = shipped
    return score(rows, lambda r: preds[id(r)]), fold_weights     # every row is in exactly one fold


def _use(matcher: Matcher) -> tuple[str, ...]:
    from .features import NAMES
    return NAMES if matcher.encoder is not None else tuple(n for n in NAMES if n != "semantic")


def fit_all(matcher: Matcher, rows: list[dict], **kw) -> scoring.Weights:
    P = pairs(matcher, rows)
    return scoring.fit([v for v, _, _ in P], [y for _, y, _ in P], use=_use(matcher), **kw)


# ------------------------------------------------------------------ output
def run(rows: list[dict], matcher: Matcher, baseline: str | None = None, *,
        use_url: bool = True, articles: bool = True) -> tuple[dict, str]:
    """The figures of the shipped weights (or a baseline), and the name of what was measured."""
    if baseline == "keywords":
        return score(rows, keywords_predict(matcher)), "keywords baseline"
    if baseline == "token-set":
        best, best_t = None, 0
        for t in range(50, 101, 5):
            res = score(rows, token_set_predict(matcher, t))
            if best is None or res["lang"]["all"]["f1"] > best["lang"]["all"]["f1"]:
                best, best_t = res, t
        return best, f"token-set baseline (best threshold {best_t})"
    name = "matcher" + (" (semantic)" if matcher.semantic else " (lexical)") + ("" if use_url else ", headlines only")
    return score(rows, matcher_predict(matcher, use_url=use_url, articles=articles)), name


def report(res: dict, name: str, *, verbose: bool = False) -> str:
    lines = [f"{name}", f"{'':<22}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}{'rows':>6}"]
    for title, table in (("language", res["lang"]), ("incident", res["incident"])):
        lines.append(f"by {title}:")
        for k, v in table.items():
            lines.append(f"  {k:<20}{v['precision']:>7.3f}{v['recall']:>7.3f}{v['f1']:>7.3f}"
                         f"{v['tp']:>5}{v['fp']:>5}{v['fn']:>5}{v['n']:>6}")
    lines.append("confusion (label -> answer: rows):")
    for (want, got), n in sorted(res["confusion"].items()):
        lines.append(f"  {want} -> {got}: {n}")
    if verbose:
        lines.append("errors:")
        lines += [f"  want {e['want']} got {e['got'] or NONE} [{e['lang']} {e['date']}] {e['headline']}"
                  for e in res["errors"]]
    return "\n".join(lines)


def build_matcher(queries: Path, extra: list[Path], **kw) -> Matcher:
    incs = load_incidents(queries)
    for d in extra:
        if d.is_dir():
            incs += load_incidents(d)
    return Matcher(incs, glossary=load_glossary(queries), **kw)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m incidentsearch.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, metavar="FILE",
                    help="labelled headlines, JSON Lines (default: ../shared/eval/dev_headlines.jsonl and eval/headlines/)")
    ap.add_argument("--queries", type=Path, default=Path("queries"), help="incident folder (default: queries/)")
    ap.add_argument("--incidents", type=Path, action="append", default=None,
                    help="further incident folders (default: eval/incidents/ when no FILE is given)")
    ap.add_argument("--baseline", choices=("token-set", "keywords"), help="measure a naive matcher instead")
    ap.add_argument("--headline-only", action="store_true",
                    help="hide the rows' URLs from the matcher (no slug words, no date from the path)")
    ap.add_argument("--evidence", choices=("headline", "article"), default="article",
                    help="stop at the listing's evidence, or let the article decide what it cannot (default)")
    ap.add_argument("--cv", action="store_true", help="leave-one-incident-out cross-validation (refits per fold)")
    ap.add_argument("--fit", action="store_true", help="fit the weights on every row and write weights.json")
    ap.add_argument("--no-semantic", action="store_true", help="without the sentence encoder (lexical weights)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss and false hit")
    a = ap.parse_args(argv)
    files = a.files or default_files()
    if not files:
        print("evaluate: no labelled file given and ../shared/eval is not beside the project", file=sys.stderr)
        return 2
    extra = a.incidents if a.incidents is not None else ([EVAL / "incidents"] if not a.files else [])
    rows = load_set(files, relabelled=not a.files)
    matcher = build_matcher(a.queries, extra, semantic=False if a.no_semantic else None)
    known = {i.id for i in matcher.incidents}
    rows = [r for r in rows if r["incident"] == NONE or r["incident"] in known]
    articles = a.evidence == "article"
    if a.fit:
        return _write_fit(a.queries, extra, rows)
    if a.cv and not a.baseline:
        res, _ = cross_validate(matcher, rows, use_url=not a.headline_only, articles=articles)
        name = ("leave-one-incident-out, " + ("semantic" if matcher.semantic else "lexical")
                + f", evidence up to {a.evidence}, {len(rows)} rows, {len(known)} incidents")
    else:
        res, name = run(rows, matcher, a.baseline, use_url=not a.headline_only, articles=articles)
    if a.json:
        print(json.dumps({"measured": name, "lang": res["lang"], "incident": res["incident"]}, indent=2))
    else:
        print(report(res, name, verbose=a.verbose))
    return 0


def _write_fit(queries: Path, extra: list[Path], rows: list[dict]) -> int:
    out = {}
    for name, sem in (("semantic", True), ("lexical", False)):
        try:
            m = build_matcher(queries, extra, semantic=sem)
        except RuntimeError as e:
            print(f"evaluate: {name} weights not fitted: {e}", file=sys.stderr)
            continue
        w = fit_all(m, rows, note=f"fitted by `python -m incidentsearch.evaluate --fit` on {len(rows)} rows, "
                                  f"{len({r['incident'] for r in rows} - {NONE})} incidents")
        out[name] = w.to_json()
        print(name, json.dumps(out[name]["weights"]), "bias", out[name]["bias"])
    if "lexical" not in out:
        return 1
    if "semantic" not in out:
        out["semantic"] = out["lexical"]
    atomic_write(scoring.WEIGHTS_FILE, json.dumps(out, indent=1) + "\n")
    print(f"written {scoring.WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

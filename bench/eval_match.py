"""Precision and recall of the matcher on the labelled headlines of ../shared/eval.

    python bench/eval_match.py [--file ../shared/eval/dev_headlines.jsonl] [-v]

A headline counts as found when the matcher's best accepted incident is its
label; rows marked "scored": false are left out, as the eval README says.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from incidentsearch.config import load_incidents  # noqa: E402
from incidentsearch.match import Matcher  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "eval" / "dev_headlines.jsonl"


def evaluate(rows: list[dict], matcher: Matcher) -> dict:
    """Per language group ('ru', 'en', 'other', 'all'): tp, fp, fn, precision, recall, f1; plus the misses."""
    counts: dict[str, Counter] = {}
    errors = []
    for r in rows:
        if r.get("scored") is False:
            continue
        d = date.fromisoformat(r["date"]) if r.get("date") else None
        got = {m.incident for m in matcher.best(r["headline"], published=d, lang=r.get("lang"))}
        want = r["incident"]
        group = r.get("lang") if r.get("lang") in ("ru", "en") else "other"
        for g in (group, "all"):
            c = counts.setdefault(g, Counter())
            if want != "none" and want in got:
                c["tp"] += 1
            if want != "none" and want not in got:
                c["fn"] += 1
            c["fp"] += len(got - {want})
        if (want != "none" and want not in got) or (got - {want}):
            errors.append((want, sorted(got), r["headline"], r.get("date")))
    out = {}
    for g, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        rc = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        out[g] = {"tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "precision": round(p, 3),
                  "recall": round(rc, 3), "f1": round(f1, 3)}
    out["errors"] = errors
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--queries", type=Path, default=ROOT / "queries")
    ap.add_argument("-v", action="store_true", help="list every miss and false hit")
    a = ap.parse_args()
    rows = [json.loads(line) for line in a.file.open(encoding="utf-8") if line.strip()]
    res = evaluate(rows, Matcher(load_incidents(a.queries)))
    for g in ("ru", "en", "other", "all"):
        if g in res:
            print(g, res[g])
    if a.v:
        for e in res["errors"]:
            print("  want", e[0], "got", e[1], e[3], e[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Archive scan throughput: python bench/bench_archive.py [--mb 400] [--files 4] [--smoke]

Builds WARC.gz files (in a temp folder) from the real pages in ../shared/fixtures/articles/:
mostly pages that name none of the incidents (the bulk of any news archive), plus one page
per labelled headline of ../shared/eval/dev_headlines.jsonl. Then measures, over the same files:

- bare warcio: ArchiveIterator reading every record's content, nothing else;
- the scan (archive.scan_file) in one process: the same reading, the prefilter on every
  HTML response, extraction and matching of the survivors; MB/s per core and its ratio to
  bare warcio (target: at least 50%);
- the scan on a local pool of 1 and of 2 worker processes: the speed-up.

It fails (exit 1) only on wrong answers: a headline page the matcher accepts that the scan
does not find, or the pool finding other hits than one process.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from incidentsearch.archive.scan import ScanSpec, scan_tools, scan_file  # noqa: E402
from incidentsearch.archive.driver import _local  # noqa: E402
from incidentsearch.config import load_glossary, load_incidents  # noqa: E402
from incidentsearch.match import Matcher  # noqa: E402

QUERIES = ROOT / "queries"


def rows_and_pages():
    sys.modules.setdefault("conftest", type(sys)("conftest"))     # test_archive's helpers, without pytest
    import conftest
    conftest.ROOT, conftest.shared_or_skip = ROOT, lambda *p: SHARED.joinpath(*p)
    from test_archive import headline_page, headline_rows
    rows = headline_rows(n_per_incident=100, n_none=100)
    return rows, [headline_page(r, k) for k, r in enumerate(rows)]


def build(folder: Path, n_files: int, mb: float, spec: ScanSpec) -> tuple[list[Path], dict]:
    from test_archive import build_warc

    _, pre = scan_tools(spec)
    fillers = [f.read_bytes() for f in sorted((SHARED / "fixtures" / "articles").glob("*.html"))]
    fillers = [b for b in fillers if not pre(b)]          # pages naming none of the incidents
    rows, heads = rows_and_pages()
    m = Matcher(list(spec.incidents), glossary=spec.glossary, semantic=spec.semantic or False)   # as the scan weighs
    expected = {}
    for r, (url, _, _) in zip(rows, heads):
        expected[url] = {x.incident for x in m.best(r["headline"], published=date.fromisoformat(r["date"]),
                                                     lang=r.get("lang"))}
    per_file = mb * 1e6 / n_files
    files = []
    for n in range(n_files):
        pages, size, k = [], 0, 0
        mine = heads[n::n_files]
        while size < per_file:
            body = fillers[k % len(fillers)]
            pages.append((f"https://filler{k % 97}.example.com/{n}/{k}.html", body, "2023-05-25T08:00:00Z"))
            size += len(body)
            k += 1
            if mine and k % max(1, int(per_file / len(body) / (len(mine) + 1))) == 0:
                pages.append(mine.pop())
        pages += mine
        files.append(build_warc(folder / f"bench-{n}.warc.gz", pages, extras=True))
    return files, expected


def bare(files: list[Path]) -> tuple[float, int]:
    from warcio.archiveiterator import ArchiveIterator

    t, content = time.perf_counter(), 0
    for f in files:
        with open(f, "rb") as fh:
            for rec in ArchiveIterator(fh):
                content += len(rec.content_stream().read())
    return time.perf_counter() - t, content


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=400, help="uncompressed HTML in all files (default 400)")
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=2, help="best of N timings")
    ap.add_argument("--smoke", action="store_true", help="small files; checks answers, not timings")
    a = ap.parse_args()
    if a.smoke:
        a.mb, a.files, a.repeat = 12, 2, 1
    if not (SHARED / "fixtures" / "articles").is_dir():
        print(f"skipped: {SHARED} is not beside the repo")
        return 0
    incidents = load_incidents(QUERIES)
    spec = ScanSpec(incidents=tuple(incidents), chosen=tuple(i.id for i in incidents),
                    glossary=load_glossary(QUERIES), user_agent="incidentsearch-bench")
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        t0 = time.perf_counter()
        files, expected = build(Path(tmp), a.files, a.mb, spec)
        size = sum(f.stat().st_size for f in files)
        print(f"built {len(files)} WARC.gz files, {size / 1e6:.1f} MB on disk, in {time.perf_counter() - t0:.1f} s")
        t_bare, content = min(bare(files) for _ in range(a.repeat))
        print(f"bare warcio:       {t_bare:6.2f} s  {size / 1e6 / t_bare:7.1f} MB/s of file  "
              f"{content / 1e6 / t_bare:7.1f} MB/s of content")
        rss0 = rss_mb()
        best, results, rss_after = None, None, []
        for _ in range(a.repeat):
            t = time.perf_counter()
            results = []
            for f in files:
                results.append(scan_file(str(f), spec))
                rss_after.append(rss_mb())
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        c = {k: sum(r["counts"].get(k, 0) for r in results) for k in ("records", "html", "survivors", "hits")}
        print(f"scan, 1 process:   {best:6.2f} s  {size / 1e6 / best:7.1f} MB/s of file  "
              f"{content / 1e6 / best:7.1f} MB/s of content   ratio to bare warcio: {t_bare / best:.0%}")
        print(f"  records {c['records']}, HTML {c['html']}, past the prefilter {c['survivors']} "
              f"({c['survivors'] / max(1, c['html']):.1%}), hits {c['hits']}")
        after = ", ".join(f"{x:.0f}" for x in rss_after[:len(files)])
        print(f"  max RSS {rss0:.0f} MB before, {after} MB after each file")
        found = {(h.url, h.incident) for r in results for h in r["hits"]}
        want = {(u, i) for u, incs in expected.items() for i in incs}
        missed = want - found
        ok = not missed and not any(r["error"] for r in results)
        print(f"  headline pages the matcher accepts: {len(want)}, found {len(want & found)}"
              + (f"; MISSED {sorted(missed)[:5]}" if missed else ""))
        times = {}
        for w in (1, 2):
            t = time.perf_counter()
            got = dict(_local([str(f) for f in files], spec, w)) if w > 1 else \
                {i: scan_file(str(f), spec) for i, f in enumerate(files)}
            times[w] = time.perf_counter() - t
            same = {(h.url, h.incident) for r in got.values() for h in r["hits"]} == found
            ok = ok and same
            print(f"pool of {w}:         {times[w]:6.2f} s  {size / 1e6 / times[w]:7.1f} MB/s of file"
                  + ("" if same else "  DIFFERENT HITS"))
        print(f"speed-up 1 -> 2 workers: {times[1] / times[2]:.2f}x")
        print(json.dumps({"file_mb": round(size / 1e6, 1), "content_mb": round(content / 1e6, 1),
                          "bare_mb_s": round(size / 1e6 / t_bare, 1), "scan_mb_s": round(size / 1e6 / best, 1),
                          "ratio": round(t_bare / best, 3), "speedup_2": round(times[1] / times[2], 2),
                          "survivor_share": round(c["survivors"] / max(1, c["html"]), 4)}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

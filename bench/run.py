"""Every benchmark, with its targets: python bench/run.py [--smoke]

--smoke runs small versions (seconds) so the scripts cannot rot: .ci/run calls it. It
fails only on wrong answers (the matcher's prefilter disagreeing with scoring every pair, the
archive scan missing a headline page the matcher accepts, a crash), never on timings, which
vary by machine; the full run prints each target's ratio.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL = [
    ["bench_fetch.py"],
    ["bench_match.py", "--n", "1000000", "--naive-sample", "100000", "--check", "20000"],
    ["bench_parse.py", "--repeat", "20"],
    ["bench_archive.py", "--mb", "400", "--files", "4"],
]
SMOKE = [
    ["bench_fetch.py", "--hosts", "4", "--requests", "4", "--interval", "0.05", "--skip-sequential"],
    ["bench_match.py", "--n", "20000", "--naive-sample", "4000", "--check", "2000", "--workers", "2"],
    ["bench_parse.py", "--repeat", "3"],
    ["bench_archive.py", "--smoke"],
]


def main() -> int:
    runs = SMOKE if "--smoke" in sys.argv[1:] else FULL
    failed = 0
    for args in runs:
        print(f"== {' '.join(args)}", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], timeout=1800)
        failed += proc.returncode != 0
    print(f"benchmarks: {len(runs) - failed} ran, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

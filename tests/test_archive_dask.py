"""--scheduler: the same scan on a Dask LocalCluster (two worker processes) gives the same
hits as the local pool, and a worker killed mid-scan loses nothing."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

distributed = pytest.importorskip("dask.distributed")

from conftest import ROOT  # noqa: E402
from incidentsearch import cli  # noqa: E402
from incidentsearch.archive.scan import SCAN_DELAY_ENV  # noqa: E402
from test_archive import (  # noqa: E402
    _hits, build_warc, fixture_pages, headline_page, headline_rows, strip_volatile)

QUERIES = ROOT / "queries"


@pytest.fixture
def warc_dir(tmp_path):
    rows = headline_rows()
    pages = [headline_page(r, k) for k, r in enumerate(rows)]
    d = tmp_path / "warcs"
    d.mkdir()
    for n in range(4):              # four files, each with a share of the headline pages
        build_warc(d / f"part-{n}.warc.gz", pages[n::4] + fixture_pages(2 if n == 0 else 0))
    return d


def _cluster(**kw):
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                    **kw)


def _run(warc_dir, results, *extra):
    return cli.main(["--queries", str(QUERIES), "--results", str(results), "--archive", str(warc_dir), "-q", *extra])


def test_dask_cluster_gives_the_same_hits_as_the_local_pool(warc_dir, tmp_path):
    assert _run(warc_dir, tmp_path / "local", "--workers", "2") == 0
    with _cluster() as cluster:
        assert _run(warc_dir, tmp_path / "dask", "--scheduler", cluster.scheduler_address) == 0
    local, dask = strip_volatile(_hits(tmp_path / "local")), strip_volatile(_hits(tmp_path / "dask"))
    assert local and sum(map(len, local.values())) > 3
    assert dask == local                       # the same hits, in the same order


def test_a_worker_killed_mid_scan_loses_nothing(warc_dir, tmp_path, monkeypatch):
    assert _run(warc_dir, tmp_path / "local", "--workers", "1") == 0
    monkeypatch.setenv(SCAN_DELAY_ENV, "0.15")        # ~2 s a file: time to kill a worker mid-file
    with _cluster() as cluster, distributed.Client(cluster) as client:
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("code", _run(
            warc_dir, tmp_path / "dask", "--scheduler", cluster.scheduler_address)))
        t.start()
        victim = None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items()
                    if any(str(k).startswith("incidentsearch-scan-") for k in tasks)]
            if busy:
                time.sleep(0.5)                            # well into the file
                victim = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(victim, signal.SIGKILL)
            time.sleep(0.05)
        t.join(timeout=180)
        assert victim is not None and not t.is_alive()
    assert out["code"] == 0
    assert strip_volatile(_hits(tmp_path / "dask")) == strip_volatile(_hits(tmp_path / "local"))

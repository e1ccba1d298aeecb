"""Crash safety: `python search.py` killed with SIGKILL at random points, then run again.

The outlets of test_end_to_end (real headlines in RSS, sitemap, HTML and JSON search) are
served late (10-40 ms a listing, 30-80 ms an article page) from 127.0.0.1, with the
article pages too, for two incidents: one run is ~77 requests and a few seconds. Twelve
runs are killed at seeded random points spread over the run's progress (before the first
hit, between hits, in the article stage, in the final writes of hits.csv / clusters.json /
report.html / run.json), three side by side; one more is killed in the article stage and
given torn tails by hand. After each kill:

- hits.jsonl and articles.jsonl hold whole lines only, or a torn last line that the next
  run cuts off (a real SIGKILL has not produced one here: each line is one ``write``; the
  torn tails are made by hand in the article-stage test and the unit tests);
- the next run completes; nothing found before the kill is lost, nothing is duplicated
  (by canonical URL), and the hits equal a clean run's;
- every hit has exactly one article record and no page is captured twice; run.json,
  hits.csv, clusters.json and report.html are whole; no temp file of the killed run is
  left; raw.warc.gz reads to the end (warcio, and gzip strictly) because the Recorder cuts
  a torn last member when it opens the file.

And the file names: nothing taken from a URL or a title ever becomes a path, checked on
hostile URLs and on the package's source (every path join and every write, reviewed).
Run with ``-s`` for the per-kill table. ``CRASH_KILLS=n`` changes the number of kills.
"""
from __future__ import annotations

import ast
import csv
import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT
from pytest_httpserver import HTTPServer
from test_end_to_end import html_page, json_page, news_sitemap, outlets_yaml, rows, rss_feed, sitemap_index, split
from warcio.archiveiterator import ArchiveIterator
from werkzeug import Response as WResponse

from incidentsearch.results.folder import IncidentFolder, article_name
from incidentsearch.live.articles import capture
from incidentsearch.results.clusters import canonical_url
from incidentsearch.records import Response
from incidentsearch.results.folder import TEMP_NAME, Store, read_hits, sweep_temp
from incidentsearch.results.warc import Recorder, complete_length


def captured(hit, fetcher, folder, **kw) -> dict:
    """capture, then the results folder saves the page: the record as articles.jsonl holds it."""
    return IncidentFolder(folder.parent, folder.name).save_article(capture(hit, fetcher, **kw)).as_dict()

SEED = 20240601
DELAY = (0.01, 0.04)                  # seconds per listing response, and per article page:
ARTICLE_DELAY = (0.03, 0.08)          # a run of two incidents (77 requests) lasts ~3-4 s
INCIDENTS = ("--incident", "soloti-2022", "--incident", "grayvoron-2023")
PARALLEL = 3                          # kill trials at a time (each has its own results and cache)
KILLS = int(os.environ.get("CRASH_KILLS", "12"))          # kills in the random-point test
PACKAGE = ROOT / "incidentsearch"


# ------------------------------------------------------------------ the slow site
def article_html(r) -> bytes:
    when = r.get("date") or ""
    body = "".join(f"<p>{r['headline']}. Paragraph {n} of the report, with the details of what happened, "
                   f"who said what and where it took place, as the outlet tells it.</p>" for n in range(6))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{r['headline']}</title>"
            f"<meta property='article:published_time' content='{when}'></head><body><article>"
            f"<h1>{r['headline']}</h1><time datetime='{when}'>{when}</time>{body}</article></body></html>"
            ).encode()


@pytest.fixture
def slow_server():
    """A server of its own on 127.0.0.1, threaded: the kill trials run side by side."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def slow_site(slow_server):
    """The four outlets of test_end_to_end plus their article pages, every answer late."""
    httpserver = slow_server
    base = httpserver.url_for("").rstrip("/")
    all_rows = rows()
    parts = split(all_rows)
    by_id = {r["id"]: r for r in all_rows}
    html1, html2 = parts["html"][: len(parts["html"]) // 2], parts["html"][len(parts["html"]) // 2:]
    json1, json2 = parts["json"][: len(parts["json"]) // 2], parts["json"][len(parts["json"]) // 2:]
    delays = random.Random(SEED)

    def slow(fn, delay=DELAY):
        def handler(request):
            time.sleep(delays.uniform(*delay))
            return fn(request)
        return handler

    def data(body, ctype):
        return slow(lambda request: WResponse(body, content_type=ctype))

    def html_search(request):
        page = int(request.args.get("page", "1"))
        return WResponse(html_page(base, {1: html1, 2: html2}.get(page, [])), content_type="text/html; charset=utf-8")

    def json_search(request):
        page = int(request.args.get("page", "0"))
        return WResponse(json_page({0: json1, 1: json2}.get(page, []), page), content_type="application/json")

    def article(request):
        m = re.search(r"item-(\d+)\.html$", request.path)
        if not m or int(m.group(1)) not in by_id:
            return WResponse("not found", status=404)
        return WResponse(article_html(by_id[int(m.group(1))]), content_type="text/html; charset=utf-8")

    httpserver.expect_request("/robots.txt").respond_with_handler(data(b"User-agent: *\nDisallow: /private/\n",
                                                                       "text/plain"))
    httpserver.expect_request("/rss.xml").respond_with_handler(data(rss_feed(base, parts["rss"]),
                                                                    "application/rss+xml"))
    httpserver.expect_request("/sitemap_index.xml").respond_with_handler(data(sitemap_index(base), "text/xml"))
    httpserver.expect_request("/sitemaps/recent.xml").respond_with_handler(data(news_sitemap(base, parts["sitemap"]),
                                                                                "application/xml"))
    httpserver.expect_request("/sitemaps/2019-01.xml").respond_with_handler(data(news_sitemap(base, []),
                                                                                 "application/xml"))
    httpserver.expect_request("/search").respond_with_handler(slow(html_search))
    httpserver.expect_request("/api/search").respond_with_handler(slow(json_search))
    httpserver.expect_request(re.compile(r"^/news/.*")).respond_with_handler(slow(article, ARTICLE_DELAY))
    return base


def argv(tmp: Path, outlets: Path, *extra) -> list[str]:
    return [sys.executable, str(ROOT / "search.py"), "--outlets", str(outlets), "--queries", str(ROOT / "queries"),
            "--results", str(tmp / "results"), "--cache-dir", str(tmp / "cache"), *INCIDENTS, *extra]


def complete_run(tmp: Path, outlets: Path, env, *extra) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv(tmp, outlets, *extra), cwd=tmp, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def killed_run(tmp: Path, outlets: Path, env, *, until) -> float:
    """Start a run and SIGKILL it as soon as ``until()`` is true (30 s at most); the time it ran.
    ``killed.rc`` says whether the kill found it running."""
    with open(tmp / "killed.log", "wb") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv(tmp, outlets), cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = t0 + 30
            while proc.poll() is None and not until() and time.monotonic() < deadline:
                time.sleep(0.005)
            ran = time.monotonic() - t0
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            rc = proc.wait(timeout=10)
    (tmp / "killed.rc").write_text("killed" if rc == -signal.SIGKILL else str(rc))
    return ran


# ------------------------------------------------------------------ what a folder holds
def day_of(tmp: Path) -> Path:
    days = list((tmp / "results").iterdir()) if (tmp / "results").exists() else []
    assert len(days) <= 1
    return days[0] if days else tmp / "results" / "none"


def jsonl_lines(path: Path) -> tuple[list[dict], bool]:
    """The records of a JSON Lines file and whether its last line is torn (no newline, not JSON).
    Any other line that does not parse fails the test."""
    if not path.exists():
        return [], False
    data = path.read_bytes()
    lines = data.split(b"\n")
    last = lines.pop()                          # b"" when the file ends with a newline
    out = []
    for n, line in enumerate(lines, 1):
        out.append(json.loads(line))            # a torn line in the middle would raise here
        assert isinstance(out[-1], dict), (path, n)
    torn = False
    if last:
        try:
            out.append(json.loads(last))
        except ValueError:
            torn = True
    return out, torn


def snapshot(day: Path) -> dict:
    """Per incident folder: hits and article records (and torn tails) as they are on disk."""
    snap = {}
    if not day.exists():
        return snap
    for folder in sorted(p for p in day.iterdir() if p.is_dir()):
        hits, hits_torn = jsonl_lines(folder / "hits.jsonl")
        arts, arts_torn = jsonl_lines(folder / "articles.jsonl")
        warc = folder / "raw.warc.gz"
        snap[folder.name] = {
            "hits": {canonical_url(h["url"]) for h in hits}, "hits_torn": hits_torn,
            "articles": {a["url"] for a in arts}, "articles_torn": arts_torn,
            "warc_torn": warc.exists() and complete_length(warc) != warc.stat().st_size,
            "temp": [p.name for d in (folder, folder / "articles") if d.exists() for p in d.iterdir()
                     if TEMP_NAME.match(p.name)],
        }
    return snap


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.closed_html = False

    def handle_endtag(self, tag):
        self.closed_html |= tag == "html"


def check_folder(folder: Path) -> dict:
    """Everything a finished run leaves must be whole and consistent; the canonical hit URLs."""
    hits, torn = jsonl_lines(folder / "hits.jsonl")
    raw = (folder / "hits.jsonl").read_bytes() if (folder / "hits.jsonl").exists() else b""
    assert not torn and (not raw or raw.endswith(b"\n")), f"{folder.name}: hits.jsonl is not clean JSON Lines"
    keys = [canonical_url(h["url"]) for h in hits]
    assert len(keys) == len(set(keys)), f"{folder.name}: duplicate hits"

    arts, atorn = jsonl_lines(folder / "articles.jsonl")
    assert not atorn, f"{folder.name}: articles.jsonl ends torn"
    urls = [a["url"] for a in arts]
    assert len(urls) == len(set(urls)), f"{folder.name}: a URL captured twice"
    pending = [json.loads(x) for x in (folder / "pending.jsonl").read_text("utf-8").splitlines()] \
        if (folder / "pending.jsonl").exists() else []
    assert len({p["url"] for p in pending}) == len(pending), f"{folder.name}: a URL pending twice"
    assert {h["url"] for h in hits} <= set(urls), f"{folder.name}: hits without article records"
    assert set(urls) - {h["url"] for h in hits} <= {p["url"] for p in pending}, \
        f"{folder.name}: article records of pages neither hit nor pending"
    for a in arts:
        if a["url"] not in {h["url"] for h in hits}:
            continue                              # a pending page read and left pending
        assert a["error"] is None and a["html"], a
        for key in ("html", "text"):
            assert re.fullmatch(r"articles/[0-9a-f]{20}\.(html|txt)", a[key]) and (folder / a[key]).is_file(), a

    rec = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert rec["exit_code"] == 0 and rec["hits_total"] == len(hits)
    with open(folder / "hits.csv", encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [canonical_url(r["url"]) for r in table] == keys
    clusters = json.loads((folder / "clusters.json").read_text(encoding="utf-8"))
    members = [canonical_url(m) for c in clusters for m in c["members"]]
    assert sorted(members) == sorted(keys), "every hit in exactly one cluster"
    p = _Parser()
    p.feed((folder / "report.html").read_text(encoding="utf-8"))
    assert p.closed_html, "report.html is cut short"

    left = [q.name for d in (folder, folder / "articles") if d.exists() for q in d.iterdir()
            if q.name.startswith(".") or TEMP_NAME.match(q.name) or ".unreadable-" in q.name]
    assert not left, f"{folder.name}: files left behind: {left}"

    warc = folder / "raw.warc.gz"
    data = warc.read_bytes()
    gzip.decompress(data)                       # strict: a torn or trailing member raises
    with warc.open("rb") as fh:
        kinds = [r.rec_type for r in ArchiveIterator(fh) if r.content_stream().read() is not None]
    assert kinds and kinds[0] == "warcinfo"
    return {"hits": set(keys), "warcinfo": kinds.count("warcinfo"), "articles": set(urls)}


# ------------------------------------------------------------------ kills at random points
def progress(tmp: Path) -> int:
    """How far a run is: the lines of hits.jsonl and articles.jsonl on disk, all folders."""
    day = day_of(tmp)
    if not day.exists():
        return 0
    n = 0
    for name in ("hits.jsonl", "articles.jsonl"):
        for f in day.glob(f"*/{name}"):
            try:
                n += f.read_bytes().count(b"\n")
            except FileNotFoundError:
                pass
    return n


def test_sigkill_at_random_points_then_rerun_loses_and_duplicates_nothing(tmp_path, slow_site, guarded_env):
    outlets = tmp_path / "outlets.yaml"
    outlets.write_text(outlets_yaml(slow_site, dead=False), encoding="utf-8")

    clean = tmp_path / "clean"
    clean.mkdir()
    t0 = time.monotonic()
    complete_run(clean, outlets, guarded_env)
    span = time.monotonic() - t0
    checked = {f.name: check_folder(f) for f in day_of(clean).iterdir()}
    want = {name: c["hits"] for name, c in checked.items()}
    total = sum(map(len, want.values()))
    read_pending = sum(len(c["articles"]) - len(c["hits"]) for c in checked.values())   # undated pages read
    events = progress(clean)                    # one line per hit, one per article record
    assert total >= 10 and len([k for k, v in want.items() if v]) >= 2 and events == 2 * total + read_pending

    # The kill points, seeded: stratified over the run's progress (0 .. every line written), then a
    # random delay past that point, so kills fall before the first hit, between any two hits, inside
    # the article stage and in the final writes, whatever the machine's speed (wall-clock points
    # drifted off the article stage when the trials ran side by side on a loaded machine).
    rng = random.Random(SEED)
    points = [(int((k + rng.random()) * (events + 1) / KILLS), rng.uniform(0, 0.15)) for k in range(KILLS)]
    points = [(t, rng.uniform(0, 0.02) if t == 0 else j) for t, j in points]   # 0: as the first requests go out

    def trial(k: int) -> dict:
        target, jitter = points[k]
        tmp = tmp_path / f"kill{k:02d}"
        tmp.mkdir()

        def reached() -> bool:                  # the run has begun writing (its folders), and got that far
            if not day_of(tmp).exists() or progress(tmp) < target:
                return False
            time.sleep(jitter)
            return True

        ran = killed_run(tmp, outlets, guarded_env, until=reached)
        before = snapshot(day_of(tmp))
        finished = (tmp / "killed.rc").read_text() != "killed"

        complete_run(tmp, outlets, guarded_env)
        day = day_of(tmp)
        assert sorted(p.name for p in day.iterdir()) == sorted(want)
        lost = 0
        for name, hits in want.items():
            got = check_folder(day / name)
            seen = before.get(name, {}).get("hits", set())
            lost += len(seen - got["hits"])
            assert seen <= got["hits"], f"kill {k} at {ran:.2f}s: hits lost in {name}"
            assert got["hits"] == hits, f"kill {k} at {ran:.2f}s: {name} differs from a clean run"
            arts = before.get(name, {}).get("articles", set())
            assert arts <= got["articles"], f"kill {k} at {ran:.2f}s: article records lost in {name}"
        return {"k": k, "target": target, "at": round(ran, 2), "finished": finished,
                "hits_before": sum(len(s["hits"]) for s in before.values()),
                "articles_before": sum(len(s["articles"]) for s in before.values()),
                "torn_jsonl": sum(s["hits_torn"] + s["articles_torn"] for s in before.values()),
                "torn_warc": sum(s["warc_torn"] for s in before.values()),
                "temp_left": sum(len(s["temp"]) for s in before.values()), "lost": lost}

    with ThreadPoolExecutor(PARALLEL) as pool:
        report = list(pool.map(trial, range(KILLS)))

    killed = [r for r in report if not r["finished"]]
    print(f"\ncrash: clean run {span:.2f}s, {total} hits; {len(killed)} of {len(report)} runs killed "
          f"(SIGKILL), resumed, nothing lost, nothing duplicated")
    for r in report:
        print("  kill {k:>2} at {at:>5}s (after line {target:>2}): {hits_before:>3} hits, {articles_before:>3} "
              "articles on disk; torn jsonl {torn_jsonl}, torn warc {torn_warc}, temp files {temp_left}"
              "{0}".format(" (had finished)" if r["finished"] else "", **r))
    assert len(report) == KILLS and all(r["lost"] == 0 for r in report)
    assert len(killed) >= KILLS - 1, "the kills must land while the run is still going"
    # the kills spread over the run: before any hit, in the search stage, in the article stage
    assert any(r["hits_before"] == 0 for r in killed), "no kill before the first hit"
    assert any(0 < r["hits_before"] and r["articles_before"] == 0 for r in killed), "no kill in the search stage"
    assert any(0 < r["articles_before"] < total for r in killed), "no kill in the article stage"


# ------------------------------------------------------------------ a kill in the article stage
def test_kill_in_article_stage_with_torn_tails_resumes_without_capturing_twice(tmp_path, slow_site, guarded_env,
                                                                                slow_server):
    outlets = tmp_path / "outlets.yaml"
    outlets.write_text(outlets_yaml(slow_site, dead=False), encoding="utf-8")

    def articles_on_disk() -> int:
        day = day_of(tmp_path)
        return sum(len(jsonl_lines(f / "articles.jsonl")[0]) for f in day.iterdir()) if day.exists() else 0

    killed_run(tmp_path, outlets, guarded_env, until=lambda: articles_on_disk() >= 3)
    day = day_of(tmp_path)
    for f in day.iterdir():                     # the killed run is visible: started, never ended
        marker = json.loads((f / "run.json").read_text(encoding="utf-8"))
        assert marker["running"] is True and marker["exit_code"] is None and marker["ended"] is None
    before = snapshot(day)
    captured = {name: s["articles"] for name, s in before.items()}
    assert 3 <= sum(map(len, captured.values())), "the kill must land in the article stage"
    hits_before = {name: s["hits"] for name, s in before.items()}

    # what a kill in the middle of a write can leave (not seen from a real SIGKILL here: each line and
    # each WARC record is one write(2), but a partial write or a full disk can): a torn last line in
    # both JSON Lines files and a torn last gzip member in the WARC
    folder = next(day / n for n, s in before.items() if s["hits"] - s["articles"] and s["articles"])
    hits = read_hits(folder / "hits.jsonl")
    pending = next(h for h in hits if h["url"] not in captured[folder.name])
    with open(folder / "articles.jsonl", "ab") as fh:
        fh.write(json.dumps({"url": pending["url"], "final_url": pending["url"], "status": 200},
                            ensure_ascii=False).encode()[:50])
    with open(folder / "hits.jsonl", "ab") as fh:
        fh.write(json.dumps(dict(hits[0], url=hits[0]["url"] + "?torn=1"), ensure_ascii=False).encode()[:70])
    warc = folder / "raw.warc.gz"
    whole = warc.read_bytes()
    with open(warc, "ab") as fh:
        fh.write(whole[: min(len(whole) // 2, 400)])      # the first half of a member: its header and part of the body
    assert snapshot(day)[folder.name]["hits_torn"] and snapshot(day)[folder.name]["articles_torn"]
    assert complete_length(warc) == len(whole)

    time.sleep(2 * ARTICLE_DELAY[1])            # the killed run's last request, if any, is logged by now
    served = len(slow_server.log)
    complete_run(tmp_path, outlets, guarded_env, "--no-cache")   # every request reaches the server: count them
    fetched = [e[0].path for e in slow_server.log[served:] if e[0].path.startswith("/news/")]
    expected_fetches = []
    for name in before:
        got = check_folder(day / name)
        assert hits_before[name] <= got["hits"]
        to_read = dict.fromkeys(r["url"] for f in ("pending.jsonl", "hits.jsonl") for r in read_hits(day / name / f))
        missing = [u for u in to_read if u not in captured[name]]
        expected_fetches += [urlsplit(u).path for u in missing]
        rec = json.loads((day / name / "run.json").read_text(encoding="utf-8"))
        assert rec["articles_new"] == len(missing), name
    # each hit without a whole record was fetched exactly once; none captured before was fetched again
    assert sorted(fetched) == sorted(expected_fetches)
    for name in before:                         # ... and stays in the history as killed
        rec = json.loads((day / name / "run.json").read_text(encoding="utf-8"))
        assert "running" not in rec and rec["exit_code"] == 0
        assert [h.get("killed") for h in rec["history"]] == [True] and rec["history"][0]["exit_code"] is None
    with warc.open("rb") as fh:
        assert [r.rec_type for r in ArchiveIterator(fh)].count("warcinfo") == 2   # the killed run's and this one's
    assert not any(h["url"].endswith("?torn=1") for h in read_hits(folder / "hits.jsonl"))


# ------------------------------------------------------------------ repairs, one at a time
def test_torn_tails_are_cut_and_stale_temp_files_swept(tmp_path):
    d = tmp_path / "2026-11-21" / "soloti-2022"
    (d / "articles").mkdir(parents=True)
    good = json.dumps({"incident": "soloti-2022", "url": "https://a.example/1", "title": "x"})
    (d / "hits.jsonl").write_text(good + "\n" + good[:30], encoding="utf-8")
    (d / "articles.jsonl").write_text(json.dumps({"url": "https://a.example/1"}) + "\n{\"url\": \"https://a.exa",
                                      encoding="utf-8")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [d / f".hits.csv.{dead.pid}.k2j3h4.tmp", d / "articles" / f".0123456789abcdef0123.html.{dead.pid}.1.tmp"]
    mine = d / f".run.json.{os.getpid()}.abc.tmp"            # a live process's temp file stays
    for p in stale + [mine]:
        p.write_text("half", encoding="utf-8")
    f = Store(tmp_path, "2026-11-21").folder("soloti-2022")
    assert (d / "hits.jsonl").read_text(encoding="utf-8") == good + "\n"
    assert (d / "articles.jsonl").read_text(encoding="utf-8") == json.dumps({"url": "https://a.example/1"}) + "\n"
    assert not any(p.exists() for p in stale) and mine.exists()
    assert f.existing == 1
    # a whole last record that only lacks its newline is kept, and gets one
    (d / "hits.jsonl").write_text(good + "\n" + good, encoding="utf-8")
    Store(tmp_path, "2026-11-21").folder("soloti-2022")
    assert (d / "hits.jsonl").read_text(encoding="utf-8") == good + "\n" + good + "\n"
    assert sweep_temp(tmp_path / "missing") == []


def _recording(path: Path) -> bytes:
    r = Recorder(path, user_agent="t")
    r.start(arguments=["x"], configs={"outlets.yaml": b"outlets: []\n"}, run={"started": "s"})
    body = random.Random(1).randbytes(70_000)                 # incompressible: the last member is ~70 KB
    for i, size in enumerate((1, 100, 10_000, 70_000)):
        r.exchange(Response(url=f"http://127.0.0.1/{i}", final_url=f"http://127.0.0.1/{i}", status=200,
                            content=body[:size], text=""))
    r.close()
    return path.read_bytes()


def _members(data: bytes) -> list[int]:
    import zlib
    ends, pos = [0], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
        ends.append(pos)
    return ends


def test_recorder_cuts_a_torn_last_member_wherever_the_kill_fell(tmp_path):
    path = tmp_path / "raw.warc.gz"
    data = _recording(path)
    bounds = _members(data)
    assert len(bounds) == 1 + 1 + 1 + 1 + 2 * 4          # warcinfo, config, run, request+response x4
    assert complete_length(path) == len(data)
    Recorder(path, user_agent="t").close()
    assert path.read_bytes() == data, "a whole file is left as it is"
    rng = random.Random(SEED)
    cuts = {1, 2, 3, 9, 10, 11, len(data) - 1} | {b + k for b in bounds[1:-1] for k in (1, 2, 3, 10, 11, 40)}
    cuts |= {rng.randrange(1, len(data)) for _ in range(40)}
    for cut in sorted(c for c in cuts if 0 < c < len(data)):
        path.write_bytes(data[:cut])
        keep = max(b for b in bounds if b <= cut)
        assert complete_length(path) == keep, cut
        r = Recorder(path, user_agent="t")
        assert r.repaired == cut - keep
        r.start(arguments=["again"], configs={}, run={})
        r.close()
        out = path.read_bytes()
        assert out[:keep] == data[:keep]
        gzip.decompress(out)
        with path.open("rb") as fh:
            recs = list(ArchiveIterator(fh))
        assert [r.rec_type for r in recs[-2:]] == ["warcinfo", "resource"]
    # not a gzip WARC at all (say, an uncompressed one): kept aside whole, never cut
    path.write_bytes(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\n")
    Recorder(path, user_agent="t").close()
    aside = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"WARC/1.1")


# ------------------------------------------------------------------ file names from URLs
HOSTILE = [
    "http://127.0.0.1/../../../../etc/passwd",
    "http://127.0.0.1/a/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "http://127.0.0.1/%2E%2E/%2E%2E/x.html",
    "/etc/passwd",
    "file:///etc/passwd",
    "../../outside.html",
    "C:\\Windows\\system32\\cmd.exe",
    "http://127.0.0.1/a\x00b.html",
    "http://127.0.0.1/" + "a" * 5000,
    "http://127.0.0.1/CON",
    "http://127.0.0.1/NUL.txt",
    "CON",
    "NUL.txt",
    "",
    "http://127.0.0.1/\udcff.html",
    "http://127.0.0.1/..\\..\\win.ini",
    "http://[::1/x",
]


class _Fake:
    """A fetcher that answers every URL with an article page."""

    def get(self, url, **kw):
        page = ("<html><head><title>../../evil CON NUL</title></head><body><article><h1>../../evil</h1>"
                + "<p>Text of the article, long enough to be kept as its body. </p>" * 10
                + "</article></body></html>")
        return Response(url=url, final_url=url, status=200, content=page.encode(), text=page)


def test_hostile_urls_and_titles_land_as_hashed_names_inside_the_folder(tmp_path):
    from datetime import date

    folder = tmp_path / "results" / "2026-11-21" / "soloti-2022"
    folder.mkdir(parents=True)
    names = set()
    for url in HOSTILE:
        name = article_name(url)
        assert re.fullmatch(r"[0-9a-f]{20}", name), url
        names.add(name)
        art = captured({"url": url, "title": "../../" + url, "lang": "en"}, _Fake(), folder,
                      window=(date(2022, 1, 1), date(2022, 12, 31)))
        for key in ("html", "text"):
            if art[key] is not None:
                assert art[key] in (f"articles/{name}.html", f"articles/{name}.txt"), (url, art)
    assert len(names) == len(set(HOSTILE)), "distinct URLs get distinct names"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written, "the fake pages were saved"
    for p in written:
        assert p.parent == folder / "articles" and re.fullmatch(r"[0-9a-f]{20}\.(html|txt)", p.name), p
    assert not (tmp_path / "outside.html").exists()


# ------------------------------------------------------------------ the source, grep-style
def _sources():
    for p in sorted(PACKAGE.rglob("*.py")):
        src = p.read_text(encoding="utf-8")
        yield p.relative_to(PACKAGE).as_posix(), src, ast.parse(src)


def _functions(tree):
    """node -> the name of the (innermost) function it is in."""
    where = {}
    for fn in ast.walk(tree):                   # outer functions come first: inner ones overwrite
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for n in ast.walk(fn):
                if n is not fn:
                    where[n] = fn.name
    return where


_PATHISH = re.compile(r"(path|Path|root|dir\b|folder|adir|qdir|tmp|home|base\b|results_dir)")


def test_paths_are_built_only_from_constants_and_hashed_names():
    """Every path join in the package (``a / b``, ``with_name``, ``joinpath``, ``os.path.join``) whose
    new part is not a constant is listed here, reviewed: none takes text from a hit, a URL or a title."""
    reviewed = {
        # (module, function, the joined part): why it is safe
        ("results/folder.py", "__init__", "incident_id"),            # the incident id: config's ID_RE [a-z0-9-]
        ("results/folder.py", "__init__", "day"),                    # date.isoformat()
        ("live/setup.py", "unwritable", "date.today().isoformat()"),   # the --results probe: today's folder
        ("api.py", "_hits", "inc"),                # a chosen incident's id: config's ID_RE [a-z0-9-]
        ("api.py", "folder_of", "incident"),       # the caller's own argument; read only, nothing written
        ("results/folder.py", "save_article", 'f"{name}.html"'),     # name = article_name(rec.url): 20 hex of sha1
        ("results/folder.py", "save_article", 'f"{name}.txt"'),
        ("results/folder.py", "article_text", 'record["text"]'),     # read only, and only when it is articles/<hex>.txt
        ("match/evaluate.py", "load_rows",                     # read only: X_leads.jsonl beside a labelled file
         'path.name.replace("_headlines.jsonl", "_leads.jsonl")'),
        ("live/setup.py", "unpack_recording", "name"),   # a replayed config name, checked (RECORDED_CONFIG), in a temp dir
        ("results/warc.py", "_repair_tail", 'f"{self.path.name}.unreadable-{os.getpid()}"'),
        ("live/setup.py", "default_cache_dir", '"incidentsearch"'),
        ("archive/locations.py", "_resolve", "path"),   # read only: a line of the user's own local warc.paths listing
    }
    found = set()
    for mod, src, tree in _sources():
        where = _functions(tree)
        for n in ast.walk(tree):
            part = None
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div):
                left = ast.get_source_segment(src, n.left)
                if isinstance(n.right, (ast.Constant, ast.JoinedStr)) or _PATHISH.search(left):
                    part = n.right
            elif isinstance(n, ast.Call):
                f = n.func
                spelled = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if spelled in ("with_name", "joinpath", "join") and n.args:
                    if spelled == "join" and ast.get_source_segment(src, f) != "os.path.join":
                        continue
                    part = n.args[-1]
            if part is None or isinstance(part, ast.Constant) and not isinstance(part.value, str):
                continue
            if isinstance(part, ast.Constant):
                assert ".." not in part.value and not part.value.startswith("/"), (mod, part.value)
                continue
            found.add((mod, where.get(n, "<module>"), ast.get_source_segment(src, part)))
    found.discard(("live/setup.py", "default_cache_dir", '"incidentsearch"'))
    reviewed.discard(("live/setup.py", "default_cache_dir", '"incidentsearch"'))
    assert found == reviewed, f"new path joins to review: {sorted(found - reviewed)}; gone: {sorted(reviewed - found)}"
    folder = (PACKAGE / "results" / "folder.py").read_text(encoding="utf-8")
    assert "name = article_name(rec.url)" in folder


WRITERS = ("write_text", "write_bytes", "touch", "symlink_to", "hardlink_to", "copy", "copyfile", "copy2",
           "copytree", "move", "rename", "mkstemp", "NamedTemporaryFile")


def test_every_write_is_an_append_to_jsonl_or_a_temp_file_renamed():
    """The list of every call in the package that opens a file for writing, reviewed."""
    reviewed = {
        ("results/folder.py", "atomic_write", 'os.fdopen(fd, "wb")'),    # temp, synced, then os.replace
        ("results/folder.py", "add_article", 'self.articles_jsonl.open("ab", buffering=0)'),   # articles.jsonl: append
        ("results/folder.py", "repair_jsonl_tail", 'path.open("rb+")'),            # cut a torn last line
        ("results/folder.py", "add", 'self.jsonl.open("ab", buffering=0)'),        # hits.jsonl: append, one write a line
        ("results/folder.py", "add_pending", 'self.pending.open("ab", buffering=0)'),   # pending.jsonl: the same
        ("results/warc.py", "__init__", 'path.open("ab")'),                       # raw.warc.gz: one member per write
        ("results/warc.py", "_repair_tail", 'self.path.open("rb+")'),             # cut a torn last member
        ("live/setup.py", "unpack_recording", "(root / name).write_bytes(data)"),   # configs into a TemporaryDirectory
        ("results/folder.py", "temp_path", ('tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", '
                                   'dir=path.parent)')),                     # atomic_write's temp file
        ("live/setup.py", "unwritable", 'tempfile.mkstemp(prefix=".write-check.", dir=day)'),   # --results probe, removed
        ("cli/main.py", "main", "os.open(os.devnull, os.O_WRONLY)"),           # a closed pipe: stdout to nowhere
    }
    found = set()
    for mod, src, tree in _sources():
        where = _functions(tree)
        for n in ast.walk(tree):
            if not isinstance(n, ast.Call):
                continue
            f = n.func
            spelled = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            text = ast.get_source_segment(src, n) if spelled in WRITERS + ("open", "fdopen") else ""
            if spelled in WRITERS:
                found.add((mod, where.get(n, "<module>"), text))
            elif spelled in ("open", "fdopen"):
                # Path.open(mode) / io.open(file, mode) / open(file, mode) / os.fdopen(fd, mode)
                at = 0 if spelled == "open" and isinstance(f, ast.Attribute) and getattr(f.value, "id", "") != "io" else 1
                mode = n.args[at] if len(n.args) > at else next((k.value for k in n.keywords if k.arg == "mode"), None)
                if mode is not None and not isinstance(mode, ast.Constant):
                    found.add((mod, where.get(n, "<module>"), text))       # a mode not spelled out: review it
                elif mode is not None and set(mode.value) & set("wax+"):
                    found.add((mod, where.get(n, "<module>"), text))
    # sqlite (the HTTP cache, requests-cache with WAL) is crash-safe on its own
    assert found == reviewed, f"new writes to review: {sorted(found - reviewed)}; gone: {sorted(reviewed - found)}"
    store = (PACKAGE / "results" / "folder.py").read_text(encoding="utf-8")
    assert "os.replace(tmp, path)" in store

"""No network (issue 14): `check` and a run end in seconds with exit 1, say so in their last
line, write few lines to stderr; each incident's run.json holds its own requests only.

"No network" is simulated on the loopback range only: hosts 127.0.0.2-6 with nothing
listening refuse every connection, as every host does to a machine with no route out."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus, unquote_plus

import pytest

from incidentsearch.net.watch import NetworkWatch

from conftest import ROOT, guarded_env_for


def dead_outlets(n: int = 5, extra: str = "") -> str:
    out = ["defaults: {rate_limit_s: 0, retries: 3, timeout_s: 5, connect_timeout_s: 2}", "outlets:"]
    for i in range(n):
        out += [f"  - id: dead{i}", f"    name: Dead {i}", "    lang: [ru, en]", "    sources:",
                f"      - {{kind: rss, url: 'http://127.0.0.{i + 2}:9/rss.xml'}}",
                f"      - {{kind: sitemap, url: 'http://127.0.0.{i + 2}:9/sitemap.xml'}}"]
    return "\n".join(out) + "\n" + extra


def run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, str(ROOT / "search.py"), *args], cwd=tmp_path, env=guarded_env_for(tmp_path),
                       capture_output=True, text=True, timeout=120)
    return p, time.monotonic() - t0


def test_network_watch_needs_the_first_hosts_all_failed():
    w = NetworkWatch(offline_after=3)
    assert not w.fail("a", "DNS lookup failed") and not w.fail("b", "DNS lookup failed")
    assert not w.offline and w.verdict() == ("no network: could not reach any of 2 hosts (DNS lookup failed: 2); "
                                             "check your connection or proxy")
    assert w.fail("c", "connection refused") and w.offline     # said once, at the third
    assert not w.fail("d", "connection refused")
    w.answer("e")                                               # one host answered: not "no network"
    assert not w.offline and w.verdict() is None
    v = NetworkWatch(offline_after=3)
    v.answer("x")
    for h in "abc":
        v.fail(h, "DNS lookup failed")
    assert not v.offline and v.verdict() is None


def test_check_with_no_network_ends_in_seconds_and_says_so(tmp_path):
    (tmp_path / "outlets.yaml").write_text(dead_outlets(), encoding="utf-8")
    p, took = run(tmp_path, "check", "--queries", str(ROOT / "queries"))
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert lines[-1] == ("no network: could not reach any of 5 hosts (connection refused: 5); "
                         "check your connection or proxy")
    assert lines[-2] == "0 of 10 sources ok; 10 unreachable"
    assert sum(" unreachable " in ln for ln in lines) == 10
    # the run's three retries with backoff (1+2+4 s per host) would take 7 s; once the first
    # hosts all failed nothing is retried
    assert took < 6, took
    assert len(p.stderr.splitlines()) <= 3, p.stderr
    assert "no network: could not reach any host" in p.stderr and "Traceback" not in p.stderr


def test_run_with_no_network_ends_with_a_one_line_verdict(tmp_path):
    (tmp_path / "outlets.yaml").write_text(dead_outlets(), encoding="utf-8")
    p, took = run(tmp_path, "--queries", str(ROOT / "queries"), "--incident", "soloti-2022",
                  "--incident", "grayvoron-2023", "--no-articles")
    assert p.returncode == 1, p.stderr
    out = p.stdout.splitlines()
    assert out[-1].startswith("no network: could not reach any of 5 hosts (connection refused: 5)")
    assert out[-2] == "  UNREACHABLE all 5 hosts (10 sources); each source's errors are in run.json"
    assert not any(ln.lstrip().startswith("FAILED") for ln in out)
    assert len(p.stderr.splitlines()) <= 10, p.stderr
    assert took < 30
    day = next((tmp_path / "results").iterdir())
    rec = json.loads((day / "soloti-2022" / "run.json").read_text())
    assert rec["network"]["verdict"] == out[-1] and rec["exit_code"] == 1
    assert rec["network"]["hosts_answered"] == 0
    report = (day / "soloti-2022" / "report.html").read_text()
    top = report.index('id="state"')
    assert top < report.index('id="incident"')
    assert "No host could be reached" in report[top:report.index('id="incident"')]


def test_one_host_down_is_one_line_not_one_per_request(tmp_path, httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/rss.xml").respond_with_data(
        "<rss version='2.0'><channel><title>t</title></channel></rss>", content_type="application/rss+xml")
    alive = httpserver.url_for("/rss.xml")
    (tmp_path / "outlets.yaml").write_text(dead_outlets(1, f"""\
  - id: alive
    name: Alive
    lang: [ru]
    sources:
      - {{kind: rss, url: '{alive}'}}
  - id: deadsearch
    name: Dead search
    lang: [ru, en]
    sources:
      - kind: json_search
        url: 'http://127.0.0.2:9/search?q={{query}}'
        items: documents
        fields: {{title: title, url: url}}
"""), encoding="utf-8")
    p, _ = run(tmp_path, "--queries", str(ROOT / "queries"), "--incident", "soloti-2022", "--no-articles")
    assert p.returncode == 1
    warnings = [ln for ln in p.stderr.splitlines() if ln.startswith("WARNING")]
    assert len(warnings) == 1 and "127.0.0.2:9" in warnings[0], p.stderr
    out = p.stdout.splitlines()
    down = [ln for ln in out if "UNREACHABLE" in ln]
    assert down == ["  UNREACHABLE 127.0.0.2:9 (connection refused): dead0[0] rss, dead0[1] sitemap, "
                    "deadsearch[0] json_search"]
    assert not out[-1].startswith("no network")


def test_each_incident_records_its_own_requests(tmp_path, httpserver):
    """Query sources: each incident's run.json lists only its own queries' requests and
    failures; a feed read once for both is in both, marked shared."""
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/rss.xml").respond_with_data(
        "<rss version='2.0'><channel><title>t</title></channel></rss>", content_type="application/rss+xml")
    httpserver.expect_request("/search").respond_with_data("nope", status=404)
    base = httpserver.url_for("").rstrip("/")
    (tmp_path / "outlets.yaml").write_text(f"""\
defaults: {{rate_limit_s: 0, retries: 0}}
outlets:
  - id: local
    name: Local
    lang: [ru]
    sources:
      - kind: json_search
        url: '{base}/search?q={{query}}'
        items: documents
        fields: {{title: title, url: url}}
      - {{kind: rss, url: '{base}/rss.xml'}}
""", encoding="utf-8")
    p, _ = run(tmp_path, "--queries", str(ROOT / "queries"), "--incident", "soloti-2022",
               "--incident", "grayvoron-2023", "--no-articles")
    assert p.returncode == 1
    import yaml
    day = next((tmp_path / "results").iterdir())
    recs = {i: json.loads((day / i / "run.json").read_text()) for i in ("soloti-2022", "grayvoron-2023")}
    for inc, rec in recs.items():
        own = set(yaml.safe_load((ROOT / "queries" / f"{inc}.yaml").read_text())["queries"]["ru"])
        search, feed = rec["outlets"]["local"]["sources"]
        asked = {unquote_plus(e.split("?q=", 1)[1].split(":", 1)[0]) for e in search["errors"]}
        assert asked == own, inc
        assert search["requests"] == len(own) and "shared" not in search
        assert feed["shared"] is True and feed["requests"] == 1 and feed["errors"] == []
        assert rec["fetch"]["requests"] == len(own) + 1 and rec["fetch"]["shared_requests"] == 1
        assert rec["fetch"]["errors"] == len(own)
    assert recs["soloti-2022"]["fetch"] != recs["grayvoron-2023"]["fetch"] or \
        len(recs["soloti-2022"]["outlets"]["local"]["sources"][0]["errors"]) > 0
    logged = [r[0].args["q"] for r in httpserver.log if r[0].path == "/search"]
    assert sorted(logged) == sorted(q for i in recs for q in yaml.safe_load(
        (ROOT / "queries" / f"{i}.yaml").read_text())["queries"]["ru"]), quote_plus("")

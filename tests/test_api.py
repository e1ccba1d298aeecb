"""The Python API (``incidentsearch.search`` and friends) on a local outlet serving the two
seed reports of ../shared/seeds (the feed and pages of tests/test_seeds.py), in this process."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date

import pytest

import incidentsearch
from conftest import ROOT
from test_seeds import SEEDS, seeds_outlets, seeds_site  # noqa: F401 (a fixture)

def _outlets(tmp_path, base: str, more: str = "") -> str:
    return str(seeds_outlets(tmp_path, base, more))


def test_search_returns_both_seed_reports_under_their_incidents(tmp_path, seeds_site):  # noqa: F811
    base, items = seeds_site
    run = incidentsearch.search(queries=ROOT / "queries", outlets=_outlets(tmp_path, base),
                                results=tmp_path / "results", cache_dir=tmp_path / "cache")
    assert run.code == 0 and run.failures == [], run
    assert run.folder == tmp_path / "results" / date.today().isoformat()
    by_title = {}
    for h in run.hits:
        by_title.setdefault(h.title, []).append(h)
    for (title, _, _), (inc, day) in zip(items, SEEDS.values()):
        hits = by_title.get(title)
        assert hits and [h.incident for h in hits] == [inc], (title, run.hits)
        assert hits[0].published.startswith(day.isoformat()) and hits[0].url.startswith(base + "/news/seed-")
        assert hits[0].outlet == "seeds" and hits[0].source == "rss" and hits[0].listing_url == base + "/feed.xml"
    # each hit is the hits.jsonl line, as attributes and back as a dict
    for inc in {h.incident for h in run.hits}:
        lines = [json.loads(x) for x in (run.folder_of(inc) / "hits.jsonl").read_text("utf-8").splitlines()]
        assert [h.as_dict() for h in run.hits if h.incident == inc] == lines
        assert (run.folder_of(inc) / "report.html").is_file() and (run.folder_of(inc) / "run.json").is_file()
    record = json.loads((run.folder_of("soloti-2022") / "run.json").read_text("utf-8"))
    assert record["exit_code"] == 0 and record["arguments"][:2] == ["--queries", str(ROOT / "queries")]


def test_hits_make_a_data_frame(tmp_path, seeds_site):  # noqa: F811
    pandas = pytest.importorskip("pandas")
    base, items = seeds_site
    run = incidentsearch.search(queries=ROOT / "queries", outlets=_outlets(tmp_path, base), incident="grayvoron-2023",
                                results=tmp_path / "results", cache_dir=tmp_path / "cache", articles=False)
    frame = pandas.DataFrame(run.hits)
    assert list(frame["incident"]) == ["grayvoron-2023"] and list(frame["title"]) == [items[1][0]]
    lines = pandas.read_json(run.folder_of("grayvoron-2023") / "hits.jsonl", lines=True)
    assert list(lines["url"]) == list(frame["url"])
    assert asdict(run.hits[0])["url"] == run.hits[0].to_dict()["url"]


def test_a_failing_outlet_is_a_failure_not_an_exception(tmp_path, seeds_site, httpserver):  # noqa: F811
    base, _ = seeds_site
    httpserver.expect_request("/broken.xml").respond_with_data("down", status=500)
    more = f"""  - id: broken
    name: A broken feed
    lang: [en]
    sources:
      - {{kind: rss, url: "{base}/broken.xml"}}
"""
    run = incidentsearch.search(queries=ROOT / "queries", outlets=_outlets(tmp_path, base, more),
                                results=tmp_path / "results", cache_dir=tmp_path / "cache", articles=False)
    assert run.code == 1
    assert [(f["outlet"], f["kind"]) for f in run.failures] == [("broken", "rss")]
    assert any("500" in e for e in run.failures[0]["errors"]), run.failures
    assert "grayvoron-2023" in {h.incident for h in run.hits}   # the other outlet's hit stands (Soloti waits for its page)


def test_bad_input_raises_before_any_request(tmp_path, httpserver):
    bad = tmp_path / "outlets.yaml"
    bad.write_text("outlets:\n  - id: x\n    name: X\n    lang: [en]\n    sourcez: []\n", encoding="utf-8")
    with pytest.raises(incidentsearch.ConfigError) as e:
        incidentsearch.search(queries=ROOT / "queries", outlets=bad, results=tmp_path / "results")
    assert any(str(bad) in line for line in e.value.lines)
    good = _outlets(tmp_path, httpserver.url_for("").rstrip("/"))
    with pytest.raises(incidentsearch.SelectionError, match="unknown incident nowhere-1999"):
        incidentsearch.search(queries=ROOT / "queries", outlets=good, incident="nowhere-1999", results=tmp_path / "r")
    with pytest.raises(incidentsearch.SelectionError, match="not a date"):
        incidentsearch.search(queries=ROOT / "queries", outlets=good, since="2023-13-01", results=tmp_path / "r")
    assert httpserver.log == []                                   # nothing was asked


def test_loaders_and_the_matcher_explain():
    incidents = incidentsearch.load_incidents(ROOT / "queries")
    assert {"soloti-2022", "grayvoron-2023"} <= {i.id for i in incidents}
    assert incidentsearch.load_outlets(ROOT / "outlets.yaml").outlets
    m = incidentsearch.Matcher.from_folder(ROOT / "queries")
    said = m.explain("ДРГ зашла в Грайворонский район Белгородской области", lang="ru",
                     published=date(2023, 5, 22))
    assert "grayvoron-2023: HIT" in said


def test_every_public_name_resolves_whatever_was_imported_first():
    """``incidentsearch.search`` is the function even after a subpackage was imported (a
    subpackage named ``search`` would shadow it: the live search's package is ``live``)."""
    import incidentsearch.archive.driver  # noqa: F401
    import incidentsearch.live.job  # noqa: F401

    assert incidentsearch.search.__module__ == "incidentsearch.api" and callable(incidentsearch.scan_archive)
    for name in incidentsearch.__all__:
        assert getattr(incidentsearch, name) is not None, name
    assert not any(isinstance(getattr(incidentsearch, n), type(incidentsearch)) for n in incidentsearch.__all__)


def test_search_replays_a_recording_offline(tmp_path):
    """``search(replay=...)``: the demo's recorded configs and answers, nothing else read, no
    network (the guard would refuse a public host): the demo's 7 reports of the Soloti shooting."""
    run = incidentsearch.search(replay=ROOT / "samples" / "demo.warc.gz", results=tmp_path / "results",
                                queries=tmp_path / "no-such-folder", outlets=tmp_path / "no-such-file")
    assert run.code == 0 and run.failures == [] and run.incidents == ["soloti-2022"]
    assert len(run.hits) == 7 and {h.incident for h in run.hits} == {"soloti-2022"}
    assert sorted(h.lang for h in run.hits) == ["en"] * 5 + ["ru"] * 2
    assert not (run.folder_of("soloti-2022") / "raw.warc.gz").exists()      # a replay records nothing
    with pytest.raises(incidentsearch.SelectionError, match="not a WARC file"):
        incidentsearch.search(replay=ROOT / "outlets.yaml", results=tmp_path / "results")

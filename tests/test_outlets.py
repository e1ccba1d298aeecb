"""The shipped outlets.yaml: it validates, covers the outlets issue 3 asks for, says where
each endpoint was seen, and plans well-formed requests for the seed incidents (--dry-run).

Nothing here touches the network: only the planned URLs are built and parsed back.
"""
from __future__ import annotations

import calendar
import importlib.util
import re
import string
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

from incidentsearch.config import load_incidents, load_outlets
from incidentsearch.live.listings import plan

ROOT = Path(__file__).resolve().parents[1]
OUTLETS_FILE = ROOT / "outlets.yaml"
QUERIES = ROOT / "queries"
SEED_INCIDENTS = ("soloti-2022", "grayvoron-2023")
AGGREGATORS = ("google_news", "gdelt", "wayback")

# The categories of issue 3 and the outlet ids that stand for them. Every id must be in
# outlets.yaml and enabled.
CATEGORIES = {
    "russian-federal": ["tass", "ria", "interfax", "rbc", "kommersant", "lenta", "izvestia",
                        "rossiyskaya-gazeta", "zvezda", "krasnaya-zvezda"],
    "belgorod-regional": ["bel-ru", "belpressa", "go31"],
    "independent-russian": ["meduza", "mediazona", "novaya-gazeta-europe", "bbc-russian",
                            "radio-svoboda", "the-insider"],
    "ukrainian": ["ukrainska-pravda", "ukrinform", "kyiv-independent"],
    "english": ["reuters", "ap", "bbc-news", "guardian", "aljazeera", "moscow-times", "isw",
                "mirror", "express"],
    "aggregators": ["google-news-ru", "google-news-en", "google-news-uk", "gdelt"],
}

# Outlets whose own search is blocked or absent: Google News restricted to their site.
GOOGLE_SITE = {"mirror": "mirror.co.uk", "express": "express.co.uk", "belpressa": "belpressa.ru",
               "go31": "go31.ru", "bel-ru": "bel.ru", "ria": "ria.ru", "lenta": "lenta.ru",
               "rbc": "rbc.ru", "tass": "tass.ru", "kommersant": "kommersant.ru",
               "mediazona": "zona.media", "the-insider": "theins.ru"}

# Words a comment must contain (at least one) to count as saying where the endpoint was seen.
EVIDENCE = re.compile(r"seen|documented|fixture|GitHub code index|unverified|\[(GN|GDELT|CDX|FUNDUS)\]",
                      re.IGNORECASE)


@pytest.fixture(scope="module")
def outlets():
    return load_outlets(OUTLETS_FILE)


@pytest.fixture(scope="module")
def seed_incidents():
    found = {i.id: i for i in load_incidents(QUERIES)}
    missing = [i for i in SEED_INCIDENTS if i not in found]
    assert not missing, f"seed incidents missing from queries/: {missing}"
    return [found[i] for i in SEED_INCIDENTS]


# ---------------------------------------------------------------- the list itself

def test_validates_with_unique_ids(outlets):
    ids = [o.id for o in outlets.outlets]
    assert len(ids) == len(set(ids))


def test_at_least_25_enabled(outlets):
    enabled = [o.id for o in outlets.outlets if o.enabled]
    assert len(enabled) >= 25, enabled


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_every_category_present_and_enabled(outlets, category):
    by_id = {o.id: o for o in outlets.outlets}
    missing = [i for i in CATEGORIES[category] if i not in by_id]
    disabled = [i for i in CATEGORIES[category] if i in by_id and not by_id[i].enabled]
    assert not missing and not disabled, f"missing {missing}, disabled {disabled}"


def test_politeness_defaults(outlets):
    assert outlets.defaults.rate_limit_s >= 2.0
    for o in outlets.outlets:
        for s in o.sources:
            if s.kind == "gdelt":
                assert s.rate_limit_s >= 5.0, o.id
            elif s.kind == "wayback":
                assert s.rate_limit_s >= 4.0, o.id
            elif s.rate_limit_s is not None:
                assert s.rate_limit_s >= 1.0, o.id


def test_aggregator_outlets(outlets):
    by_id = {o.id: o for o in outlets.outlets}
    for oid, edition in (("google-news-ru", "ru"), ("google-news-en", "en"), ("google-news-uk", "uk")):
        kinds = [(s.kind, s.edition, s.site) for s in by_id[oid].sources]
        assert ("google_news", edition, None) in kinds, (oid, kinds)
    g = [s for s in by_id["gdelt"].sources if s.kind == "gdelt"]
    assert any(s.sourcelang == "russian" for s in g)
    assert any(not (s.sourcelang or s.sourcecountry or s.domain) and s.lang == ["en"] for s in g)


@pytest.mark.parametrize("oid", sorted(GOOGLE_SITE))
def test_google_news_site_attached(outlets, oid):
    o = next(o for o in outlets.outlets if o.id == oid)
    sites = [s.site for s in o.sources if s.kind == "google_news"]
    assert GOOGLE_SITE[oid] in sites, sites


def test_aggregators_after_own_sources(outlets):
    for o in outlets.outlets:
        kinds = [s.kind for s in o.sources]
        first_agg = next((i for i, k in enumerate(kinds) if k in AGGREGATORS), len(kinds))
        assert all(k in AGGREGATORS for k in kinds[first_agg:]), (o.id, kinds)


def test_wayback_prefixes_carry_no_date(outlets):
    """The window fills from/to; a date in the prefix would serve one incident only."""
    for o in outlets.outlets:
        for s in o.sources:
            if s.kind == "wayback":
                assert not re.search(r"(19|20)\d\d", s.prefix), (o.id, s.prefix)


def _source_lines(text: str):
    """(line number, comment lines directly above) for every `- kind:` line of the YAML."""
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if re.match(r"^\s*- kind:", line):
            above, k = [], n - 1
            while k >= 0 and lines[k].lstrip().startswith("#"):
                above.insert(0, lines[k].strip())
                k -= 1
            yield n + 1, line.strip(), above


def test_every_source_has_an_evidence_comment(outlets):
    text = OUTLETS_FILE.read_text(encoding="utf-8")
    entries = list(_source_lines(text))
    assert len(entries) == sum(len(o.sources) for o in outlets.outlets)
    bad = [f"line {n}: {line}" for n, line, above in entries
           if not above or not EVIDENCE.search(" ".join(above))]
    assert not bad, "sources without an evidence comment directly above:\n" + "\n".join(bad)


# ---------------------------------------------------------------- --dry-run for the seeds

def _module_present(kind: str) -> bool:
    return importlib.util.find_spec(f"incidentsearch.sources.{kind}") is not None


def _tasks(outlets, incidents):
    return plan(outlets, incidents)


def _spec_formats(template: str) -> dict[str, str]:
    out = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if name in ("since", "until"):
            out[name] = spec
    return out


def _qs(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _check_common(url: str, where: str):
    parts = urlsplit(url)
    assert parts.scheme == "https", f"{where}: {url}"
    assert parts.hostname, f"{where}: {url}"
    assert "{" not in url and "}" not in url, f"{where}: unfilled placeholder in {url}"
    assert not re.search(r"\s", url), f"{where}: whitespace in {url}"


def _norm(s: str) -> str:
    return " ".join(s.split())


def test_dry_run_plans_every_enabled_outlet(outlets, seed_incidents):
    tasks = _tasks(outlets, seed_incidents)
    planned = {(t.outlet.id, t.index) for t in tasks}
    for o in outlets.outlets:
        if not o.enabled:
            continue
        for i, s in enumerate(o.sources):
            langs = s.lang or o.lang
            if "query" in s.placeholders and not any(inc.queries.get(lang)
                                                     for inc in seed_incidents for lang in langs):
                continue    # no seed query in this source's languages
            assert (o.id, i) in planned, f"{o.id}[{i}] {s.kind} not planned"


def _cases():
    """One pytest case per (incident, outlet, source index), built lazily in the test."""
    out = load_outlets(OUTLETS_FILE)
    return [pytest.param(inc, o.id, i, id=f"{inc}-{o.id}-{i}-{s.kind}")
            for inc in SEED_INCIDENTS for o in out.outlets if o.enabled
            for i, s in enumerate(o.sources)]


@pytest.mark.parametrize("incident_id,outlet_id,index", _cases())
def test_dry_run_url_well_formed(outlets, seed_incidents, incident_id, outlet_id, index):
    spec = next(o for o in outlets.outlets if o.id == outlet_id).sources[index]
    if spec.kind in AGGREGATORS:
        pytest.importorskip(f"incidentsearch.sources.{spec.kind}")
    incident = next(i for i in seed_incidents if i.id == incident_id)
    tasks = [t for t in plan(outlets, [incident], outlet_ids=[outlet_id]) if t.index == index]
    if not tasks:
        langs = spec.lang or next(o for o in outlets.outlets if o.id == outlet_id).lang
        assert "query" in spec.placeholders and not any(incident.queries.get(lang) for lang in langs)
        pytest.skip("no query of this incident in the source's languages")
    for t in tasks:
        url = t.url(page=1)
        where = f"{outlet_id}[{index}] {spec.kind} {t.query!r}"
        _check_common(url, where)
        q = _qs(url)
        if spec.kind == "google_news":
            (text,) = q["q"]
            assert _norm(t.query) in text, where
            assert f"after:{t.since.isoformat()}" in text, where
            assert f"before:{(t.until + timedelta(days=1)).isoformat()}" in text, where
            if spec.site:
                assert f"site:{spec.site}" in text, where
            else:
                assert "site:" not in text, where
            for key in ("hl", "gl", "ceid"):
                assert q.get(key) and q[key][0], f"{where}: {key} missing in {url}"
            if spec.edition:
                assert q["ceid"][0].endswith(":" + spec.edition), f"{where}: {url}"
            assert urlsplit(url).hostname == "news.google.com"
        elif spec.kind == "gdelt":
            (text,) = q["query"]
            assert _norm(t.query) in text, where
            assert q["mode"] == ["artlist"] and q["format"] == ["json"], where
            assert q["maxrecords"] == ["250"], where
            assert q["startdatetime"] == [t.since.strftime("%Y%m%d") + "000000"], where
            assert q["enddatetime"] == [t.until.strftime("%Y%m%d") + "235959"], where
            for op, value in (("sourcelang", spec.sourcelang), ("sourcecountry", spec.sourcecountry),
                              ("domainis", spec.domain)):
                if value:
                    assert f"{op}:{value}" in text, where
            assert t.lang == "en", where       # GDELT is asked in English
        elif spec.kind == "wayback":
            assert q["url"] == [spec.prefix], where
            assert q["from"] == [t.since.strftime("%Y%m%d")], where
            assert q["to"] == [t.until.strftime("%Y%m%d")], where
            assert q["output"] == ["json"], where
            assert q["limit"] == [str(spec.limit)], where
        else:
            names = spec.placeholders
            if "query" in names:
                assert quote_plus(t.query) in url, f"{where}: {url}"
            for name, fmt in _spec_formats(spec.url).items():
                d = t.since if name == "since" else t.until
                if fmt and "%s" in fmt:   # Unix seconds, UTC: the start of since's day, the end of until's
                    fmt = fmt.replace("%s", str(calendar.timegm(d.timetuple()) + (86399 if name == "until" else 0)))
                want = d.strftime(fmt) if fmt else d.isoformat()
                assert want in url, f"{where}: {want} not in {url}"
        # the incident's window, untouched (no --since/--until)
        if t.incident is not None:
            assert (t.since, t.until) == (incident.since, incident.until), where


def test_seed_reports_reachable(outlets, seed_incidents):
    """Seed 000 (a Mirror story, 15-16 Oct 2022) through Google News site:mirror.co.uk; seed 004
    (an Indian outlet's syndicated copy of the Grayvoron raid) through Google News and GDELT in English."""
    for kind in ("google_news", "gdelt"):
        pytest.importorskip(f"incidentsearch.sources.{kind}")
    soloti, grayvoron = seed_incidents
    mirror = [t for t in plan(outlets, [soloti], outlet_ids=["mirror"]) if t.spec.kind == "google_news"]
    assert mirror and all(t.since <= soloti.date and t.until >= soloti.date + timedelta(days=1) for t in mirror)
    assert all("site:mirror.co.uk" in _qs(t.url())["q"][0] for t in mirror)
    en = plan(outlets, [grayvoron], outlet_ids=["google-news-en", "gdelt"])
    kinds = {(t.outlet.id, t.spec.kind) for t in en if t.lang == "en"}
    assert ("google-news-en", "google_news") in kinds and ("gdelt", "gdelt") in kinds
    for t in en:
        if t.outlet.id == "google-news-en":
            assert _qs(t.url())["ceid"] == ["US:en"]

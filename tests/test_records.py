"""records.py: a hit, an article record and a run record each written one way and read back whole."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from incidentsearch.records import ArticleRecord, Hit, Match, RunRecord

text = st.text(max_size=30)
maybe = st.none() | text


@st.composite
def hits(draw) -> Hit:
    optional = {name: draw(maybe) for name in ("date_method", "decided_by", "matched_on", "publisher", "snippet",
                                               "via", "resolved_by", "text", "forwarded_from")}
    archive = draw(st.booleans())
    if archive:
        optional.update(warc_file=draw(text), warc_offset=draw(st.integers(0, 10**9)),
                        warc_length=draw(st.integers(0, 10**6)), warc_date=draw(maybe))
    if draw(st.booleans()):
        optional.update(undecided=tuple(draw(st.lists(text, max_size=3))), reasons=tuple(draw(st.lists(text, max_size=3))))
    match = Match(draw(text), draw(st.floats(0, 100, allow_nan=False)), tuple(draw(st.lists(text, max_size=4))))
    return Hit.of(match, outlet=draw(text), lang=draw(maybe), title=draw(text), url=draw(text), published=draw(maybe),
                  source="archive" if archive else draw(text), query=draw(maybe), listing_url=draw(maybe),
                  found_at=draw(text), **optional)


@given(hits())
def test_a_hit_survives_its_json_line(hit):
    line = json.loads(json.dumps(hit.as_dict(), ensure_ascii=False))
    assert Hit.from_dict(line) == hit
    assert list(line)[:len(Hit.ALWAYS)] == list(Hit.ALWAYS)          # every line starts the same way


@given(hits(), st.dictionaries(st.sampled_from(["cluster", "later_field", "x"]), st.integers() | text, max_size=2))
def test_fields_a_later_version_writes_are_kept(hit, more):
    line = dict(hit.as_dict(), **more)
    back = Hit.from_dict(line)
    assert back.as_dict() == line and dict(back.extra) == more


def test_what_a_hit_says_even_when_null():
    m = Match("grayvoron-2023", 61.0, ("region:Белгородская область",))
    base = dict(outlet="lenta", lang="ru", title="t", url="https://lenta.ru/x", published=None, source="rss",
                query="q", listing_url="https://lenta.ru/rss", found_at="2023-05-22T10:00:00+00:00")
    live = Hit.of(m, **base).as_dict()
    assert live["date_method"] is None and live["decided_by"] is None and "warc_date" not in live
    pending = Hit.of(m, **base, undecided=("grayvoron-2023",), reasons=("undated",)).as_dict()
    assert "date_method" not in pending and "decided_by" not in pending and pending["undecided"] == ["grayvoron-2023"]
    archive = Hit.of(m, **dict(base, source="archive"), warc_file="a.warc.gz", warc_offset=0, warc_length=9).as_dict()
    assert archive["warc_date"] is None
    page = Hit.from_dict(pending).decided_by_page(m, published="2023-05-22", date_method="article").as_dict()
    assert page["decided_by"] == "article" and page["published"] == "2023-05-22" and "undecided" not in page


def test_run_record_running_then_ended():
    t0 = datetime(2026, 12, 7, 5, 0, tzinfo=timezone.utc)
    begun = RunRecord.begin(incident="soloti-2022", since=date(2022, 10, 15), until=date(2022, 12, 14),
                            arguments=["--incident", "soloti-2022"], started=t0)
    assert begun.as_dict() == {"version": begun.version, "arguments": ["--incident", "soloti-2022"],
                               "started": "2026-12-07T05:00:00+00:00", "ended": None, "exit_code": None,
                               "incident": {"id": "soloti-2022", "since": "2022-10-15", "until": "2022-12-14"}}
    done = begun.end(ended=t0 + timedelta(seconds=90), exit_code=1, hits_new=2, hits_total=5,
                     archive={"files": 1}).as_dict()
    assert done["ended"] == "2026-12-07T05:01:30+00:00" and done["exit_code"] == 1 and done["archive"] == {"files": 1}
    assert "fetch_run" not in done and "network" not in done and done["fetch"] == {} and done["outlets"] == {}


def test_article_record_names_its_match_only_when_judged():
    rec = ArticleRecord(url="https://a.example/1", error="HTTP 404 and no Wayback copy")
    assert "match" not in rec.as_dict() and rec.as_dict()["chars"] == 0
    from dataclasses import replace
    assert replace(rec, match={"verdict": "no text"}).as_dict()["match"] == {"verdict": "no text"}

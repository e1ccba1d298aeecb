"""The dossier in an analyst's words (issue 14): evidence, dates and each report's lead."""
from __future__ import annotations

import datetime as dt

import lxml.html
import pytest

from incidentsearch.results.dossier import render
from incidentsearch.results.dossier_words import evidence_words, lead_of, reader_date


@pytest.mark.parametrize("labels, decided, words", [
    (["place:Soloti", "date:in-window", "similar:52"], None,
     "names Soloti; in the window; close to a description (52)"),
    (["region:Газа", "actor:ВСУ", "term:стрельба", "figure:11"], None,
     "names the region Газа; names ВСУ; says “стрельба”; repeats the figure 11"),
    (["event:shooting=стрельба (url)", "place:Грайворон (snippet)", "semantic:71", "date:only-window"], "snippet",
     "tells of shooting (in the URL); names Грайворон (in the summary); means what a description "
     "says (71); the only incident of its kind whose window holds the date; decided by the summary"),
    (["place:Солоти (article)", "region:Белгород", "place:Soloti (article)", "region:Belgorod", "figure:11",
      "figure:15", "event:training-ground=полигон", "event:shooting=стрельба", "place:Солоти (article)"], None,
     "names Солоти, Soloti (in the article); names the region Белгород, Belgorod; repeats the figure 11, 15; "
     "tells of training ground, shooting"),
    (["kind:cross_border_raid", "date:unknown (article)", "newkind:whatever", "place"], "article",
     "an event of the kind cross border raid; undated (in the article); newkind:whatever; place; "
     "decided by the article's page"),
])
def test_evidence_in_words(labels, decided, words):
    assert evidence_words(labels, decided) == words


def test_dates_in_the_readers_terms():
    day = dt.date(2022, 10, 15)
    assert reader_date("2022-10-15T14:30:00+03:00", day) == ("Sat 15 Oct 2022, 14:30", "the day of the incident")
    assert reader_date("2022-10-16", day) == ("Sun 16 Oct 2022", "the day after")
    assert reader_date("2022-10-20", day) == ("Thu 20 Oct 2022", "5 days after")
    assert reader_date("2022-10-14", day) == ("Fri 14 Oct 2022", "the day before")
    assert reader_date(None, day) == ("", "")


def test_lead_prefers_the_page_then_the_post_then_the_feed():
    hit = {"snippet": "<b>Feed</b> summary", "text": "Post text"}
    assert lead_of(hit, {"lead": "Page lead", "source": "live"}) == ("Page lead", "the captured page")
    assert lead_of(hit, {"lead": "Old lead", "source": "wayback"}) == ("Old lead", "the Wayback copy")
    assert lead_of(hit, {"lead": ""}) == ("Post text", "the post")
    assert lead_of({"snippet": "<b>Feed</b>  summary"}, None) == ("Feed summary", "the feed's summary")
    long = "слово " * 200
    text, _ = lead_of({"snippet": long}, None)
    assert len(text) <= 322 and text.endswith(" …")


def test_report_row_has_lead_links_and_words():
    inc = {"id": "soloti-2022", "title": {"en": "Soloti"}, "date": "2022-10-15"}
    hit = {"incident": "soloti-2022", "outlet": "tass", "lang": "ru", "title": "Стрельба на полигоне <b>",
           "url": "https://tass.ru/x", "published": "2022-10-15T20:00:00+03:00", "score": 80,
           "matched": ["place:Солоти", "date:in-window"], "source": "rss", "snippet": "Двое <script>x</script>"}
    art = {"url": hit["url"], "html": "articles/0123456789abcdef0123.html", "lead": "Тест <img src=x>",
           "source": "live"}
    doc = lxml.html.fromstring(render(inc, [hit], articles={hit["url"]: art}))
    row = doc.xpath("//tr[@class='hit']")[0]
    assert row.xpath(".//p[@class='lead']")[0].text_content() == "Тест (the captured page)"
    assert row.xpath(".//p[@class='lead']")[0].get("lang") == "ru"
    assert [a.text_content() for a in row.xpath(".//div[contains(@class,'links')]/a")] == ["saved copy", "original"]
    assert row.xpath("./td[@class='feat']")[0].text_content() == "names Солоти; in the window"
    assert row.xpath("./td[1]")[0].text_content() == "Sat 15 Oct 2022, 20:00the day of the incident"
    assert not doc.xpath("//img") and not doc.xpath("//script")


def test_failed_run_says_so_before_any_count():
    inc = {"id": "soloti-2022", "title": {"en": "Soloti"}, "date": "2022-10-15"}
    run = {"ended": "2026-01-01T00:00:00", "exit_code": 1,
           "network": {"verdict": "no network: could not reach any of 39 hosts (DNS lookup failed: 39); check"},
           "outlets": {"tass": {"name": "TASS", "sources": [{"kind": "rss", "status": "failed", "errors": ["x"]}]}}}
    html = render(inc, [], run=run)
    state = html.index('id="state"')
    assert state < html.index("reports</li>") and state < html.index("No reports found")
    assert "Nothing was searched" in html and "could not reach any of 39 hosts (DNS lookup failed: 39)" in html
    part = dict(run, network={}, outlets={"a": {"sources": [{"status": "ok"}]}, "b": {"sources": [{"status": "failed"}]}})
    html = render(inc, [], run=part)
    assert "Partial search" in html and "1 of 2 sources failed (b)" in html
    ok = dict(part, outlets={"a": {"sources": [{"status": "ok"}]}})
    assert 'id="state"' not in render(inc, [], run=ok)

"""The dated folder: append-only hits.jsonl, no duplicates across runs, csv and run.json."""
from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta, timezone

from incidentsearch.results.clusters import canonical_url
from incidentsearch.records import Hit, RunRecord
from incidentsearch.results.folder import FIELDS, Store, read_hits


def hit(url, title="Украинские диверсанты зашли в Белгородскую область", **kw):
    h = {"incident": "grayvoron-2023", "outlet": "lenta", "lang": "ru", "title": title, "url": url,
         "published": "2023-05-22", "score": 80.0, "matched": ["place:Козинка", "term:ДРГ"],
         "source": "rss", "query": None, "found_at": "2026-11-21T00:00:00+00:00",
         "date_method": "field", "listing_url": "http://127.0.0.1/rss"}
    h.update(kw)
    return Hit.from_dict(h)


def test_second_store_on_same_day_adds_only_new(tmp_path):
    s = Store(tmp_path, "2026-11-21")
    f = s.folder("grayvoron-2023")
    assert f.add(hit("https://lenta.ru/news/2023/05/22/drg/"))
    assert not f.add(hit("http://www.lenta.ru/news/2023/05/22/drg?utm_source=tg#top"))  # same article
    s.close()
    s2 = Store(tmp_path, "2026-11-21")
    f2 = s2.folder("grayvoron-2023")
    assert f2.existing == 1
    assert not f2.add(hit("https://lenta.ru/news/2023/05/22/drg/"))
    assert f2.add(hit("https://lenta.ru/news/2023/05/23/kto/"))
    s2.close()
    rows = read_hits(tmp_path / "2026-11-21" / "grayvoron-2023" / "hits.jsonl")
    assert [r["url"] for r in rows] == ["https://lenta.ru/news/2023/05/22/drg/", "https://lenta.ru/news/2023/05/23/kto/"]
    with open(tmp_path / "2026-11-21" / "grayvoron-2023" / "hits.csv", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 2 and list(table[0])[:len(FIELDS)] == list(FIELDS)
    assert table[0]["matched"] == "place:Козинка; term:ДРГ"
    assert table[0]["title"] == "Украинские диверсанты зашли в Белгородскую область"


def test_torn_last_line_is_cut_and_next_append_starts_clean(tmp_path):
    d = tmp_path / "2026-11-21" / "grayvoron-2023"
    d.mkdir(parents=True)
    good = json.dumps(hit("https://a.example/1").as_dict(), ensure_ascii=False)
    (d / "hits.jsonl").write_text(good + "\n" + good[:40], encoding="utf-8")   # killed mid-write
    s = Store(tmp_path, "2026-11-21")
    f = s.folder("grayvoron-2023")
    assert f.existing == 1
    assert f.add(hit("https://a.example/2"))
    s.close()
    lines = (d / "hits.jsonl").read_text(encoding="utf-8").splitlines()     # the torn fragment is gone
    assert len(lines) == 2 and [json.loads(line)["url"] for line in lines] == ["https://a.example/1",
                                                                                 "https://a.example/2"]
    assert [r["url"] for r in read_hits(d / "hits.jsonl")] == ["https://a.example/1", "https://a.example/2"]


T0 = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


def begun(minute: int, arguments=()) -> RunRecord:
    """The record of a run started ``minute`` minutes after T0 (run.json's running marker)."""
    return RunRecord.begin(incident="soloti-2022", since=date(2022, 10, 15), until=date(2022, 11, 14),
                           arguments=arguments, started=T0 + timedelta(minutes=minute))


def at(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).isoformat(timespec="seconds")


def test_run_json_keeps_history(tmp_path):
    s = Store(tmp_path, "2026-11-21")
    f = s.folder("soloti-2022")
    f.write_run(begun(0).end(ended=T0 + timedelta(minutes=1), exit_code=0, hits_new=3))
    f.write_run(begun(2, ["-v"]).end(ended=T0 + timedelta(minutes=3), exit_code=1, hits_new=0))
    rec = json.loads((f.path / "run.json").read_text())
    assert rec["started"] == at(2) and rec["exit_code"] == 1 and rec["arguments"] == ["-v"]
    assert rec["history"] == [{"started": at(0), "ended": at(1), "exit_code": 0, "hits_new": 3, "arguments": []}]
    assert not [p for p in f.path.iterdir() if p.name.startswith(".")], "temp files left behind"


def test_a_run_marks_itself_running_and_a_killed_one_stays_in_the_history(tmp_path):
    folder = Store(tmp_path, "2023-05-22").folder("grayvoron-2023")
    folder.write_run(begun(1))
    assert json.loads((folder.path / "run.json").read_text())["running"] is True
    folder.write_run(begun(1).end(exit_code=0, hits_new=2))                # replaces its marker
    rec = json.loads((folder.path / "run.json").read_text())
    assert "running" not in rec and rec["history"] == []
    folder.write_run(begun(2))                                             # then killed
    folder.write_run(begun(3))
    folder.write_run(begun(3).end(exit_code=1, hits_new=0))
    rec = json.loads((folder.path / "run.json").read_text())
    assert rec["started"] == at(3) and rec["exit_code"] == 1 and "running" not in rec
    assert [(h["started"], h["exit_code"], h.get("killed")) for h in rec["history"]] == \
        [(at(1), 0, None), (at(2), None, True)]


def test_canonical_url():
    assert canonical_url("HTTP://WWW.Lenta.RU:80/news/2023/05/22/x/?utm_medium=rss&b=2&a=1#c") == \
        "https://lenta.ru/news/2023/05/22/x?a=1&b=2"
    assert canonical_url("https://ria.ru/20221015/strelba-1824359.html") == "https://ria.ru/20221015/strelba-1824359.html"
    assert canonical_url("https://x.example:8443/a") == "https://x.example:8443/a"
    assert canonical_url("https://x.example/a?id=1") != canonical_url("https://x.example/a?id=2")

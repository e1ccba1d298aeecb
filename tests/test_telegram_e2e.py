"""End to end: `python search.py` as a subprocess against Telegram channels played on 127.0.0.1.

Two public channels in t.me's preview markup: a regional news channel whose in-channel
search is paged back with ``?before=`` across the Soloti window (newer posts, the
incident's day, then a page wholly older than the window, after which nothing more is
asked), and a wire channel whose post the regional channel forwarded. A third channel is
private: t.me redirects its preview to the contact page. The posts are constructed (their
facts as reported); one names the incident only below its first line, so only the text
pass finds it.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug import Response

from incidentsearch.config import load_incidents
from incidentsearch.sources.telegram import NO_PREVIEW

from conftest import ROOT
from test_telegram import CONTACT_PAGE, page, post

SOLOTI = next(i for i in load_incidents(ROOT / "queries") if i.id == "soloti-2022")
REGION, WIRE = "example_region_news", "example_wire"
HEADLINE = "⚡️Минобороны: стрельба на полигоне под Белгородом квалифицирована как теракт"
WIRE_TEXT = HEADLINE + "\nДвое граждан одной из стран СНГ открыли огонь во время занятий по стрелковой подготовке."
TEXT_ONLY = ("Срочное заявление Минобороны России\nСегодня на полигоне в Валуйском районе Белгородской области "
             "двое граждан одной из стран СНГ открыли огонь по военнослужащим во время огневой подготовки. "
             "Погибли 11 человек, 15 ранены.")

PAGES = {
    REGION: {
        None: (page, [post(REGION, 1300, "2023-01-20T09:00:00+00:00", "В Белгороде открыли новый каток"),
                      post(REGION, 1290, "2022-12-01T09:00:00+00:00", "Гладков: в Шебекино восстановят свет")], 1290),
        "1290": (page, [post(REGION, 1180, "2022-10-15T19:10:00+00:00", TEXT_ONLY),
                        post(REGION, 1185, "2022-10-15T19:05:00+00:00", WIRE_TEXT,
                             forwarded=("Example Wire", f"{WIRE}/4410")),
                        post(REGION, 1190, "2022-10-15T19:20:00+00:00", None, media=True),
                        post(REGION, 1195, "2022-10-15T20:11:00+00:00",
                             "Дополнение: раненых доставили в больницы Валуек и Белгорода.")], 1180),
        "1180": (page, [post(REGION, 1100, "2022-10-01T09:00:00+00:00", "Осенний призыв начался"),
                        post(REGION, 1090, "2022-09-20T09:00:00+00:00", "Ярмарка выходного дня")], 1090),
        "1090": (page, [post(REGION, 1000, "2022-09-01T09:00:00+00:00", "Первое сентября")], 1000),
    },
    WIRE: {
        None: (page, [post(WIRE, 4410, "2022-10-15T18:58:00+00:00", WIRE_TEXT),
                      post(WIRE, 4412, "2022-10-15T21:15:00+00:00", "Курс рубля на торгах Мосбиржи")], 4400),
        "4400": (page, [post(WIRE, 4300, "2022-09-30T10:00:00+00:00", "Новости за сентябрь")], 4299),
    },
}


@pytest.fixture
def site(httpserver):
    def handler(request):
        channel = request.path.rsplit("/", 1)[-1]
        before = request.args.get("before")
        build, posts, older = PAGES[channel][before]
        return Response(build(channel, posts, before=older, query=request.args.get("q", "")),
                        content_type="text/html; charset=utf-8")

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    for channel in PAGES:
        httpserver.expect_request(f"/s/{channel}").respond_with_handler(handler)
    httpserver.expect_request("/s/example_closed").respond_with_data("", status=302,
                                                                     headers={"Location": "/example_closed"})
    httpserver.expect_request("/example_closed").respond_with_data(CONTACT_PAGE, content_type="text/html")
    return httpserver


def outlets_yaml(base: str) -> str:
    rows = ["defaults: {rate_limit_s: 0, timeout_s: 5, connect_timeout_s: 2, retries: 0}", "outlets:"]
    for oid, name, channel in (("region-news", "Example Region News", REGION), ("wire", "Example Wire", WIRE),
                               ("closed", "A private channel", "example_closed")):
        rows += [f"  - id: {oid}", f"    name: {name} (Telegram)", "    lang: [ru]", "    tz: Europe/Moscow",
                 "    sources:",
                 f"      - {{kind: telegram, channel: {channel}, url: '{base}/s/{channel}', rate_limit_s: 0}}"]
    return "\n".join(rows) + "\n"


def test_two_channels_paged_back_across_the_window(tmp_path, site, guarded_env):
    base = site.url_for("").rstrip("/")
    outlets = tmp_path / "outlets.yaml"
    outlets.write_text(outlets_yaml(base), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "search.py"), "--outlets", str(outlets),
                           "--queries", str(ROOT / "queries"), "--results", str(tmp_path / "results"),
                           "--cache-dir", str(tmp_path / "cache"), "--incident", "soloti-2022"],
                          cwd=tmp_path, env=guarded_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]          # the private channel failed; the rest answered
    [day] = list((tmp_path / "results").iterdir())
    folder: Path = day / "soloti-2022"

    # paging: every query read back to the page wholly older than the window, and no further
    asked = [(r.path, r.args.get("before"), r.args.get("q")) for r, _ in site.log if r.path.startswith("/s/")]
    queries = len(SOLOTI.queries.ru)
    assert sorted(str(b) for p, b, _ in asked if p == f"/s/{REGION}") == sorted(["None", "1290", "1180"] * queries)
    assert sorted(str(b) for p, b, _ in asked if p == f"/s/{WIRE}") == sorted(["None", "4400"] * queries)
    assert {q for _, _, q in asked} == set(SOLOTI.queries.ru)

    hits = {h["url"]: h for h in map(json.loads, (folder / "hits.jsonl").read_text("utf-8").splitlines())}
    assert set(hits) == {f"https://t.me/{REGION}/1180", f"https://t.me/{REGION}/1185", f"https://t.me/{WIRE}/4410"}
    text_hit = hits[f"https://t.me/{REGION}/1180"]
    assert text_hit["matched_on"] == "text" and text_hit["title"] == "Срочное заявление Минобороны России"
    assert text_hit["source"] == "telegram" and text_hit["published"].startswith("2022-10-15T19:10")
    forward = hits[f"https://t.me/{REGION}/1185"]
    assert forward["matched_on"] == "title" and forward["title"] == HEADLINE
    assert forward["forwarded_from"] == "Example Wire" and forward["forwarded_from_url"] == f"https://t.me/{WIRE}/4410"

    # the article stage took each post's own text: nothing fetched from t.me (the guard would refuse it)
    # (a post the listing could not decide was pending: read from its own text too, and not confirmed)
    arts = [json.loads(x) for x in (folder / "articles.jsonl").read_text("utf-8").splitlines()]
    assert {a["url"] for a in arts} >= set(hits)
    assert all(a["source"] == "listing" and a["error"] is None for a in arts)
    assert all(a["match"]["verdict"] == "confirmed" for a in arts if a["url"] in hits)
    assert all(a["match"]["verdict"] != "confirmed" for a in arts if a["url"] not in hits)

    # the forward and its original are one syndication cluster, the original first
    clusters = json.loads((folder / "clusters.json").read_text("utf-8"))
    [pair] = [c for c in clusters if len(c["members"]) > 1]
    assert pair["original"] == f"https://t.me/{WIRE}/4410"
    assert set(pair["members"]) == {f"https://t.me/{WIRE}/4410", f"https://t.me/{REGION}/1185"}

    run = json.loads((folder / "run.json").read_text("utf-8"))
    assert run["exit_code"] == 1
    region = run["outlets"]["region-news"]["sources"][0]
    assert region["status"] == "ok" and region["kind"] == "telegram" and not region["capped"]
    assert region["skipped"] == {"media_only": queries} and region["hits"] == 2
    assert run["outlets"]["wire"]["sources"][0]["status"] == "ok"
    closed = run["outlets"]["closed"]["sources"][0]
    assert closed["status"] == "failed" and closed["candidates"] == 0
    assert all(NO_PREVIEW in e for e in closed["errors"]) and len(closed["errors"]) == queries
    assert "closed" in proc.stdout

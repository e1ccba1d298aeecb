"""Build samples/demo.warc.gz: a recording of a run about soloti-2022 that replays offline.

    python samples/build_demo.py

The recording holds real reports of the Soloti training-ground shooting (15 Oct 2022), in
Russian and English, from seven outlets: their real headlines, publication days and URLs
(the project's labelled dev set, ../shared/eval/dev_headlines.jsonl, copied here so the
builder needs nothing else). No openly licensed copy of these articles exists, so every page
and listing in it is CONSTRUCTED: a minimal page per report with the real headline and day,
a neutral summary of the event written for the demo (never the outlet's text) and a note
saying it is constructed. The feeds are constructed RSS listings of those reports. One
report's page answers 404 in the recording and is read from a constructed Wayback Machine
snapshot, to show the fallback. Two outlets carry the same PTI wire story (same headline and
text): a syndication cluster. The outlets file is samples/demo/outlets.yaml; the incident
files are the repository's queries/ as committed (git HEAD), recorded into the WARC so that
`python search.py --replay samples/demo.warc.gz` needs nothing else. See samples/README.md.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from incidentsearch.text.charset import decode_body  # noqa: E402
from incidentsearch.records import Response  # noqa: E402
from incidentsearch.sources import wayback  # noqa: E402
from incidentsearch.results.warc import Recorder  # noqa: E402

INCIDENT = "soloti-2022"
UNTIL = "20221214"            # the incident's window ends 60 days after 15 Oct 2022 (queries/soloti-2022.yaml)
WHEN = datetime(2022, 10, 18, 9, 0, tzinfo=timezone.utc)     # when the recording says it was made

# (outlet feed, real headline, real day, real URL, language) from ../shared/eval/dev_headlines.jsonl
REPORTS = [
    ("https://kyivindependent.com/feed/",
     "Russian media: 11 Russian soldiers killed, 15 injured at training ground in Belgorod", "2022-10-15",
     "https://kyivindependent.com/uncategorized/russian-media-11-russian-soldiers-killed-15-injured-at-training-"
     "ground-in-belgorod", "en"),
    ("https://meduza.io/rss/en/all", "Mass shooting at a Russian training ground", "2022-10-16",
     "https://meduza.io/en/feature/2022/10/16/mass-shooting-at-a-russian-training-ground", "en"),
    ("https://www.independent.co.uk/news/world/europe/rss",
     "Russia: 11 shot dead by two volunteer soldiers in attack at military firing range, defence ministry says",
     "2022-10-16", "https://www.independent.co.uk/news/world/europe/russia-shooting-military-firing-range-belgorod-"
     "b2203604.html", "en"),
    ("https://www.devdiscourse.com/rss/law-order", "Russia military range shooting leaves 11 dead, 15 wounded",
     "2022-10-16", "https://www.devdiscourse.com/article/law-order/2215452-russia-military-range-shooting-leaves-11-"
     "dead-15-wounded", "en"),
    ("http://adaderana.lk/rss.php", "Russia military range shooting leaves 11 dead, 15 wounded", "2022-10-16",
     "http://adaderana.lk/news.php?nid=85561", "en"),
    ("https://www.pnp.ru/rss/index.xml",
     "В СК возбудили уголовное дело по факту стрельбы на полигоне под Белгородом", "2022-10-16",
     "https://www.pnp.ru/incident/v-sk-vozbudili-ugolovnoe-delo-po-faktu-terakta-na-poligone-pod-belgorodom.html",
     "ru"),
    ("http://vladimir-smi.ru/rss", "Губернатор Гладков отреагировал на теракт на полигоне в Белгородской области",
     "2022-10-16", "http://vladimir-smi.ru/item/548664", "ru"),
]
GONE = "https://www.independent.co.uk/news/world/europe/russia-shooting-military-firing-range-belgorod-b2203604.html"
SNAPSHOT_TS = "20221016143000"       # constructed: the time of the Wayback copy in this recording

# A short summary per report, written for the demo from the incident's known facts and the
# report's own headline (never the outlet's text); the two copies of the wire story share theirs.
WIRE_SUMMARY = ("Two volunteer soldiers opened fire at a military training ground in Russia's Belgorod region on "
                "Saturday, killing 11 people and wounding 15 before they were shot dead, the defence ministry said. "
                "The ministry called the shooting near Soloti a terrorist attack.")
SUMMARY = {
    REPORTS[0][3]: ("Russian media reported on 15 October that 11 soldiers were killed and 15 injured when two men "
                    "opened fire at a training ground in Belgorod Oblast, near the border with Ukraine. The gunmen "
                    "were said to be volunteers from a CIS country; both were killed."),
    REPORTS[1][3]: ("A mass shooting at a military training ground near the village of Soloti in Russia's "
                    "Belgorod region left 11 people dead and 15 wounded. The two attackers, who had come to train "
                    "as volunteers, were shot dead at the scene."),
    REPORTS[2][3]: ("Russia's defence ministry said two volunteer soldiers shot dead 11 people and wounded 15 at a "
                    "military firing range in the Belgorod region on Saturday before being killed themselves. The "
                    "ministry described the shooting as a terrorist attack."),
    REPORTS[3][3]: WIRE_SUMMARY,
    REPORTS[4][3]: WIRE_SUMMARY,
    REPORTS[5][3]: ("Следственный комитет возбудил уголовное дело о теракте после стрельбы на полигоне в "
                    "Белгородской области, где 15 октября погибли 11 человек и ещё 15 получили ранения. "
                    "Нападавшие, двое добровольцев, были убиты на месте."),
    REPORTS[6][3]: ("Губернатор Белгородской области Вячеслав Гладков прокомментировал теракт на полигоне у Солоти "
                    "в Валуйском районе, где двое добровольцев открыли огонь по сослуживцам во время огневой "
                    "подготовки. Погибли 11 человек, 15 ранены."),
}
NOTICE = {
    "en": ("Constructed page for the incidentsearch demo (see samples/README.md): the headline, the day and "
           "the address are those of the real report; the text above is a summary of the event written for the "
           "demo, not the outlet's article."),
    "ru": ("Страница построена для демонстрации incidentsearch (см. samples/README.md): заголовок, дата и адрес "
           "взяты из настоящей публикации; текст выше написан для демонстрации и не является статьёй издания."),
}


def rss(items) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
           '<channel><title>Constructed listing (incidentsearch demo)</title><link>https://example.org/</link>'
           '<description>constructed listing of a real report: see samples/README.md</description>']
    for title, day, link in items:
        out.append(f"<item><title>{escape(title)}</title><link>{escape(link)}</link><dc:date>{day}</dc:date></item>")
    out.append("</channel></rss>")
    return "".join(out).encode()


def page(title: str, day: str, lang: str, summary: str) -> bytes:
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta property='article:published_time' content='{day}'>"
            f"<meta name='robots' content='noindex'></head><body><article><h1>{escape(title)}</h1>"
            f"<p>{escape(summary)}</p><p><small>{escape(NOTICE[lang])}</small></p></article></body></html>").encode()


def response(url: str, body: bytes, ctype: str, status: int = 200) -> Response:
    text, enc = decode_body(body, ctype)
    return Response(url=url, final_url=url, status=status, headers={
        "Content-Type": ctype, "Date": format_datetime(WHEN, usegmt=True)}, content=body, text=text, encoding=enc,
        date=WHEN, error=None if status < 400 else f"HTTP {status}")


def cdx_url(url: str) -> str:
    """What the article stage asks the Wayback Machine (the built-in source) for a page that is gone."""
    base, _ = wayback.endpoint(None)
    return wayback.page_captures_url(base, url, datetime.strptime(UNTIL, "%Y%m%d").date())


def committed(path: str) -> bytes:
    """A file of the repository as committed (git HEAD), else as it is on disk."""
    try:
        return subprocess.run(["git", "show", f"HEAD:{path}"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return (ROOT / path).read_bytes()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "demo.warc.gz")
    a = ap.parse_args()
    a.out.unlink(missing_ok=True)
    configs = {"outlets.yaml": (HERE / "demo" / "outlets.yaml").read_bytes()}
    for f in sorted((ROOT / "queries").glob("*.yaml")):
        configs[f"queries/{f.name}"] = committed(f"queries/{f.name}")
    rec = Recorder(a.out, user_agent="incidentsearch/0.1.0 (+https://github.com/incidentsearch/incidentsearch)")
    rec.start(arguments=["samples/build_demo.py"], configs=configs,
              run={"started": WHEN.isoformat(), "incidents": [INCIDENT], "outlets": None, "since": None,
                   "until": None})
    feeds: dict[str, list] = {}
    for feed, title, day, url, _ in REPORTS:
        feeds.setdefault(feed, []).append((title, day, url))
    for feed, items in feeds.items():
        rec.exchange(response(feed, rss(items), "application/rss+xml; charset=utf-8"))
    for _, title, day, url, lang in REPORTS:
        body = page(title, day, lang, SUMMARY[url])
        if url == GONE:
            rec.exchange(response(url, b"<!doctype html><title>Not found</title><p>Not found (constructed)</p>",
                                  "text/html; charset=utf-8", status=404))
            rec.exchange(response(cdx_url(url), (f'[["timestamp","original","statuscode"],'
                                                 f'["{SNAPSHOT_TS}","{url}","200"]]').encode(), "application/json"))
            rec.exchange(response(wayback.snapshot_url(wayback.endpoint(None)[0], SNAPSHOT_TS, url), body,
                                  "text/html; charset=utf-8"))
        else:
            rec.exchange(response(url, body, "text/html; charset=utf-8"))
    rec.close()
    print(f"wrote {a.out} ({a.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

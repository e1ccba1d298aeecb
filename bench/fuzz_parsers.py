"""Coverage-guided fuzzing of the four outlet parsers with atheris (OPTIONAL; not a dependency).

    pip install atheris                       # not in pyproject: a native wheel, optional
    python bench/fuzz_parsers.py -runs=20000  # bounded: libFuzzer stops after N inputs
    python bench/fuzz_parsers.py -max_total_time=60

The first input byte picks the parser (rss, sitemap, html_search, json_search) and a
Content-Type; the rest is the body. Seeds are the real fixtures of tests/fixtures and
../shared/fixtures (feeds, sitemaps, listings, API answers), one corpus entry per
parser and fixture. The contract checked: ``parse`` returns or raises ParseError;
any other exception is a crash (libFuzzer writes the input to crash-<sha1>).
Bodies are decoded exactly as fetch.py does (charset.decode_body), so the parsers
see what they see in a run.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from incidentsearch.text.charset import decode_body
    from incidentsearch.config import HtmlSearchSource, JsonSearchSource, RssSource, SitemapSource
    from incidentsearch.records import Response
    from incidentsearch.sources import ParseError, html_search, json_search, rss, sitemap

PARSERS = [
    (rss, RssSource(kind="rss", url="https://example.org/rss")),
    (sitemap, SitemapSource(kind="sitemap", url="https://example.org/sitemap.xml")),
    (html_search, HtmlSearchSource(kind="html_search", url="https://example.org/s?q={query}",
                                   item="li.result, div[data-time], article",
                                   fields={"title": "a, h3", "date": "time@datetime"})),
    (json_search, JsonSearchSource(kind="json_search", url="https://example.org/api?q={query}",
                                   items="documents", fields={"title": "title", "url": "url",
                                                              "date": "pub_date"})),
]
CONTENT_TYPES = [None, "application/rss+xml", "text/xml; charset=windows-1251", "text/html; charset=utf-8",
                 "application/json", "application/gzip", "text/html", "application/xml; charset=utf-8"]
SEED_DIRS = {0: ["feeds"], 1: ["sitemaps"], 2: ["listings", "snapshots"], 3: ["api"]}


def seeds() -> list[bytes]:
    out = []
    for base in (ROOT / "tests" / "fixtures", ROOT.parent / "shared" / "fixtures"):
        for k, dirs in SEED_DIRS.items():
            for d in dirs:
                folder = base / d
                if not folder.is_dir():
                    continue
                for p in sorted(folder.iterdir()):
                    if p.is_file() and not p.name.endswith(".expected.json") and p.stat().st_size < 400_000:
                        out.append(bytes([k]) + p.read_bytes())
    return out


def one_input(data: bytes) -> None:
    if not data:
        return
    sel = data[0]
    mod, spec = PARSERS[sel % len(PARSERS)]
    ctype = CONTENT_TYPES[(sel // len(PARSERS)) % len(CONTENT_TYPES)]
    body = data[1:]
    text, enc = decode_body(body, ctype)
    resp = Response(url="https://example.org/x", final_url="https://example.org/x", status=200,
                    headers={"Content-Type": ctype} if ctype else {}, content=body, text=text, encoding=enc)
    try:
        mod.parse(spec, resp)
    except ParseError:
        pass


def main() -> None:
    argv = list(sys.argv)
    if not any(a.startswith(("-runs=", "-max_total_time=")) for a in argv[1:]):
        argv.append("-runs=20000")                       # bounded by default
    corpus = [a for a in argv[1:] if not a.startswith("-")]
    if not corpus:
        tmp = tempfile.mkdtemp(prefix="fuzz-parsers-")
        for n, s in enumerate(seeds()):
            Path(tmp, f"seed-{n:04d}").write_bytes(s)
        argv.append(tmp)
        print(f"seed corpus: {len(os.listdir(tmp))} fixtures in {tmp}", file=sys.stderr)
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

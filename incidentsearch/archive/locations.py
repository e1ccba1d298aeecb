"""Where an archive scan reads: each ``--archive`` argument expanded to WARC file locations
(local files, folders, globs, ``*.paths`` listings, http(s) URLs, ``cc-news:YYYY/MM``).
Remote listings are read through ``net.open_stream`` (robots.txt, the politeness interval)."""
from __future__ import annotations

import glob
import gzip
import io
import os
from datetime import date
from pathlib import Path

CC_NEWS_BASE = "https://data.commoncrawl.org"
CC_NEWS_FIRST = (2016, 8)                     # CC-NEWS starts in August 2016


class LocationError(ValueError):
    """An --archive argument that names nothing readable (a usage error)."""


def is_remote(loc: str) -> bool:
    return loc.startswith(("http://", "https://"))


def cc_news_months(spans: list[tuple[date, date]]) -> list[str]:
    """YYYY/MM of every month the windows touch, from August 2016 (CC-NEWS's first)."""
    months = set()
    for lo, hi in spans:
        y, m = lo.year, lo.month
        while (y, m) <= (hi.year, hi.month):
            if (y, m) >= CC_NEWS_FIRST:
                months.add(f"{y:04d}/{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return sorted(months)


def _listing_lines(stream, gzipped: bool) -> list[str]:
    with stream:
        data = gzip.GzipFile(fileobj=stream) if gzipped else stream
        return [ln.strip() for ln in io.TextIOWrapper(data, encoding="utf-8") if ln.strip()]


def _resolve(path: str, base: str, local_dir: Path | None) -> str:
    if is_remote(path):
        return path
    if local_dir is not None and (local_dir / path).is_file():
        return str((local_dir / path).resolve())
    if Path(path).is_absolute() and Path(path).is_file():
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


_WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def expand(args: list[str], *, base: str = CC_NEWS_BASE, spans: list[tuple[date, date]] = (),
           user_agent: str = "incidentsearch", respect_robots: bool = True,
           rate_limit_s: float = 1.0) -> list[tuple[str, int | None]]:
    """Each --archive argument to WARC file locations, with their sizes when known (local).

    Local WARC/WARC.gz files; folders (their ``*.warc(.gz)`` files, recursively); globs;
    ``*.paths`` / ``*.paths.gz`` listings (a line is a path relative to the listing's folder,
    an absolute path or URL, or else a path under ``base``); http(s) URLs of WARC files or
    listings; ``cc-news:YYYY/MM`` (the month's ``crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz``
    under ``base``) and ``cc-news:`` (every month the ``spans`` touch)."""
    from ..net import StreamError, open_stream

    def remote(url):
        try:
            return open_stream(url, user_agent=user_agent, respect_robots=respect_robots, rate_limit_s=rate_limit_s)
        except StreamError as e:
            raise LocationError(str(e)) from e

    out: list[tuple[str, int | None]] = []
    for a in args:
        if a.startswith("cc-news:"):
            month = a[len("cc-news:"):].strip("/")
            months = [month] if month else cc_news_months(list(spans))
            for mo in months:
                try:
                    y, m = (int(x) for x in mo.split("/"))
                    if not 1 <= m <= 12:
                        raise ValueError
                except ValueError:
                    raise LocationError(f"{a}: not cc-news:YYYY/MM") from None
                listing = f"{base.rstrip('/')}/crawl-data/CC-NEWS/{y:04d}/{m:02d}/warc.paths.gz"
                out += [(_resolve(p, base, None), None) for p in _listing_lines(remote(listing), True)]
        elif is_remote(a):
            if a.endswith((".paths", ".paths.gz")):
                out += [(_resolve(p, base, None), None) for p in _listing_lines(remote(a), a.endswith(".gz"))]
            else:
                out.append((a, None))
        elif a.endswith((".paths", ".paths.gz")) and Path(a).is_file():
            with open(a, "rb") as fh:
                lines = _listing_lines(fh, a.endswith(".gz"))
            for p in lines:
                loc = _resolve(p, base, Path(a).resolve().parent)
                out.append((loc, None if is_remote(loc) else os.path.getsize(loc)))
        elif Path(a).is_dir():
            files = sorted(str(p.resolve()) for p in Path(a).rglob("*") if p.name.endswith(_WARC_SUFFIXES)
                           and p.is_file())
            if not files:
                raise LocationError(f"{a}: no *.warc or *.warc.gz files in this folder")
            out += [(f, os.path.getsize(f)) for f in files]
        elif Path(a).is_file():
            out.append((str(Path(a).resolve()), os.path.getsize(a)))
        elif glob.has_magic(a):
            files = sorted(str(Path(p).resolve()) for p in glob.glob(a, recursive=True) if Path(p).is_file())
            if not files:
                raise LocationError(f"{a}: matches no file")
            out += [(f, os.path.getsize(f)) for f in files]
        else:
            raise LocationError(f"{a}: no such file, folder, listing or cc-news:YYYY/MM")
    seen: set[str] = set()
    return [(loc, size) for loc, size in out if not (loc in seen or seen.add(loc))]

"""The dated results folder: results/YYYY-MM-DD/<incident-id>/. This module writes every file
in it (the WARC recording excepted: ``results.warc``), and nothing else does.

- ``hits.jsonl``: appended and flushed one hit at a time, never rewritten;
  a hit already in the file (same incident and canonical URL) is not written
  again, so a second run on the same day adds only what is new.
- ``pending.jsonl``: headlines whose listing could not decide; their pages do.
- ``articles.jsonl`` and ``articles/<sha1(canonical url)[:20]>.html|.txt``: each captured page
  as fetched and as text, and its record (one per URL, so an interrupted run resumes).
- ``hits.csv``: the same rows as hits.jsonl, rewritten (temp file, then rename) at the end of
  a run, joined with the later stages' fields; ``clusters.json``: the syndication clusters.
- ``run.json``: the latest run's record, with the earlier runs of the day kept
  under ``history``; written temp-then-rename.
- ``report.html``: the dossier (``results.dossier`` renders it and writes it with
  :func:`atomic_write`).

Crash safety (a run may be killed at any instruction, SIGKILL included): JSON Lines
files are only appended, one ``write`` per line, and every other file is
written to ``.<name>.<pid>.<random>.tmp`` beside it and renamed over it. The next run
opening the folder repairs what a kill can leave: a torn last line of ``hits.jsonl`` /
``articles.jsonl`` is cut off (the hit it would have held is found again), and temp
files of dead processes are removed.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Mapping

from ..records import ArticleRecord, Hit, PageCopy, RunRecord
from ..text.urls import canonical_url

log = logging.getLogger(__name__)

FIELDS = ("incident", "outlet", "lang", "title", "url", "published", "score", "matched",
          "source", "query", "found_at", "date_method", "listing_url")


ARTICLE_TEXT = re.compile(r"articles/[0-9a-f]{20}\.txt")      # the only text files a record may name


def article_name(url: str) -> str:
    """The file stem of a hit's saved page: 20 hex chars of sha1(canonical URL); never URL text."""
    try:
        key = canonical_url(url)
    except Exception:
        key = url or ""
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]


# what atomic_write leaves behind when killed between write and rename
TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)\.[^./]+\.tmp$")


def current_umask() -> int:
    """The process's umask, read without changing it where Linux says it (/proc/self/status):
    os.umask can only read it by setting it, which races with other threads creating files."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_path(path: Path) -> tuple[int, str]:
    """A new temp file beside ``path`` (fd, name), named so a later run can tell it is stale.
    Its mode is what ``open()`` would give (0666 less the umask), not mkstemp's 0600: a result
    file is read by colleagues as the rest of the folder is."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
    except OSError:                 # a file system without modes: keep mkstemp's
        pass
    return fd, name


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a whole file so a reader never sees half of it: a temp file beside it, synced, then
    renamed over it (a killed run leaves the old file or the new one, and at worst a stale
    ``.<name>.<pid>.<random>.tmp`` that the next run sweeps away). Text is written as UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_path(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True             # someone else's process (or an odd number): leave its file alone
    return True


def sweep_temp(folder: Path) -> list[str]:
    """Remove the temp files that killed runs left in ``folder`` (not recursive); their names."""
    gone = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return gone
    for e in entries:
        m = TEMP_NAME.match(e.name)
        if m and e.is_file(follow_symlinks=False) and not _alive(int(m["pid"])):
            try:
                os.unlink(e.path)
                gone.append(e.name)
            except FileNotFoundError:
                pass
    if gone:
        log.warning("%s: removed %d temp file(s) left by an interrupted run", folder, len(gone))
    return gone


def repair_jsonl_tail(path: Path) -> int:
    """A run killed mid-append can leave a last line without its newline. A fragment that
    is not a whole JSON value is cut off (it held nothing complete: the next run finds
    that hit again); a whole one gets its newline. Returns the number of bytes cut."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if not size:
        return 0
    with path.open("rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return 0
        start, block = size, 1 << 16            # find the last newline, reading backwards
        while start > 0:
            lo = max(0, start - block)
            f.seek(lo)
            chunk = f.read(start - lo)
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                start = lo + nl + 1
                break
            start = lo
        f.seek(start)
        tail = f.read()
        try:
            whole = isinstance(json.loads(tail), dict)
        except ValueError:
            whole = False
        if whole:
            f.seek(0, os.SEEK_END)
            f.write(b"\n")
            return 0
        f.truncate(start)
    log.warning("%s: cut a torn last line of %d bytes (an interrupted write)", path, len(tail))
    return len(tail)


def read_hits(path: Path) -> list[dict]:
    """The hits of a hits.jsonl; a torn or corrupt line (a killed run) is skipped with a warning."""
    rows = []
    if not path.exists():
        return rows
    with path.open("rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                log.warning("%s: line %d is not valid JSON (an interrupted write?); skipped", path, n)
    return rows


class IncidentFolder:
    def __init__(self, root: Path, incident_id: str):
        self.path = root / incident_id
        self.path.mkdir(parents=True, exist_ok=True)
        self.jsonl = self.path / "hits.jsonl"
        sweep_temp(self.path)
        sweep_temp(self.path / "articles")
        repair_jsonl_tail(self.jsonl)
        self.articles_jsonl = self.path / "articles.jsonl"
        repair_jsonl_tail(self.articles_jsonl)
        self.pending = self.path / "pending.jsonl"          # undated headlines a date would decide
        repair_jsonl_tail(self.pending)
        self._pending_keys = {canonical_url(h.get("url", "")) for h in read_hits(self.pending)}
        self.keys = {canonical_url(h.get("url", "")) for h in read_hits(self.jsonl)}
        self.existing = len(self.keys)
        self.new = 0
        self._fh = None
        self._lock = threading.Lock()           # one line at a time, whatever thread found the hit

    def add(self, hit: Hit) -> bool:
        """Append the hit unless its canonical URL is already here; True if written."""
        key = canonical_url(hit.url)
        line = memoryview((json.dumps(hit.as_dict(), ensure_ascii=False) + "\n").encode("utf-8"))
        with self._lock:
            if key in self.keys:
                return False
            if self._fh is None:
                self._fh = self.jsonl.open("ab", buffering=0)
            while line:                         # unbuffered: the whole line in one write(2), as a rule
                n = self._fh.write(line)
                if not n:
                    raise OSError(f"{self.jsonl}: nothing written")
                line = line[n:]
            self.keys.add(key)
            self.new += 1
            return True

    def add_pending(self, record: Hit) -> bool:
        """Append an undated headline that a publication date would decide for this incident
        (``Matcher.undecided``) to pending.jsonl, once per canonical URL and never when it is
        a hit already; the article stage reads its page and decides. True if written."""
        key = canonical_url(record.url)
        with self._lock:
            if key in self.keys or key in self._pending_keys:
                return False
            with self.pending.open("ab", buffering=0) as f:        # a short line: one write(2)
                f.write((json.dumps(record.as_dict(), ensure_ascii=False) + "\n").encode("utf-8"))
            self._pending_keys.add(key)
            return True

    # ---------------------------------------------------------------- reading
    def hits(self) -> list[dict]:
        """The hits of the folder, as hits.jsonl holds them."""
        return read_hits(self.jsonl)

    def pending_records(self) -> list[dict]:
        """The headlines whose pages decide (pending.jsonl)."""
        return read_hits(self.pending)

    def articles(self) -> dict[str, dict]:
        """URL -> the latest article record of the folder."""
        return {a["url"]: a for a in read_hits(self.articles_jsonl) if "url" in a}

    def article_text(self, record: Mapping, *, limit: int | None = None) -> str:
        """The saved text of an article record (at most ``limit`` characters); "" when there is
        none. Only files this folder named (``articles/<hex>.txt``) are read."""
        if not ARTICLE_TEXT.fullmatch(record.get("text") or ""):
            return ""
        try:
            with (self.path / record["text"]).open(encoding="utf-8") as f:
                return f.read() if limit is None else f.read(limit)
        except OSError:
            return ""

    # ---------------------------------------------------------------- the article stage
    def save_article(self, page: PageCopy) -> ArticleRecord:
        """A captured page's copy under ``articles/`` (the bytes as fetched, and its text), named
        by the hash of its canonical URL, never by URL text; its record names the files."""
        rec = page.record
        if page.html is None and page.text is None:
            return rec
        name = article_name(rec.url)
        adir = self.path / "articles"
        adir.mkdir(parents=True, exist_ok=True)
        names = {}
        if page.html is not None:
            atomic_write(adir / f"{name}.html", page.html)
            names["html"] = f"articles/{name}.html"
        atomic_write(adir / f"{name}.txt", page.text or "")
        names["text"] = f"articles/{name}.txt"
        return replace(rec, **names)

    def add_article(self, record: ArticleRecord) -> dict:
        """Append an article record to articles.jsonl (one write a line); the record as written."""
        line = record.as_dict()
        with self._lock, self.articles_jsonl.open("ab", buffering=0) as f:     # one write(2) a line
            f.write((json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
        return line

    def write_clusters(self, data: str) -> None:
        atomic_write(self.path / "clusters.json", data)

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                os.fsync(self._fh.fileno())
                self._fh.close()
                self._fh = None

    def write_csv(self, extra: dict[str, dict] | None = None) -> None:
        """hits.csv from hits.jsonl, with later stages' fields (cluster, article) joined by URL."""
        rows = [dict(r, **(extra or {}).get(r.get("url"), {})) for r in read_hits(self.jsonl)]
        extra = sorted({k for r in rows for k in r} - set(FIELDS))
        cols = list(FIELDS) + extra
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("; ".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()})
        atomic_write(self.path / "hits.csv", buf.getvalue())

    def write_run(self, run: RunRecord) -> None:
        """run.json: this run's record on top, earlier runs of the day under ``history``.

        A record that has not ended is the marker a run writes when it starts (``"running":
        true``, no end, no exit code); its final record replaces it. A marker that a later run finds still there
        is a run that never finished (killed, or the machine went down): it goes to the
        history with ``"killed": true``, so an interrupted run is never invisible."""
        path = self.path / "run.json"
        record, running = run.as_dict(), run.ended is None
        history = []
        if path.exists():
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
                history = old.pop("history", [])
                if not (old.get("running") and old.get("started") == record.get("started")):
                    entry = {k: old.get(k) for k in ("started", "ended", "exit_code", "hits_new", "arguments")}
                    if old.get("running"):
                        entry["killed"] = True
                    history.append(entry)
            except (ValueError, OSError, AttributeError):
                log.warning("%s: unreadable; starting its history afresh", path)
        record = dict(record, history=history)
        if running:
            record["running"] = True
        atomic_write(path, json.dumps(record, ensure_ascii=False, indent=2) + "\n")


class Store:
    """All incident folders of one day."""

    def __init__(self, results_dir: Path, day: str):
        self.root = results_dir / day
        self.folders: dict[str, IncidentFolder] = {}

    def begin_runs(self, incidents, *, since, until, arguments, started) -> dict[str, RunRecord]:
        """Each incident's folder with its run.json marking a run under way (``since``/``until``
        override the incidents' own windows), hits or not; incident id -> the record begun."""
        begun = {}
        for inc in incidents:
            begun[inc.id] = RunRecord.begin(incident=inc.id, since=since or inc.since, until=until or inc.until,
                                            arguments=arguments, started=started)
            self.folder(inc.id).write_run(begun[inc.id])
        return begun

    def folder(self, incident_id: str) -> IncidentFolder:
        if incident_id not in self.folders:
            self.folders[incident_id] = IncidentFolder(self.root, incident_id)
        return self.folders[incident_id]

    def close(self) -> None:
        for f in self.folders.values():
            f.close()
            f.write_csv()

"""The dated results folder: results/YYYY-MM-DD/<incident-id>/.

- ``hits.jsonl``: appended and flushed one hit at a time, never rewritten;
  a hit already in the file (same incident and canonical URL) is not written
  again, so a second run on the same day adds only what is new.
- ``hits.csv``: the same rows, rewritten (temp file, then rename) from
  hits.jsonl at the end of a run.
- ``run.json``: the latest run's record, with the earlier runs of the day kept
  under ``history``; written temp-then-rename.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import tempfile
from pathlib import Path

from .dedup import canonical_url

log = logging.getLogger("incidentsearch.store")

FIELDS = ("incident", "outlet", "lang", "title", "url", "published", "score", "matched",
          "source", "query", "found_at", "date_method", "listing_url")


def atomic_write(path: Path, data: str) -> None:
    """Write a whole file so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        self._repair_tail()
        self.keys = {canonical_url(h.get("url", "")) for h in read_hits(self.jsonl)}
        self.existing = len(self.keys)
        self.new = 0
        self._fh = None

    def _repair_tail(self) -> None:
        """A run killed mid-write may leave a last line without its newline:
        end it so the next append starts on a line of its own."""
        if self.jsonl.exists() and self.jsonl.stat().st_size:
            with self.jsonl.open("rb+") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.write(b"\n")

    def add(self, hit: dict) -> bool:
        """Append the hit unless its canonical URL is already here; True if written."""
        key = canonical_url(hit["url"])
        if key in self.keys:
            return False
        if self._fh is None:
            self._fh = self.jsonl.open("a", encoding="utf-8")
        self._fh.write(json.dumps(hit, ensure_ascii=False) + "\n")
        self._fh.flush()
        self.keys.add(key)
        self.new += 1
        return True

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
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

    def write_run(self, record: dict) -> None:
        path = self.path / "run.json"
        history = []
        if path.exists():
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
                history = old.pop("history", [])
                history.append({k: old.get(k) for k in ("started", "ended", "exit_code", "hits_new", "arguments")})
            except (ValueError, OSError):
                log.warning("%s: unreadable; starting its history afresh", path)
        record = dict(record, history=history)
        atomic_write(path, json.dumps(record, ensure_ascii=False, indent=2) + "\n")


class Store:
    """All incident folders of one day."""

    def __init__(self, results_dir: Path, day: str):
        self.root = results_dir / day
        self.folders: dict[str, IncidentFolder] = {}

    def folder(self, incident_id: str) -> IncidentFolder:
        if incident_id not in self.folders:
            self.folders[incident_id] = IncidentFolder(self.root, incident_id)
        return self.folders[incident_id]

    def close(self) -> None:
        for f in self.folders.values():
            f.close()
            f.write_csv()

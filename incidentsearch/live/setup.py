"""What a run needs before its first request, shared by the command line and the Python API:
the chosen incidents and outlets (or why not), the fetcher built from the outlets file's
defaults, the results folder checked writable, and the configs to record. No request here."""
from __future__ import annotations

import errno
import os
import re
import tempfile
from datetime import date
from pathlib import Path

from ..config import Incident, OutletsFile

RECORDED_CONFIG = re.compile(r"outlets\.yaml|queries/[A-Za-z0-9_][A-Za-z0-9_.-]*\.yaml")

CACHE_EXPIRE_S = 6 * 3600          # a listing read within this long is not asked again


class SelectionError(ValueError):
    """An unknown incident or outlet, or an empty window: one line, a usage error."""


def default_cache_dir() -> Path:
    """Where the HTTP cache lives: $XDG_CACHE_HOME/incidentsearch (~/.cache/incidentsearch)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "incidentsearch"


def select(outlets: OutletsFile, incidents: list[Incident], *, incident_ids=(), outlet_ids=(),
           since: date | None = None, until: date | None = None, queries: object = "queries",
           outlets_file: object = "outlets.yaml") -> tuple[list[Incident], set[str] | None]:
    """The chosen incidents (all when none is named) and outlet ids (None: every enabled outlet).
    Raises :class:`SelectionError` naming the file and what is known."""
    known_inc = {i.id for i in incidents}
    known_out = {o.id for o in outlets.outlets}
    bad = [i for i in incident_ids if i not in known_inc]
    if bad:
        raise SelectionError(f"{queries}: unknown incident {', '.join(bad)}; known: {', '.join(sorted(known_inc))}")
    bad = [o for o in outlet_ids if o not in known_out]
    if bad:
        raise SelectionError(f"{outlets_file}: unknown outlet {', '.join(bad)}; known: {', '.join(sorted(known_out))}")
    if since and until and since > until:
        raise SelectionError(f"--since {since} is after --until {until}")
    chosen = [i for i in incidents if not incident_ids or i.id in incident_ids]
    return chosen, set(outlet_ids) or None


def make_fetcher(outlets: OutletsFile, *, cache_dir: Path | None, refresh: bool = False, retries: int | None = None):
    """The run's one Fetcher, with the outlets file's defaults (``cache_dir`` None: no cache;
    ``refresh``: the cache is written, never read; ``retries`` caps the defaults' retries)."""
    from ..net import Fetcher   # the network stack loads only when something is fetched

    d = outlets.defaults
    return Fetcher(user_agent=d.user_agent, timeout_s=d.timeout_s, connect_timeout_s=d.connect_timeout_s,
                   retries=d.retries if retries is None else min(retries, d.retries), rate_limit_s=d.rate_limit_s,
                   max_bytes=d.max_bytes, respect_robots=d.respect_robots, cache_dir=cache_dir,
                   cache_expire_s=0 if refresh else CACHE_EXPIRE_S)


def config_bytes(outlets_file: Path, queries: Path) -> dict[str, bytes]:
    """The config files as they are, recorded into the WARC so a recording replays on its own."""
    out = {"outlets.yaml": Path(outlets_file).read_bytes()}
    for f in sorted(Path(queries).glob("*.yaml")):
        out[f"queries/{f.name}"] = f.read_bytes()
    return out


def unwritable(results: Path) -> str | None:
    """Why the results folder cannot take today's folder (one line), or None: checked before
    any request, so a bad results folder is a usage error, not a traceback after the searching."""
    day = Path(results) / date.today().isoformat()
    try:
        day.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-check.", dir=day)
        os.close(fd)
        os.unlink(name)
    except OSError as e:
        where = e.filename or day
        why = {errno.ENOTDIR: "a part of the path is a file, not a folder",
               errno.ENOENT: "cannot create a folder there", errno.EACCES: "no permission to write there",
               errno.EPERM: "no permission to write there", errno.EROFS: "read-only file system"
               }.get(e.errno, e.strerror or str(e))
        return f"--results {results}: {why} ({where})"
    return None


def unpack_recording(rec, root: Path) -> tuple[Path, Path, dict]:
    """A recording's configs (outlets.yaml, queries/*.yaml, as they were) written under
    ``root``, and what its run chose: ``(outlets file, queries folder, selection)`` with the
    selection's ``incident_ids``, ``outlet_ids``, ``since`` and ``until``. A config of any other
    name in a recording is ignored; a recording with no outlets file raises SelectionError."""
    if "outlets.yaml" not in rec.configs:
        raise SelectionError("no incidentsearch configuration recorded in it")
    (root / "queries").mkdir(parents=True, exist_ok=True)
    for name, data in rec.configs.items():
        if RECORDED_CONFIG.fullmatch(name):
            (root / name).write_bytes(data)
    run = rec.run
    return root / "outlets.yaml", root / "queries", {
        "incident_ids": sorted(rec.incidents), "outlet_ids": run.get("outlets") or [],
        "since": date.fromisoformat(run["since"]) if run.get("since") else None,
        "until": date.fromisoformat(run["until"]) if run.get("until") else None}

"""The HTTP cache of a :class:`~incidentsearch.net.Fetcher`: requests-cache's SQLite
backend (WAL), keyed by the request as asked, so that a re-run does not download again."""
from __future__ import annotations

import hashlib
import logging
import pathlib
from datetime import datetime, timedelta, timezone

import requests

log = logging.getLogger(__name__)


class Cache:
    """The SQLite store in ``cache_dir`` (created if need be): responses by :meth:`key`, each
    with the time it was stored. A failing read or write is logged and is a miss, never an error."""

    def __init__(self, cache_dir: pathlib.Path) -> None:
        from requests_cache import SQLiteCache
        cache_dir = pathlib.Path(cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.backend = SQLiteCache(cache_dir / "http_cache.sqlite", wal=True)

    @staticmethod
    def key(url: str, headers: dict[str, str] | None = None, *, method: str = "GET",
            body: bytes | None = None) -> str:
        """The key of a request: method, URL as asked, the extra headers, a POST's body."""
        # a plain key: requests-cache's own key normalises the URL through a full request
        # preparation, two thirds of a cached read's time
        extra = "\n".join(f"{k.lower()}: {v}" for k, v in sorted((headers or {}).items()))
        if method != "GET":
            extra += "\nbody: " + hashlib.sha256(body or b"").hexdigest()
        return hashlib.sha256(f"{method} {url}\n{extra}".encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def get(self, key: str, max_age: float):
        """The response stored under ``key`` if younger than ``max_age`` seconds, else None."""
        try:
            cached = self.backend.get_response(key)
        except Exception:
            log.warning("HTTP cache read failed; fetching", exc_info=True)
            return None
        if cached is None:
            return None
        created = cached.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        age = (datetime.now(timezone.utc) - created).total_seconds()
        return cached if age < max_age else None

    def has(self, url: str) -> bool:
        """Is a response to a plain GET of ``url`` stored (fresh or not)? One key lookup, no read."""
        try:
            return self.key(url) in self.backend.responses
        except Exception:
            return False

    def store(self, key: str, resp: requests.Response, keep_s: float) -> None:
        try:
            expires = datetime.now(timezone.utc) + timedelta(seconds=keep_s)
            self.backend.save_response(resp, key, expires)
        except Exception:
            log.warning("HTTP cache write failed for %s", resp.url, exc_info=True)

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception:  # pragma: no cover
            log.debug("closing the cache failed", exc_info=True)

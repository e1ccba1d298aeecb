"""The HTTP cache of a :class:`~incidentsearch.fetch.Fetcher`: requests-cache's SQLite
backend (WAL), keyed by the request as asked, so that a re-run does not download again."""
from __future__ import annotations

import hashlib
import logging
import pathlib
from datetime import datetime, timedelta, timezone

import requests

log = logging.getLogger(__name__)



def open_cache(cache_dir: pathlib.Path):
    """The SQLite cache in ``cache_dir`` (created if need be)."""
    from requests_cache import SQLiteCache
    cache_dir = pathlib.Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    return SQLiteCache(cache_dir / "http_cache.sqlite", wal=True)


class _CacheMixin:
    """Cache reads and writes of :class:`~incidentsearch.fetch.Fetcher`; ``self.cache`` is the
    backend (None: no cache)."""

    def _cache_key(self, url: str, headers: dict[str, str] | None, *, method: str = "GET",
                   body: bytes | None = None) -> str | None:
        if self.cache is None:
            return None
        # a plain key (method, URL as asked, the extra headers; a POST's body): requests-cache's own
        # key normalises the URL through a full request preparation, two thirds of a cached read's time
        extra = "\n".join(f"{k.lower()}: {v}" for k, v in sorted((headers or {}).items()))
        if method != "GET":
            extra += "\nbody: " + hashlib.sha256(body or b"").hexdigest()
        return hashlib.sha256(f"{method} {url}\n{extra}".encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def _cached(self, key: str, max_age: float):
        try:
            cached = self.cache.get_response(key)
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

    def has_cached(self, url: str) -> bool:
        """Is a response to ``url`` in the cache (fresh or not)? One key lookup, no read."""
        key = self._cache_key(url, None)
        try:
            return key is not None and key in self.cache.responses
        except Exception:
            return False

    def _store(self, key: str, resp: requests.Response, keep_s: float) -> None:
        try:
            expires = datetime.now(timezone.utc) + timedelta(seconds=keep_s)
            self.cache.save_response(resp, key, expires)
        except Exception:
            log.warning("HTTP cache write failed for %s", resp.url, exc_info=True)

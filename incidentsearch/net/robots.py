"""robots.txt: fetched once per host, parsed with protego, for
:class:`~incidentsearch.fetch.Fetcher` (through its own politeness, retries and cache) and
for :func:`~incidentsearch.fetch.open_stream` (once per host and process)."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import requests
from protego import Protego

from .common import _host_key

ROBOTS_MAX_BYTES = 500_000          # Google reads the first 500 KiB of a robots.txt

log = logging.getLogger(__name__)


class _RobotsMixin:
    """The robots.txt part of :class:`~incidentsearch.fetch.Fetcher`: its rules per host in
    ``self._robots``, fetched with ``self._fetch(..., robots_fetch=True)``."""

    def _robots_for(self, url: str, interval: float) -> Protego | None:
        """The parsed robots.txt of the URL's host (None = allow all); fetched once per host."""
        key = _host_key(url)
        with self._lock_for(self._robots_locks, key):
            if key in self._robots:
                return self._robots[key]
            parts = urlsplit(url)
            robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
            resp = self._fetch(robots_url, interval=interval, expire_after=None, headers=None,
                               robots_fetch=True)
            rules: Protego | None = None
            if resp.status is not None and 200 <= resp.status < 300 and resp.error is None:
                try:
                    rules = Protego.parse(resp.text[:ROBOTS_MAX_BYTES])
                except Exception:
                    log.info("unparsable robots.txt at %s; allowing all", robots_url, exc_info=True)
            elif resp.status is not None and 400 <= resp.status < 500:
                log.debug("robots.txt %s: HTTP %s, allowing all", robots_url, resp.status)
            else:
                log.info("robots.txt unavailable at %s (%s); allowing all", robots_url, resp.error)
                self._count("robots_unavailable")
            self._robots[key] = rules
            return rules


_STREAM_ROBOTS: dict[tuple, Protego | None] = {}     # per process: host -> robots.txt rules


def _stream_robots(url: str, *, user_agent: str, timeout: tuple[float, float]) -> Protego | None:
    key = _host_key(url)
    if key not in _STREAM_ROBOTS:
        parts = urlsplit(url)
        rules = None
        try:
            r = requests.get(urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", "")),
                             headers={"User-Agent": user_agent}, timeout=timeout)
            if 200 <= r.status_code < 300:
                rules = Protego.parse(r.text[:ROBOTS_MAX_BYTES])
        except Exception:                        # unreachable or unparsable robots.txt: allow all
            log.debug("robots.txt for %s unavailable", url, exc_info=True)
        _STREAM_ROBOTS[key] = rules
    return _STREAM_ROBOTS[key]

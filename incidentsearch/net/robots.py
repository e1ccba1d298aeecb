"""robots.txt: the rules of each host, fetched once and parsed with protego; the one path
for every request of the package (:class:`~incidentsearch.net.Fetcher` and
:func:`~incidentsearch.net.open_stream`, which asks through a fetcher of its own).

The verdict on what came back: a 2xx body is parsed (its first :data:`ROBOTS_MAX_BYTES`;
unparsable: allow all); a 4xx (no robots.txt, or none for us) allows all; anything else (5xx
after the retries, a host that could not be reached, a broken body) allows all too and is
noted as ``robots_unavailable``: the robots.txt could not be read, the host's pages still are."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from .common import host_key

if TYPE_CHECKING:
    from ..records import Response

ROBOTS_MAX_BYTES = 500_000          # Google reads the first 500 KiB of a robots.txt

log = logging.getLogger(__name__)


def robots_url(url: str) -> str:
    """The robots.txt that rules ``url``: its scheme+host+port's ``/robots.txt``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched on ("incidentsearch/0.1 (+url)" -> "incidentsearch")."""
    return user_agent.split("/")[0].split()[0]


class Robots:
    """robots.txt rules per scheme+host+port, each fetched once and kept. Thread-safe: requests
    to one host wait for its robots.txt, other hosts do not.

    ``fetch(robots_url, interval)`` gets a robots.txt as a :class:`~incidentsearch.records.Response`
    (its owner's politeness, retries, cache, and a body read no further than
    :data:`ROBOTS_MAX_BYTES`); ``on_unavailable`` is called each time one could not be read."""

    def __init__(self, fetch: Callable[[str, float], Response], user_agent: str, *,
                 on_unavailable: Callable[[], None] = lambda: None) -> None:
        self.fetch = fetch
        self.token = product_token(user_agent)
        self.on_unavailable = on_unavailable
        self._lock = threading.Lock()
        self._host_locks: dict[tuple, threading.Lock] = {}
        self._rules: dict[tuple, Protego | None] = {}

    def rules(self, url: str, interval: float) -> Protego | None:
        """The parsed robots.txt of the URL's host (None = allow all); fetched once per host,
        at the politeness ``interval`` of the request that first needs it."""
        key = host_key(url)
        with self._lock:
            lock = self._host_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._rules:
                where = robots_url(url)
                self._rules[key] = self._verdict(where, self.fetch(where, interval))
            return self._rules[key]

    def allows(self, url: str, interval: float) -> bool:
        """May we request ``url``? Fetches its host's robots.txt first if need be."""
        rules = self.rules(url, interval)
        return rules is None or rules.can_fetch(url, self.token)

    def _verdict(self, where: str, resp: Response) -> Protego | None:
        if resp.status is not None and 200 <= resp.status < 300 and resp.error is None:
            if len(resp.content) >= ROBOTS_MAX_BYTES:
                log.info("robots.txt at %s is larger than %d bytes: its first %d bytes are read",
                         where, ROBOTS_MAX_BYTES, ROBOTS_MAX_BYTES)
            try:
                return Protego.parse(resp.text[:ROBOTS_MAX_BYTES])
            except Exception:
                log.info("unparsable robots.txt at %s; allowing all", where, exc_info=True)
                return None
        if resp.status is not None and 400 <= resp.status < 500:
            log.debug("robots.txt %s: HTTP %s, allowing all", where, resp.status)
            return None
        log.info("robots.txt unavailable at %s (%s); allowing all", where, resp.error)
        self.on_unavailable()
        return None

"""Per-host politeness: when the next request to a scheme+host+port may start."""
from __future__ import annotations

import logging
import threading
import time

from .common import host_key

log = logging.getLogger(__name__)


class Politeness:
    """At most one request start per interval per scheme+host+port, the strictest interval
    ever asked for that host, and none before the time a ``Retry-After`` from it named.
    Thread-safe: requests to one host wait in turn, other hosts do not wait for them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host_locks: dict[tuple, threading.Lock] = {}
        self._last_start: dict[tuple, float] = {}
        self._interval: dict[tuple, float] = {}       # host -> the largest interval asked for it
        # Retry-After is the server's word for the whole host: no request to it before this
        # (monotonic) time, whichever URL of it asked us to wait
        self._not_before: dict[tuple, float] = {}

    def wait_turn(self, url: str, interval: float) -> None:
        """Sleep until a request to ``url``'s host may start, and count it as started now."""
        key = host_key(url)
        with self._lock:
            lock = self._host_locks.setdefault(key, threading.Lock())
        with lock:
            # the strictest interval any source asked for this host holds for every request to it
            # (a redirect or a retry from a laxer source must not speed the host up)
            with self._lock:
                interval = self._interval[key] = max(interval, self._interval.get(key, 0.0))
                last = self._last_start.get(key)
                start = self._not_before.get(key, 0.0)
            if last is not None and interval > 0:
                start = max(start, last + interval)
            delay = start - time.monotonic()
            if delay > 0:
                log.debug("politeness: waiting %.2fs for %s://%s:%d", delay, *key)
                time.sleep(delay)
            with self._lock:
                self._last_start[key] = time.monotonic()

    def asked_to_wait(self, host: tuple, wait: float) -> None:
        """The host said (Retry-After) that no request should reach it for ``wait`` seconds."""
        with self._lock:
            until = time.monotonic() + wait
            if until > self._not_before.get(host, 0.0):
                self._not_before[host] = until

    def owed(self, host: tuple) -> float:
        """Seconds the host still asked us to wait (0 if none)."""
        with self._lock:
            return max(0.0, self._not_before.get(host, 0.0) - time.monotonic())

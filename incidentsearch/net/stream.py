"""Streams for archive scans (:mod:`incidentsearch.archive`): one large body (a WARC file, a
``warc.paths.gz`` listing) read as it arrives, never stored.

robots.txt and the per-host politeness interval are those of a :class:`~.client.Fetcher`:
each process keeps one for its streams (per User-Agent and settings), whose
:attr:`~.client.Fetcher.robots` and :attr:`~.client.Fetcher.politeness` every stream asks.
So robots.txt is fetched and judged by the same code as for any GET (the size cap, the
verdict on 4xx/5xx/unreachable, once per host) and it, the streams and their retries to one
host start at least ``rate_limit_s`` apart."""
from __future__ import annotations

import os
import threading
import time

import requests

from .client import Fetcher
from .common import RETRY_STATUSES, host_key
from .errors import NETWORK_ERRORS, first_line


class StreamError(OSError):
    """A stream could not be opened: the URL, the status or the reason in the message."""


_FETCHERS: dict[tuple, Fetcher] = {}        # this process's fetchers behind streams, by settings
_FETCHERS_LOCK = threading.Lock()


def _forget_fetchers() -> None:
    """In a forked child (the archive scan's process pool): none of the parent's connections
    or locks is used; the child keeps fetchers of its own (and asks robots.txt once itself)."""
    global _FETCHERS_LOCK
    _FETCHERS_LOCK = threading.Lock()
    _FETCHERS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_fetchers)


def _fetcher(user_agent: str, timeout: tuple[float, float], retries: int, backoff_s: float) -> Fetcher:
    key = (user_agent, tuple(timeout), retries, backoff_s)
    with _FETCHERS_LOCK:
        fetcher = _FETCHERS.get(key)
        if fetcher is None:
            fetcher = _FETCHERS[key] = Fetcher(
                user_agent=user_agent, connect_timeout_s=timeout[0], timeout_s=timeout[1], retries=retries,
                backoff_s=backoff_s, respect_robots=True, cache_dir=None)
        return fetcher


def open_stream(url: str, *, user_agent: str, timeout: tuple[float, float] = (10.0, 60.0),
                retries: int = 3, backoff_s: float = 1.0, respect_robots: bool = True,
                rate_limit_s: float = 1.0):
    """A large body (a 1 GB WARC file, a ``warc.paths.gz`` listing) as a raw byte stream,
    read as it arrives and never stored: the caller reads it and closes it. The bytes are
    as served (a ``.gz`` file stays compressed; a ``Content-Encoding`` is undone).

    The configured User-Agent, connect/read timeouts, robots.txt (fetched once per host and
    process, by a :class:`~.client.Fetcher`: as for :meth:`.Fetcher.get`) and the per-host
    politeness interval ``rate_limit_s`` (between robots.txt, streams and their retries) hold
    as for :meth:`.Fetcher.get`; there is no cache or size cap. Retries (connection errors,
    429/5xx, exponential backoff) happen only before the first body byte: a stream that breaks
    later raises from ``read`` and the caller decides. Raises :class:`StreamError` when it
    cannot be opened."""
    try:
        host_key(url)
    except ValueError:
        raise StreamError(f"{url}: invalid URL") from None
    fetcher = _fetcher(user_agent, timeout, retries, backoff_s)
    if respect_robots and not fetcher.robots.allows(url, rate_limit_s):
        raise StreamError(f"{url}: disallowed by robots.txt")
    last = "no attempt"
    for attempt in range(max(0, retries) + 1):
        if attempt:
            time.sleep(backoff_s * 2 ** (attempt - 1))
        fetcher.politeness.wait_turn(url, rate_limit_s)
        try:
            resp = requests.get(url, headers={"User-Agent": user_agent}, timeout=timeout, stream=True)
        except NETWORK_ERRORS as e:
            last = f"{type(e).__name__}: {first_line(str(e))}"
            continue
        if resp.status_code in RETRY_STATUSES:
            last = f"HTTP {resp.status_code}"
            resp.close()
            continue
        if resp.status_code != 200:
            resp.close()
            raise StreamError(f"{url}: HTTP {resp.status_code}")
        resp.raw.decode_content = True
        return resp.raw
    raise StreamError(f"{url}: {last} (after {retries} retries)")

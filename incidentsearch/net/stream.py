"""Streams for archive scans (``archive.py``): one large body (a WARC file, a
``warc.paths.gz`` listing) read as it arrives, never stored."""
from __future__ import annotations

import time

import requests

from .common import RETRY_STATUSES
from .errors import _NETWORK_ERRORS, _first_line
from .robots import _stream_robots


class StreamError(OSError):
    """A stream could not be opened: the URL, the status or the reason in the message."""


def open_stream(url: str, *, user_agent: str, timeout: tuple[float, float] = (10.0, 60.0),
                retries: int = 3, backoff_s: float = 1.0, respect_robots: bool = True):
    """A large body (a 1 GB WARC file, a ``warc.paths.gz`` listing) as a raw byte stream,
    read as it arrives and never stored: the caller reads it and closes it. The bytes are
    as served (a ``.gz`` file stays compressed; a ``Content-Encoding`` is undone).

    The configured User-Agent, connect/read timeouts and robots.txt (fetched once per host
    and process) hold as for :meth:`.Fetcher.get`; there is no cache, size cap or politeness
    interval (one long download per file). Retries (connection errors, 429/5xx, exponential
    backoff) happen only before the first body byte: a stream that breaks later raises from
    ``read`` and the caller decides. Raises :class:`StreamError` when it cannot be opened."""
    if respect_robots:
        rules = _stream_robots(url, user_agent=user_agent, timeout=timeout)
        if rules is not None and not rules.can_fetch(url, user_agent.split("/")[0].split()[0]):
            raise StreamError(f"{url}: disallowed by robots.txt")
    last = "no attempt"
    for attempt in range(max(0, retries) + 1):
        if attempt:
            time.sleep(backoff_s * 2 ** (attempt - 1))
        try:
            resp = requests.get(url, headers={"User-Agent": user_agent}, timeout=timeout, stream=True)
        except _NETWORK_ERRORS as e:
            last = f"{type(e).__name__}: {_first_line(str(e))}"
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

"""The only network code of the project: no other module of the package opens a connection.

Two ways in:

- :class:`Fetcher` (:mod:`.client`), one per run: GET and POST with an explicit User-Agent,
  connect/read timeouts, its own retry loop (exponential backoff, ``Retry-After`` honoured on
  429/503 up to a cap) and redirects followed hop by hop. ``Fetcher.get`` never raises for
  network or HTTP trouble: it returns a :class:`~incidentsearch.records.Response` whose
  ``error`` says what went wrong.
- :func:`open_stream` (:mod:`.stream`), for archive scans (:mod:`incidentsearch.archive`): one
  large body (a WARC file, a ``warc.paths.gz`` listing) streamed as it arrives, never stored.
  Its robots.txt and per-host politeness are a Fetcher's (one per process), so there is one
  robots.txt path for both.

The parts a Fetcher owns, each handed what it needs:

- :mod:`.polite`: :class:`~.polite.Politeness`, when the next request to a scheme+host+port may
  start (the strictest interval asked for it, a ``Retry-After`` it sent);
- :mod:`.robots`: :class:`~.robots.Robots`, each host's robots.txt rules (protego), fetched once
  through a callable the fetcher gives it, read no further than :data:`ROBOTS_MAX_BYTES`, and
  the verdict on 4xx/5xx/unreachable;
- :mod:`.adapter`: :class:`~.adapter.CappedAdapter`, the transport that reads every body itself,
  capped in size after decompression (or cut there, for robots.txt) and in time;
- :mod:`.cache`: :class:`~.cache.Cache`, the HTTP cache (requests-cache's SQLite backend) so
  that a re-run does not download again;
- :mod:`.watch`: :class:`~.watch.NetworkWatch`, whether any host answered at all ("no network").

:mod:`.errors` holds the exceptions of the adapter, what a request may raise and the one line
that says so; :mod:`.common` the constants and the pure header/URL helpers. Charset decoding
is :mod:`incidentsearch.text.charset` (``decode_body`` re-exported here).

:mod:`.replay` is the Fetcher's stand-in with no network at all: :class:`~.replay.Replay`
answers ``get``/``post`` from a run's WARC recording (``--replay``).
"""
from __future__ import annotations

from ..text.charset import decode_body
from .client import Fetcher
from .common import MAX_REDIRECTS as MAX_REDIRECTS
from .common import RETRY_AFTER_STATUSES as RETRY_AFTER_STATUSES
from .common import RETRY_STATUSES as RETRY_STATUSES
from .common import http_date, parse_retry_after
from .robots import ROBOTS_MAX_BYTES as ROBOTS_MAX_BYTES
from .stream import StreamError, open_stream

__all__ = ["Fetcher", "StreamError", "decode_body", "http_date", "open_stream", "parse_retry_after"]

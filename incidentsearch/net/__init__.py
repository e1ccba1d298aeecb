"""The only network code of the project: no other module of the package opens a connection.

One :class:`Fetcher` per run (:mod:`.client`): a ``requests`` session with an explicit
User-Agent, connect/read timeouts, its own retry loop (exponential backoff,
``Retry-After`` honoured on 429/503 up to a cap), a per-host politeness interval,
robots.txt (protego, :mod:`.robots`), a cap on the decompressed body size
(:mod:`.adapter`), charset decoding (:mod:`incidentsearch.charset`) and an HTTP cache
(requests-cache's SQLite backend, :mod:`.cache`) so that a re-run does not download again.
:mod:`.errors` turns what a request raised into one line; :mod:`.common` holds the
constants and the pure header/URL helpers.

``Fetcher.get`` never raises for network or HTTP trouble: it returns a
:class:`~incidentsearch.models.Response` whose ``error`` says what went wrong.

:func:`open_stream` (:mod:`.stream`) is the other way in, for archive scans (``archive.py``):
one large body (a WARC file, a ``warc.paths.gz`` listing) streamed as it arrives, never stored.
"""
from __future__ import annotations

from ..text.charset import decode_body
from .client import Fetcher
from .common import MAX_REDIRECTS as MAX_REDIRECTS
from .common import RETRY_AFTER_STATUSES as RETRY_AFTER_STATUSES
from .common import RETRY_STATUSES as RETRY_STATUSES
from .common import _http_date as _http_date  # for tests/test_fetch.py
from .common import parse_retry_after
from .robots import ROBOTS_MAX_BYTES as ROBOTS_MAX_BYTES
from .stream import StreamError, open_stream

__all__ = ["Fetcher", "StreamError", "decode_body", "open_stream", "parse_retry_after"]

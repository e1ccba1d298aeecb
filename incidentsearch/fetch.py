"""The only network code of the project.

One :class:`Fetcher` per run: a ``requests`` session with an explicit
User-Agent, connect/read timeouts, its own retry loop (exponential backoff,
``Retry-After`` honoured on 429/503 up to a cap), a per-host politeness
interval, robots.txt (protego), a cap on the decompressed body size, charset
decoding (:mod:`incidentsearch.charset`) and an HTTP cache (requests-cache's
SQLite backend) so that a re-run does not download again.

``Fetcher.get`` never raises for network or HTTP trouble: it returns a
:class:`~incidentsearch.models.Response` whose ``error`` says what went wrong.

:func:`open_stream` is the other way in, for archive scans (``archive.py``): one large
body (a WARC file, a ``warc.paths.gz`` listing) streamed as it arrives, never stored.
"""
from __future__ import annotations

import email.utils
import hashlib
import http.cookiejar
import logging
import pathlib
import socket
import threading
import time
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3
from protego import Protego
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import requote_uri

from .charset import decode_body, is_binary_type
from .models import Response

__all__ = ["Fetcher", "StreamError", "decode_body", "open_stream", "parse_retry_after"]

log = logging.getLogger("incidentsearch.fetch")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
MAX_REDIRECTS = 10
ROBOTS_MAX_BYTES = 500_000          # Google reads the first 500 KiB of a robots.txt
_CHUNK = 64 * 1024


_HOST_DOWN = ("DNS lookup failed", "connection refused")


class _TooLarge(Exception):
    """The body (after decompression) exceeds the cap; raised from the adapter."""


class _Truncated(requests.exceptions.ContentDecodingError):
    """The connection ended cleanly but the gzip/deflate stream inside did not."""


class _BodyDeadline(requests.exceptions.ReadTimeout):
    """The whole body did not arrive within the body deadline (a server dripping bytes)."""


# What a GET may raise for network reasons; anything else is a bug and propagates.
_NETWORK_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError, _TooLarge)
_ZLIB_OBJ = type(zlib.decompressobj())


def _socket_of(resp) -> socket.socket | None:
    """The socket a streamed response is read from (urllib3 2.x), or None."""
    raw = getattr(resp, "raw", None)
    conn = getattr(raw, "_connection", None)
    sock = getattr(conn, "sock", None)
    if sock is None:                                  # http.client's file -> SocketIO -> socket
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _stream_unfinished(raw) -> bool:
    """True when a gzip/deflate body ended before its compressed stream did (urllib3 does
    not notice: it hands over whatever it could inflate). Only zlib streams are checked."""
    try:
        if not raw.tell():                            # no body bytes at all (204, HEAD, empty 30x)
            return False
    except Exception:
        return False
    dec = getattr(raw, "_decoder", None)
    for d in getattr(dec, "_decoders", None) or [dec]:
        obj = getattr(d, "_obj", None)
        if getattr(d, "_state", None) == 2:           # GzipDecoderState.SWALLOW_DATA: trailing garbage
            continue
        if isinstance(obj, _ZLIB_OBJ) and not obj.eof:
            return True
    return False


class _CappedAdapter(HTTPAdapter):
    """Reads every body itself, in chunks, and stops at ``max_bytes``.

    Doing it in the adapter covers redirect hops too (requests reads their
    bodies) and leaves ``response.content`` filled, so nothing downstream
    (requests, requests-cache) can read an uncapped stream. urllib3 decodes
    gzip/deflate chunk by chunk, so the cap holds on *decompressed* bytes and a
    gzip bomb never sits in memory.

    The whole body must arrive within ``body_deadline_s``: a watchdog shuts the
    socket down when it expires, because a server dripping one byte per second
    never trips the per-read timeout and a blocked read never returns to check
    a clock. A gzip body whose compressed stream stops early is an error, not a
    silently shorter body.
    """

    def __init__(self, max_bytes: int, body_deadline_s: float, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_bytes = max_bytes
        self.body_deadline_s = body_deadline_s

    def send(self, request, stream=False, **kw):  # type: ignore[override]
        resp = super().send(request, stream=True, **kw)
        cap = self.max_bytes
        try:
            length = int(resp.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if length > cap:
            resp.close()
            raise _TooLarge(f"response larger than {cap} bytes")
        deadline = self.body_deadline_s
        expired = threading.Event()

        def abort() -> None:
            expired.set()
            sock = _socket_of(resp)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(deadline, abort)
        watchdog.daemon = True
        watchdog.start()
        late = f"body not complete after {deadline:g}s"
        parts, total, start = [], 0, time.monotonic()
        try:
            for chunk in resp.iter_content(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise _TooLarge(f"response larger than {cap} bytes")
                if expired.is_set() or time.monotonic() - start > deadline:
                    raise _BodyDeadline(late)
                parts.append(chunk)
            if expired.is_set():                      # the shutdown looked like the end of the body
                raise _BodyDeadline(late)
            if _stream_unfinished(resp.raw):
                raise _Truncated("truncated gzip body (the compressed stream ended early)")
        except BaseException as exc:
            resp.close()
            if expired.is_set() and not isinstance(exc, (_TooLarge, _BodyDeadline)):
                raise _BodyDeadline(late) from exc
            raise
        finally:
            watchdog.cancel()
        resp._content = b"".join(parts)
        resp._content_consumed = True      # urllib3 released the connection at end of stream
        return resp


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _host_key(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _cause_chain(exc: BaseException):
    """The exception and everything it wraps (args[0], .reason, __cause__, __context__)."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        arg0 = e.args[0] if e.args else None
        todo += [x for x in (getattr(e, "reason", None), arg0, e.__cause__, e.__context__)
                 if isinstance(x, BaseException)]


def _first_line(text: str, limit: int = 200) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line[:limit]


class Fetcher:
    """Polite, cached, size-capped GET requests. Thread-safe."""

    def __init__(self, *, user_agent: str, timeout_s: float = 20.0, connect_timeout_s: float = 10.0,
                 retries: int = 3, backoff_s: float = 1.0, max_retry_after_s: float = 120.0,
                 rate_limit_s: float = 1.0, max_bytes: int = 20_000_000, respect_robots: bool = True,
                 cache_dir: pathlib.Path | None = None, cache_expire_s: float = 6 * 3600,
                 body_deadline_s: float | None = None) -> None:
        if not user_agent or not user_agent.strip():
            raise ValueError("user_agent must be given")
        self.user_agent = user_agent
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.retries = max(0, int(retries))
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.rate_limit_s = rate_limit_s
        self.max_bytes = max_bytes
        self.respect_robots = respect_robots
        self.cache_expire_s = cache_expire_s
        # robots.txt groups are matched on the product token ("incidentsearch/0.1 (+url)" -> "incidentsearch")
        self.robots_token = user_agent.split("/")[0].split()[0]

        self.session = requests.Session()
        # no cookies kept or sent: every request stands alone (cacheable, replayable, nothing to leak)
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self.session.headers["User-Agent"] = user_agent
        self.session.max_redirects = MAX_REDIRECTS
        # the whole body of one response, however slowly it drips: 4 read timeouts, at least a minute
        self.body_deadline_s = body_deadline_s if body_deadline_s is not None else max(4 * timeout_s, 60.0)
        adapter = _CappedAdapter(max_bytes, body_deadline_s=self.body_deadline_s,
                                 pool_connections=32, pool_maxsize=32, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

        self.cache = None
        if cache_dir is not None:
            from requests_cache import SQLiteCache
            cache_dir = pathlib.Path(cache_dir)
            cache_dir.mkdir(parents=True, exist_ok=True)
            self.cache = SQLiteCache(cache_dir / "http_cache.sqlite", wal=True)

        self.stats: dict[str, int] = {"requests": 0, "cache_hits": 0, "robots_blocked": 0,
                                      "errors": 0, "robots_unavailable": 0, "retries": 0}
        self._stats_lock = threading.Lock()
        self._locks_lock = threading.Lock()
        self._host_locks: dict[tuple, threading.Lock] = {}
        self._robots_locks: dict[tuple, threading.Lock] = {}
        self._last_start: dict[tuple, float] = {}
        self._interval: dict[tuple, float] = {}       # host -> the largest interval asked for it
        # Retry-After is the server's word for the whole host: no request to it before this
        # (monotonic) time, whichever URL of it asked us to wait
        self._not_before: dict[tuple, float] = {}
        self._robots: dict[tuple, Protego | None] = {}
        # hosts that could not be reached at all (DNS, refused, connect timeout) after every
        # retry: later requests to them fail at once instead of repeating the backoff
        self._down: dict[tuple, str] = {}

    # -- context manager -------------------------------------------------
    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()
        if self.cache is not None:
            try:
                self.cache.close()
            except Exception:  # pragma: no cover
                log.debug("closing the cache failed", exc_info=True)

    # -- helpers ---------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] = self.stats.get(key, 0) + n

    def _lock_for(self, table: dict, key: tuple) -> threading.Lock:
        with self._locks_lock:
            lock = table.get(key)
            if lock is None:
                lock = table[key] = threading.Lock()
            return lock

    def _wait_turn(self, url: str, interval: float) -> None:
        """At most one request start per ``interval`` seconds per scheme+host+port, and none
        before the time a Retry-After from that host named."""
        key = _host_key(url)
        with self._lock_for(self._host_locks, key):
            # the strictest interval any source asked for this host holds for every request to it
            # (a redirect or a retry from a laxer source must not speed the host up)
            interval = self._interval[key] = max(interval, self._interval.get(key, 0.0))
            last = self._last_start.get(key)
            start = self._not_before.get(key, 0.0)
            if last is not None and interval > 0:
                start = max(start, last + interval)
            delay = start - time.monotonic()
            if delay > 0:
                log.debug("politeness: waiting %.2fs for %s://%s:%d", delay, *key)
                time.sleep(delay)
            self._last_start[key] = time.monotonic()

    def _host_asked_to_wait(self, key: tuple, wait: float) -> None:
        with self._locks_lock:
            until = time.monotonic() + wait
            if until > self._not_before.get(key, 0.0):
                self._not_before[key] = until

    def _rate_limited_for(self, key: tuple) -> float:
        """Seconds the host still asked us to wait (0 if none)."""
        return max(0.0, self._not_before.get(key, 0.0) - time.monotonic())

    def _error_text(self, exc: BaseException) -> str:
        if isinstance(exc, (_TooLarge, _Truncated)):
            return str(exc)
        if isinstance(exc, _BodyDeadline):
            return f"timeout: {exc}"
        if isinstance(exc, requests.exceptions.TooManyRedirects):
            return "too many redirects"
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"connect timeout after {self.connect_timeout_s:g}s"
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return f"timeout after {self.timeout_s:g}s"
        if isinstance(exc, requests.exceptions.SSLError):
            return "TLS error: " + _first_line(str(exc))
        if isinstance(exc, (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema)):
            return "unsupported URL scheme"
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.URLRequired)):
            return "invalid URL"
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            # a read that stalls or a reset while the body streams comes wrapped in these two
            in_body = isinstance(exc, requests.exceptions.ChunkedEncodingError)
            for e in _cause_chain(exc):
                if isinstance(e, ConnectionRefusedError):
                    return "connection refused"
                if isinstance(e, ConnectionResetError):
                    return "connection reset mid-body" if in_body else "connection reset"
                if isinstance(e, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
                    return f"timeout after {self.timeout_s:g}s"
                if isinstance(e, urllib3.exceptions.IncompleteRead):
                    return (f"truncated body: connection closed after {e.partial} bytes, "
                            f"{e.expected} more expected")
                if type(e).__name__ == "NameResolutionError" or "Name or service not known" in str(e):
                    return "DNS lookup failed"
            if not in_body:
                return "connection error: " + _first_line(str(exc))
        if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.ContentDecodingError)):
            return "broken response body: " + _first_line(str(exc))
        return f"request failed: {type(exc).__name__}: {_first_line(str(exc))}"

    @staticmethod
    def _retryable(exc: BaseException) -> bool:
        if isinstance(exc, (_TooLarge, requests.exceptions.TooManyRedirects, requests.exceptions.SSLError,
                            requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                            requests.exceptions.MissingSchema)):
            return False
        return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                                requests.exceptions.ChunkedEncodingError, _Truncated))

    def _cache_key(self, url: str, headers: dict[str, str] | None) -> str | None:
        if self.cache is None:
            return None
        # a plain key (method, URL as asked, the extra headers): requests-cache's own key normalises
        # the URL through a full request preparation, two thirds of a cached read's time
        extra = "\n".join(f"{k.lower()}: {v}" for k, v in sorted((headers or {}).items()))
        return hashlib.sha256(f"GET {url}\n{extra}".encode("utf-8", "surrogatepass")).hexdigest()[:32]

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

    def _store(self, key: str, resp: requests.Response, keep_s: float) -> None:
        try:
            expires = datetime.now(timezone.utc) + timedelta(seconds=keep_s)
            self.cache.save_response(resp, key, expires)
        except Exception:
            log.warning("HTTP cache write failed for %s", resp.url, exc_info=True)

    def _build(self, url: str, resp, *, started: float, from_cache: bool,
               error: str | None = None) -> Response:
        headers = CaseInsensitiveDict(resp.headers)
        content = resp.content or b""
        ctype = headers.get("Content-Type")
        if is_binary_type(ctype):
            text, encoding = "", None
        else:
            text, encoding = decode_body(content, ctype)
        status = resp.status_code
        if error is None and status >= 400:
            error = f"HTTP {status}"
        return Response(url=url, final_url=resp.url or url, status=status, headers=headers,
                        content=content, text=text, encoding=encoding,
                        date=_http_date(headers.get("Date")), from_cache=from_cache,
                        elapsed_s=time.monotonic() - started, error=error)

    # -- robots.txt ------------------------------------------------------
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

    # -- the public call -------------------------------------------------
    def get(self, url: str, *, rate_limit_s: float | None = None, expire_after: float | None = None,
            headers: dict[str, str] | None = None) -> Response:
        """GET ``url``; never raises for network/HTTP problems (see ``Response.error``)."""
        interval = self.rate_limit_s if rate_limit_s is None else rate_limit_s
        return self._fetch(url, interval=interval, expire_after=expire_after, headers=headers)

    def _fetch(self, url: str, *, interval: float, expire_after: float | None,
               headers: dict[str, str] | None, robots_fetch: bool = False) -> Response:
        """One URL: cache, robots.txt, then the retry loop. ``robots_fetch``: this *is* the
        robots.txt request (no robots check, its failures are not counted as errors)."""
        started = time.monotonic()
        count_error = (lambda: None) if robots_fetch else (lambda: self._count("errors"))
        try:
            parts = urlsplit(url)
            scheme, valid = parts.scheme.lower(), bool(parts.hostname) and parts.port != 0
        except ValueError:                      # bad port, unbalanced [ in the host...
            scheme, valid = "http", False
        if scheme not in ("http", "https") or not valid:
            count_error()
            err = "unsupported URL scheme" if scheme not in ("http", "https") else "invalid URL"
            return Response(url=url, error=err)

        if expire_after is None or expire_after < 0:
            max_age = self.cache_expire_s
        else:
            max_age = float(expire_after)
        try:
            key = self._cache_key(url, headers)
        except requests.exceptions.RequestException as exc:
            count_error()
            return Response(url=url, error=self._error_text(exc))
        if key is not None and max_age > 0:
            cached = self._cached(key, max_age)
            if cached is not None:
                self._count("cache_hits")
                log.debug("cache hit %s", url)
                return self._build(url, cached, started=started, from_cache=True)

        # Redirects are followed here, hop by hop, not by requests: every hop waits its turn
        # for its host, is checked against that host's robots.txt and may not leave http(s)
        current, hops, history = url, 0, []
        while True:
            host = _host_key(current)
            if host in self._down:
                count_error()
                return Response(url=url, error=f"{self._down[host]} (host unreachable earlier in this run; "
                                               "not retried)", elapsed_s=time.monotonic() - started)
            if self.respect_robots and not robots_fetch:
                rules = self._robots_for(current, interval)
                if rules is not None and not rules.can_fetch(current, self.robots_token):
                    self._count("robots_blocked")
                    log.info("disallowed by robots.txt: %s", current)
                    err = "disallowed by robots.txt"
                    if hops:
                        err = f"redirected to {current}, {err}"
                    return Response(url=url, error=err, robots_blocked=True,
                                    elapsed_s=time.monotonic() - started)
            got = self._attempts(url, current, interval=interval, headers=headers,
                                 count_error=count_error, started=started)
            if isinstance(got, Response):
                return got
            resp = got
            target = self.session.get_redirect_target(resp)
            if target is None:
                break
            if hops >= MAX_REDIRECTS:
                count_error()
                log.info("%s: too many redirects", url)
                return Response(url=url, final_url=current, error="too many redirects",
                                elapsed_s=time.monotonic() - started)
            nxt = _redirect_url(resp.url or current, target)
            try:
                scheme, hostname = urlsplit(nxt).scheme.lower(), urlsplit(nxt).hostname
            except ValueError:
                scheme, hostname = "http", None
            if scheme not in ("http", "https") or not hostname:
                count_error()
                err = f"redirect to unsupported URL scheme ({scheme or 'none'}:)" if scheme not in (
                    "http", "https") else "redirect to an invalid URL"
                log.info("%s: %s", url, err)
                return Response(url=url, final_url=current, status=resp.status_code, error=err,
                                elapsed_s=time.monotonic() - started)
            history.append(resp)
            hops += 1
            current = nxt
        resp.history = history

        status = resp.status_code
        result = self._build(url, resp, started=started, from_cache=False)
        if result.error is not None:
            count_error()
            log.info("%s: %s", url, result.error)
        if key is not None and (status == 200 or robots_fetch and status in (404, 410)):
            # a missing robots.txt is an answer too ("allow all"): a re-run need not ask again
            self._store(key, resp, max(self.cache_expire_s, max_age))
        return result

    def _attempts(self, url: str, current: str, *, interval: float, headers: dict[str, str] | None,
                  count_error, started: float):
        """One hop (``current``, asked for ``url``) with its retries: the last requests.Response,
        or a Response carrying the error."""
        host = _host_key(current)
        timeout = (self.connect_timeout_s, self.timeout_s)
        attempt = 0
        while True:
            owed = self._rate_limited_for(host)
            if owed > self.max_retry_after_s:
                count_error()
                err = f"rate limited: Retry-After {owed:.0f} s exceeds cap (host asked earlier in this run; not asked)"
                log.info("%s: %s", current, err)
                return Response(url=url, error=err, elapsed_s=time.monotonic() - started)
            self._wait_turn(current, interval)
            self._count("requests")
            log.debug("GET %s (attempt %d)", current, attempt + 1)
            try:
                resp = self.session.get(current, headers=headers, timeout=timeout, allow_redirects=False,
                                        verify=True)
            except _NETWORK_ERRORS as exc:
                err = self._error_text(exc)
                if attempt < self.retries and self._retryable(exc):
                    delay = self.backoff_s * 2 ** attempt
                    log.info("%s: %s; retry %d in %.2fs", current, err, attempt + 1, delay)
                    self._count("retries")
                    time.sleep(delay)
                    attempt += 1
                    continue
                log.info("%s: %s", current, err)
                count_error()
                if err in _HOST_DOWN or err.startswith("connect timeout"):
                    self._down[host] = err
                return Response(url=url, final_url=current if current != url else None, error=err,
                                elapsed_s=time.monotonic() - started)

            status = resp.status_code
            wait = None
            if status in RETRY_AFTER_STATUSES:
                wait = parse_retry_after(resp.headers.get("Retry-After"))
                if wait is not None:
                    self._host_asked_to_wait(host, wait)
                    if wait > self.max_retry_after_s:
                        err = f"rate limited: Retry-After {wait:.0f} s exceeds cap"
                        log.info("%s: %s (%gs)", current, err, self.max_retry_after_s)
                        count_error()
                        return self._build(url, resp, started=started, from_cache=False, error=err)
            if status in RETRY_STATUSES and attempt < self.retries:
                delay = self.backoff_s * 2 ** attempt
                if wait is not None:
                    delay = max(delay, wait)
                log.info("%s: HTTP %d; retry %d in %.2fs", current, status, attempt + 1, delay)
                self._count("retries")
                time.sleep(delay)
                attempt += 1
                continue
            if status in RETRY_STATUSES and wait is not None:
                count_error()
                err = f"HTTP {status} (rate limited: Retry-After {wait:.0f} s, still refused after {attempt} retries)"
                log.info("%s: %s", current, err)
                return self._build(url, resp, started=started, from_cache=False, error=err)
            return resp


def _redirect_url(base: str, location: str) -> str:
    """The absolute URL a Location header points to (as requests resolves it)."""
    if location.startswith("//"):
        location = f"{urlsplit(base).scheme}:{location}"
    try:
        if not urlsplit(location).netloc:
            return urljoin(base, requote_uri(location))
        return requote_uri(location)
    except ValueError:
        return ""


# ------------------------------------------------------------------ streams
_STREAM_ROBOTS: dict[tuple, Protego | None] = {}     # per process: host -> robots.txt rules


class StreamError(OSError):
    """A stream could not be opened: the URL, the status or the reason in the message."""


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


def open_stream(url: str, *, user_agent: str, timeout: tuple[float, float] = (10.0, 60.0),
                retries: int = 3, backoff_s: float = 1.0, respect_robots: bool = True):
    """A large body (a 1 GB WARC file, a ``warc.paths.gz`` listing) as a raw byte stream,
    read as it arrives and never stored: the caller reads it and closes it. The bytes are
    as served (a ``.gz`` file stays compressed; a ``Content-Encoding`` is undone).

    The configured User-Agent, connect/read timeouts and robots.txt (fetched once per host
    and process) hold as for :meth:`Fetcher.get`; there is no cache, size cap or politeness
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

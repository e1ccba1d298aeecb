"""The :class:`Fetcher`: one per run, a ``requests`` session with an explicit User-Agent,
connect/read timeouts, its own retry loop (exponential backoff, ``Retry-After`` honoured
on 429/503 up to a cap) and redirects followed hop by hop. Its parts, each an object it owns
and hands what it needs: the per-host politeness clock (:class:`.polite.Politeness`), the
robots.txt rules (:class:`.robots.Robots`, fetched through the fetcher itself), the size and
time cap on bodies (:class:`.adapter.CappedAdapter`) and the HTTP cache (:class:`.cache.Cache`);
charset decoding is :mod:`incidentsearch.text.charset`.

``Fetcher.get`` never raises for network or HTTP trouble: it returns a
:class:`~incidentsearch.records.Response` whose ``error`` says what went wrong.
"""
from __future__ import annotations

import http.cookiejar
import logging
import pathlib
import threading
import time
from dataclasses import replace
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from ..records import Response
from ..text.charset import decode_body, is_binary_type
from .adapter import CappedAdapter
from .cache import Cache
from .common import (MAX_REDIRECTS, RETRY_AFTER_STATUSES, RETRY_STATUSES, host_key, http_date, parse_retry_after,
                     redirect_url)
from .errors import HOST_DOWN, NETWORK_ERRORS, error_text, retryable, unreachable_reason
from .polite import Politeness
from .robots import ROBOTS_MAX_BYTES, Robots
from .watch import NetworkWatch

log = logging.getLogger(__name__)


class Fetcher:
    """Polite, cached, size-capped GET (and POST) requests. Thread-safe."""

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
        # the whole body of one response, however slowly it drips: 4 read timeouts, at least a minute
        self.body_deadline_s = body_deadline_s if body_deadline_s is not None else max(4 * timeout_s, 60.0)

        self.session = self._session(max_bytes)
        # robots.txt requests go through a session of their own whose adapter stops reading a
        # body at ROBOTS_MAX_BYTES and keeps that much (the rest of the file is never read)
        self._robots_session = self._session(ROBOTS_MAX_BYTES, truncate=True)

        self.cache = Cache(cache_dir) if cache_dir is not None else None
        self.politeness = Politeness()
        self.robots = Robots(self._fetch_robots, user_agent,
                             on_unavailable=lambda: self._count("robots_unavailable"))

        self.stats: dict[str, int] = {"requests": 0, "cache_hits": 0, "robots_blocked": 0,
                                      "errors": 0, "robots_unavailable": 0, "retries": 0}
        self._stats_lock = threading.Lock()
        # hosts that could not be reached at all (DNS, refused, connect timeout) after every
        # retry: later requests to them fail at once instead of repeating the backoff
        self._down: dict[tuple, str] = {}
        # which hosts answered and which could not be reached: "no network" when the first few all failed
        self.network = NetworkWatch()

    # -- context manager -------------------------------------------------
    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()
        self._robots_session.close()
        if self.cache is not None:
            self.cache.close()

    # -- helpers ---------------------------------------------------------
    def _session(self, max_bytes: int, *, truncate: bool = False) -> requests.Session:
        session = requests.Session()
        # no cookies kept or sent: every request stands alone (cacheable, replayable, nothing to leak)
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.headers["User-Agent"] = self.user_agent
        session.max_redirects = MAX_REDIRECTS
        adapter = CappedAdapter(max_bytes, body_deadline_s=self.body_deadline_s, truncate=truncate,
                                pool_connections=32, pool_maxsize=32, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def has_cached(self, url: str) -> bool:
        """Is a response to ``url`` in the cache (fresh or not)? One key lookup, no read."""
        return self.cache is not None and self.cache.has(url)

    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] = self.stats.get(key, 0) + n

    def _fetch_robots(self, url: str, interval: float) -> Response:
        """A robots.txt, for :attr:`robots`: as any GET (politeness, retries, cache, redirects)
        but read no further than ROBOTS_MAX_BYTES, not itself checked against robots.txt and
        its failures not counted as errors."""
        return self._fetch(url, interval=interval, expire_after=None, headers=None, robots_fetch=True)

    def _error_text(self, exc: BaseException) -> str:
        return error_text(exc, connect_timeout_s=self.connect_timeout_s, timeout_s=self.timeout_s)

    _retryable = staticmethod(retryable)

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
                        date=http_date(headers.get("Date")), from_cache=from_cache,
                        elapsed_s=time.monotonic() - started, error=error)

    # -- the public call -------------------------------------------------
    def get(self, url: str, *, rate_limit_s: float | None = None, expire_after: float | None = None,
            headers: dict[str, str] | None = None) -> Response:
        """GET ``url``; never raises for network/HTTP problems (see ``Response.error``)."""
        interval = self.rate_limit_s if rate_limit_s is None else rate_limit_s
        return self._fetch(url, interval=interval, expire_after=expire_after, headers=headers)

    def post(self, url: str, data: bytes, *, content_type: str = "application/x-www-form-urlencoded;charset=UTF-8",
             rate_limit_s: float | None = None, expire_after: float | None = None,
             headers: dict[str, str] | None = None) -> Response:
        """POST ``data`` to ``url`` with everything ``get`` has: the host's politeness interval,
        retries honouring Retry-After, robots.txt (the URL's path, as for a GET), the size cap
        and the cache (keyed by the URL and the body, so a re-run asks nothing again). Redirects:
        307/308 repeat the POST, any other becomes a GET. The Response names what was sent
        (``method``, ``request_body``, ``request_type``) so it can be recorded and replayed."""
        interval = self.rate_limit_s if rate_limit_s is None else rate_limit_s
        sent = dict(headers or {}, **{"Content-Type": content_type})
        resp = self._fetch(url, interval=interval, expire_after=expire_after, headers=sent,
                           method="POST", body=bytes(data))
        return replace(resp, method="POST", request_body=bytes(data), request_type=content_type)

    def _fetch(self, url: str, *, interval: float, expire_after: float | None,
               headers: dict[str, str] | None, robots_fetch: bool = False, method: str = "GET",
               body: bytes | None = None) -> Response:
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
        key = self.cache.key(url, headers, method=method, body=body) if self.cache is not None else None
        if key is not None and max_age > 0:
            cached = self.cache.get(key, max_age)
            if cached is not None:
                self._count("cache_hits")
                log.debug("cache hit %s", url)
                return self._build(url, cached, started=started, from_cache=True)

        # Redirects are followed here, hop by hop, not by requests: every hop waits its turn
        # for its host, is checked against that host's robots.txt and may not leave http(s)
        current, hops, history = url, 0, []
        while True:
            host = host_key(current)
            if host in self._down:
                count_error()
                return Response(url=url, error=f"{self._down[host]} (host unreachable earlier in this run; "
                                               "not retried)", elapsed_s=time.monotonic() - started)
            if self.respect_robots and not robots_fetch:
                allowed = self.robots.allows(current, interval)
                if host in self._down:          # robots.txt found the host unreachable: do not ask again
                    count_error()
                    return Response(url=url, error=self._down[host], elapsed_s=time.monotonic() - started)
                if not allowed:
                    self._count("robots_blocked")
                    log.info("disallowed by robots.txt: %s", current)
                    err = "disallowed by robots.txt"
                    if hops:
                        err = f"redirected to {current}, {err}"
                    return Response(url=url, error=err, robots_blocked=True,
                                    elapsed_s=time.monotonic() - started)
            got = self._attempts(url, current, interval=interval, headers=headers, count_error=count_error,
                                 started=started, method=method, body=body,
                                 session=self._robots_session if robots_fetch else self.session)
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
            nxt = redirect_url(resp.url or current, target)
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
            if method != "GET" and resp.status_code not in (307, 308):
                method, body = "GET", None          # as browsers do: a 301/302/303 answer is fetched
        resp.history = history

        status = resp.status_code
        result = self._build(url, resp, started=started, from_cache=False)
        if result.error is not None:
            count_error()
            log.info("%s: %s", url, result.error)
        if key is not None and (status == 200 or robots_fetch and status in (404, 410)):
            # a missing robots.txt is an answer too ("allow all"): a re-run need not ask again
            self.cache.store(key, resp, max(self.cache_expire_s, max_age))
        return result

    def _attempts(self, url: str, current: str, *, interval: float, headers: dict[str, str] | None,
                  count_error, started: float, method: str, body: bytes | None, session: requests.Session):
        """One hop (``current``, asked for ``url``) with its retries, through ``session``: the last
        requests.Response, or a Response carrying the error."""
        host = host_key(current)
        timeout = (self.connect_timeout_s, self.timeout_s)
        attempt = 0
        while True:
            owed = self.politeness.owed(host)
            if owed > self.max_retry_after_s:
                count_error()
                err = f"rate limited: Retry-After {owed:.0f} s exceeds cap (host asked earlier in this run; not asked)"
                log.info("%s: %s", current, err)
                return Response(url=url, error=err, elapsed_s=time.monotonic() - started)
            self.politeness.wait_turn(current, interval)
            self._count("requests")
            log.debug("%s %s (attempt %d)", method, current, attempt + 1)
            try:
                resp = session.request(method, current, headers=headers, data=body, timeout=timeout,
                                            allow_redirects=False, verify=True)
            except NETWORK_ERRORS as exc:
                err = self._error_text(exc)
                unreached = unreachable_reason(exc)
                if unreached and self.network.fail(host[1], unreached):
                    log.warning("%s", self.network.first_warning())
                if unreached and self.network.offline:
                    # no host has answered: another attempt at a name that does not resolve or a
                    # port that does not connect only makes the user wait
                    self._down[host] = err
                    log.info("%s: %s (no network: not retried)", current, err)
                    count_error()
                    return Response(url=url, final_url=current if current != url else None, error=err,
                                    elapsed_s=time.monotonic() - started)
                if attempt < self.retries and self._retryable(exc):
                    delay = self.backoff_s * 2 ** attempt
                    log.info("%s: %s; retry %d in %.2fs", current, err, attempt + 1, delay)
                    self._count("retries")
                    time.sleep(delay)
                    attempt += 1
                    continue
                log.info("%s: %s", current, err)
                count_error()
                if err in HOST_DOWN or err.startswith("connect timeout") or unreached:
                    self._down[host] = err
                return Response(url=url, final_url=current if current != url else None, error=err,
                                elapsed_s=time.monotonic() - started)

            self.network.answer(host[1])
            status = resp.status_code
            wait = None
            if status in RETRY_AFTER_STATUSES:
                wait = parse_retry_after(resp.headers.get("Retry-After"))
                if wait is not None:
                    self.politeness.asked_to_wait(host, wait)
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

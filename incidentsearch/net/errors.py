"""What a GET can run into, and the one line that says so: the adapter's own exceptions,
the network errors a request may raise, their text for ``Response.error`` and whether
they are worth another attempt."""
from __future__ import annotations

import requests
import urllib3

HOST_DOWN = ("DNS lookup failed", "connection refused")


class TooLarge(Exception):
    """The body (after decompression) exceeds the cap; raised from the adapter."""


class Truncated(requests.exceptions.ContentDecodingError):
    """The connection ended cleanly but the gzip/deflate stream inside did not."""


class BodyDeadline(requests.exceptions.ReadTimeout):
    """The whole body did not arrive within the body deadline (a server dripping bytes)."""


# What a GET may raise for network reasons; anything else is a bug and propagates.
NETWORK_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError, TooLarge)


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


def first_line(text: str, limit: int = 200) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line[:limit]


def error_text(exc: BaseException, *, connect_timeout_s: float, timeout_s: float) -> str:
    """What went wrong with a GET, in one line (the ``Response.error`` text)."""
    if isinstance(exc, (TooLarge, Truncated)):
        return str(exc)
    if isinstance(exc, BodyDeadline):
        return f"timeout: {exc}"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connect timeout after {connect_timeout_s:g}s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"timeout after {timeout_s:g}s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error: " + first_line(str(exc))
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
                return f"timeout after {timeout_s:g}s"
            if isinstance(e, urllib3.exceptions.IncompleteRead):
                return (f"truncated body: connection closed after {e.partial} bytes, "
                        f"{e.expected} more expected")
            if type(e).__name__ == "NameResolutionError" or "Name or service not known" in str(e):
                return "DNS lookup failed"
        if not in_body:
            return "connection error: " + first_line(str(exc))
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return "broken response body: " + first_line(str(exc))
    return f"request failed: {type(exc).__name__}: {first_line(str(exc))}"


def unreachable_reason(exc: BaseException) -> str | None:
    """Why a host could not be reached at all (no HTTP answer began), in a few words, or None
    when the trouble came later (a timeout reading, a reset body, TLS): the failures that,
    on every host a run asks first, mean there is no network."""
    import errno
    import socket

    if isinstance(exc, requests.exceptions.ProxyError):
        return "proxy unreachable"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if not isinstance(exc, requests.exceptions.ConnectionError) or isinstance(
            exc, (requests.exceptions.SSLError, requests.exceptions.ReadTimeout)):
        return None
    chain = list(_cause_chain(exc))
    for e in chain:
        if isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" \
                or "Name or service not known" in str(e) or "name resolution" in str(e):
            return "DNS lookup failed"
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
            return "network unreachable"
    # urllib3's NewConnectionError is a ConnectTimeoutError too: only a real timeout counts here
    if any(isinstance(e, (urllib3.exceptions.ConnectTimeoutError, TimeoutError)) and
           not isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
        return "connect timeout"
    return None


def retryable(exc: BaseException) -> bool:
    """Whether another attempt may go better (connection trouble, timeouts, a broken body)."""
    if isinstance(exc, (TooLarge, requests.exceptions.TooManyRedirects, requests.exceptions.SSLError,
                        requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema)):
        return False
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError, Truncated))

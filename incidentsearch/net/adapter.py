"""The transport adapter every request of a :class:`~incidentsearch.net.Fetcher` goes
through: it reads each body itself, capped in size (after decompression) and in time."""
from __future__ import annotations

import socket
import threading
import time
import zlib
from typing import Any

from requests.adapters import HTTPAdapter

from .errors import BodyDeadline, TooLarge, Truncated

_CHUNK = 64 * 1024
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


class CappedAdapter(HTTPAdapter):
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

    ``truncate``: a body over the cap is not an error but cut there: the first ``max_bytes``
    are kept and the rest is never read (the connection is closed, not reused). That is how a
    robots.txt is read (its first :data:`~.robots.ROBOTS_MAX_BYTES` count, as Google reads it).
    """

    def __init__(self, max_bytes: int, body_deadline_s: float, *, truncate: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_bytes = max_bytes
        self.body_deadline_s = body_deadline_s
        self.truncate = truncate

    def send(self, request, stream=False, **kw):  # type: ignore[override]
        resp = super().send(request, stream=True, **kw)
        cap = self.max_bytes
        try:
            length = int(resp.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if length > cap and not self.truncate:
            resp.close()
            raise TooLarge(f"response larger than {cap} bytes")
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
        parts, total, start, cut = [], 0, time.monotonic(), False
        try:
            for chunk in resp.iter_content(_CHUNK):
                if total + len(chunk) > cap:
                    if not self.truncate:
                        raise TooLarge(f"response larger than {cap} bytes")
                    parts.append(chunk[:cap - total])
                    total, cut = cap, True
                    break
                total += len(chunk)
                if expired.is_set() or time.monotonic() - start > deadline:
                    raise BodyDeadline(late)
                parts.append(chunk)
            if expired.is_set():                      # the shutdown looked like the end of the body
                raise BodyDeadline(late)
            if not cut and _stream_unfinished(resp.raw):
                raise Truncated("truncated gzip body (the compressed stream ended early)")
        except BaseException as exc:
            resp.close()
            if expired.is_set() and not isinstance(exc, (TooLarge, BodyDeadline)):
                raise BodyDeadline(late) from exc
            raise
        finally:
            watchdog.cancel()
        if cut:
            resp.close()                   # the rest of the body is never read: the connection goes
        resp._content = b"".join(parts)
        resp._content_consumed = True      # urllib3 released the connection at end of stream
        return resp

"""Servers that misbehave on purpose, for tests/test_faults.py. 127.0.0.1 only, always bounded.

- :class:`RawServer`: a tiny threaded socket server for what an HTTP framework will not
  do: reset a connection mid-body, stall before or inside the body, drip bytes, close
  before the promised Content-Length, cut a gzip stream short, answer garbage. Every
  accept and read has a timeout, every stall wakes up when the server stops, and
  :meth:`RawServer.stop` joins every thread it started.
- :class:`TimedHTTPServer`: pytest-httpserver (werkzeug) that also records when each
  request arrived (``times``: (monotonic seconds, path)), to check politeness from the
  server's side.
"""
from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
import zlib
from typing import Callable

from pytest_httpserver import HTTPServer

Behaviour = Callable[[socket.socket, "RawServer"], None]


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def gzip_bomb(inflated: int, chunk: int = 1 << 20) -> bytes:
    """A gzip stream of ``inflated`` zero bytes, built in 1 MiB steps (never whole in memory)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zero = bytes(chunk)
    parts = [c.compress(zero) for _ in range(inflated // chunk)]
    parts.append(c.flush())
    return b"".join(parts)


class TimedHTTPServer(HTTPServer):
    """pytest-httpserver on 127.0.0.1 that timestamps every request it sees."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.1", port=0, threaded=True)
        self.no_handler_status_code = 404
        self.times: list[tuple[float, str]] = []
        self._times_lock = threading.Lock()

    def dispatch(self, request):  # type: ignore[override]
        with self._times_lock:
            self.times.append((time.monotonic(), request.path))
        return super().dispatch(request)

    def base(self) -> str:
        return self.url_for("").rstrip("/")


class RawServer:
    """Plays a behaviour per request path on raw sockets. Use as a context manager."""

    def __init__(self, routes: dict[str, Behaviour], *, io_timeout: float = 5.0) -> None:
        self.routes = dict(routes)
        self.io_timeout = io_timeout
        self.stopping = threading.Event()
        self.times: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="rawserver-accept", daemon=True)

    # -- lifecycle -------------------------------------------------------
    def __enter__(self) -> "RawServer":
        self._acceptor.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self._acceptor.join(5)
        for t in list(self._threads):
            t.join(5)
        self._sock.close()

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True if it is stopping."""
        return self.stopping.wait(seconds)

    # -- internals -------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            t = threading.Thread(target=self._handle, args=(conn,), name="rawserver-conn", daemon=True)
            with self._lock:
                self._threads.append(t)
            t.start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(self.io_timeout)
        try:
            head = b""
            deadline = time.monotonic() + self.io_timeout
            while b"\r\n\r\n" not in head and len(head) < 65536 and time.monotonic() < deadline:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
            with self._lock:
                self.times.append((time.monotonic(), path))
            behaviour = self.routes.get(path, not_found)
            behaviour(conn, self)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass


# --- behaviours -------------------------------------------------------------

def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def not_found(conn: socket.socket, server: RawServer) -> None:
    conn.sendall(_head("404 Not Found", {"Content-Length": "0", "Connection": "close"}))


def reply(body: bytes, content_type: str = "application/rss+xml", status: str = "200 OK",
          extra: dict[str, str] | None = None) -> Behaviour:
    def play(conn, server):
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), "Connection": "close"}
        headers.update(extra or {})
        conn.sendall(_head(status, headers) + body)
    return play


def reset_mid_body(body: bytes, sent: int = 20_000) -> Behaviour:
    """Promise the whole body, send ``sent`` bytes, then abort the connection (RST)."""
    def play(conn, server):
        conn.sendall(_head("200 OK", {"Content-Type": "application/rss+xml",
                                      "Content-Length": str(len(body))}) + body[:sent])
        server.sleep(0.1)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # close -> RST
    return play


def stall_before_headers(seconds: float) -> Behaviour:
    """Read the request, then say nothing for ``seconds`` (the client's read timeout fires)."""
    def play(conn, server):
        server.sleep(seconds)
    return play


def stall_in_body(body: bytes, seconds: float) -> Behaviour:
    """Headers and the first KiB, then silence."""
    def play(conn, server):
        conn.sendall(_head("200 OK", {"Content-Type": "application/rss+xml",
                                      "Content-Length": str(len(body))}) + body[:1024])
        server.sleep(seconds)
    return play


def drip(total: int, every: float, limit_s: float) -> Behaviour:
    """Promise ``total`` bytes and send one every ``every`` seconds (under any read timeout),
    for at most ``limit_s`` seconds."""
    def play(conn, server):
        conn.sendall(_head("200 OK", {"Content-Type": "text/plain", "Content-Length": str(total)}))
        end = time.monotonic() + limit_s
        while time.monotonic() < end and not server.sleep(every):
            conn.sendall(b"z")
    return play


def truncated_gzip(body: bytes) -> Behaviour:
    """A gzip-encoded body cut in half; Content-Length matches what is sent and the
    connection closes cleanly, so only the gzip stream itself shows the loss."""
    def play(conn, server):
        gz = gzip.compress(body)
        part = gz[: len(gz) // 2]
        conn.sendall(_head("200 OK", {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip",
                                      "Content-Length": str(len(part)), "Connection": "close"}) + part)
    return play


def short_body(body: bytes, sent: int = 2000) -> Behaviour:
    """Content-Length says len(body) but the server closes after ``sent`` bytes."""
    def play(conn, server):
        conn.sendall(_head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": str(len(body)),
                                      "Connection": "close"}) + body[:sent])
    return play


def garbage(conn: socket.socket, server: RawServer) -> None:
    """Not HTTP at all."""
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


def empty_reply(conn: socket.socket, server: RawServer) -> None:
    """Close without a byte."""

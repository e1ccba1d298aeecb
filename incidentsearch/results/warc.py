"""WARC provenance: every HTTP exchange of a run, recorded (the replay: ``net.replay``).

A run appends to ``results/<day>/<incident>/raw.warc.gz`` (standard WARC/1.1 read by
warcio, pywb and the other archive tools; one gzip member per record, so runs of the
same day append to the same file):

- a ``warcinfo`` record naming the tool and the run;
- ``resource`` records ``urn:incidentsearch:config/<name>`` holding the outlets file,
  the incident files and the glossary as they were, and ``urn:incidentsearch:run``
  (the arguments as JSON), so a recording replays on its own;
- per exchange a ``request`` record (what we sent: method, path, Host, User-Agent;
  never cookies or credentials) and a ``response`` record (status, headers less
  Set-Cookie and the transfer/content encodings, the decoded body), or a ``metadata``
  record with the error when no answer came.

:class:`~incidentsearch.net.replay.Replay` serves a recording through the Fetcher interface,
so parsing, matching and reporting rerun with no network.

Crash safety: each record is compressed in memory and appended with one ``write`` and a
flush, so a killed run leaves at most its last gzip member torn. ``Recorder`` checks the
file's tail when it opens it and truncates a torn last member (and any bytes after the
last complete one), so the runs appended after it stay readable to the end.
"""
from __future__ import annotations

import io
import json
import logging
import os
import threading
import zlib
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from ..records import Response

log = logging.getLogger(__name__)

CONFIG_URN = "urn:incidentsearch:config/"
RUN_URN = "urn:incidentsearch:run"
_DROP = {"set-cookie", "cookie", "authorization", "proxy-authorization", "content-encoding",
         "transfer-encoding", "content-length"}


_WIRE_SAFE = "".join(chr(c) for c in range(33, 127))     # printable ASCII stays, the rest is %-encoded
GZIP_MAGIC = b"\x1f\x8b\x08"      # a gzip member starts so (deflate)
_BLOCK = 1 << 20


def _probe(fh, pos: int, size: int) -> int | None:
    """Where the gzip member starting at ``pos`` ends, if a WARC record starts there:
    the end offset of a complete member, -1 for one cut off by the end of the file (or
    corrupt after its start); None if no WARC record starts at ``pos``."""
    d = zlib.decompressobj(31)
    fh.seek(pos)
    fed, head = 0, b""

    def more(n: int) -> bytes:
        nonlocal fed
        chunk = fh.read(min(n, size - pos - fed))
        fed += len(chunk)
        return chunk

    try:                                            # the first bytes: "WARC/" or not a record
        while len(head) < 5 and not d.eof:
            data = d.unconsumed_tail or more(4096)
            if not data:
                return None                         # too short to hold a record's start
            head += d.decompress(data, 5 - len(head))
    except zlib.error:
        return None
    if not head.startswith(b"WARC/"):
        return None
    try:                                            # then to the member's end, output discarded
        while not d.eof:
            data = d.unconsumed_tail or more(_BLOCK)
            if not data:
                return -1
            d.decompress(data, _BLOCK)
    except zlib.error:
        return -1
    return pos + fed - len(d.unused_data)


def complete_length(path: Path) -> int:
    """The length of the file's complete gzip members: its size unless a killed run left
    the last member torn (or bytes that are no member) at the end. Reads the file from the
    end back to the start of its last WARC record only."""
    size = path.stat().st_size
    n = len(GZIP_MAGIC)
    with path.open("rb") as fh:
        hi = size                                   # candidate member starts are < hi
        while hi > 0:
            lo = max(0, hi - _BLOCK)
            fh.seek(lo)
            block = fh.read(min(size, hi + n - 1) - lo)
            at = block.rfind(GZIP_MAGIC, 0, hi - lo + n - 1)
            while at >= 0:                          # last candidate first
                end = _probe(fh, lo + at, size)
                if end is not None:
                    return lo + at if end < 0 else end     # torn: cut it; whole: cut what follows
                at = block.rfind(GZIP_MAGIC, 0, at + n - 1)
            hi = lo
    return 0                                        # no complete record at all: all of it is torn


class Recorder:
    """Appends WARC records to one file; thread-safe."""

    def __init__(self, path: Path, *, user_agent: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.user_agent = user_agent
        self.repaired = self._repair_tail()
        self._fh = path.open("ab")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        self._lock = threading.Lock()

    def _repair_tail(self) -> int:
        """Cut a torn last gzip member (a killed run); the number of bytes cut."""
        if not self.path.exists():
            return 0
        size = self.path.stat().st_size
        keep = complete_length(self.path)
        if keep == size:
            return 0
        if keep == 0:
            with self.path.open("rb") as fh:
                ours = fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC[:size]
            if not ours:                # not a gzip WARC at all: keep it aside, start a new file
                aside = self.path.with_name(f"{self.path.name}.unreadable-{os.getpid()}")
                os.replace(self.path, aside)
                log.warning("%s: not a gzip WARC file; moved to %s", self.path, aside.name)
                return 0
        with self.path.open("rb+") as fh:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        log.warning("%s: cut %d bytes of a torn last record (an interrupted run)", self.path, size - keep)
        return size - keep

    def _write(self, record) -> None:
        buf = io.BytesIO()                  # the whole gzip member first, then one append
        WARCWriter(buf, gzip=True, warc_version="1.1").write_record(record)
        with self._lock:
            self._fh.write(buf.getvalue())
            self._fh.flush()

    def start(self, *, arguments: list[str], configs: dict[str, bytes], run: dict) -> None:
        """The run's warcinfo, its configs and arguments."""
        info = {"software": f"incidentsearch/{__version__}", "format": "WARC File Format 1.1",
                "description": "incidentsearch run: " + " ".join(arguments),
                "isPartOf": run.get("started", "")}
        self._write(self._writer.create_warcinfo_record(self.path.name, info))
        for name, data in configs.items():
            self._write(self._writer.create_warc_record(
                CONFIG_URN + name, "resource", payload=io.BytesIO(data),
                warc_content_type="application/yaml" if name.endswith(".yaml") else "application/octet-stream"))
        self._write(self._writer.create_warc_record(
            RUN_URN, "resource", payload=io.BytesIO(json.dumps(run, ensure_ascii=False).encode()),
            warc_content_type="application/json"))

    def exchange(self, resp: Response) -> None:
        """The request we sent and what came back (or why nothing did)."""
        if resp.robots_blocked or resp.from_cache and not resp.content:
            return
        url = resp.url
        parts = urlsplit(url)
        # the request line and Host as they went over the wire: ASCII (a publisher's URL may
        # have Cyrillic in its path or host; warcio refuses non-ASCII HTTP headers)
        path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_WIRE_SAFE)
        host = parts.netloc
        if not host.isascii():
            try:
                host = parts.hostname.encode("idna").decode("ascii") + (f":{parts.port}" if parts.port else "")
            except (UnicodeError, AttributeError, ValueError):
                host = quote(host, safe=_WIRE_SAFE)
        when = (resp.date or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sent = [("Host", host), ("User-Agent", self.user_agent), ("Accept-Encoding", "gzip, deflate")]
        body = resp.request_body if resp.method != "GET" else b""
        if resp.method != "GET":
            sent += [("Content-Type", resp.request_type or "application/octet-stream"),
                     ("Content-Length", str(len(body)))]
        req = StatusAndHeaders(f"{resp.method} {path} HTTP/1.1", sent, is_http_request=True)
        request = self._writer.create_warc_record(url, "request", payload=io.BytesIO(body), http_headers=req,
                                                  warc_headers_dict={"WARC-Date": when})
        self._write(request)
        # a POST's answer names its request (WARC-Concurrent-To): the same URL answers each body
        # differently, and Replay finds the answer by URL and body
        link = {"WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID")} \
            if resp.method != "GET" else {}
        if resp.status is None:
            fields = f"error: {resp.error}\r\n".encode()
            self._write(self._writer.create_warc_record(url, "metadata", payload=io.BytesIO(fields),
                                                        warc_content_type="application/warc-fields",
                                                        warc_headers_dict={"WARC-Date": when, **link}))
            return
        try:
            phrase = HTTPStatus(resp.status).phrase
        except ValueError:
            phrase = "Unknown"
        headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in _DROP]
        headers.append(("Content-Length", str(len(resp.content))))
        if resp.final_url and resp.final_url != url:
            headers.append(("X-Incidentsearch-Final-Url", resp.final_url))
        http = StatusAndHeaders(f"{resp.status} {phrase}", headers, protocol="HTTP/1.1")
        extra = {"WARC-Date": when, **link}
        if resp.from_cache:
            extra["WARC-Incidentsearch-From-Cache"] = "true"
        self._write(self._writer.create_warc_record(url, "response", payload=io.BytesIO(resp.content),
                                                    http_headers=http, warc_headers_dict=extra))

    def close(self) -> None:
        with self._lock:
            self._fh.close()


class Tee:
    """A fetcher that records every exchange into some recorders (the incidents a request serves)."""

    def __init__(self, fetcher, recorders):
        self.fetcher, self.recorders = fetcher, list(recorders)

    def get(self, url: str, **kw) -> Response:
        resp = self.fetcher.get(url, **kw)
        for r in self.recorders:
            r.exchange(resp)
        return resp

    def post(self, url: str, data: bytes, **kw) -> Response:
        resp = self.fetcher.post(url, data, **kw)
        for r in self.recorders:
            r.exchange(resp)
        return resp

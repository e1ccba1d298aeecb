"""Replaying a run's WARC recording (``results/<day>/<incident>/raw.warc.gz``, written by
:mod:`incidentsearch.results.warc`) through the Fetcher interface: ``--replay`` reruns parsing,
matching, the article stage and the dossier from the recorded exchanges, with no network.
A POST is answered by its body (:func:`post_key`), so a Google News batch replays too."""
from __future__ import annotations

import hashlib
import json
import logging
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from ..records import Response
from ..results.warc import CONFIG_URN, GZIP_MAGIC, RUN_URN
from ..text.charset import decode_body
from .common import http_date

log = logging.getLogger(__name__)


def post_key(url: str, body: bytes) -> str:
    """Where Replay keeps the answer to a POST: the URL and a digest of the body."""
    return f"POST {url} {hashlib.sha256(body).hexdigest()}"


class ReplayError(Exception):
    """A file given to replay that is not a readable WARC: ``str()`` is one line, ``path: why``."""


class Replay:
    """A recording served through the Fetcher interface: no network, ever."""

    def __init__(self, paths: list[Path | str] | Path | str):
        if isinstance(paths, (str, Path)):
            paths = [paths]
        self.responses: dict[str, Response] = {}
        self.configs: dict[str, bytes] = {}
        self.run: dict = {}                     # the last run recorded
        self.incidents: set[str] = set()        # every incident the recordings were made for
        self.stats = {"requests": 0, "cache_hits": 0, "robots_blocked": 0, "errors": 0, "replayed": 0}
        self._posted: dict[str, bytes] = {}     # WARC-Record-ID of a POST request -> its body
        for path in paths:
            self._read_file(Path(path))

    def _read_file(self, path: Path) -> None:
        from warcio.exceptions import ArchiveLoadFailed

        try:
            with path.open("rb") as fh:
                head = fh.read(8)
                if not (head.startswith(GZIP_MAGIC) or head.startswith(b"WARC/")):
                    raise ReplayError(f"{path}: not a WARC file (it starts with {head[:8]!r}, not 'WARC/' "
                                      "or gzip); give a run's raw.warc.gz or samples/*.warc.gz")
                fh.seek(0)
                for rec in ArchiveIterator(fh):
                    self._read(rec)
        except ReplayError:
            raise
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as e:
            raise ReplayError(f"{path}: cannot read as a WARC: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}") from e

    def _read(self, rec) -> None:
        uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
        if rec.rec_type == "request" and rec.http_headers is not None \
                and rec.http_headers.protocol.upper() == "POST":
            self._posted[rec.rec_headers.get_header("WARC-Record-ID")] = rec.content_stream().read()
            return
        key = uri
        if rec.rec_headers.get_header("WARC-Concurrent-To") in self._posted:   # a POST's answer
            key = post_key(uri, self._posted[rec.rec_headers.get_header("WARC-Concurrent-To")])
        if rec.rec_type == "resource" and uri.startswith(CONFIG_URN):
            self.configs[uri[len(CONFIG_URN):]] = rec.content_stream().read()
        elif rec.rec_type == "resource" and uri == RUN_URN:
            self.run = json.loads(rec.content_stream().read().decode("utf-8"))
            self.incidents.update(self.run.get("incidents") or [])
        elif rec.rec_type == "response" and rec.http_headers is not None:
            body = rec.content_stream().read()
            h = rec.http_headers
            headers = {k: v for k, v in h.headers}
            ctype = h.get_header("Content-Type")
            text, enc = decode_body(body, ctype)
            date = http_date(h.get_header("Date"))
            self.responses[key] = Response(
                url=uri, final_url=h.get_header("X-Incidentsearch-Final-Url") or uri,
                status=int(h.get_statuscode()), headers=headers, content=body, text=text, encoding=enc,
                date=date, from_cache=True, error=None if int(h.get_statuscode()) < 400 else f"HTTP {h.get_statuscode()}")
        elif rec.rec_type == "metadata":
            fields = rec.content_stream().read().decode("utf-8", "replace")
            err = fields.split("error:", 1)[-1].strip() or "failed"
            self.responses.setdefault(key, Response(url=uri, error=err))

    def get(self, url: str, **kw) -> Response:
        return self._answer(url, url)

    def post(self, url: str, data: bytes, **kw) -> Response:
        """The recorded answer to this very body sent to ``url`` (a POST of another body is not in it)."""
        from dataclasses import replace
        got = self._answer(url, post_key(url, bytes(data)))
        return replace(got, method="POST", request_body=bytes(data), request_type=kw.get("content_type"))

    def _answer(self, url: str, key: str) -> Response:
        self.stats["requests"] += 1
        resp = self.responses.get(key)
        if resp is None:
            self.stats["errors"] += 1
            return Response(url=url, error="not in the recording")
        self.stats["replayed"] += 1
        if resp.error:
            self.stats["errors"] += 1
        return resp

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

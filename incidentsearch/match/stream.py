"""The matcher over a stream of millions of headlines, on several processes.

``best_stream`` feeds ``Matcher.best`` in chunks to a process pool, each process building its
own matcher once; memory stays flat however long the stream (bench/bench_match.py).
"""
from __future__ import annotations

from .matcher import Matcher

_WORKER: Matcher | None = None


def _init_worker(incidents, settings) -> None:
    global _WORKER
    _WORKER = Matcher(incidents, **settings)


def _best_chunk(chunk):
    """The chunk's headlines that match, with their matches (the rest never leave the worker)."""
    out = []
    for key, title, day, lang in chunk:
        found = _WORKER.best(title, published=day, lang=lang)
        if found:
            out.append((key, found))
    return out


def best_stream(matcher: Matcher, items, *, workers: int = 0, chunk: int = 2000):
    """``matcher.best`` over an iterable of ``(key, title, published, lang)``, yielding
    ``(key, [Match, ...])`` for the headlines that match, in order. With ``workers`` > 1 the
    chunks go to that many processes (each builds its own matcher once); at most
    ``2 x workers`` chunks are in flight, so memory stays flat however long the stream."""
    def chunks():
        buf = []
        for it in items:
            buf.append(it)
            if len(buf) >= chunk:
                yield buf
                buf = []
        if buf:
            yield buf

    if workers <= 1:
        for key, title, day, lang in items:
            found = matcher.best(title, published=day, lang=lang)
            if found:
                yield key, found
        return
    from collections import deque

    from .semantic import pool_context

    ctx = pool_context()
    with ctx.Pool(workers, initializer=_init_worker, initargs=(matcher.incidents, matcher.settings())) as pool:
        pending: deque = deque()
        for c in chunks():
            pending.append(pool.apply_async(_best_chunk, (c,)))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()

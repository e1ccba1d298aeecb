"""One scoring function over the feature table: a logistic model whose weights were fitted on
labelled headlines (``python -m incidentsearch.evaluate --fit``) and are judged by
leave-one-incident-out cross-validation (``--cv``).

    p = 1 / (1 + exp(-(bias + sum(weight[f] * value[f]))))

A candidate with ``p >= accept`` is a hit; with ``read <= p < accept`` its page is read and the
page decides; below ``read`` it is dropped. Weights of evidence are kept non-negative when
fitted (more evidence never lowers the score); ``undated`` may take either sign.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .features import NAMES

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
SIGNED = frozenset({"undated"})     # features whose weight may be negative


@dataclass(frozen=True)
class Weights:
    bias: float
    w: dict[str, float]
    accept: float = 0.5
    read: float = 0.2
    note: str = ""
    meta: dict = field(default_factory=dict)

    def logit(self, vals: dict[str, float]) -> float:
        return self.bias + sum(self.w.get(k, 0.0) * v for k, v in vals.items() if v)

    def prob(self, vals: dict[str, float]) -> float:
        return sigmoid(self.logit(vals))

    def contributions(self, vals: dict[str, float]) -> list[tuple[str, float, float]]:
        """(feature, value, weight x value) of each feature that fired, largest first."""
        out = [(k, v, self.w.get(k, 0.0) * v) for k, v in vals.items() if v]
        return sorted(out, key=lambda x: -abs(x[2]))

    def to_json(self) -> dict:
        return {"bias": round(self.bias, 4), "weights": {k: round(self.w.get(k, 0.0), 4) for k in NAMES},
                "accept": self.accept, "read": self.read, "note": self.note, **({"meta": self.meta} if self.meta else {})}

    @classmethod
    def from_json(cls, d: dict) -> "Weights":
        return cls(bias=float(d["bias"]), w={k: float(v) for k, v in d["weights"].items()},
                   accept=float(d.get("accept", 0.5)), read=float(d.get("read", 0.2)), note=d.get("note", ""),
                   meta=d.get("meta", {}))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def load(path: Path = WEIGHTS_FILE) -> dict[str, Weights]:
    """The shipped weight sets: ``semantic`` (with the sentence encoder) and ``lexical``."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: Weights.from_json(d) for name, d in raw.items()}


def fit(X: list[dict[str, float]], y: list[int], *, use: tuple[str, ...] = NAMES, l2: float = 1.0,
        accept: float = 0.5, read: float = 0.2, note: str = "") -> Weights:
    """L2-regularised logistic regression with non-negative evidence weights (scipy's L-BFGS-B)."""
    import numpy as np
    from scipy.optimize import minimize

    A = np.array([[x.get(k, 0.0) for k in use] for x in X], dtype=float)
    t = np.array(y, dtype=float)
    pos = max(1.0, t.sum())
    neg = max(1.0, len(t) - t.sum())
    sw = np.where(t > 0, len(t) / (2 * pos), len(t) / (2 * neg))     # classes weighed equally

    def loss(theta):
        b, w = theta[0], theta[1:]
        z = b + A @ w
        p = 1 / (1 + np.exp(-z))
        ll = sw * (np.logaddexp(0, z) - t * z)
        g = sw * (p - t)
        return ll.sum() + 0.5 * l2 * (w @ w), np.concatenate([[g.sum()], A.T @ g + l2 * w])

    bounds = [(None, None)] + [(None, None) if k in SIGNED else (0.0, None) for k in use]
    res = minimize(loss, np.zeros(len(use) + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return Weights(bias=float(res.x[0]), w={k: float(v) for k, v in zip(use, res.x[1:])}, accept=accept,
                   read=read, note=note)

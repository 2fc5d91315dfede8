"""Score page-dump lines with a small boosted-tree model kept as plain JSON data.

Why trees: the signals interact (a short line is furniture in a menu but story text after
a long paragraph; a long line is prose unless it is full of 'you' and 'comment'), which a
weighted sum cannot express. The model was fitted offline by bench/pagedump_fit.py
(scikit-learn's histogram gradient boosting, fixed seed, no early stopping) and exported
node by node to pagedump_model.json; this module only evaluates it with numpy, so
scoring is deterministic and needs neither scikit-learn nor a download.

>>> from cleaner.pagedump_features import line_features
>>> page = ["Bridge to reopen - City Post", "Home", "News", "", "Bridge to reopen", "",
...         "The mayor said on Monday that the old bridge would reopen next week.", "",
...         "Engineers found the steel in better shape than expected, she told reporters.",
...         "", "Share", "Privacy Policy"]
>>> [score > 0.5 for score in line_scores(line_features(page)) if score > 0.0]
[False, False, False, True, True, True, False, False]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from cleaner.pagedump_features import DESIGN_WIDTH, design_matrix

MODEL_PATH = Path(__file__).with_name("pagedump_model.json")


@dataclass(frozen=True, slots=True)
class TreeModel:
    """All trees' nodes in flat arrays; ``roots`` holds each tree's first node index."""

    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    depth: int


@cache
def load_model(path: Path = MODEL_PATH) -> TreeModel:
    """Read the exported model once; flatten its trees for vectorised evaluation."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data["n_features"] != DESIGN_WIDTH:
        raise ValueError(f"{path} expects {data['n_features']} features, not {DESIGN_WIDTH}")
    roots: list[int] = []
    feature: list[int] = []
    left: list[int] = []
    right: list[int] = []
    is_leaf: list[bool] = []
    threshold: list[float] = []
    value: list[float] = []
    for tree in data["trees"]:
        base = len(feature)
        roots.append(base)
        for f, t, lo, hi, leaf, v in tree:
            feature.append(f)
            threshold.append(t)
            left.append(base + lo if not leaf else 0)
            right.append(base + hi if not leaf else 0)
            is_leaf.append(bool(leaf))
            value.append(v)
    return TreeModel(
        baseline=float(data["baseline"]),
        roots=np.asarray(roots, dtype=np.int64),
        feature=np.asarray(feature, dtype=np.int64),
        threshold=np.asarray(threshold, dtype=np.float64),
        left=np.asarray(left, dtype=np.int64),
        right=np.asarray(right, dtype=np.int64),
        is_leaf=np.asarray(is_leaf, dtype=bool),
        value=np.asarray(value, dtype=np.float64),
        depth=int(data["max_depth"]),
    )


def predict(model: TreeModel, x: np.ndarray) -> np.ndarray:
    """Probability of the positive class for each row of the design matrix."""
    if len(x) == 0:
        return np.zeros(0)
    node = np.broadcast_to(model.roots, (len(x), len(model.roots))).copy()
    rows = np.arange(len(x))[:, None]
    for _ in range(model.depth):
        go_left = x[rows, model.feature[node]] <= model.threshold[node]
        nxt = np.where(go_left, model.left[node], model.right[node])
        node = np.where(model.is_leaf[node], node, nxt)
    raw = model.baseline + model.value[node].sum(axis=1)
    prob: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(raw, -30.0, 30.0)))
    return prob


def line_scores(features: Sequence[list[float] | None]) -> list[float]:
    """Article-likeness in 0..1 for every line (0.0 for blank lines)."""
    probs = iter(predict(load_model(), design_matrix(features)).tolist())
    return [0.0 if f is None else next(probs) for f in features]

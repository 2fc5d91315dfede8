"""Fit the per-line weights of cleaner/pagedump_features.py on the devdata page dumps.

Why a script and not run-time learning: the weights are fitted once, offline, then pasted
into the package as plain data (``WEIGHTS``), so cleaning is deterministic and downloads
nothing. Rerun this after changing a feature, paste its output, rerun bench/pagedump_f1.py.

Labels: a dump line is "article" when at least half of its 4-token shingles occur in the
gold text (lines under four tokens: when their token sequence occurs in the gold text).
The fit is a weighted logistic regression (Newton steps, L2 1.0), each line weighted by
the square root of its word count. ``--folds 5`` also reports cross-validated per-line
log-loss so that a new feature can be judged on documents it was not fitted on.

Usage: PYTHONPATH=. python bench/pagedump_fit.py [DEVDATA_DIR] [--folds 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from cleaner.pagedump_features import FEATURE_NAMES, WORD_RE, line_features
from cleaner.pagedump_metric import shingles

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared/devdata/pagedumps"


def line_labels(lines: list[str], gold: str) -> list[int | None]:
    """1 for a dump line found in the gold text, 0 otherwise, None for a blank line."""
    gold_shingles = set(shingles(gold))
    gold_tokens = " " + " ".join(WORD_RE.findall(gold)) + " "
    labels: list[int | None] = []
    for line in lines:
        toks = WORD_RE.findall(line)
        if not toks:
            labels.append(None)
        elif len(toks) < 4:
            labels.append(int(" " + " ".join(toks) + " " in gold_tokens))
        else:
            grams = shingles(line)
            hits = sum(1 for g in grams if g in gold_shingles)
            labels.append(int(hits >= 0.5 * len(grams)))
    return labels


def design(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Feature matrix, labels, sample weights and document index of every non-blank line."""
    rows: list[list[float]] = []
    ys: list[int] = []
    ws: list[float] = []
    docs: list[int] = []
    for n, path in enumerate(sorted((root / "dump").glob("*.txt"))):
        lines = path.read_text(encoding="utf-8").splitlines()
        gold = (root / "gold" / path.name).read_text(encoding="utf-8")
        for feats, label, line in zip(
            line_features(lines), line_labels(lines, gold), lines, strict=True
        ):
            if feats is None or label is None:
                continue
            rows.append(feats)
            ys.append(label)
            ws.append(float(len(WORD_RE.findall(line))) ** 0.5)
            docs.append(n)
    return np.array(rows), np.array(ys, float), np.array(ws), np.array(docs)


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Weighted L2 logistic regression by Newton's method (25 steps is plenty here)."""
    beta = np.zeros(x.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
        grad = x.T @ (w * (p - y)) + l2 * beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + l2 * np.eye(x.shape[1])
        beta -= np.linalg.solve(hess, grad)
    return beta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--folds", type=int, default=0)
    args = parser.parse_args()
    if not (args.root / "dump").is_dir():
        sys.exit(f"no dump/ folder under {args.root}: pass the devdata pagedumps folder")
    x, y, w, docs = design(args.root)
    if args.folds:
        loss = 0.0
        for fold in range(args.folds):
            test = docs % args.folds == fold
            beta = fit(x[~test], y[~test], w[~test])
            p = np.clip(1 / (1 + np.exp(-(x[test] @ beta))), 1e-6, 1 - 1e-6)
            loss += float(-(w[test] * (y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p))).sum())
        print(f"# cross-validated weighted log-loss per line: {loss / len(y):.4f}")
    beta = fit(x, y, w)
    print("WEIGHTS: tuple[float, ...] = (")
    for name, value in zip(FEATURE_NAMES, beta, strict=True):
        print(f"    {value:+.3f},  # {name}")
    print(")")


if __name__ == "__main__":
    main()

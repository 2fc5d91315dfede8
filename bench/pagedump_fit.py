"""Fit the page-dump line model on the devdata and export it to cleaner/pagedump_model.json.

Why a script and not run-time learning: the model is fitted once, offline, and shipped as
plain data, so cleaning is deterministic and downloads nothing. Rerun this after changing
a feature, then rerun bench/pagedump_f1.py and raise tests/baselines.json if it improved.
Needs scikit-learn (a development tool only; the package itself evaluates the exported
trees with numpy).

Labels: a dump line is "article" when at least half of its 4-token shingles occur in the
gold text (lines under four tokens: when their token sequence occurs in the gold text).
Model: histogram gradient boosting, 150 trees of depth 3, learning rate 0.1, fixed seed,
no early stopping; each line weighted by the square root of its word count.
``--folds 5`` first reports the cross-validated article F1 (documents split by index, each
fold scored by a model fitted on the other folds), the honest figure for unseen pages.

Usage: PYTHONPATH=. python bench/pagedump_fit.py [PAGEDUMPS_DIR] [--folds 5] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from cleaner.pagedump import extract_article
from cleaner.pagedump_features import DESIGN_WIDTH, WORD_RE, design_matrix, line_features
from cleaner.pagedump_metric import shingle_counts, shingles, summarise
from cleaner.pagedump_model import MODEL_PATH, load_model, predict

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared/devdata/pagedumps"
TREES = 150
DEPTH = 3


@dataclass(frozen=True, slots=True)
class Doc:
    """One page: its lines, gold text, design matrix and labels of its non-blank lines."""

    lines: list[str]
    gold: str
    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray


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


def load(root: Path) -> list[Doc]:
    """Every page of the devdata, in file-name order."""
    docs = []
    for path in sorted((root / "dump").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        gold = (root / "gold" / path.name).read_text(encoding="utf-8")
        feats = line_features(lines)
        labels = [lab for lab, f in zip(line_labels(lines, gold), feats, strict=True) if f]
        words = [len(WORD_RE.findall(line)) for line, f in zip(lines, feats, strict=True) if f]
        docs.append(
            Doc(
                lines=lines,
                gold=gold,
                x=design_matrix(feats),
                y=np.asarray(labels, dtype=np.int64),
                weight=np.sqrt(np.asarray(words, dtype=np.float64)),
            )
        )
    return docs


def fit(docs: list[Doc]) -> HistGradientBoostingClassifier:
    """One fixed-seed boosted-tree model over the given pages' lines."""
    model = HistGradientBoostingClassifier(
        max_iter=TREES, max_depth=DEPTH, learning_rate=0.1, early_stopping=False, random_state=0
    )
    model.fit(
        np.vstack([d.x for d in docs]),
        np.concatenate([d.y for d in docs]),
        sample_weight=np.concatenate([d.weight for d in docs]),
    )
    return model


def export(model: HistGradientBoostingClassifier) -> dict[str, object]:
    """The trees as [feature, threshold, left, right, is_leaf, value] node rows."""
    trees = []
    depth = 0
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        depth = max(depth, int(nodes["depth"].max()))
        trees.append(
            [
                [
                    int(n["feature_idx"]),
                    float(n["num_threshold"]),
                    int(n["left"]),
                    int(n["right"]),
                    int(n["is_leaf"]),
                    round(float(n["value"]), 8),
                ]
                for n in nodes
            ]
        )
    return {
        "about": "page-dump line model; written by bench/pagedump_fit.py, do not edit",
        "n_features": DESIGN_WIDTH,
        "max_depth": depth,
        "baseline": float(np.ravel(model._baseline_prediction)[0]),
        "trees": trees,
    }


def cross_validated_f1(docs: list[Doc], folds: int) -> float:
    """Article F1 with every page scored by a model that never saw it."""
    counts = []
    for fold in range(folds):
        model = fit([d for i, d in enumerate(docs) if i % folds != fold])
        for doc in docs[fold::folds]:
            probs = iter(model.predict_proba(doc.x)[:, 1].tolist() if len(doc.x) else [])
            scores = [next(probs) if WORD_RE.search(line) else 0.0 for line in doc.lines]
            verdicts = extract_article(doc.lines, scores=scores)
            kept = [line for line, v in zip(doc.lines, verdicts, strict=True) if v.keep]
            counts.append(shingle_counts(doc.gold, "\n".join(kept)))
    return summarise(counts).f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--folds", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not (args.root / "dump").is_dir():
        sys.exit(f"no dump/ folder under {args.root}: pass the devdata pagedumps folder")
    docs = load(args.root)
    if args.folds:
        print(f"{args.folds}-fold cross-validated F1: {cross_validated_f1(docs, args.folds):.4f}")
    model = fit(docs)
    if args.no_write:
        return
    MODEL_PATH.write_text(json.dumps(export(model), separators=(",", ":")) + "\n", "utf-8")
    load_model.cache_clear()
    x = np.vstack([d.x for d in docs])
    gap = float(np.abs(predict(load_model(), x) - model.predict_proba(x)[:, 1]).max())
    print(f"wrote {MODEL_PATH}; largest difference to scikit-learn's probabilities: {gap:.2e}")


if __name__ == "__main__":
    main()

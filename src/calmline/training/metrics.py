"""Binary classification figures and the choice of a decision threshold."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

OBJECTIVES = ("f1", "macro_f1", "accuracy")


def _counts_by_threshold(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each distinct score taken as threshold (predict positive at score >= t): t, TP, FP, FN, TN."""
    order = np.argsort(-scores, kind="stable")
    ranked, truth = scores[order], labels[order]
    tp = np.cumsum(truth)
    fp = np.cumsum(1 - truth)
    last_of_run = np.r_[ranked[1:] != ranked[:-1], True]  # ties move together
    tp, fp, thresholds = tp[last_of_run], fp[last_of_run], ranked[last_of_run]
    positives, negatives = truth.sum(), len(truth) - truth.sum()
    return thresholds, tp, fp, positives - tp, negatives - fp


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    f1 = np.zeros(len(tp))
    np.divide(2 * tp, 2 * tp + fp + fn, out=f1, where=(2 * tp + fp + fn) > 0)
    return f1


def choose_threshold(labels: np.ndarray, scores: np.ndarray, objective: str) -> float:
    """The score threshold that maximises ``objective`` (f1 of the positive class, macro_f1, accuracy)."""
    return best_threshold(labels, scores, objective)[0]


def best_threshold(labels: np.ndarray, scores: np.ndarray, objective: str) -> tuple[float, float]:
    """The threshold that maximises ``objective``, and the value it reaches there."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}")
    labels = np.asarray(labels, dtype=np.int64)
    thresholds, tp, fp, fn, tn = _counts_by_threshold(labels, np.asarray(scores, dtype=np.float64))
    if objective == "f1":
        value = _f1(tp, fp, fn)
    elif objective == "macro_f1":
        value = (_f1(tp, fp, fn) + _f1(tn, fn, fp)) / 2
    else:
        value = (tp + tn) / len(labels)
    best = int(np.argmax(value))
    return float(thresholds[best]), float(value[best])


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float | None]:
    """Precision, recall, F1 of the positive class, macro-F1, accuracy at ``threshold``; ROC-AUC of the scores."""
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    predicted = scores >= threshold
    tp = int(np.sum(predicted & (labels == 1)))
    fp = int(np.sum(predicted & (labels == 0)))
    fn = int(np.sum(~predicted & (labels == 1)))
    tn = int(np.sum(~predicted & (labels == 0)))
    f1_pos = _f1(np.array([tp]), np.array([fp]), np.array([fn]))[0]
    f1_neg = _f1(np.array([tn]), np.array([fn]), np.array([fp]))[0]
    both_classes = 0 < labels.sum() < len(labels)
    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": float(f1_pos),
        "macro_f1": float((f1_pos + f1_neg) / 2),
        "accuracy": (tp + tn) / len(labels) if len(labels) else 0.0,
        "auc": float(roc_auc_score(labels, scores)) if both_classes else None,
    }


def read_while_tuning(record_id: str) -> bool:
    """Whether a gold record is in the half whose misses were read while rules were changed (odd ids:
    "g017", "c043"); the even half never was, so its figures are the honest ones."""
    digits = "".join(c for c in record_id if c.isdigit())
    return bool(digits) and int(digits) % 2 == 1

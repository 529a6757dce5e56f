"""Classification metrics in NumPy: accuracy, confusion matrix, per-class and macro precision/recall, AUC.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cnnlab.inspection.forward import InspectionError


def classification_report(y_true: np.ndarray, probs: np.ndarray, num_classes: int) -> dict[str, Any]:
    """Accuracy, confusion matrix, per-class and macro precision/recall, macro one-vs-rest AUC."""
    y_true = np.asarray(y_true, dtype=np.int64)
    pred = probs.argmax(axis=1)
    cm = np.bincount(y_true * num_classes + pred, minlength=num_classes * num_classes).reshape(num_classes, -1)
    tp = np.diag(cm).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    actual = cm.sum(axis=1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    present = actual > 0
    return {
        "accuracy": float((pred == y_true).mean()) if len(y_true) else float("nan"),
        "confusion_matrix": cm.tolist(),
        "precision_per_class": precision.tolist(),
        "recall_per_class": recall.tolist(),
        "support": actual.astype(int).tolist(),
        "precision": float(precision[present].mean()) if present.any() else float("nan"),
        "recall": float(recall[present].mean()) if present.any() else float("nan"),
        "auc": macro_auc(y_true, probs),
        "predicted": pred,
    }


def macro_auc(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Mean one-vs-rest ROC AUC over classes that have positives and negatives (Mann-Whitney, ties averaged)."""
    aucs = []
    for c in range(probs.shape[1]):
        pos = y_true == c
        n_pos, n_neg = int(pos.sum()), int((~pos).sum())
        if n_pos == 0 or n_neg == 0:
            continue
        scores = probs[:, c]
        order = np.argsort(scores, kind="mergesort")
        ranks = np.empty(len(scores), dtype=float)
        sorted_scores = scores[order]
        # average ranks for ties
        _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
        avg = first + (counts - 1) / 2.0 + 1
        ranks[order] = np.repeat(avg, counts)
        aucs.append((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(aucs)) if aucs else float("nan")


def is_finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False

def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """(K, K) counts: rows are true classes, columns predicted classes."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise InspectionError(f"{t.size} labels but {p.size} predictions")
    bad = (t < 0) | (t >= num_classes) | (p < 0) | (p >= num_classes)
    if bad.any():
        raise InspectionError(f"labels and predictions must lie in 0..{num_classes - 1}")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)

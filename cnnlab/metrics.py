"""Classification metrics and the 2-D projection of embeddings, in one place for the trainer, its callbacks and
inspection: scikit-learn computes them (confusion matrix, precision/recall/F1, ROC AUC, PCA); this module fixes
the conventions CNN Lab shows (which classes a macro average counts, the sign of a principal component).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cnnlab.errors import CnnLabError


class MetricsError(CnnLabError, ValueError):
    """Labels and predictions that cannot be scored together (a caller's mistake, named in a sentence)."""

def classification_report(y_true: np.ndarray, probs: np.ndarray, num_classes: int) -> dict[str, Any]:
    """Accuracy, confusion matrix, per-class and macro precision/recall, macro one-vs-rest AUC.

    Macro precision and recall average over the classes present in y_true (a class with no test images says
    nothing about the model); a class never predicted has precision 0.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    pred = probs.argmax(axis=1)
    cm = confusion_matrix(y_true, pred, num_classes)
    precision, recall, _, support = per_class_scores(y_true, pred, num_classes)
    present = support > 0
    return {
        "accuracy": float((pred == y_true).mean()) if len(y_true) else float("nan"),
        "confusion_matrix": cm.tolist(),
        "precision_per_class": precision.tolist(),
        "recall_per_class": recall.tolist(),
        "support": support.astype(int).tolist(),
        "precision": float(precision[present].mean()) if present.any() else float("nan"),
        "recall": float(recall[present].mean()) if present.any() else float("nan"),
        "auc": macro_auc(y_true, probs),
        "predicted": pred,
    }


def per_class_scores(y_true: Any, y_pred: Any, num_classes: int) -> tuple[np.ndarray, ...]:
    """(precision, recall, f1, support) per class 0..num_classes-1; 0 where a score's denominator is 0."""
    from sklearn.metrics import precision_recall_fscore_support

    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.size == 0:
        zeros = np.zeros(num_classes)
        return zeros, zeros.copy(), zeros.copy(), np.zeros(num_classes, dtype=np.int64)
    precision, recall, f1, support = precision_recall_fscore_support(
        t, p, labels=np.arange(num_classes), average=None, zero_division=0
    )
    return precision.astype(np.float64), recall.astype(np.float64), f1.astype(np.float64), support.astype(np.int64)


def macro_auc(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Mean one-vs-rest ROC AUC over classes that have positives and negatives (ties count half)."""
    from sklearn.metrics import roc_auc_score

    y_true = np.asarray(y_true)
    aucs = []
    for c in range(probs.shape[1]):
        pos = y_true == c
        if pos.all() or not pos.any():
            continue
        aucs.append(roc_auc_score(pos, probs[:, c]))
    return float(np.mean(aucs)) if aucs else float("nan")


def pca_2d(features: np.ndarray) -> np.ndarray:
    """The first two principal components, signs fixed (each component's largest loading is positive) so the
    picture is the same on every run; a missing component (fewer samples or features than 2) is 0."""
    from sklearn.decomposition import PCA

    f = np.asarray(features, dtype=np.float64)
    coords = np.zeros((len(f), 2))
    k = min(2, *f.shape)
    if k:
        pca = PCA(n_components=k, svd_solver="full")
        projected = pca.fit_transform(f)
        loadings = pca.components_
        signs = np.sign(loadings[np.arange(k), np.abs(loadings).argmax(axis=1)])
        coords[:, :k] = projected * np.where(signs == 0, 1.0, signs)
    return coords.astype(np.float32)


def is_finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """(K, K) counts: rows are true classes, columns predicted classes."""
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise MetricsError("engine.metrics.count_mismatch", labels=t.size, predictions=p.size)
    bad = (t < 0) | (t >= num_classes) | (p < 0) | (p >= num_classes)
    if bad.any():
        raise MetricsError("engine.metrics.out_of_range", last=num_classes - 1)
    if t.size == 0:
        return np.zeros((num_classes, num_classes), dtype=np.int64)
    return sk_confusion_matrix(t, p, labels=np.arange(num_classes)).astype(np.int64)

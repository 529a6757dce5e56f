"""A test-split evaluation: confusion matrix, per-class metrics and the most confident mistakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnlab.inspection.forward import InspectionError, predictor
from cnnlab.metrics import confusion_matrix, per_class_scores


@dataclass
class Mistake:
    """One misclassified test image: its index in the test split, true and predicted class, confidence."""

    index: int
    true: int
    predicted: int
    confidence: float  # the probability given to the (wrong) predicted class
    probabilities: np.ndarray


@dataclass
class Evaluation:
    """A test-split evaluation: confusion matrix, per-class metrics, every mistake with its probabilities.

    Per class: `recall` is the share of that class's images classified correctly (the confusion matrix's
    diagonal over its row), `precision` the share of the images predicted as that class that really are (the
    diagonal over its column; 0 for a class never predicted), `f1` their harmonic mean. There is no per-class
    "accuracy": for one class the share of its images classified correctly is its recall, and calling it
    accuracy invites reading it as something else (the overall accuracy is `overall_accuracy`).
    """

    class_names: list[str]
    confusion: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    probabilities: np.ndarray
    precision: np.ndarray = field(init=False)
    recall: np.ndarray = field(init=False)
    f1: np.ndarray = field(init=False)
    support: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        scores = per_class_scores(self.y_true, self.y_pred, len(self.confusion))
        self.precision, self.recall, self.f1, self.support = scores

    @property
    def overall_accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(1, self.confusion.sum()))

    @property
    def misclassified(self) -> np.ndarray:
        """Indices of the wrongly classified images, most confident mistake first."""
        wrong = np.nonzero(self.y_true != self.y_pred)[0]
        confidence = self.probabilities[wrong, self.y_pred[wrong]]
        return wrong[np.argsort(-confidence, kind="stable")]

    def cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of the images in one confusion-matrix cell, most confident first (the cell's gallery)."""
        hits = np.nonzero((self.y_true == true_class) & (self.y_pred == predicted_class))[0]
        confidence = self.probabilities[hits, predicted_class]
        return hits[np.argsort(-confidence, kind="stable")]

    def most_confident_mistakes(self, n: int = 16) -> list[Mistake]:
        """The n mistakes the model was surest about."""
        return [
            Mistake(
                int(i),
                int(self.y_true[i]),
                int(self.y_pred[i]),
                float(self.probabilities[i, self.y_pred[i]]),
                self.probabilities[i],
            )
            for i in self.misclassified[:n]
        ]

    def per_class(self) -> list[dict[str, Any]]:
        """One row per class: name, support, precision, recall, f1 (ready for a table)."""
        return [
            {
                "class": i,
                "name": name,
                "support": int(self.support[i]),
                "precision": float(self.precision[i]),
                "recall": float(self.recall[i]),
                "f1": float(self.f1[i]),
            }
            for i, name in enumerate(self.class_names)
        ]

    def to_dict(self, mistakes: int = 32) -> dict[str, Any]:
        """JSON-safe summary for a run record (the per-image probabilities stay out)."""
        return {
            "class_names": list(self.class_names),
            "confusion": self.confusion.tolist(),
            "accuracy": self.overall_accuracy,
            "per_class": self.per_class(),
            "test_size": int(self.confusion.sum()),
            "mistakes": [
                {"index": m.index, "true": m.true, "predicted": m.predicted, "confidence": m.confidence}
                for m in self.most_confident_mistakes(mistakes)
            ],
        }


def evaluate_probabilities(probabilities: Any, y_true: Any, class_names: Sequence[str]) -> Evaluation:
    """An `Evaluation` from probabilities the caller already has (the trainer's end-of-run path)."""
    probs = np.asarray(probabilities, dtype=np.float32)
    labels = np.asarray(y_true, dtype=np.int64).ravel()
    if probs.ndim != 2 or probs.shape[0] != labels.size:
        raise InspectionError("engine.inspect.probs_mismatch", shape=str(probs.shape), count=labels.size)
    if probs.shape[1] != len(class_names):
        raise InspectionError("engine.inspect.classes_mismatch", outputs=probs.shape[1], classes=len(class_names))
    preds = probs.argmax(axis=1).astype(np.int64)
    return Evaluation(list(class_names), confusion_matrix(labels, preds, len(class_names)), labels, preds, probs)


def evaluate(model: Any, x_test: Any, y_test: Any, class_names: Sequence[str]) -> Evaluation:
    """Evaluate `model` on a test split (uint8 or [0, 1] float images) with one compiled batched pass."""
    if len(x_test) == 0:
        raise InspectionError("engine.inspect.empty_test")
    return evaluate_probabilities(predictor(model).predict(x_test), y_test, class_names)

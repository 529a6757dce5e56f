"""Which training images the model thinks an input is like: nearest neighbours in the penultimate layer's space.

The penultimate layer (`embeddings.penultimate_layer`: what feeds the classifier head) is the model's own
description of an image just before it decides; training images close to the input there are the examples that
taught it this answer. The training split's features are computed once (batched, compiled) and kept per checkpoint
(`probecache`); a lookup is then one forward pass and one distance computation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.inspection.embeddings import penultimate_layer
from cnnlab.inspection.forward import BATCH, as_batch, cached, compile_fn, one_image, run_layers, structure_of
from cnnlab.inspection.perturb import ProbeError, word
from cnnlab.inspection.probecache import remember


@dataclass
class NeighbourIndex:
    """A split's penultimate-layer features, ready for lookups."""

    layer: str
    features: np.ndarray  # (N, D) float32
    labels: np.ndarray  # (N,) int
    squared_norms: np.ndarray  # (N,)


@dataclass
class Neighbours:
    """The k training images closest to the input, nearest first."""

    layer: str
    indices: np.ndarray  # (k,) into the split the index was built from
    labels: np.ndarray  # (k,)
    distances: np.ndarray  # (k,) Euclidean, in the layer's units


def _feature_fn(model: Any):
    info = penultimate_layer(model)
    structure = structure_of(model)

    def build():
        def fn(x):
            import keras

            _, outs, _ = run_layers(model, x, taps=[info.index])
            return [keras.ops.reshape(outs[info.index], (keras.ops.shape(x)[0], -1))]

        return compile_fn(fn, model, [(None, *structure.input_shape)])

    return info, cached(model, ("penultimate_features", info.index), build)


def penultimate_features(model: Any, images: Any, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(N, D) flattened penultimate-layer activations for a batch of images."""
    _, call = _feature_fn(model)
    batch = as_batch(images, model)
    parts = []
    for i in range(0, len(batch), BATCH):
        parts.append(call(batch[i : i + BATCH])[0])
        if progress is not None:
            progress(min(i + BATCH, len(batch)), len(batch))
    return np.concatenate(parts).astype(np.float32)


def neighbour_index(
    model: Any,
    x_train: Any,
    y_train: Any,
    *,
    cache_key: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NeighbourIndex:
    """The features of a training split (cached on disk per checkpoint when `cache_key` names it)."""
    labels = np.asarray(y_train, dtype=np.int64).ravel()
    if len(labels) == 0 or len(labels) != len(x_train):
        raise ProbeError("engine.probe.train_split", images=len(x_train), labels=len(labels))
    info = penultimate_layer(model)
    settings = {"layer": info.name, "images": len(labels)}
    arrays = remember(
        "neighbours", cache_key, settings, lambda: {"features": penultimate_features(model, x_train, progress)}
    )
    features = arrays["features"]
    return NeighbourIndex(info.name, features, labels, np.einsum("nd,nd->n", features, features))


def nearest(model: Any, image: Any, index: NeighbourIndex, k: int = 5) -> Neighbours:
    """The `k` images of `index` nearest to `image` in the penultimate layer's space."""
    if k < 1:
        raise ProbeError("engine.probe.range", setting=word("neighbours"), low=1, high=len(index.labels), value=k)
    query = penultimate_features(model, one_image(image, model))[0]
    if query.shape[0] != index.features.shape[1]:
        raise ProbeError("engine.probe.index_mismatch", got=query.shape[0], want=index.features.shape[1])
    squared = np.maximum(index.squared_norms - 2.0 * (index.features @ query) + float(query @ query), 0.0)
    k = min(int(k), len(squared))
    part = np.argpartition(squared, k - 1)[:k]
    order = part[np.lexsort((part, squared[part]))]  # nearest first, ties by index
    return Neighbours(index.layer, order, index.labels[order], np.sqrt(squared[order]).astype(np.float32))


# ---------------------------------------------------------------- a label that the model and the data doubt

DOUBT_CONFIDENCE = 0.8  # the model gives its own answer at least this probability ...
DOUBT_AGREEMENT = 0.7  # ... and at least this share of the nearest training images carry the model's answer
DOUBT_NEIGHBOURS = 10


@dataclass
class LabelDoubt:
    """Why a label a user gives looks wrong: the model's answer and what the nearest training images are.

    Teaching a model a label that contradicts both moves its boundary for every image like this one (real 7s
    start to read as 1), so the page says so before the drawing is kept."""

    label: int
    model_says: int
    confidence: float  # the model's probability for its own answer
    label_probability: float  # ... and for the user's label
    neighbours_agree: int  # nearest training images labelled as the model says
    neighbours_label: int  # ... and as the user says
    k: int


def label_doubt(probs: Any, label: int, neighbour_labels: Any) -> LabelDoubt | None:
    """The evidence against `label` when the model and the nearest training images both strongly say another
    class; None when the label is plausible (the model is unsure, or the neighbours are mixed)."""
    probs = np.asarray(probs, dtype=np.float64).ravel()
    near = np.asarray(neighbour_labels, dtype=np.int64).ravel()
    says = int(probs.argmax())
    if not 0 <= label < len(probs) or says == label or len(near) == 0:
        return None
    agree, with_label = int((near == says).sum()), int((near == label).sum())
    if probs[says] < DOUBT_CONFIDENCE or agree < DOUBT_AGREEMENT * len(near) or with_label > agree // 4:
        return None
    return LabelDoubt(int(label), says, float(probs[says]), float(probs[label]), agree, with_label, len(near))

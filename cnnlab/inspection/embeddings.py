"""The learned embedding: penultimate-layer activations projected to 2-D (PCA or t-SNE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.inspection.forward import (
    BATCH,
    PASS_THROUGH,
    InspectionError,
    LayerInfo,
    as_batch,
    cached,
    compile_fn,
    run_layers,
    structure_of,
)
from cnnlab.metrics import pca_2d


@dataclass
class Embedding:
    """2-D coordinates of the first `len(coords)` images' penultimate-layer activations."""

    coords: np.ndarray  # (n, 2)
    layer: str  # the layer whose output was projected
    method: str  # "pca" | "tsne"
    probabilities: np.ndarray  # (n, K) the model's predictions for the same images
    dimensions: int  # size of the projected activation vector


def penultimate_layer(model: Any) -> LayerInfo:
    """The layer feeding the classifier head (looking through Dropout), whose output is the learned embedding."""
    structure = structure_of(model)
    index = structure.output_index
    infos = structure.layers
    feeders = structure.producers.get(index, [])
    while feeders:
        info = infos[feeders[0]]
        if info.type not in PASS_THROUGH:
            return info
        feeders = structure.producers.get(info.index, [])
    raise InspectionError("engine.inspect.no_penultimate")


def tsne_2d(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """t-SNE (scikit-learn) to 2-D; PCA initialisation, perplexity capped for small sets."""
    try:
        from sklearn.manifold import TSNE
    except ImportError as exc:
        raise InspectionError("engine.inspect.tsne_sklearn") from exc
    n = len(features)
    if n < 5:
        raise InspectionError("engine.inspect.tsne_few", count=n)
    tsne = TSNE(n_components=2, init="pca", random_state=seed, perplexity=float(min(30.0, (n - 1) / 3)))
    return tsne.fit_transform(np.asarray(features, dtype=np.float32)).astype(np.float32)


def embeddings(model: Any, x: Any, method: str = "pca", max_points: int = 3000, seed: int = 0) -> Embedding:
    """Penultimate-layer activations of the first `max_points` images of `x` projected to 2-D.

    The test split is already shuffled, so its first images are a fair sample; `coords[i]` belongs to `x[i]`.
    """
    if method not in ("pca", "tsne"):
        raise InspectionError("engine.inspect.method", value=repr(method))
    batch = as_batch(np.asarray(x)[:max_points], model)
    if len(batch) < 3:
        raise InspectionError("engine.inspect.embedding_few", count=len(batch))
    info = penultimate_layer(model)
    structure = structure_of(model)

    def build():
        def fn(x):
            final, outs, _ = run_layers(model, x, taps=[info.index])
            return [outs[info.index], final]

        return compile_fn(fn, model, [(None, *structure.input_shape)])

    call = cached(model, ("embedding", info.index), build)
    feats, probs = [], []
    for i in range(0, len(batch), BATCH):
        f, p = call(batch[i : i + BATCH])
        feats.append(f.reshape(len(f), -1))
        probs.append(p)
    features = np.concatenate(feats)
    coords = pca_2d(features) if method == "pca" else tsne_2d(features, seed)
    return Embedding(coords, info.name, method, np.concatenate(probs), int(features.shape[1]))

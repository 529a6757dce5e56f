"""Predicting on the user's own images: any upload made to fit the model's input, and the top classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnlab.data.images import decode_upload
from cnnlab.data.preprocess import on_paper, photo_steps, preprocess_steps
from cnnlab.train.drawings import TeachError, is_digit_model


def image_for_model(source: Any, input_shape: Sequence[int], *, name: str | None = None) -> np.ndarray:
    """An untrusted image (bytes, path or binary file) as the model's input: float32 (H, W, C) in [0, 1].

    28x28x1 models: decoded as grayscale, then MNIST's steps (a photo of dark ink on paper is inverted and
    centred like a drawing). Other models: resized to (W, H) in the model's colour mode.
    Raises images.ImageError for a file that cannot be used, preprocess.NothingToRecognise for a blank image.
    """
    h, w, c = (int(d) for d in input_shape)
    if is_digit_model(input_shape):
        gray = decode_upload(source, mode="L", name=name)[..., 0]
        # light paper (a photo or a scan): even out its light first; a dark background is a drawing or MNIST-like
        steps = photo_steps(gray) if on_paper(gray) else preprocess_steps(gray)
        return steps.centred[..., None]
    if c not in (1, 3):
        raise TeachError("engine.teach.channels", channels=c)
    pixels = decode_upload(source, mode="L" if c == 1 else "RGB", size=(w, h), name=name)
    return pixels.astype(np.float32) / 255.0


def top_k(probabilities: Sequence[float], class_names: Sequence[str], k: int = 3) -> list[tuple[int, str, float]]:
    """The k most probable classes as (index, name, probability), most probable first."""
    probs = np.asarray(probabilities, dtype=np.float64)
    order = np.argsort(-probs, kind="stable")[:k]
    return [(int(i), class_name(class_names, int(i)), float(probs[i])) for i in order]


def class_name(class_names: Sequence[str], index: int) -> str:
    return str(class_names[index]) if 0 <= index < len(class_names) else str(index)


def class_names_for(dataset: str, num_classes: int) -> list[str]:
    """The class names of a run's dataset, or "0".."K-1" when the dataset is gone or does not match."""
    from cnnlab.data import datasets as data

    try:
        names = list(data.dataset_info(dataset).class_names)
    except KeyError:
        names = []
    return names if len(names) == num_classes else [str(i) for i in range(num_classes)]


def best_for_drawings(runs: Sequence[Any]) -> Any | None:
    """The run Predict uses when the visitor picked none: among digit models, the most accurate on drawn digits
    (then on test digits, then the newest); None when there are no runs. Any model when none takes digits."""
    if not runs:
        return None
    digits = [r for r in runs if is_digit_model((r.arch or {}).get("input_shape", ()))] or list(runs)

    def score(run: Any) -> tuple[float, float, float]:
        fm = run.final_metrics or {}
        return (fm.get("drawn_accuracy") or -1.0, fm.get("test_accuracy") or -1.0, run.created or 0.0)

    return max(digits, key=score)


"""Data augmentation: the Keras preprocessing layers training uses, and a preview of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.errors import CnnLabError


class AugmentationError(CnnLabError, ValueError):
    """An augmentation setting out of range."""


@dataclass
class Augmentation:
    """Random changes per training image; each value is a fraction (0 turns that change off)."""

    translation: float = 0.0
    rotation: float = 0.0
    zoom: float = 0.0
    flip: bool = False
    stroke: float = 0.0  # share of images drawn with a thicker or thinner pen
    elastic: float = 0.0  # scale of the elastic distortion

    @property
    def enabled(self) -> bool:
        return bool(self.translation or self.rotation or self.zoom or self.flip or self.stroke or self.elastic)

    def validate(self) -> None:
        for name in ("translation", "rotation", "zoom", "stroke", "elastic"):
            value = getattr(self, name)
            if not 0 <= value <= 0.5:
                raise AugmentationError("engine.data.augmentation_range", name=name, value=value)


def augmentation_layers(aug: Augmentation, seed: int | None = None) -> list:
    """Keras layers for `aug`; empty space is filled with black, like the digits' background."""
    import keras

    aug.validate()
    layers = []
    if aug.translation:
        layers.append(keras.layers.RandomTranslation(aug.translation, aug.translation, fill_mode="constant", seed=seed))
    if aug.rotation:
        layers.append(keras.layers.RandomRotation(aug.rotation, fill_mode="constant", seed=seed))
    if aug.zoom:
        layers.append(keras.layers.RandomZoom(aug.zoom, fill_mode="constant", seed=seed))
    if aug.flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if aug.stroke or aug.elastic:
        from cnnlab.data.strokes import ElasticDistortion, RandomStroke

        if aug.stroke:
            layers.append(RandomStroke(aug.stroke, seed=seed))
        if aug.elastic:
            layers.append(ElasticDistortion(aug.elastic, seed=seed))
    return layers


def preview(images: np.ndarray, aug: Augmentation, variants: int = 6, seed: int = 0) -> np.ndarray:
    """`variants` augmented copies of each uint8 image: an array (N, variants, H, W, C) of uint8."""
    import keras

    layers = augmentation_layers(aug, seed=seed)
    x = np.asarray(images, np.float32) / 255.0
    out = []
    for _ in range(variants):
        y = x
        for layer in layers:
            y = layer(y, training=True)
        out.append(np.clip(keras.ops.convert_to_numpy(y) * 255.0, 0, 255).astype(np.uint8))
    return np.stack(out, axis=1)

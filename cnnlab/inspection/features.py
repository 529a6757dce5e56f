"""What each layer computes and has learnt: feature maps for one image, filters, their per-epoch snapshots
and weight histograms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.inspection.forward import (
    CONV_TYPES,
    PASS_THROUGH,
    InspectionError,
    cached,
    compile_fn,
    is_nested,
    one_image,
    run_layers,
    structure_of,
)


@dataclass
class LayerMaps:
    """One layer's output for one image: (H, W, C) for feature maps, (units,) for flat layers."""

    name: str
    type: str
    shape: tuple[int, ...]
    array: np.ndarray
    parent: str | None = None

    @property
    def channels(self) -> int:
        return int(self.shape[-1])

    @property
    def spatial(self) -> bool:
        return len(self.shape) == 3


class FeatureMapper:
    """Every chosen layer's output for one image from ONE compiled forward pass.

    kinds="spatial" (default): every layer with an (H, W, C) output — convolutions, pooling, activations, batch
    normalisation, residual additions, nested bases and their inner layers — except pass-through layers (Dropout).
    kinds="all": every layer, flat ones (Flatten, Dense, the head) included.
    """

    def __init__(self, model: Any, kinds: str = "spatial") -> None:
        if kinds not in ("spatial", "all"):
            raise InspectionError("engine.inspect.kinds", value=repr(kinds))
        self.model = model
        structure = structure_of(model)
        self.layers = [
            info for info in structure.layers if kinds == "all" or (info.spatial and info.type not in PASS_THROUGH)
        ]
        taps = [info.index for info in self.layers]

        def fn(x):
            _, outs, _ = run_layers(model, x, taps=taps)
            return [outs[i] for i in taps]

        self._call = compile_fn(fn, model, [(None, *structure.input_shape)]) if taps else None

    def __call__(self, x: Any) -> list[LayerMaps]:
        batch = one_image(x, self.model)
        if self._call is None:
            return []
        arrays = self._call(batch)
        pairs = zip(self.layers, arrays, strict=True)
        return [LayerMaps(i.name, i.type, i.output_shape, a[0], i.parent) for i, a in pairs]


def feature_mapper(model: Any, kinds: str = "spatial") -> FeatureMapper:
    """The cached `FeatureMapper` of `model`."""
    return cached(model, ("features", kinds), lambda: FeatureMapper(model, kinds))


def feature_maps(model: Any, x: Any, kinds: str = "spatial") -> list[LayerMaps]:
    """Intermediate outputs for one image, in execution order (see `FeatureMapper`)."""
    return feature_mapper(model, kinds)(x)


def _leaf_layers(model: Any, parent: str | None = None):
    for layer in model.layers:
        if is_nested(layer):
            yield from _leaf_layers(layer, layer.name)
        else:
            yield layer, parent


def layer_kernel(layer: Any) -> np.ndarray | None:
    kernel = getattr(layer, "kernel", None) if type(layer).__name__ in CONV_TYPES else None
    if kernel is None:
        return None
    import keras

    value = np.asarray(keras.ops.convert_to_numpy(kernel), dtype=np.float32)
    return value if value.ndim == 4 else None


def _scale_symmetric(k: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """0 -> 0.5 (grey), the largest |weight| -> 0 or 1, so the sign and relative size stay visible."""
    peak = np.abs(k).max(axis=axes, keepdims=True)
    return (0.5 + 0.5 * k / np.where(peak > 0, peak, 1)).astype(np.float32)


@dataclass
class LayerFilters:
    """A convolution layer's kernel (kh, kw, Cin, F) and bias, with renderings for display."""

    name: str
    type: str
    parent: str | None
    kernel: np.ndarray
    bias: np.ndarray | None
    first: bool  # the first real convolution (what the per-epoch snapshots track)

    @property
    def rgb(self) -> bool:
        """First-layer kernels over a colour image are shown as colour patches."""
        return self.first and self.type == "Conv2D" and self.kernel.shape[2] == 3

    def images(self) -> np.ndarray:
        """(F, kh, kw, 3) colour patches when `rgb`, otherwise (F, Cin, kh, kw) per-channel patches, in [0, 1],
        each filter scaled on its own so zero weights are mid-grey."""
        if self.rgb:
            return np.transpose(_scale_symmetric(self.kernel, (0, 1, 2)), (3, 0, 1, 2))
        return np.transpose(_scale_symmetric(self.kernel, (0, 1, 2)), (3, 2, 0, 1))


def _is_first_candidate(layer: Any, kernel: np.ndarray) -> bool:
    # skip the frozen 1x1 "adapter" convolution that maps pixels onto a pretrained base's scale
    return bool(layer.trainable) or kernel.shape[0] * kernel.shape[1] > 1


def filters(model: Any) -> list[LayerFilters]:
    """Every Conv2D / DepthwiseConv2D kernel, nested bases included, in layer order."""
    import keras

    found: list[LayerFilters] = []
    first_seen = False
    for layer, parent in _leaf_layers(model):
        kernel = layer_kernel(layer)
        if kernel is None:
            continue
        bias = getattr(layer, "bias", None)
        bias_np = np.asarray(keras.ops.convert_to_numpy(bias), dtype=np.float32) if bias is not None else None
        first = not first_seen and _is_first_candidate(layer, kernel)
        first_seen = first_seen or first
        found.append(LayerFilters(layer.name, type(layer).__name__, parent, kernel, bias_np, first))
    return found


def filter_snapshot(model: Any) -> np.ndarray | None:
    """The first convolution's kernel (kh, kw, Cin, F) as float16 — small enough to keep one per epoch.

    None when the model has no convolution (an MLP). Feed a list of these to `snapshot_images`.
    """
    for layer, _ in _leaf_layers(model):
        kernel = layer_kernel(layer)
        if kernel is not None and _is_first_candidate(layer, kernel):
            return kernel.astype(np.float16)
    return None


def snapshot_images(snapshots: Sequence[np.ndarray]) -> np.ndarray:
    """Per-epoch first-layer kernels as images on ONE common scale, so growth across epochs stays visible.

    Returns (E, F, kh, kw, 3) for 3-channel kernels, else (E, F, Cin, kh, kw), values in [0, 1].
    """
    if not snapshots:
        raise InspectionError("engine.inspect.no_snapshots")
    kernels = [np.asarray(s, dtype=np.float32) for s in snapshots]
    if len({k.shape for k in kernels}) != 1 or kernels[0].ndim != 4:  # checked before np.stack refuses them
        raise InspectionError("engine.inspect.snapshot_shapes")
    stack = np.stack(kernels)  # (E, kh, kw, Cin, F)
    scaled = _scale_symmetric(stack, (0, 1, 2, 3, 4))
    if stack.shape[3] == 3:
        return np.transpose(scaled, (0, 4, 1, 2, 3))
    return np.transpose(scaled, (0, 4, 3, 1, 2))


def snapshot_change(snapshots: Sequence[np.ndarray]) -> np.ndarray:
    """How far the first-layer kernels moved from epoch 1: ||K_e - K_1|| / ||K_1|| per epoch."""
    stack = np.stack([np.asarray(s, dtype=np.float32) for s in snapshots])
    base = float(np.linalg.norm(stack[0])) or 1.0
    return np.array([float(np.linalg.norm(s - stack[0])) / base for s in stack], dtype=np.float32)


@dataclass
class WeightHistogram:
    """The distribution of one weight variable (kernel, bias, gamma, ...) of one layer."""

    layer: str
    variable: str
    parent: str | None
    trainable: bool
    counts: np.ndarray
    edges: np.ndarray
    mean: float
    std: float
    size: int


def weight_histograms(model: Any, bins: int = 40) -> list[WeightHistogram]:
    """One histogram per weight variable of every layer (nested bases included)."""
    import keras

    out: list[WeightHistogram] = []
    for layer, parent in _leaf_layers(model):
        for var in layer.weights:
            values = np.asarray(keras.ops.convert_to_numpy(var), dtype=np.float64).ravel()
            if values.size == 0:
                continue
            counts, edges = np.histogram(values, bins=bins)
            trainable = bool(getattr(var, "trainable", False)) and bool(layer.trainable)
            out.append(
                WeightHistogram(
                    layer.name,
                    var.name,
                    parent,
                    trainable,
                    counts,
                    edges,
                    float(values.mean()),
                    float(values.std()),
                    int(values.size),
                )
            )
    return out


def load_snapshots(paths: Sequence[Any]) -> tuple[list[np.ndarray], list[int], str | None]:
    """The trainer's per-epoch first-layer kernel files (`kernels` artifacts: .npz with kernel, bias, layer).

    Returns (kernels, kept, layer): the kernels in the order given, the positions in `paths` they came from (files
    that are unreadable or hold another shape are skipped), and the layer name.
    """
    kernels: list[np.ndarray] = []
    kept: list[int] = []
    layer: str | None = None
    for i, path in enumerate(paths):
        try:
            with np.load(path, allow_pickle=False) as f:
                kernel = np.asarray(f["kernel"], dtype=np.float32)
                name = str(f["layer"]) if "layer" in f.files else None
        except (OSError, KeyError, ValueError):
            continue
        if kernel.ndim != 4 or (kernels and kernel.shape != kernels[0].shape):
            continue
        kernels.append(kernel)
        kept.append(i)
        layer = layer or name
    return kernels, kept, layer

"""What a filter wants to see: activation maximisation per channel, and the test images that excite each channel most.

Activation maximisation (Erhan et al. 2009; the regularised form of Yosinski et al. 2015) starts from seeded noise
and climbs the gradient of one channel's mean activation with respect to the pixels. Every channel asked for runs in
the same batch (one compiled gradient call per step, each image scored on its own channel). Two regularisers keep
the picture readable instead of high-frequency noise: the image is shifted by a random jitter of a pixel or two
before each step (and the gradient shifted back), and blurred with a small Gaussian every few steps. Pixels stay in
[0, 1]. The same seed and settings give the same pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.inspection.forward import (
    BATCH,
    PASS_THROUGH,
    LayerInfo,
    as_batch,
    cached,
    compile_fn,
    compile_gradient,
    find_layer,
    layer_object,
    run_layers,
    structure_of,
)
from cnnlab.inspection.perturb import MAX_SEED, ProbeError, word

MAX_CHANNELS = 512
MAX_STEPS = 2000


@dataclass(frozen=True)
class AscentSettings:
    steps: int = 96
    step_size: float = 0.04  # the largest pixel change per step
    jitter: int = 2  # random shift in pixels, each way, before each step
    blur_every: int = 4  # blur after every n-th step (0: never)
    blur_sigma: float = 0.6
    start: float = 0.5  # the noise's mean grey level
    spread: float = 0.1  # the noise's standard deviation
    seed: int = 0

    def check(self) -> None:
        if not 1 <= self.steps <= MAX_STEPS or not 0 < self.step_size <= 1 or self.jitter < 0 or self.blur_every < 0:
            raise ProbeError("engine.probe.ascent", steps=self.steps, step_size=self.step_size, jitter=self.jitter)
        if not isinstance(self.seed, (int, np.integer)) or not 0 <= self.seed <= MAX_SEED:
            raise ProbeError("engine.probe.range", setting=word("seed"), low=0, high=MAX_SEED, value=repr(self.seed))


@dataclass
class FilterPictures:
    """Inputs that excite each channel of one layer, and how strongly, against the noise they started from."""

    layer: str
    channels: list[int]
    images: np.ndarray  # (n, H, W, C) in [0, 1], images[i] for channels[i]
    activation: np.ndarray  # (n,) the channel's mean activation for its picture
    noise_activation: np.ndarray  # (n,) the same for the starting noise
    settings: AscentSettings


def _channel_layer(model: Any, layer_name: str) -> LayerInfo:
    info = find_layer(model, layer_name)
    if info.type in PASS_THROUGH or len(info.output_shape) not in (1, 3):
        raise ProbeError("engine.probe.not_channels", name=repr(layer_name), shape=str(info.output_shape))
    return info


def _channels(info: LayerInfo, channels: Any) -> list[int]:
    count = int(info.output_shape[-1])
    chosen = list(range(min(count, 64))) if channels is None else [int(c) for c in channels]
    if not chosen or len(chosen) > MAX_CHANNELS:
        raise ProbeError("engine.probe.channel_count", count=len(chosen), limit=MAX_CHANNELS)
    for c in chosen:
        if not 0 <= c < count:
            raise ProbeError("engine.probe.channel", channel=c, name=repr(info.name), count=count)
    return chosen


def _mean_activation(act: Any, spatial: bool) -> Any:
    import keras

    return keras.ops.mean(act, axis=(1, 2)) if spatial else act


def _pre_activation(layer: Any, x: Any) -> Any | None:
    """The layer's output before its own fused activation (Conv2D, DepthwiseConv2D, Dense), or None.

    Climbing the pre-activation lets a channel that a ReLU keeps at zero for the starting noise (zero gradient)
    still move; for a softmax head it climbs the class score instead of a saturating probability.
    """
    import keras

    act = getattr(getattr(layer, "activation", None), "__name__", "linear")
    kind = type(layer).__name__
    if act == "linear" or kind not in ("Conv2D", "DepthwiseConv2D", "Dense"):
        return None
    if kind == "Dense":
        out = keras.ops.matmul(x, layer.kernel)
    elif kind == "Conv2D":
        out = layer.convolution_op(x, layer.kernel)
    else:
        out = keras.ops.depthwise_conv(
            x, layer.kernel, strides=layer.strides, padding=layer.padding, dilation_rate=layer.dilation_rate
        )
    return keras.ops.add(out, layer.bias) if getattr(layer, "use_bias", False) else out


def _ascent_fn(model: Any, info: LayerInfo):
    """Compiled (x, mask (n, channels)) -> ([per-image channel means], d sum(score * mask) / dx), where the score is
    the channel's mean pre-activation when the layer has a fused one, else its mean activation."""
    structure = structure_of(model)
    spatial = len(info.output_shape) == 3
    layer = layer_object(model, info)

    def build():
        def fn(x, mask):
            import keras

            _, outs, ins = run_layers(model, x, taps=[info.index], tap_inputs=[info.index])
            means = _mean_activation(outs[info.index], spatial)
            pre = _pre_activation(layer, ins[info.index])
            score = means if pre is None else _mean_activation(pre, spatial)
            return keras.ops.sum(score * mask), [means]

        return compile_gradient(fn, model, [(None, *structure.input_shape), (None, int(info.output_shape[-1]))])

    return cached(model, ("ascent", info.index), build)


def _blur(batch: np.ndarray, sigma: float) -> np.ndarray:
    """A separable Gaussian blur over H and W (edges repeated)."""
    radius = max(1, int(np.ceil(2 * sigma)))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel = (kernel / kernel.sum()).astype(np.float32)
    h, w = batch.shape[1:3]
    padded = np.pad(batch, ((0, 0), (radius, radius), (0, 0), (0, 0)), mode="edge")
    out = sum(k * padded[:, i : i + h] for i, k in enumerate(kernel))
    padded = np.pad(out, ((0, 0), (0, 0), (radius, radius), (0, 0)), mode="edge")
    return sum(k * padded[:, :, i : i + w] for i, k in enumerate(kernel)).astype(np.float32)


def _ascend(call, x: np.ndarray, mask: np.ndarray, s: AscentSettings, rng: np.random.Generator) -> np.ndarray:
    for step in range(s.steps):
        dy, dx = (rng.integers(-s.jitter, s.jitter + 1, size=2) if s.jitter else (0, 0))
        shifted = np.roll(x, (int(dy), int(dx)), axis=(1, 2))
        _, grad = call(shifted, mask)
        grad = np.roll(grad, (-int(dy), -int(dx)), axis=(1, 2))
        peak = np.abs(grad).max(axis=(1, 2, 3), keepdims=True)
        x = np.clip(x + s.step_size * grad / np.where(peak > 0, peak, 1.0), 0.0, 1.0)
        if s.blur_every and (step + 1) % s.blur_every == 0:
            x = _blur(x, s.blur_sigma)
    return x


def maximise_activation(
    model: Any, layer_name: str, channels: Any = None, settings: AscentSettings = AscentSettings()
) -> FilterPictures:
    """One picture per channel of `layer_name` (the first 64 by default) that makes that channel's mean activation
    large; for a flat layer (Dense) each unit is a channel."""
    settings.check()
    info = _channel_layer(model, layer_name)
    chosen = _channels(info, channels)
    shape = structure_of(model).input_shape
    rng = np.random.default_rng(settings.seed)
    noise = np.clip(rng.normal(settings.start, settings.spread, (len(chosen), *shape)), 0, 1).astype(np.float32)
    mask = np.zeros((len(chosen), int(info.output_shape[-1])), np.float32)
    mask[np.arange(len(chosen)), chosen] = 1.0
    call = _ascent_fn(model, info)
    images = _ascend(call, noise, mask, settings, rng)
    (before,), _ = call(noise, mask)
    (after,), _ = call(images, mask)
    rows = np.arange(len(chosen))
    return FilterPictures(info.name, chosen, images, after[rows, chosen], before[rows, chosen], settings)


@dataclass
class TopImages:
    """For each channel, the test images with the highest mean activation, strongest first."""

    layer: str
    channels: list[int]
    indices: np.ndarray  # (n_channels, k) into the images given
    activation: np.ndarray  # (n_channels, k)


def channel_means(model: Any, layer_name: str, images: Any) -> np.ndarray:
    """(N, channels) mean activation of every channel of `layer_name` for each image (batched, compiled)."""
    info = _channel_layer(model, layer_name)
    structure = structure_of(model)
    spatial = len(info.output_shape) == 3

    def build():
        def fn(x):
            _, outs, _ = run_layers(model, x, taps=[info.index])
            return [_mean_activation(outs[info.index], spatial)]

        return compile_fn(fn, model, [(None, *structure.input_shape)])

    call = cached(model, ("channel_means", info.index), build)
    batch = as_batch(images, model)
    return np.concatenate([call(batch[i : i + BATCH])[0] for i in range(0, len(batch), BATCH)])


def top_activating(model: Any, layer_name: str, images: Any, k: int = 9, channels: Any = None) -> TopImages:
    """The `k` images (of e.g. the test split) that activate each channel most."""
    info = _channel_layer(model, layer_name)
    chosen = _channels(info, channels)
    if len(images) == 0:
        raise ProbeError("engine.probe.no_images")
    means = channel_means(model, layer_name, images)[:, chosen]  # (N, n)
    k = max(1, min(int(k), len(means)))
    order = np.argsort(-means, axis=0, kind="stable")[:k].T  # (n, k)
    return TopImages(info.name, chosen, order, np.take_along_axis(means.T, order, axis=1))

"""Stroke-aware augmentation: the pen changes people's drawings have and MNIST's digits lack.

People draw with a thicker or thinner pen than MNIST's writers, and their strokes bend differently. Two Keras
layers change training digits that way, on the fly in the input pipeline (any backend): `RandomStroke` thickens
or thins each image's strokes (grey-scale dilation with a 3x3 window, erosion with a 2x2 one), and
`ElasticDistortion` bends them (Simard et al. 2003; Keras' RandomElasticTransform does not run under jax.jit).
"""

from __future__ import annotations

import keras
from keras import ops


class RandomStroke(keras.layers.Layer):
    """Thicken (dilate) or thin (erode) the strokes of a fraction `rate` of the images, half each way."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training: bool = True):
        if not training or not self.rate:
            return images
        dilated = ops.max_pool(images, 3, strides=1, padding="same")
        eroded = -ops.max_pool(-images, 2, strides=1, padding="same")  # 2x2: a 3x3 erosion wipes out thin digits
        draw = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), seed=self.seed_generator)
        thicker = ops.cast(draw < self.rate / 2, images.dtype)
        thinner = ops.cast(draw > 1 - self.rate / 2, images.dtype)
        return images + thicker * (dilated - images) + thinner * (eroded - images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class ElasticDistortion(keras.layers.Layer):
    """Bend every image's strokes by a smooth random displacement field (Simard et al. 2003): uniform noise per
    pixel, blurred by a Gaussian of sigma 4 px (at 28x28), scaled by `alpha` = 170 x `strength` px (0.2 gives
    Simard's alpha of 34), and sampled bilinearly; empty space is black. Pure keras.ops: it runs in tf.data and
    under jax.jit alike."""

    def __init__(self, strength: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.strength = float(strength)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _kernel(self, height: int):
        import numpy as np

        sigma = 4.0 * height / 28
        radius = int(2 * sigma)
        g = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        k2 = np.outer(g, g) / np.outer(g, g).sum()
        return np.repeat(k2[:, :, None, None], 2, axis=2).astype("float32")  # depthwise over (dy, dx)

    def call(self, images, training: bool = True):
        if not training or not self.strength:
            return images
        shape = ops.shape(images)
        batch, height, width = shape[0], images.shape[1], images.shape[2]
        noise = keras.random.uniform((batch, height, width, 2), -1.0, 1.0, seed=self.seed_generator)
        field = ops.depthwise_conv(noise, self._kernel(height), strides=1, padding="same")
        field = field * (170.0 * self.strength * height / 28)
        y = ops.reshape(ops.arange(height, dtype="float32"), (1, height, 1, 1)) + field[..., 0:1]
        x = ops.reshape(ops.arange(width, dtype="float32"), (1, 1, width, 1)) + field[..., 1:2]
        return _bilinear(images, y, x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "strength": self.strength, "seed": self.seed}


def _bilinear(images, y, x):
    """images (B, H, W, C) sampled at the float positions y, x (B, H, W, 1), black outside; by hand with a flat
    gather, because TensorFlow's map_coordinates needs a known batch size and tf.data batches have none."""
    shape = ops.shape(images)
    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    flat = ops.reshape(images, (-1,))
    base = ops.reshape(ops.arange(shape[0], dtype="int32") * (height * width * channels), (-1, 1, 1, 1))
    lanes = ops.reshape(ops.arange(channels, dtype="int32"), (1, 1, 1, channels))
    y0, x0 = ops.floor(y), ops.floor(x)
    out = 0.0
    for dy in (0.0, 1.0):
        for dx in (0.0, 1.0):
            yy, xx = y0 + dy, x0 + dx
            weight = (1.0 - ops.abs(y - yy)) * (1.0 - ops.abs(x - xx))
            inside = (yy >= 0) & (yy <= height - 1) & (xx >= 0) & (xx <= width - 1)
            yi = ops.cast(ops.clip(yy, 0, height - 1), "int32")
            xi = ops.cast(ops.clip(xx, 0, width - 1), "int32")
            index = base + (yi * width + xi) * channels + lanes
            out = out + ops.take(flat, index) * weight * ops.cast(inside, images.dtype)
    return out

"""The training input: a tf.data pipeline on TensorFlow, `ArrayBatches` (a keras.utils.PyDataset) elsewhere.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import keras
import numpy as np

from cnnlab.train.devices import even_shard_count, keras_backend

if TYPE_CHECKING:  # pragma: no cover
    from cnnlab.train.config import TrainConfig
    from cnnlab.train.trainer import Trainer


def augmenter(cfg: TrainConfig) -> list:
    """Keras preprocessing layers, applied in the input pipeline (so the saved model stays clean).

    They compute in float32 even under mixed precision: the model casts its input itself, and resampling
    images in float16 would only lose detail."""
    import keras

    from cnnlab.data.augmentation import Augmentation, augmentation_layers

    aug = Augmentation(**dict(cfg.augmentation or {}))
    if not aug.enabled:
        return []
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        return augmentation_layers(aug, seed=cfg.seed)
    finally:
        keras.config.set_dtype_policy(policy)


def training_input(trainer: Trainer, initial_epoch: int = 0):
    """The training input: a tf.data pipeline over indices into the images kept in memory as uint8.

    indices -> cache -> shuffle (every epoch) -> batch -> gather the batch's images and labels ->
    scale to [0, 1] (+ one-hot for label smoothing) -> augment -> prefetch. As fast here as a pipeline over
    a float32 copy (see DEFAULT_RECIPE_NOTES), with a quarter of its memory. The augmentation runs one batch at
    a time: its layers keep their random state in a variable, which parallel calls would advance in a different
    order on every run; in order, the same seed gives the same run (and the exported script repeats it).

    Other backends (JAX, where TensorFlow may not even be installed) get the same work done by
    ArrayBatches, a keras.utils.PyDataset (below).
    """
    if keras_backend() != "tensorflow":
        return ArrayBatches(trainer, initial_epoch)
    import tensorflow as tf

    cfg = trainer.cfg
    aug = augmenter(cfg)
    one_hot = cfg.label_smoothing > 0
    k = trainer.num_classes
    images = tf.constant(trainer.x_train)
    labels = tf.constant(trainer.y_train)

    def gather(idx):
        x = tf.cast(tf.gather(images, idx), tf.float32) / 255.0
        y = tf.gather(labels, idx)
        if one_hot:
            y = tf.one_hot(y, k)
        return x, y

    def augment(x, y):
        for layer in aug:
            x = layer(x, training=True)
        return x, y

    n = len(trainer.y_train)
    train = (
        tf.data.Dataset.range(n)
        .cache()
        .shuffle(n, seed=cfg.seed + initial_epoch, reshuffle_each_iteration=True)
        .batch(cfg.batch_size)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    )
    if aug:  # one batch at a time: the layers' seed state then advances in batch order, so runs repeat exactly
        train = train.map(augment)
    train = train.prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return train.with_options(options)


class ArrayBatches(keras.utils.PyDataset):
    """What the tf.data pipeline does, batch by batch, for backends without tf.data (JAX; no TensorFlow).

    Each epoch's order is a permutation seeded by (seed, epoch), so a resumed run shuffles like one that
    never stopped; the engine callback says which epoch starts (`start_epoch`). A batch's uint8 images are
    gathered on the host and go to the device as uint8 (a quarter of float32); scaling to [0, 1] and the
    same Keras augmentation layers run there in one compiled function (jax.jit on JAX) that threads the
    layers' seed state through, so augmentation is reproducible too. One worker (Keras' default) calls
    `__getitem__` in order, which that state needs; on a GPU, Keras' JAX loop asks for each batch one step
    ahead, so its gather, transfer and augmentation are queued before the previous step runs.
    """

    def __init__(self, trainer: Trainer, initial_epoch: int = 0) -> None:
        super().__init__()
        self.images, self.labels = trainer.x_train, np.asarray(trainer.y_train, np.int64)
        self.batch_size = trainer.cfg.batch_size
        replicas = getattr(getattr(trainer, "strategy", None), "num_replicas_in_sync", 1)
        self.count = even_shard_count(len(self.labels), self.batch_size, replicas)
        self.seed = trainer.cfg.seed
        smooth = trainer.cfg.label_smoothing > 0  # the categorical loss wants one-hot labels
        self.one_hot = np.eye(trainer.num_classes, dtype=np.float32) if smooth else None
        self.start_epoch(initial_epoch)
        self._layers = augmenter(trainer.cfg)
        for layer in self._layers:
            layer.build((None, *self.images.shape[1:]))
        self._state_vars = [v for layer in self._layers for v in layer.variables]  # the seed generators
        self._state = [v.value for v in self._state_vars]
        self._prepare = self._compile()

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)

    def start_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self._order = np.random.default_rng([self.seed, epoch]).permutation(len(self.labels))[: self.count]

    def __getitem__(self, index: int):
        idx = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        x, self._state = self._prepare(self._state, self.images[idx])
        y = self.labels[idx]
        return x, (self.one_hot[y] if self.one_hot is not None else y)

    def _compile(self):
        layers, state_vars = self._layers, self._state_vars

        def prepare(state: list, images):
            with keras.StatelessScope(state_mapping=list(zip(state_vars, state, strict=True))) as scope:
                x = keras.ops.cast(images, "float32") / 255.0
                for layer in layers:
                    x = layer(x, training=True)
                new = [scope.get_current_value(v) for v in state_vars]
            return x, [n if n is not None else s for n, s in zip(new, state, strict=True)]

        if keras.backend.backend() == "jax":
            import jax

            return jax.jit(prepare)
        return prepare

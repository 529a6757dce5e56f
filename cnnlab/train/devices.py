"""Which Keras backend runs here, and the devices and distribution strategy a run trains on.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys


def keras_backend() -> str:
    """The Keras backend of this process, without importing Keras when it is not loaded yet (configure_devices
    runs before the backend's framework starts; cnnlab/__init__ defaults KERAS_BACKEND to tensorflow)."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return str(keras.backend.backend())
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def tensorflow_available() -> bool:
    """Whether TensorFlow can be imported here, without importing it (the JAX GPU machine has none)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"] is not None
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


class PlainStrategy:
    """make_strategy's answer off TensorFlow, where Keras distributes by itself (JAX) or nothing is distributed:
    the two members of a tf.distribute.Strategy that Trainer uses."""

    def __init__(self, replicas: int = 1) -> None:
        self.num_replicas_in_sync = replicas

    def scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()


def configure_compilation_cache() -> None:
    """JAX: keep compiled XLA programs in the data home's cache (unless JAX_COMPILATION_CACHE_DIR says where), so
    the next worker training the same network skips compiling it again (seconds per program on a CPU).

    Call before JAX is imported: it reads the setting from the environment when it starts."""
    if keras_backend() == "jax" and "jax" not in sys.modules:
        from cnnlab.paths import subdir

        os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(subdir("cache") / "jax"))


def use_device(device: str) -> None:
    """Before the backend starts: "cpu" hides every GPU from this run. (Where the framework is loaded already, a
    warm standby, TensorFlow is told directly.)"""
    if device != "cpu":
        return
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["JAX_PLATFORMS"] = "cpu"
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        with contextlib.suppress(RuntimeError, ValueError):  # (already initialised: it keeps what it has)
            tf.config.set_visible_devices([], "GPU")


def gpu_count() -> int:
    """GPUs the backend of this process sees (imports it)."""
    if keras_backend() == "jax":
        import jax

        return sum(1 for d in jax.devices() if d.platform == "gpu")
    if keras_backend() == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    return 0


def configure_devices(strategy: str) -> None:
    """Before the backend starts: split the CPU into logical devices when mirroring without GPUs.

    CNNLAB_LOGICAL_CPUS (default 2) is how many; this is how MirroredStrategy (TensorFlow) or Keras' DataParallel
    distribution (JAX) is exercised on a CPU-only box.
    """
    if strategy != "mirrored":
        return
    n = int(os.environ.get("CNNLAB_LOGICAL_CPUS", "2"))
    backend = keras_backend()
    if backend == "jax":
        if "jax" not in sys.modules:  # XLA reads the flag once, when JAX starts; GPUs, if any, still come first
            flags = os.environ.get("XLA_FLAGS", "")
            os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={n}".strip()
        return
    if backend != "tensorflow":
        return
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:  # TensorFlow already started in this process; keep what it has
        pass


def even_shard_count(n: int, batch_size: int, replicas: int) -> int:
    """How many of `n` images an epoch uses when every batch is split evenly over `replicas` devices: JAX's data
    parallelism refuses uneven shards (tf.distribute pads them), so the last partial batch drops its remainder
    (fewer than `replicas` images, different ones each epoch since the order is shuffled)."""
    return n - (n % batch_size) % max(1, replicas)


def make_strategy(name: str):
    """tf.distribute on TensorFlow; on JAX "mirrored" is Keras' DataParallel over every device (set globally,
    because the JAX trainer looks the distribution up when fit starts, outside any scope)."""
    backend = keras_backend()
    if backend != "tensorflow":
        if name == "mirrored" and backend == "jax":
            import keras

            devices = keras.distribution.list_devices()
            if len(devices) > 1:
                keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
                return PlainStrategy(len(devices))
        return PlainStrategy()
    import tensorflow as tf

    if name != "mirrored":
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=devices)

"""Photos of anything: MobileNetV2 with its ImageNet head, when its weights are on this machine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab import paths
from cnnlab.data.images import decode_upload
from cnnlab.inspection.prediction import top_k
from cnnlab.train.drawings import TeachError

PHOTO_SIZE = 224


PHOTO_WEIGHTS = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{PHOTO_SIZE}.h5"


PHOTO_CLASSES = "imagenet_class_index.json"


PHOTO_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/" + PHOTO_WEIGHTS


PHOTO_CLASSES_URL = "https://storage.googleapis.com/download.tensorflow.org/data/" + PHOTO_CLASSES


PHOTO_CLASSES_MD5 = "c2c37ea517e94d9795004a39431a14cb"


@dataclass
class PhotoStatus:
    """Whether the ImageNet photo classifier can run here, and what is missing when not."""

    available: bool
    cached: bool  # both files are in the Keras cache (no download needed)
    folder: Path  # <KERAS_HOME>/models
    missing: list[str]  # file names not in the cache

    @property
    def message(self) -> str:
        if self.cached:
            return f"MobileNetV2 ImageNet weights found in {self.folder}."
        if self.available:
            return f"MobileNetV2's ImageNet weights will be downloaded into {self.folder} on first use."
        return str(self.refusal())

    def refusal(self) -> TeachError:
        """Why photos cannot be recognised here (offline, files missing), with the files to copy and from where."""
        urls = {"folder": str(self.folder), "weights_url": PHOTO_WEIGHTS_URL, "classes_url": PHOTO_CLASSES_URL}
        if len(self.missing) == 1:
            return TeachError("engine.teach.photos_off_one", file=self.missing[0], **urls)
        first, second = self.missing  # the weights and the class names: the only two files there are
        return TeachError("engine.teach.photos_off_two", first=first, second=second, **urls)


def photo_status(online: Callable[[], bool] | None = None) -> PhotoStatus:
    """Check the Keras cache for MobileNetV2's weights and ImageNet's class names, then whether a download works.

    `online` replaces the network probe (`cnnlab.downloads.can_download`); a page passes a cached one, so the files are
    looked for on every visit (copied in → available at once) but the network is not probed every time.
    """
    from cnnlab.downloads import available_here

    folder = paths.keras_home() / "models"
    missing = [name for name in (PHOTO_WEIGHTS, PHOTO_CLASSES) if not (folder / name).is_file()]
    where = available_here(not missing, online)
    return PhotoStatus(where.available, where.cached, folder, missing)


@dataclass
class PhotoClassifier:
    """MobileNetV2 with its ImageNet head, compiled once, and the 1,000 class names (shared: calls are locked)."""

    model: Any
    class_names: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def classify(
        self, source: Any, k: int = 3, *, name: str | None = None
    ) -> tuple[np.ndarray, list[tuple[int, str, float]]]:
        """(the 224x224 RGB pixels it saw, top-k ImageNet classes as (index, name, probability)) for an image."""
        from cnnlab.inspection.forward import predictor

        pixels = decode_upload(source, mode="RGB", size=(PHOTO_SIZE, PHOTO_SIZE), name=name)
        with self.lock:
            probs = predictor(self.model).predict_one(pixels.astype(np.float32) / 127.5 - 1.0)  # MobileNetV2: [-1, 1]
        return pixels, top_k(probs, self.class_names, k)


def load_photo_classifier() -> PhotoClassifier:
    """Build MobileNetV2 from the cached weights (or download them when the network allows); TeachError if neither."""
    status = photo_status()
    if not status.available:
        raise status.refusal()
    import keras

    weights = status.folder / PHOTO_WEIGHTS
    classes = status.folder / PHOTO_CLASSES
    if not classes.is_file():
        classes = Path(keras.utils.get_file(PHOTO_CLASSES, PHOTO_CLASSES_URL, cache_subdir="models",
                                            file_hash=PHOTO_CLASSES_MD5))  # fmt: skip
    index = json.loads(classes.read_text(encoding="utf-8"))
    names = [str(index[str(i)][1]).replace("_", " ") for i in range(len(index))]
    model = keras.applications.MobileNetV2(
        input_shape=(PHOTO_SIZE, PHOTO_SIZE, 3), weights=str(weights) if weights.is_file() else "imagenet"
    )
    return PhotoClassifier(model, names)

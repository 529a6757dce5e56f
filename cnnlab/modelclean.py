"""The child's side of screening a model file: check it, then write a clean copy of it.

Run only inside a capped child (`cnnlab.untrusted`, task "model"). HDF5 is a format whose parser a crafted file
can drive into an endless loop while it holds the GIL, so the server never opens an uploaded `.h5` or a `.keras`'
weights itself. Here the declared architecture is checked (`check_model_bytes`: budgets, no code), then every group,
dataset and attribute is copied into a new file written by h5py from plain arrays, within a byte budget derived
from the declared parameter count. The server then loads that copy: a file of our own making, whose structure no
visitor chose.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np

from cnnlab.modelfiles import ModelFileError, ModelLimits, check_model_bytes, read_config

MAX_OBJECTS = 20_000  # groups + datasets in one weights file
MAX_ATTRIBUTE_BYTES = 4 * 1024 * 1024  # all attributes together (the model config is one of them in .h5)
WEIGHT_SLACK_BYTES = 16 * 1024 * 1024  # optimizer state, metadata and rounding beyond the declared parameters
KERAS_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")


class _Budget:
    """Bytes and objects copied so far, refused past the caps before the data is read."""

    def __init__(self, max_bytes: int) -> None:
        self.bytes_left = max_bytes
        self.objects_left = MAX_OBJECTS
        self.attribute_bytes_left = MAX_ATTRIBUTE_BYTES

    def take_object(self) -> None:
        self.objects_left -= 1
        if self.objects_left < 0:
            raise ModelFileError("engine.model.weights_damaged", detail="too many objects")

    def take_bytes(self, n: int) -> None:
        self.bytes_left -= n
        if self.bytes_left < 0:
            raise ModelFileError("engine.model.weights_damaged", detail="more weights than the model declares")

    def take_attribute(self, value: Any) -> None:
        self.attribute_bytes_left -= int(getattr(value, "nbytes", 0) or len(str(value)))
        if self.attribute_bytes_left < 0:
            raise ModelFileError("engine.model.weights_damaged", detail="attributes too large")


def _copy_attributes(src, dst, budget: _Budget) -> None:
    for key in src.attrs:
        value = src.attrs[key]
        budget.take_attribute(value)
        dst.attrs[key] = value


def _copy_group(src, dst, budget: _Budget) -> None:
    """Copy groups and numeric datasets one by one (sizes checked before reading); links and odd types dropped."""
    import h5py

    _copy_attributes(src, dst, budget)
    for name in src:
        link = src.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            continue  # soft and external links point elsewhere: a clean file has none
        obj = src[name]
        budget.take_object()
        if isinstance(obj, h5py.Group):
            _copy_group(obj, dst.create_group(name), budget)
        elif isinstance(obj, h5py.Dataset):
            if obj.dtype.kind not in "biuf" or obj.shape is None:
                continue
            budget.take_bytes(int(obj.size) * obj.dtype.itemsize)
            data = np.asarray(obj[()])
            copy = dst.create_dataset(name, data=data)
            _copy_attributes(obj, copy, budget)


def clean_h5(data: bytes, budget_bytes: int) -> bytes:
    """A new HDF5 file with the same groups, numeric datasets and attributes as `data`."""
    import h5py

    out = io.BytesIO()
    try:
        with h5py.File(io.BytesIO(data), "r") as src, h5py.File(out, "w") as dst:
            _copy_group(src, dst, _Budget(budget_bytes))
    except ModelFileError:
        raise
    except Exception as exc:  # h5py raises many types for damaged files; all mean the same to a user
        raise ModelFileError("engine.model.weights_damaged", detail=type(exc).__name__) from exc
    return out.getvalue()


def _clean_keras(data: bytes, budget_bytes: int, limits: ModelLimits) -> bytes:
    """A new .keras zip: the config and metadata re-serialised, the weights copied as clean HDF5."""
    _, config = read_config(data, limits)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = set(src.namelist())
        dst.writestr("config.json", json.dumps(config))
        if "metadata.json" in names and src.getinfo("metadata.json").file_size < 64 * 1024:
            try:
                dst.writestr("metadata.json", json.dumps(json.loads(src.read("metadata.json"))))
            except ValueError as exc:
                raise ModelFileError("engine.model.not_json") from exc
        if "model.weights.h5" in names:
            dst.writestr("model.weights.h5", clean_h5(src.read("model.weights.h5"), budget_bytes))
    return out.getvalue()


def model_task(data: bytes, **limits: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The "model" task: check the file, then its clean copy as bytes and what it declares as JSON."""
    model_limits = ModelLimits(**limits)
    check = check_model_bytes(data, model_limits)
    budget = check.params * 8 + WEIGHT_SLACK_BYTES  # float64 weights at most, plus slack
    clean = _clean_keras(data, budget, model_limits) if check.format == "keras" else clean_h5(data, budget)
    meta = {
        "format": check.format,
        "params": check.params,
        "layers": check.layers,
        "input_shape": list(check.input_shape),
        "output_shape": list(check.output_shape),
        "layer_types": check.layer_types,
    }
    return {"clean": np.frombuffer(clean, dtype=np.uint8)}, meta

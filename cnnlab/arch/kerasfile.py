"""What a saved .keras model looks like, read without TensorFlow (config JSON + weights HDF5): the
input shape, the penultimate output shape, and per layer its output shape, parameter counts (from the stored
weights) and multiply-accumulates (from cnnlab.modelfiles' shape walk of the config) of a base from an earlier run.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from cnnlab.arch.atoms import Shape
from cnnlab.arch.spec import (
    SpecError,
)
from cnnlab.errors import CnnLabError
from cnnlab.modelfiles import ModelFileError, ModelLimits, _Walker, screen_model

WEIGHTED = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense")  # the layers whose MACs are counted


class FileLayer(NamedTuple):
    """One top-level layer of a saved model (a nested model counts as one layer, with everything inside it)."""

    name: str
    type: str
    out: Shape  # without the batch axis
    params: int
    trainable: int
    macs: int


@dataclass
class KerasFileInfo:
    """What a saved .keras model looks like, read without TensorFlow."""

    path: str
    input_shape: Shape
    output_shape: Shape  # of the penultimate layer: what the base hands on
    layers: list[FileLayer]  # input and head excluded
    head_params: int


def _snake(name: str) -> str:
    """keras.src.utils.naming.to_snake_case: how Keras names layers inside model.weights.h5."""
    import re

    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def inspect_keras_file(path: str) -> KerasFileInfo:
    """Input shape, penultimate output shape and per-layer parameter counts of a saved Functional model."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise SpecError("build.issue.model_path_missing", path=path) from exc
    return _inspect_keras_file(os.path.abspath(path), stat.st_mtime_ns)


def _tensor_shape(arg: Any) -> Shape:
    while isinstance(arg, list):
        arg = arg[0]
    return tuple(int(d) for d in arg["config"]["shape"][1:])


@lru_cache(maxsize=16)
def _inspect_keras_file(path: str, _mtime: int) -> KerasFileInfo:
    try:  # the model gate: a regular file within the caps, checked and re-written in a capped child
        clean, _ = screen_model(path)
    except CnnLabError as exc:
        raise SpecError("build.issue.model_file_bad", path=path, reason=exc) from exc
    try:
        with zipfile.ZipFile(io.BytesIO(clean)) as z:
            config = json.loads(z.read("config.json"))
            weights = z.read("model.weights.h5") if "model.weights.h5" in z.namelist() else None
        layers = config["config"]["layers"]
        inputs = [entry for entry in layers if entry["class_name"] == "InputLayer"]
        input_shape = tuple(int(d) for d in inputs[0]["config"]["batch_shape"][1:])
        head = layers[-1]
        output_shape = _tensor_shape(head["inbound_nodes"][0]["args"][0])
        sizes = _h5_group_sizes(weights) if weights else {}
    except (OSError, KeyError, IndexError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        raise SpecError("build.issue.model_file_bad", path=path, reason=f"{type(exc).__name__}: {exc}") from exc
    costs = _costs(config, path)
    used: dict[str, int] = {}
    rows = []
    for entry in layers:
        snake = _snake(entry["class_name"])
        used[snake] = used.get(snake, -1) + 1
        key = snake if used[snake] == 0 else f"{snake}_{used[snake]}"
        total, non_trainable = sizes.get(key, (0, 0))
        name = entry["config"].get("name", key)
        out, macs = costs.get(name, ((), 0))
        rows.append(FileLayer(name, entry["class_name"], out, total, total - non_trainable, macs))
    body = [r for r in rows[:-1] if r.type != "InputLayer"]
    return KerasFileInfo(path, input_shape, output_shape, body, rows[-1].params)


class _CostWalk(_Walker):
    """cnnlab.modelfiles' walk of a model config (shapes and parameters, layer by layer, into nested models), also
    keeping each top-level layer's output shape and MACs. A weighted layer's MACs are its kernel's size (its
    parameters less the bias, one per output channel) times the output positions it is applied at: Conv2D
    out_h*out_w*kh*kw*cin/groups*filters, DepthwiseConv2D out_h*out_w*kh*kw*cin*multiplier, Dense inputs*units."""

    def __init__(self) -> None:
        super().__init__(ModelLimits())
        self.depth = 0
        self.macs = 0
        self.top: dict[str, tuple[Shape, int]] = {}

    def one(self, entry: dict[str, Any], shapes: list[tuple]) -> tuple:
        params, macs = self.params, self.macs
        self.depth += 1
        try:
            out = super().one(entry, shapes)
        finally:
            self.depth -= 1
        positions = out[1:-1]
        if entry.get("class_name") in WEIGHTED and None not in positions:
            bias = int(out[-1]) if entry.get("config", {}).get("use_bias", True) else 0
            self.macs += math.prod(positions) * (self.params - params - bias)
        if self.depth == 0:  # a layer of the model itself, not of a model nested in it
            name = entry.get("name") or entry.get("config", {}).get("name")
            self.top[str(name)] = (tuple(int(d) for d in out[1:] if d is not None), self.macs - macs)
        return out


def _costs(config: dict[str, Any], path: str) -> dict[str, tuple[Shape, int]]:
    """Output shape and MACs of each top-level layer, by name."""
    walk = _CostWalk()
    try:
        walk.model(config)
    except (ModelFileError, RecursionError, KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise SpecError("build.issue.model_file_bad", path=path, reason=f"{type(exc).__name__}: {exc}") from exc
    return walk.top


def _h5_group_sizes(blob: bytes) -> dict[str, tuple[int, int]]:
    """Per top-level layer group: (all weights, non-trainable BatchNorm statistics) in model.weights.h5."""
    import h5py  # small, no TensorFlow; Keras itself depends on it

    out: dict[str, tuple[int, int]] = {}
    with h5py.File(io.BytesIO(blob), "r") as f:
        group = f.get("layers") or {}
        for key in group:
            counts = [0, 0]

            def visit(name: str, obj, counts=counts, key=key) -> None:
                if isinstance(obj, h5py.Dataset):
                    counts[0] += int(obj.size)
                    # BatchNormalization stores gamma, beta, moving_mean, moving_variance as vars/0..3
                    if "batch_normalization" in (key + "/" + name) and name.rsplit("/", 1)[-1] in ("2", "3"):
                        counts[1] += int(obj.size)

            group[key].visititems(visit)
            out[key] = (counts[0], counts[1])
    return out

"""How the model's answers move when the input is pushed: accuracy over a whole test split against rotation, shift
and stroke thickness (a sweep), and one image's class probabilities along the same axes.

A sweep is a pure function of the model, the test split and `SweepSettings`; give it a `cache_key`
(`probecache.checkpoint_key(model file, dataset, seed, val_fraction)`) and it is computed once per checkpoint.
It runs batched (one compiled prediction per chunk of transformed images) and reports progress.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cnnlab.inspection.forward import as_batch, one_image, predictor
from cnnlab.inspection.perturb import ProbeError, Transform, apply_batch
from cnnlab.inspection.probecache import remember

KINDS = ("rotation", "shift_x", "shift_y", "scale", "thickness", "noise")  # Transform settings a sweep can vary
CHUNK = 1024  # test images transformed and predicted at a time
Progress = Callable[[int, int], None]  # (steps done, steps in all)


@dataclass(frozen=True)
class SweepSettings:
    """The values tried along each axis (an empty tuple leaves that axis out), and the noise seed."""

    rotation: tuple[float, ...] = (-90, -60, -45, -30, -15, 0, 15, 30, 45, 60, 90)
    shift_x: tuple[float, ...] = (-6, -4, -2, 0, 2, 4, 6)
    shift_y: tuple[float, ...] = (-6, -4, -2, 0, 2, 4, 6)
    thickness: tuple[int, ...] = (-2, -1, 0, 1, 2, 3)
    scale: tuple[float, ...] = ()
    noise: tuple[float, ...] = ()
    seed: int = 0

    def axes(self) -> list[tuple[str, tuple[float, ...]]]:
        """(kind, values) for every axis with values, each value checked by building its Transform."""
        out = [(kind, tuple(getattr(self, kind))) for kind in KINDS if getattr(self, kind)]
        if not out:
            raise ProbeError("engine.probe.no_axes")
        for kind, values in out:
            for value in values:
                self.transform(kind, value)
        return out

    def transform(self, kind: str, value: float) -> Transform:
        if kind not in KINDS:
            raise ProbeError("engine.probe.kind", value=repr(kind), choices=", ".join(KINDS))
        return Transform(seed=self.seed, **{kind: int(value) if kind == "thickness" else float(value)})

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


QUICK = SweepSettings(rotation=(0, 30, 60), shift_x=(0, 4), shift_y=(), thickness=(0, 2))


@dataclass
class Curve:
    """Test accuracy along one axis: `accuracy[i]` with every test image transformed by `values[i]`."""

    kind: str
    values: np.ndarray  # (V,)
    accuracy: np.ndarray  # (V,) fraction classified correctly
    confidence: np.ndarray  # (V,) mean probability given to the true class


@dataclass
class Sweep:
    curves: dict[str, Curve]
    count: int  # test images per point
    settings: SweepSettings


def _chunks(n: int) -> list[slice]:
    return [slice(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]


def _sweep_arrays(model: Any, x: np.ndarray, y: np.ndarray, settings: SweepSettings, progress: Progress | None):
    pred = predictor(model)
    axes = settings.axes()
    chunks = _chunks(len(x))
    total, done = sum(len(v) for _, v in axes) * len(chunks), 0
    arrays: dict[str, np.ndarray] = {}
    for kind, values in axes:
        correct = np.zeros(len(values), np.int64)
        confidence = np.zeros(len(values), np.float64)
        for i, value in enumerate(values):
            t = settings.transform(kind, value)
            for part in chunks:
                probs = pred.predict(apply_batch(x[part], t, model))
                correct[i] += int((probs.argmax(axis=1) == y[part]).sum())
                confidence[i] += float(probs[np.arange(len(probs)), y[part]].sum())
                done += 1
                if progress is not None:
                    progress(done, total)
        arrays[f"{kind}.values"] = np.asarray(values, np.float32)
        arrays[f"{kind}.accuracy"] = (correct / len(x)).astype(np.float32)
        arrays[f"{kind}.confidence"] = (confidence / len(x)).astype(np.float32)
    return arrays


def robustness_sweep(
    model: Any,
    x_test: Any,
    y_test: Any,
    settings: SweepSettings = SweepSettings(),
    *,
    progress: Progress | None = None,
    cache_key: str | None = None,
) -> Sweep:
    """Accuracy (and mean true-class probability) over the whole test split at every value of every axis.

    `progress(done, total)` is called after each chunk (not at all when the result comes from the cache).
    """
    x = as_batch(x_test, model)
    y = np.asarray(y_test, dtype=np.int64).ravel()
    if len(x) == 0 or len(y) != len(x):
        raise ProbeError("engine.probe.test_split", images=len(x), labels=len(y))
    axes = settings.axes()
    spec = {**settings.to_dict(), "images": len(x)}
    arrays = remember("sweep", cache_key, spec, lambda: _sweep_arrays(model, x, y, settings, progress))
    curves = {
        kind: Curve(kind, arrays[f"{kind}.values"], arrays[f"{kind}.accuracy"], arrays[f"{kind}.confidence"])
        for kind, _ in axes
    }
    return Sweep(curves, len(x), settings)


@dataclass
class ImageCurve:
    """One image's class probabilities along one axis: `probabilities[i]` at `values[i]`."""

    kind: str
    values: np.ndarray  # (V,)
    probabilities: np.ndarray  # (V, K)

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)


def image_curves(model: Any, image: Any, settings: SweepSettings = SweepSettings()) -> dict[str, ImageCurve]:
    """Every transformed copy of one image predicted in one batch: its probabilities along each axis."""
    batch = one_image(image, model)
    axes = settings.axes()
    copies = [apply_batch(batch, settings.transform(kind, v), model)[0] for kind, values in axes for v in values]
    probs = predictor(model).predict(np.stack(copies))
    out, start = {}, 0
    for kind, values in axes:
        out[kind] = ImageCurve(kind, np.asarray(values, np.float32), probs[start : start + len(values)])
        start += len(values)
    return out


def curve_rows(curves: dict[str, ImageCurve] | dict[str, Curve], digits: int = 6) -> dict[str, Any]:
    """JSON-ready curves (for the CLI and downloads)."""
    out: dict[str, Any] = {}
    for kind, c in curves.items():
        row: dict[str, Any] = {"values": [round(float(v), 4) for v in c.values]}
        if isinstance(c, ImageCurve):
            row["probabilities"] = [[round(float(p), digits) for p in ps] for ps in c.probabilities]
            row["predicted"] = [int(k) for k in c.predicted]
        else:
            row["accuracy"] = [round(float(a), digits) for a in c.accuracy]
        out[kind] = row
    return out


def sweep_axis(settings: SweepSettings, kind: str, values: Sequence[float]) -> SweepSettings:
    """Settings that vary only `kind` over `values` (a page's one chart)."""
    empty = {k: () for k in KINDS}
    return SweepSettings(**{**empty, kind: tuple(values)}, seed=settings.seed)

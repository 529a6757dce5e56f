"""Looking inside a model: feature maps, filters, Grad-CAM and saliency, convolution and pooling step-throughs,
evaluation (confusion matrix, per-class metrics, confident mistakes), embeddings, and the fast predictor.

Every function takes a `keras.Model` (Sequential, Functional, or Functional with a nested model such as a
keras.applications base). Instead of building extra Keras models over the original graph — which fails for a
Sequential model without a defined `.input`, and hides the layers of a nested base — the model is run as a plain
function layer by layer (`_walk`), recursing into nested models, and the wanted intermediate tensors are tapped on the
way. That function is compiled once per model and purpose (`_compile`: `tf.function` on TensorFlow, `jax.jit` over
the variables' values on JAX) and cached on the model object, so a second call costs one compiled forward pass.

Layer names are the Keras names, the same ones `cnnlab.analysis` gives its rows. Images go in as float32 in [0, 1]
(uint8 pixels are divided by 255); one image may be (H, W), (H, W, C) or (1, H, W, C).
TensorFlow and Keras are imported lazily, inside functions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class InspectionError(ValueError):
    """A request that cannot be answered for this model or input; the message names the problem and the fix."""


# Layers whose output is their input at inference time: not worth a feature-map panel.
PASS_THROUGH = frozenset(
    {
        "InputLayer",
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "GaussianNoise",
        "GaussianDropout",
        "AlphaDropout",
        "ActivityRegularization",
    }
)
CONV_TYPES = frozenset({"Conv2D", "DepthwiseConv2D"})  # layers the convolution step-through explains
POOL_TYPES = frozenset({"MaxPooling2D", "AveragePooling2D"})
# Spatial layers that are not a good Grad-CAM target (they only move or resample what an earlier layer computed).
_NOT_CAM = PASS_THROUGH | POOL_TYPES | {"ZeroPadding2D", "Cropping2D", "Resizing", "Rescaling", "Normalization"}
_BATCH = 256  # images per compiled call when a function is given many


# ---------------------------------------------------------------- backend-specific part (the only one)


def _compile(fn: Callable[..., Any], model: Any, specs: Sequence[tuple[int | None, ...]]) -> Callable[..., list]:
    """A compiled `fn(*arrays) -> tensor or list of tensors` that returns numpy arrays.

    TensorFlow: `tf.function` with a fixed input signature (the batch dimension free), variables read live.
    JAX: `jax.jit` of `fn` run inside a `keras.StatelessScope` that maps each model variable to a traced value,
    so the compiled function sees the current weights on every call instead of constants frozen at trace time.
    Other backends: `fn` runs eagerly.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        signature = [tf.TensorSpec(shape, tf.float32) for shape in specs]
        compiled = tf.function(fn, input_signature=signature, autograph=False)
        concrete = compiled.get_concrete_function()  # calling it directly skips argument re-parsing

        def run(*arrays):
            return _numpy_list(concrete(*(tf.constant(a, tf.float32) for a in arrays)))

        return run
    if backend == "jax":
        import jax

        variables = list(model.variables)

        def pure(values, *arrays):
            with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
                return fn(*arrays)

        jitted = jax.jit(pure)
        return lambda *arrays: _numpy_list(jitted([v.value for v in variables], *arrays))
    return lambda *arrays: _numpy_list(fn(*(keras.ops.convert_to_tensor(a, "float32") for a in arrays)))


def _compile_gradient(
    fn: Callable[..., tuple[Any, list]], model: Any, specs: Sequence[tuple[int | None, ...]]
) -> Callable[..., tuple[list, np.ndarray]]:
    """Compile `fn(*arrays) -> (scalar score, outputs)`; the result returns (outputs, d score / d arrays[0])."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        def with_tape(first, *rest):
            with tf.GradientTape() as tape:
                tape.watch(first)
                score, outputs = fn(first, *rest)
            return [*outputs, tape.gradient(score, first)]

        signature = [tf.TensorSpec(shape, tf.float32) for shape in specs]
        concrete = tf.function(with_tape, input_signature=signature, autograph=False).get_concrete_function()

        def run(*arrays):
            out = _numpy_list(concrete(*(tf.constant(a, tf.float32) for a in arrays)))
            return out[:-1], out[-1]

        return run
    if backend == "jax":
        import jax

        variables = list(model.variables)

        def pure(first, values, *rest):
            with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
                return fn(first, *rest)

        value_and_grad = jax.jit(jax.value_and_grad(pure, has_aux=True))

        def run_jax(first, *rest):
            (_, outputs), grad = value_and_grad(first, [v.value for v in variables], *rest)
            return _numpy_list(outputs), np.asarray(grad)

        return run_jax
    raise InspectionError(f"gradients (Grad-CAM, saliency) need the TensorFlow or JAX backend, not {backend!r}")


def _numpy_list(out: Any) -> list[np.ndarray]:
    import keras

    items = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in items]


# ---------------------------------------------------------------- walking a model layer by layer


@dataclass(frozen=True)
class LayerInfo:
    """One layer as the model runs it: Keras name and class, the nested model holding it, shapes without batch."""

    index: int  # execution order (a nested model comes right after its own layers)
    name: str
    type: str
    parent: str | None  # the nested model's name, or None for the model's own layers
    input_shape: tuple[int, ...] | None  # None when the layer takes several inputs (Add, Concatenate)
    output_shape: tuple[int, ...]

    @property
    def spatial(self) -> bool:
        return len(self.output_shape) == 3


def _is_nested(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.Model)


def _walk(model: Any, x: Any, on_layer: Callable, *, symbolic: bool = False) -> Any:
    """Run `model` on `x` one layer at a time, recursing into nested Sequential/Functional models.

    For every layer this calls `on_layer(counter, layer, parent, args, compute)`: `compute()` gives the layer's normal
    output (for a nested model: runs its layers, which advance the shared one-element `counter`), and what `on_layer`
    returns is used as the layer's output. Callers number layers post-order (a nested model after its own layers).
    `symbolic=True` computes output specs only, so no node is added to any Keras graph.
    """
    import keras

    counter = [0]

    def run(m, t, parent):
        if isinstance(m, keras.Sequential):
            for layer in m.layers:
                t = step(layer, (t,), {}, parent)
            return t
        if isinstance(m, keras.Model) and hasattr(m, "_run_through_graph") and getattr(m, "_nodes_by_depth", None):
            if len(m.inputs) != 1:
                raise InspectionError(f"model {m.name!r} takes {len(m.inputs)} inputs; only one image input works")
            return m._run_through_graph(  # replays the graph, calling `step` for each layer
                t, operation_fn=lambda op: op, call_fn=lambda op, *a, **k: step(op, a, k, parent)
            )
        raise InspectionError(
            f"{m.name!r} is a subclassed model: only Sequential and Functional models can be inspected layer by layer"
        )

    def step(layer, args, kwargs, parent):
        if _is_nested(layer):

            def compute():
                return run(layer, args[0], layer.name)
        elif symbolic:

            def compute():
                return layer.compute_output_spec(*args, **kwargs)
        else:

            def compute():
                return layer(*args, **kwargs)

        out = on_layer(counter, layer, parent, args, compute)
        if isinstance(out, (list, tuple)):
            out = out[0]
        return out

    return run(model, x, None)


def _input_shape(model: Any, x: np.ndarray | None = None) -> tuple[int, int, int]:
    try:
        shape = tuple(model.inputs[0].shape[1:])
    except (AttributeError, ValueError, IndexError, TypeError):
        shape = ()
    if len(shape) == 3 and all(d is not None for d in shape):
        return tuple(int(d) for d in shape)  # type: ignore[return-value]
    if x is not None:
        arr = np.asarray(x)
        if arr.ndim == 4:
            return tuple(int(d) for d in arr.shape[1:])  # type: ignore[return-value]
        if arr.ndim == 3:
            return tuple(int(d) for d in arr.shape)  # type: ignore[return-value]
        if arr.ndim == 2:
            return (*arr.shape, 1)  # type: ignore[return-value]
    raise InspectionError(
        "the model has no input shape yet: start it with keras.Input(shape=(H, W, C)) "
        "or call model.build((None, H, W, C))"
    )


@dataclass
class _Structure:
    """Layer table plus the wiring facts later passes need (which record is the head, what feeds it)."""

    input_shape: tuple[int, int, int]
    layers: list[LayerInfo]
    output_index: int  # the layer producing the model's output
    producers: dict[int, list[int]]  # index -> indices of the layers whose outputs it takes


_LOCK = threading.RLock()


def _cache(model: Any) -> dict:
    """Per-model cache of compiled functions, stored on the model so it is freed with it."""
    with _LOCK:
        cache = model.__dict__.get("_cnnlab_inspection")
        if cache is None:
            cache = {}
            object.__setattr__(model, "_cnnlab_inspection", cache)
        return cache


def _cached(model: Any, key: Any, factory: Callable[[], Any]) -> Any:
    cache = _cache(model)
    with _LOCK:
        if key not in cache:
            cache[key] = factory()
        return cache[key]


def _structure(model: Any) -> _Structure:
    def build() -> _Structure:
        import keras

        shape = _input_shape(model)
        layers: list[LayerInfo] = []
        producer_of: dict[int, int] = {}
        producers: dict[int, list[int]] = {}

        def on_layer(counter, layer, parent, args, compute):
            out = compute()  # a nested model's own layers are numbered inside compute(): post-order
            out_t = out[0] if isinstance(out, (list, tuple)) else out
            i = counter[0]
            counter[0] += 1
            flat_args = list(args[0]) if isinstance(args[0], (list, tuple)) else [args[0]]
            producers[i] = [producer_of[id(a)] for a in flat_args if id(a) in producer_of]
            in_shape = tuple(flat_args[0].shape[1:]) if len(flat_args) == 1 else None
            layers.append(LayerInfo(i, layer.name, type(layer).__name__, parent, in_shape, tuple(out_t.shape[1:])))
            producer_of[id(out_t)] = i  # a nested model overwrites its last layer: the outer name wins
            return out

        final = _walk(model, keras.KerasTensor((None, *shape), dtype="float32"), on_layer, symbolic=True)
        if not layers:
            raise InspectionError("the model has no layers to inspect")
        return _Structure(shape, layers, producer_of.get(id(final), layers[-1].index), producers)

    return _cached(model, "structure", build)


def layer_infos(model: Any) -> list[LayerInfo]:
    """Every layer in execution order, nested models' layers included, with output shapes (no batch dimension)."""
    return list(_structure(model).layers)


def _find(model: Any, name: str, *, types: frozenset[str] | None = None, what: str = "layer") -> LayerInfo:
    infos = _structure(model).layers
    matches = [i for i in infos if i.name == name]
    if not matches:
        options = [i.name for i in infos if types is None or i.type in types]
        raise InspectionError(f"the model has no {what} named {name!r}; choose one of {', '.join(options) or 'none'}")
    info = matches[-1]
    if types is not None and info.type not in types:
        raise InspectionError(f"{name!r} is a {info.type} layer, not a {what} ({', '.join(sorted(types))})")
    return info


def _layer_object(model: Any, info: LayerInfo) -> Any:
    holder = model if info.parent is None else _nested(model, info.parent)
    return holder.get_layer(info.name)


def _nested(model: Any, name: str) -> Any:
    for layer in model.layers:
        if layer.name == name:
            return layer
        if _is_nested(layer):
            try:
                return _nested(layer, name)
            except KeyError:
                continue
    raise KeyError(name)


def _forward(
    model: Any,
    x: Any,
    *,
    taps: Sequence[int] = (),
    tap_inputs: Sequence[int] = (),
    logits: bool = False,
    delta_at: int | None = None,
    delta: Any = None,
) -> tuple[Any, dict, dict]:
    """The real forward pass: (final output, {index: output}, {index: input}).

    `logits=True` replaces a softmax head by its pre-softmax scores (Grad-CAM and saliency explain the class
    score, not the probability, which saturates). `delta` is added to layer `delta_at`'s output so the gradient with
    respect to `delta` is the gradient with respect to that intermediate output, on every backend.
    """
    import keras

    structure = _structure(model)
    want, want_in = set(taps), set(tap_inputs)
    outs: dict[int, Any] = {}
    ins: dict[int, Any] = {}

    def on_layer(counter, layer, parent, args, compute):
        if _is_nested(layer):
            out = compute()  # numbers its own layers first (post-order, as in `_structure`)
            i = counter[0]
        else:
            i = counter[0]
            out = _pre_softmax(layer, args[0], compute) if logits and i == structure.output_index else compute()
        counter[0] = i + 1
        if i == delta_at:
            out = keras.ops.add(out, delta)
        if i in want:
            outs[i] = out
        if i in want_in:
            ins[i] = args[0]
        return out

    return _walk(model, x, on_layer), outs, ins


def _pre_softmax(layer: Any, x: Any, compute: Callable[[], Any]) -> Any:
    import keras

    kind = type(layer).__name__
    act = getattr(getattr(layer, "activation", None), "__name__", "")
    if kind == "Dense" and act == "softmax":
        out = keras.ops.matmul(x, layer.kernel)
        return keras.ops.add(out, layer.bias) if layer.use_bias else out
    if kind == "Softmax" or (kind == "Activation" and act == "softmax"):
        return x
    return compute()


# ---------------------------------------------------------------- inputs


def as_batch(x: Any, model: Any | None = None) -> np.ndarray:
    """Images as a float32 NHWC batch in [0, 1]: uint8 pixels are scaled; (H, W) and (H, W, C) get a batch axis."""
    arr = np.asarray(x)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif not np.issubdtype(arr.dtype, np.number):
        raise InspectionError(f"images must be numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    shape = _input_shape(model, arr) if model is not None else None
    if arr.ndim == 2:
        arr = arr[None, :, :, None]
    elif arr.ndim == 3:
        arr = arr[None, :, :, :] if shape is None or tuple(arr.shape) == shape else arr[..., None]
    if arr.ndim != 4:
        raise InspectionError(f"expected images shaped (H, W), (H, W, C) or (N, H, W, C), got {np.shape(x)}")
    if shape is not None and tuple(arr.shape[1:]) != shape:
        raise InspectionError(
            f"the model takes {shape[0]}x{shape[1]}x{shape[2]} images but got {arr.shape[1]}x{arr.shape[2]}x"
            f"{arr.shape[3]} — use a dataset with the model's image size"
        )
    return arr


def _one(x: Any, model: Any) -> np.ndarray:
    batch = as_batch(x, model)
    if batch.shape[0] != 1:
        raise InspectionError(f"pass one image, not a batch of {batch.shape[0]}")
    return batch


# ---------------------------------------------------------------- prediction


class Predictor:
    """The model's forward pass compiled once: `predict(images)` -> class probabilities (N, K).

    Far cheaper per call than `model.predict`, which sets up a data pipeline every time (~56 ms here even for one
    image); the first call compiles, later calls on one LeNet-5 image take well under a millisecond.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.input_shape = _input_shape(model)
        self._call = _compile(lambda x: model(x, training=False), model, [(None, *self.input_shape)])

    def predict(self, x: Any, batch_size: int = _BATCH) -> np.ndarray:
        """Probabilities for one image or a batch (uint8 or float in [0, 1]); always (N, K)."""
        batch = as_batch(x, self.model)
        if len(batch) <= batch_size:
            return self._call(batch)[0]
        return np.concatenate([self._call(batch[i : i + batch_size])[0] for i in range(0, len(batch), batch_size)])

    def predict_one(self, image: Any) -> np.ndarray:
        """Probabilities (K,) for a single image."""
        return self.predict(_one(image, self.model))[0]


def predictor(model: Any) -> Predictor:
    """The cached `Predictor` of `model`."""
    return _cached(model, "predictor", lambda: Predictor(model))


# ---------------------------------------------------------------- feature maps


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
            raise InspectionError(f"kinds must be 'spatial' or 'all', not {kinds!r}")
        self.model = model
        structure = _structure(model)
        self.layers = [
            info for info in structure.layers if kinds == "all" or (info.spatial and info.type not in PASS_THROUGH)
        ]
        taps = [info.index for info in self.layers]

        def fn(x):
            _, outs, _ = _forward(model, x, taps=taps)
            return [outs[i] for i in taps]

        self._call = _compile(fn, model, [(None, *structure.input_shape)]) if taps else None

    def __call__(self, x: Any) -> list[LayerMaps]:
        batch = _one(x, self.model)
        if self._call is None:
            return []
        arrays = self._call(batch)
        pairs = zip(self.layers, arrays, strict=True)
        return [LayerMaps(i.name, i.type, i.output_shape, a[0], i.parent) for i, a in pairs]


def feature_mapper(model: Any, kinds: str = "spatial") -> FeatureMapper:
    """The cached `FeatureMapper` of `model`."""
    return _cached(model, ("features", kinds), lambda: FeatureMapper(model, kinds))


def feature_maps(model: Any, x: Any, kinds: str = "spatial") -> list[LayerMaps]:
    """Intermediate outputs for one image, in execution order (see `FeatureMapper`)."""
    return feature_mapper(model, kinds)(x)


def normalise(a: np.ndarray) -> np.ndarray:
    """Min-max scale an (H, W, ...) array to [0, 1] per channel (over H and W); constant maps become 0."""
    a = np.asarray(a, dtype=np.float32)
    lo = a.min(axis=(0, 1), keepdims=True)
    span = a.max(axis=(0, 1), keepdims=True) - lo
    return np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), 0.0).astype(np.float32)


def tile_channels(maps: np.ndarray, columns: int | None = None, max_channels: int = 64, gap: int = 1) -> np.ndarray:
    """A (H, W, C) feature map as one 2-D mosaic of per-channel normalised maps (NaN between tiles),
    so a page draws a whole layer as one heatmap instead of C small figures."""
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise InspectionError(f"tile_channels needs an (H, W, C) feature map, got shape {maps.shape}")
    n = min(maps.shape[2], max_channels)
    cols = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = maps.shape[:2]
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    scaled = normalise(maps[:, :, :n])
    for c in range(n):
        r, k = divmod(c, cols)
        out[r * (h + gap) : r * (h + gap) + h, k * (w + gap) : k * (w + gap) + w] = scaled[:, :, c]
    return out


# ---------------------------------------------------------------- filters and weights


def _leaf_layers(model: Any, parent: str | None = None):
    for layer in model.layers:
        if _is_nested(layer):
            yield from _leaf_layers(layer, layer.name)
        else:
            yield layer, parent


def _kernel(layer: Any) -> np.ndarray | None:
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
        kernel = _kernel(layer)
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
        kernel = _kernel(layer)
        if kernel is not None and _is_first_candidate(layer, kernel):
            return kernel.astype(np.float16)
    return None


def snapshot_images(snapshots: Sequence[np.ndarray]) -> np.ndarray:
    """Per-epoch first-layer kernels as images on ONE common scale, so growth across epochs stays visible.

    Returns (E, F, kh, kw, 3) for 3-channel kernels, else (E, F, Cin, kh, kw), values in [0, 1].
    """
    if not snapshots:
        raise InspectionError("no filter snapshots were saved for this run")
    stack = np.stack([np.asarray(s, dtype=np.float32) for s in snapshots])  # (E, kh, kw, Cin, F)
    if len({s.shape for s in snapshots}) != 1 or stack.ndim != 5:
        raise InspectionError("filter snapshots must all be (kh, kw, Cin, F) kernels of the same layer")
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


# ---------------------------------------------------------------- Grad-CAM and saliency


def default_cam_layer(model: Any) -> str:
    """The last spatial layer that computes something (convolution, activation, addition, a nested base)."""
    candidates = [i for i in _structure(model).layers if i.spatial and i.type not in _NOT_CAM]
    if not candidates:
        raise InspectionError("Grad-CAM needs a layer with a feature map (H x W x C); this model has none")
    last = ([i for i in candidates if i.parent is None] or candidates)[-1]
    if last.output_shape[0] * last.output_shape[1] > 1:
        return last.name
    # a 1x1 map (a small image through a deep base) cannot show where: the last map with some extent, at any depth
    wide = [i for i in candidates if i.output_shape[0] * i.output_shape[1] > 1]
    return (wide or [last])[-1].name


def _resize(a: np.ndarray, height: int, width: int) -> np.ndarray:
    from PIL import Image

    if a.shape == (height, width):
        return a.astype(np.float32)
    img = Image.fromarray(np.asarray(a, dtype=np.float32), mode="F")
    return np.asarray(img.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def _onehot(probs_k: int, class_index: int | None, predicted: int) -> np.ndarray:
    index = predicted if class_index is None else int(class_index)
    if not 0 <= index < probs_k:
        raise InspectionError(f"class {index} is out of range: the model has {probs_k} classes (0..{probs_k - 1})")
    onehot = np.zeros((1, probs_k), dtype=np.float32)
    onehot[0, index] = 1.0
    return onehot


def _output_classes(model: Any) -> int:
    structure = _structure(model)
    shape = structure.layers[structure.output_index].output_shape
    if len(shape) != 1:
        raise InspectionError(f"the model's output has shape {shape}; class explanations need a (classes,) vector")
    return int(shape[0])


def grad_cam(model: Any, x: Any, class_index: int | None = None, layer_name: str | None = None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): where the layer's feature maps support the class score.

    Channel weights are the spatially averaged gradients of the pre-softmax class score; the map is
    ReLU(sum_k w_k A_k), scaled to [0, 1] and resized to the input (H, W). The predicted class by default.
    """
    batch = _one(x, model)
    name = layer_name or default_cam_layer(model)
    info = _find(model, name, what="layer")
    if not info.spatial:
        raise InspectionError(f"{name!r} outputs shape {info.output_shape}; Grad-CAM needs an (H, W, C) feature map")
    classes = _output_classes(model)
    structure = _structure(model)

    def build():
        def fn(delta, x, onehot):
            import keras

            final, outs, _ = _forward(model, x, taps=[info.index], logits=True, delta_at=info.index, delta=delta)
            return keras.ops.sum(final * onehot), [outs[info.index], final]

        shapes = [(None, *info.output_shape), (None, *structure.input_shape), (None, classes)]
        return _compile_gradient(fn, model, shapes)

    call = _cached(model, ("gradcam", info.index), build)
    onehot = _onehot(classes, class_index, int(np.argmax(predictor(model).predict(batch)[0])))
    (acts, _), grads = call(np.zeros((1, *info.output_shape), np.float32), batch, onehot)
    weights = grads[0].mean(axis=(0, 1))
    cam = np.maximum((acts[0] * weights).sum(axis=-1), 0.0)
    cam = _resize(cam, *structure.input_shape[:2])
    cam = np.maximum(cam, 0.0)
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).astype(np.float32)


def saliency(model: Any, x: Any, class_index: int | None = None) -> np.ndarray:
    """Gradient saliency (Simonyan et al. 2013): |d class score / d pixel|, max over channels, scaled to [0, 1]."""
    batch = _one(x, model)
    classes = _output_classes(model)
    structure = _structure(model)

    def build():
        def fn(x, onehot):
            import keras

            final, _, _ = _forward(model, x, logits=True)
            return keras.ops.sum(final * onehot), [final]

        return _compile_gradient(fn, model, [(None, *structure.input_shape), (None, classes)])

    call = _cached(model, "saliency", build)
    onehot = _onehot(classes, class_index, int(np.argmax(predictor(model).predict(batch)[0])))
    _, grads = call(batch, onehot)
    sal = np.abs(grads[0]).max(axis=-1)
    peak = float(sal.max())
    return (sal / peak if peak > 0 else sal).astype(np.float32)


def colorize(values: np.ndarray) -> np.ndarray:
    """A [0, 1] map as uint8 RGB with the "jet" colour scale (blue -> cyan -> yellow -> red), no matplotlib."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), 0.0, 1.0)[..., None]
    centres = np.array([3.0, 2.0, 1.0], dtype=np.float32)  # red, green, blue peaks at 3/4, 1/2, 1/4
    rgb = np.clip(1.5 - np.abs(4.0 * v - centres), 0.0, 1.0)
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def overlay(image: Any, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The heatmap (resized to the image) blended over the image: uint8 RGB (H, W, 3) for display."""
    img = np.asarray(image)
    img = img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)
    if img.ndim == 4 and img.shape[0] == 1:
        img = img[0]
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise InspectionError(f"overlay needs a greyscale or RGB image, got shape {np.shape(image)}")
    heat = _resize(np.asarray(heatmap, dtype=np.float32), img.shape[0], img.shape[1])
    colour = colorize(heat).astype(np.float32) / 255.0
    blended = (1.0 - alpha) * np.clip(img, 0, 1) + alpha * colour
    return (np.clip(blended, 0, 1) * 255.0 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------- step-throughs


def _same_pad(size: int, k_eff: int, stride: int) -> int:
    """Padding before the first row/column for 'same' (TF and XLA put the odd extra pixel after the last one)."""
    out = -(-size // stride)
    return max((out - 1) * stride + k_eff - size, 0) // 2


def _window(inp: np.ndarray, top: int, left: int, kh: int, kw: int, dh: int, dw: int, fill: float):
    """The (kh, kw, C) window of `inp` (H, W, C) starting at (top, left), out-of-range cells set to `fill`."""
    h, w = inp.shape[:2]
    rows = top + dh * np.arange(kh)
    cols = left + dw * np.arange(kw)
    valid = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    patch = np.full((kh, kw, inp.shape[2]), fill, dtype=np.float32)
    rr, cc = np.nonzero(valid)
    patch[rr, cc] = inp[rows[rr], cols[cc]]
    return patch, valid


def _layer_io(model: Any, info: LayerInfo, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    structure = _structure(model)

    def build():
        def fn(x):
            _, outs, ins = _forward(model, x, taps=[info.index], tap_inputs=[info.index])
            return [ins[info.index], outs[info.index]]

        return _compile(fn, model, [(None, *structure.input_shape)])

    layer_in, layer_out = _cached(model, ("io", info.index), build)(batch)
    return layer_in[0], layer_out[0]


def _check_position(info: LayerInfo, row: int, col: int) -> None:
    h, w = info.output_shape[:2]
    if not (0 <= row < h and 0 <= col < w):
        raise InspectionError(f"output position ({row}, {col}) is outside {info.name!r}'s {h}x{w} output")


@dataclass
class ConvStep:
    """How one output value of a convolution is computed: patch x kernel, summed, plus bias, activated."""

    layer: str
    filter_index: int
    row: int
    col: int
    input_rows: tuple[int, int]  # first and last input row the kernel covers (may lie in the padding: < 0 or >= H)
    input_cols: tuple[int, int]
    patch: np.ndarray  # (kh, kw, Cin) input values under the kernel (0 in the padding)
    in_image: np.ndarray  # (kh, kw) bool: False where the kernel hangs over the zero padding
    kernel: np.ndarray  # (kh, kw, Cin) this filter's weights (for a depthwise filter, its one input channel)
    products: np.ndarray  # patch * kernel, element-wise
    total: float  # sum of the products
    bias: float
    pre_activation: float  # total + bias
    activation: str
    value: float  # activation(pre_activation)
    actual: float  # what the layer really output there
    input_map: np.ndarray  # (H, W, Cin) the layer's whole input
    output_map: np.ndarray  # (Hout, Wout) the filter's whole output map
    strides: tuple[int, int]
    padding: str
    dilation: tuple[int, int]
    input_channels: tuple[int, ...] = ()  # which input channels the patch holds


def _activation_of(layer: Any) -> tuple[str, Callable[[float], float]]:
    import keras

    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", "linear") if fn is not None else "linear"

    def apply(v: float) -> float:
        if fn is None:
            return float(v)
        out = fn(keras.ops.convert_to_tensor(np.array([[v]], dtype=np.float32)))
        return float(np.asarray(keras.ops.convert_to_numpy(out)).ravel()[0])

    return name, apply


def _steppable(
    model: Any, x: Any, layer_name: str, types: frozenset[str], what: str
) -> tuple[np.ndarray, LayerInfo, Any]:
    """The input batch, the layer's info and the layer object for a step-through, or InspectionError."""
    batch = _one(x, model)
    info = _find(model, layer_name, types=types, what=what)
    layer = _layer_object(model, info)
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise InspectionError(f"{layer_name!r} uses {layer.data_format}; only channels_last layers can be stepped")
    return batch, info, layer


def conv_step(model: Any, x: Any, layer_name: str, filter_index: int, row: int, col: int) -> ConvStep:
    """Recompute output (row, col, filter) of a Conv2D/DepthwiseConv2D from the layer's real input, step by step."""
    batch, info, layer = _steppable(model, x, layer_name, CONV_TYPES, "convolution")
    kernel = _kernel(layer)
    n_filters = info.output_shape[-1]
    if not 0 <= filter_index < n_filters:
        raise InspectionError(f"{layer_name!r} has {n_filters} filters (0..{n_filters - 1}); got {filter_index}")
    _check_position(info, row, col)
    layer_in, layer_out = _layer_io(model, info, batch)
    kh, kw, k_in, _ = kernel.shape
    sh, sw = (int(s) for s in layer.strides)
    dh, dw = (int(d) for d in layer.dilation_rate)
    padding = str(layer.padding).lower()
    pad_t = pad_l = 0
    if padding == "same":
        pad_t = _same_pad(layer_in.shape[0], (kh - 1) * dh + 1, sh)
        pad_l = _same_pad(layer_in.shape[1], (kw - 1) * dw + 1, sw)
    elif padding != "valid":
        raise InspectionError(f"{layer_name!r} uses padding={padding!r}; the step-through explains 'valid' and 'same'")
    top, left = row * sh - pad_t, col * sw - pad_l
    if info.type == "DepthwiseConv2D":
        multiplier = kernel.shape[3]
        channel, m = divmod(filter_index, multiplier)
        channels: tuple[int, ...] = (channel,)
        weights = kernel[:, :, channel : channel + 1, m]
    else:
        groups = int(getattr(layer, "groups", 1) or 1)
        group = filter_index // (n_filters // groups)
        channels = tuple(range(group * k_in, (group + 1) * k_in))
        weights = kernel[:, :, :, filter_index]
    patch, valid = _window(layer_in[:, :, list(channels)], top, left, kh, kw, dh, dw, 0.0)
    products = (patch * weights).astype(np.float32)
    total = float(np.sum(products, dtype=np.float64))
    bias_var = getattr(layer, "bias", None) if getattr(layer, "use_bias", False) else None
    if bias_var is None:
        bias = 0.0
    else:
        import keras

        bias = float(np.asarray(keras.ops.convert_to_numpy(bias_var)).ravel()[filter_index])
    act_name, act = _activation_of(layer)
    pre = total + bias
    return ConvStep(
        layer=layer_name,
        filter_index=int(filter_index),
        row=int(row),
        col=int(col),
        input_rows=(top, top + (kh - 1) * dh),
        input_cols=(left, left + (kw - 1) * dw),
        patch=patch,
        in_image=valid,
        kernel=np.asarray(weights, dtype=np.float32),
        products=products,
        total=total,
        bias=bias,
        pre_activation=pre,
        activation=act_name,
        value=act(pre),
        actual=float(layer_out[row, col, filter_index]),
        input_map=layer_in,
        output_map=layer_out[:, :, filter_index],
        strides=(sh, sw),
        padding=padding,
        dilation=(dh, dw),
        input_channels=channels,
    )


@dataclass
class PoolStep:
    """How one output value of a pooling layer is computed from its window."""

    layer: str
    kind: str  # "max" | "average"
    channel: int
    row: int
    col: int
    input_rows: tuple[int, int]
    input_cols: tuple[int, int]
    window: np.ndarray  # (ph, pw) input values (NaN in the padding, which pooling ignores)
    in_image: np.ndarray  # (ph, pw) bool
    winner: tuple[int, int] | None  # max pooling: where the maximum sits in the window
    count: int  # how many real (non-padding) values were pooled
    value: float  # max, or mean of the real values
    actual: float
    input_map: np.ndarray  # (H, W) the pooled channel of the layer's input
    output_map: np.ndarray  # (Hout, Wout)
    pool_size: tuple[int, int]
    strides: tuple[int, int]
    padding: str


def pool_step(model: Any, x: Any, layer_name: str, channel: int, row: int, col: int) -> PoolStep:
    """Recompute output (row, col, channel) of a MaxPooling2D/AveragePooling2D layer from its real input."""
    batch, info, layer = _steppable(model, x, layer_name, POOL_TYPES, "pooling layer")
    channels = info.output_shape[-1]
    if not 0 <= channel < channels:
        raise InspectionError(f"{layer_name!r} has {channels} channels (0..{channels - 1}); got {channel}")
    _check_position(info, row, col)
    layer_in, layer_out = _layer_io(model, info, batch)
    ph, pw = (int(p) for p in layer.pool_size)
    sh, sw = (int(s) for s in layer.strides)
    padding = str(layer.padding).lower()
    pad_t = _same_pad(layer_in.shape[0], ph, sh) if padding == "same" else 0
    pad_l = _same_pad(layer_in.shape[1], pw, sw) if padding == "same" else 0
    top, left = row * sh - pad_t, col * sw - pad_l
    window, valid = _window(layer_in[:, :, channel : channel + 1], top, left, ph, pw, 1, 1, np.nan)
    window = window[:, :, 0]
    real = window[valid]
    if info.type == "MaxPooling2D":
        kind = "max"
        masked = np.where(valid, window, -np.inf)
        winner = tuple(int(v) for v in np.unravel_index(int(np.argmax(masked)), masked.shape))
        value = float(real.max())
    else:
        kind, winner = "average", None
        value = float(np.mean(real, dtype=np.float64))
    return PoolStep(
        layer=layer_name,
        kind=kind,
        channel=int(channel),
        row=int(row),
        col=int(col),
        input_rows=(top, top + ph - 1),
        input_cols=(left, left + pw - 1),
        window=window,
        in_image=valid,
        winner=winner,
        count=int(valid.sum()),
        value=value,
        actual=float(layer_out[row, col, channel]),
        input_map=layer_in[:, :, channel],
        output_map=layer_out[:, :, channel],
        pool_size=(ph, pw),
        strides=(sh, sw),
        padding=padding,
    )


# ---------------------------------------------------------------- evaluation


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """(K, K) counts: rows are true classes, columns predicted classes."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise InspectionError(f"{t.size} labels but {p.size} predictions")
    bad = (t < 0) | (t >= num_classes) | (p < 0) | (p >= num_classes)
    if bad.any():
        raise InspectionError(f"labels and predictions must lie in 0..{num_classes - 1}")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@dataclass
class Mistake:
    """One misclassified test image: its index in the test split, true and predicted class, confidence."""

    index: int
    true: int
    predicted: int
    confidence: float  # the probability given to the (wrong) predicted class
    probabilities: np.ndarray


@dataclass
class Evaluation:
    """A test-split evaluation: confusion matrix, per-class metrics, every mistake with its probabilities.

    Per-class `accuracy` is the fraction of that class's images classified correctly (the confusion matrix's
    diagonal over its row), which is the class's recall; `precision` is the diagonal over the column.
    A class that was never predicted has precision 0.
    """

    class_names: list[str]
    confusion: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    probabilities: np.ndarray
    precision: np.ndarray = field(init=False)
    recall: np.ndarray = field(init=False)
    f1: np.ndarray = field(init=False)
    support: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        cm = self.confusion.astype(np.float64)
        diag = np.diag(cm)
        self.support = self.confusion.sum(axis=1)
        predicted = cm.sum(axis=0)
        self.precision = np.divide(diag, predicted, out=np.zeros_like(diag), where=predicted > 0)
        self.recall = np.divide(diag, cm.sum(axis=1), out=np.zeros_like(diag), where=cm.sum(axis=1) > 0)
        both = self.precision + self.recall
        self.f1 = np.divide(2 * self.precision * self.recall, both, out=np.zeros_like(diag), where=both > 0)

    @property
    def accuracy(self) -> np.ndarray:
        """Per-class accuracy (= recall): correct / images of that class."""
        return self.recall

    @property
    def overall_accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(1, self.confusion.sum()))

    @property
    def misclassified(self) -> np.ndarray:
        """Indices of the wrongly classified images, most confident mistake first."""
        wrong = np.nonzero(self.y_true != self.y_pred)[0]
        confidence = self.probabilities[wrong, self.y_pred[wrong]]
        return wrong[np.argsort(-confidence, kind="stable")]

    def cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of the images in one confusion-matrix cell, most confident first (the cell's gallery)."""
        hits = np.nonzero((self.y_true == true_class) & (self.y_pred == predicted_class))[0]
        confidence = self.probabilities[hits, predicted_class]
        return hits[np.argsort(-confidence, kind="stable")]

    def most_confident_mistakes(self, n: int = 16) -> list[Mistake]:
        """The n mistakes the model was surest about."""
        return [
            Mistake(
                int(i),
                int(self.y_true[i]),
                int(self.y_pred[i]),
                float(self.probabilities[i, self.y_pred[i]]),
                self.probabilities[i],
            )
            for i in self.misclassified[:n]
        ]

    def per_class(self) -> list[dict[str, Any]]:
        """One row per class: name, support, precision, recall, accuracy, f1 (ready for a table)."""
        return [
            {
                "class": i,
                "name": name,
                "support": int(self.support[i]),
                "precision": float(self.precision[i]),
                "recall": float(self.recall[i]),
                "accuracy": float(self.recall[i]),
                "f1": float(self.f1[i]),
            }
            for i, name in enumerate(self.class_names)
        ]

    def to_dict(self, mistakes: int = 32) -> dict[str, Any]:
        """JSON-safe summary for a run record (the per-image probabilities stay out)."""
        return {
            "class_names": list(self.class_names),
            "confusion": self.confusion.tolist(),
            "accuracy": self.overall_accuracy,
            "per_class": self.per_class(),
            "test_size": int(self.confusion.sum()),
            "mistakes": [
                {"index": m.index, "true": m.true, "predicted": m.predicted, "confidence": m.confidence}
                for m in self.most_confident_mistakes(mistakes)
            ],
        }


def evaluate_probabilities(probabilities: Any, y_true: Any, class_names: Sequence[str]) -> Evaluation:
    """An `Evaluation` from probabilities the caller already has (the trainer's end-of-run path)."""
    probs = np.asarray(probabilities, dtype=np.float32)
    labels = np.asarray(y_true, dtype=np.int64).ravel()
    if probs.ndim != 2 or probs.shape[0] != labels.size:
        raise InspectionError(f"probabilities {probs.shape} do not match {labels.size} labels")
    if probs.shape[1] != len(class_names):
        raise InspectionError(f"the model outputs {probs.shape[1]} classes but the dataset has {len(class_names)}")
    preds = probs.argmax(axis=1).astype(np.int64)
    return Evaluation(list(class_names), confusion_matrix(labels, preds, len(class_names)), labels, preds, probs)


def evaluate(model: Any, x_test: Any, y_test: Any, class_names: Sequence[str]) -> Evaluation:
    """Evaluate `model` on a test split (uint8 or [0, 1] float images) with one compiled batched pass."""
    if len(x_test) == 0:
        raise InspectionError("the test split is empty — nothing to evaluate")
    return evaluate_probabilities(predictor(model).predict(x_test), y_test, class_names)


# ---------------------------------------------------------------- embeddings


@dataclass
class Embedding:
    """2-D coordinates of the first `len(coords)` images' penultimate-layer activations."""

    coords: np.ndarray  # (n, 2)
    layer: str  # the layer whose output was projected
    method: str  # "pca" | "tsne"
    probabilities: np.ndarray  # (n, K) the model's predictions for the same images
    dimensions: int  # size of the projected activation vector


def penultimate_layer(model: Any) -> LayerInfo:
    """The layer feeding the classifier head (looking through Dropout), whose output is the learned embedding."""
    structure = _structure(model)
    index = structure.output_index
    infos = structure.layers
    feeders = structure.producers.get(index, [])
    while feeders:
        info = infos[feeders[0]]
        if info.type not in PASS_THROUGH:
            return info
        feeders = structure.producers.get(info.index, [])
    raise InspectionError("the model's head takes the image directly; there is no penultimate layer to project")


def pca_2d(features: np.ndarray) -> np.ndarray:
    """The first two principal components (numpy SVD), signs fixed so the result is reproducible."""
    f = np.asarray(features, dtype=np.float64)
    f = f - f.mean(axis=0, keepdims=True)
    u, s, vt = np.linalg.svd(f, full_matrices=False)
    coords = np.zeros((len(f), 2))
    for j in range(min(2, len(s))):
        sign = np.sign(vt[j, np.abs(vt[j]).argmax()]) or 1.0  # the largest loading is positive
        coords[:, j] = u[:, j] * s[j] * sign
    return coords.astype(np.float32)


def tsne_2d(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """t-SNE (scikit-learn) to 2-D; PCA initialisation, perplexity capped for small sets."""
    try:
        from sklearn.manifold import TSNE
    except ImportError as exc:
        raise InspectionError("t-SNE needs scikit-learn: pip install scikit-learn (or use method='pca')") from exc
    n = len(features)
    if n < 5:
        raise InspectionError(f"t-SNE needs at least 5 images, got {n}")
    tsne = TSNE(n_components=2, init="pca", random_state=seed, perplexity=float(min(30.0, (n - 1) / 3)))
    return tsne.fit_transform(np.asarray(features, dtype=np.float32)).astype(np.float32)


def embeddings(model: Any, x: Any, method: str = "pca", max_points: int = 3000, seed: int = 0) -> Embedding:
    """Penultimate-layer activations of the first `max_points` images of `x` projected to 2-D.

    The test split is already shuffled, so its first images are a fair sample; `coords[i]` belongs to `x[i]`.
    """
    if method not in ("pca", "tsne"):
        raise InspectionError(f"method must be 'pca' or 'tsne', not {method!r}")
    batch = as_batch(np.asarray(x)[:max_points], model)
    if len(batch) < 3:
        raise InspectionError(f"an embedding needs at least 3 images, got {len(batch)}")
    info = penultimate_layer(model)
    structure = _structure(model)

    def build():
        def fn(x):
            final, outs, _ = _forward(model, x, taps=[info.index])
            return [outs[info.index], final]

        return _compile(fn, model, [(None, *structure.input_shape)])

    call = _cached(model, ("embedding", info.index), build)
    feats, probs = [], []
    for i in range(0, len(batch), _BATCH):
        f, p = call(batch[i : i + _BATCH])
        feats.append(f.reshape(len(f), -1))
        probs.append(p)
    features = np.concatenate(feats)
    coords = pca_2d(features) if method == "pca" else tsne_2d(features, seed)
    return Embedding(coords, info.name, method, np.concatenate(probs), int(features.shape[1]))


# ---------------------------------------------------------------- timing (for cnnlab.bench)


def _timed(fn: Callable[[], Any], repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def time_feature_maps(model: Any, x: Any, repeats: int = 50) -> list[float]:
    """Seconds per call of all-layer feature maps for one image (compiled; warm-up calls not counted)."""
    mapper = feature_mapper(model)
    return _timed(lambda: mapper(x), repeats)


def time_prediction(model: Any, canvas: np.ndarray, repeats: int = 50) -> list[float]:
    """Seconds per call of drawing -> `canvas_to_mnist` -> compiled prediction (warm-up calls not counted)."""
    from cnnlab.preprocess import canvas_to_mnist

    pred = predictor(model)
    return _timed(lambda: pred.predict(canvas_to_mnist(canvas)), repeats)


# ---------------------------------------------------------------- pictures (for the Inspect page)


def diverging(values: np.ndarray) -> np.ndarray:
    """[0, 1] values with 0.5 meaning zero (as `LayerFilters.images` and `snapshot_images` give them) as uint8 RGB:
    blue for negative, white for zero, red for positive, so a weight's sign reads at a glance. NaN is light grey."""
    v = np.asarray(values, dtype=np.float32)
    nan = np.isnan(v)
    s = np.clip(np.nan_to_num(v, nan=0.5) * 2.0 - 1.0, -1.0, 1.0)[..., None]  # -1 .. 1
    white = np.ones(3, np.float32)
    red, blue = np.array([0.70, 0.09, 0.17], np.float32), np.array([0.13, 0.40, 0.67], np.float32)
    rgb = np.where(s >= 0, white + s * (red - white), white - s * (blue - white))
    rgb[nan] = 0.9
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def mosaic(tiles: np.ndarray, columns: int | None = None, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """(N, h, w) or (N, h, w, 3) tiles as one (rows, columns) picture with `gap` cells of `fill` between them.

    A row-major grid of `columns` (default: near-square). Kernels, per-channel filters and per-epoch snapshots all
    become one image this way, which the page then enlarges without smoothing.
    """
    tiles = np.asarray(tiles, dtype=np.float32)
    if tiles.ndim not in (3, 4) or len(tiles) == 0:
        raise InspectionError(f"mosaic needs (N, h, w) or (N, h, w, 3) tiles, got shape {tiles.shape}")
    n, h, w = tiles.shape[:3]
    cols = max(1, min(n, columns or int(np.ceil(np.sqrt(n)))))
    rows = int(np.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, *tiles.shape[3:]), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tiles[i]
    return out


def enlarge(image: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W) or (H, W, C) picture so its longer side is about `size` pixels
    (a whole-number factor, at least 1): small images stay crisp in the browser instead of blurring."""
    arr = np.asarray(image)
    factor = max(1, int(size) // max(arr.shape[0], arr.shape[1], 1))
    return arr.repeat(factor, axis=0).repeat(factor, axis=1)


def to_display(image: np.ndarray) -> np.ndarray:
    """Any model input (uint8 or [0, 1] float; (H, W), (H, W, 1) or (H, W, 3)) as uint8 for st.image."""
    arr = np.asarray(image)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr.astype(np.float32)), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return arr


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

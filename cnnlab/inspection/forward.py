"""Running a model layer by layer, compiled once per model and purpose, and the fast predictor.

Every function takes a `keras.Model` (Sequential, Functional, or Functional with a nested model such as a
keras.applications base). Instead of building extra Keras models over the original graph — which fails for a
Sequential model without a defined `.input`, and hides the layers of a nested base — the model is run as a plain
function layer by layer (`_walk`), recursing into nested models, and the wanted intermediate tensors are tapped on the
way. That function is compiled once per model and purpose (`compile_fn`: `tf.function` on TensorFlow, `jax.jit` over
the variables' values on JAX) and cached on the model object, so a second call costs one compiled forward pass.

Layer names are the Keras names, the same ones `cnnlab.arch.analysis` gives its rows. Images go in as float32 in
[0, 1] (uint8 pixels are divided by 255); one image may be (H, W), (H, W, C) or (1, H, W, C).
TensorFlow and Keras are imported lazily, inside functions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.errors import CnnLabError, Phrase


class InspectionError(CnnLabError, ValueError):
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
NOT_CAM = PASS_THROUGH | POOL_TYPES | {"ZeroPadding2D", "Cropping2D", "Resizing", "Rescaling", "Normalization"}


BATCH = 256  # images per compiled call when a function is given many


def compile_fn(fn: Callable[..., Any], model: Any, specs: Sequence[tuple[int | None, ...]]) -> Callable[..., list]:
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


def compile_gradient(
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
    raise InspectionError("engine.inspect.backend", backend=repr(backend))


def _numpy_list(out: Any) -> list[np.ndarray]:
    import keras

    items = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in items]


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


def is_nested(layer: Any) -> bool:
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
                raise InspectionError("engine.inspect.inputs", name=repr(m.name), count=len(m.inputs))
            return m._run_through_graph(  # replays the graph, calling `step` for each layer
                t, operation_fn=lambda op: op, call_fn=lambda op, *a, **k: step(op, a, k, parent)
            )
        raise InspectionError("engine.inspect.subclassed", name=repr(m.name))

    def step(layer, args, kwargs, parent):
        if is_nested(layer):

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
    raise InspectionError("engine.inspect.no_input_shape")


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


def cached(model: Any, key: Any, factory: Callable[[], Any]) -> Any:
    cache = _cache(model)
    with _LOCK:
        if key not in cache:
            cache[key] = factory()
        return cache[key]


def structure_of(model: Any) -> _Structure:
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
            raise InspectionError("engine.inspect.no_layers")
        return _Structure(shape, layers, producer_of.get(id(final), layers[-1].index), producers)

    return cached(model, "structure", build)


def layer_infos(model: Any) -> list[LayerInfo]:
    """Every layer in execution order, nested models' layers included, with output shapes (no batch dimension)."""
    return list(structure_of(model).layers)


LAYER = Phrase("engine.inspect.word_layer")  # what find_layer looks for, in the sentence that says it is not there


def find_layer(model: Any, name: str, *, types: frozenset[str] | None = None, what: Phrase = LAYER) -> LayerInfo:
    infos = structure_of(model).layers
    matches = [i for i in infos if i.name == name]
    if not matches:
        options = ", ".join(i.name for i in infos if types is None or i.type in types)
        raise InspectionError(
            "engine.inspect.no_such_layer", what=what, name=repr(name), options=options or Phrase("engine.word.none")
        )
    info = matches[-1]
    if types is not None and info.type not in types:
        raise InspectionError(
            "engine.inspect.wrong_type", name=repr(name), type=info.type, what=what, types=", ".join(sorted(types))
        )
    return info


def layer_object(model: Any, info: LayerInfo) -> Any:
    holder = model if info.parent is None else _nested(model, info.parent)
    return holder.get_layer(info.name)


def _nested(model: Any, name: str) -> Any:
    for layer in model.layers:
        if layer.name == name:
            return layer
        if is_nested(layer):
            try:
                return _nested(layer, name)
            except KeyError:
                continue
    raise KeyError(name)


def run_layers(
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

    structure = structure_of(model)
    want, want_in = set(taps), set(tap_inputs)
    outs: dict[int, Any] = {}
    ins: dict[int, Any] = {}

    def on_layer(counter, layer, parent, args, compute):
        if is_nested(layer):
            out = compute()  # numbers its own layers first (post-order, as in `structure_of`)
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


def as_batch(x: Any, model: Any | None = None) -> np.ndarray:
    """Images as a float32 NHWC batch in [0, 1]: uint8 pixels are scaled; (H, W) and (H, W, C) get a batch axis."""
    arr = np.asarray(x)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif not np.issubdtype(arr.dtype, np.number):
        raise InspectionError("engine.inspect.dtype", dtype=str(arr.dtype))
    arr = arr.astype(np.float32, copy=False)
    shape = _input_shape(model, arr) if model is not None else None
    if arr.ndim == 2:
        arr = arr[None, :, :, None]
    elif arr.ndim == 3:
        arr = arr[None, :, :, :] if shape is None or tuple(arr.shape) == shape else arr[..., None]
    if arr.ndim != 4:
        raise InspectionError("engine.inspect.image_rank", shape=str(np.shape(x)))
    if shape is not None and tuple(arr.shape[1:]) != shape:
        want, got = "x".join(map(str, shape)), "x".join(map(str, arr.shape[1:]))
        raise InspectionError("engine.inspect.image_size", want=want, got=got)
    return arr


def one_image(x: Any, model: Any) -> np.ndarray:
    batch = as_batch(x, model)
    if batch.shape[0] != 1:
        raise InspectionError("engine.inspect.one_image", count=batch.shape[0])
    return batch


class Predictor:
    """The model's forward pass compiled once: `predict(images)` -> class probabilities (N, K).

    Far cheaper per call than `model.predict`, which sets up a data pipeline every time (~56 ms here even for one
    image); the first call compiles, later calls on one LeNet-5 image take well under a millisecond.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.input_shape = _input_shape(model)
        self._call = compile_fn(lambda x: model(x, training=False), model, [(None, *self.input_shape)])

    def predict(self, x: Any, batch_size: int = BATCH) -> np.ndarray:
        """Probabilities for one image or a batch (uint8 or float in [0, 1]); always (N, K)."""
        batch = as_batch(x, self.model)
        if len(batch) <= batch_size:
            return self._call(batch)[0]
        return np.concatenate([self._call(batch[i : i + batch_size])[0] for i in range(0, len(batch), batch_size)])

    def predict_one(self, image: Any) -> np.ndarray:
        """Probabilities (K,) for a single image."""
        return self.predict(one_image(image, self.model))[0]


def predictor(model: Any) -> Predictor:
    """The cached `Predictor` of `model`."""
    return cached(model, "predictor", lambda: Predictor(model))

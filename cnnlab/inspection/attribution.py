"""Why the model chose a class: Grad-CAM and saliency maps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnlab.imaging import resize
from cnnlab.inspection.forward import (
    NOT_CAM,
    InspectionError,
    cached,
    compile_gradient,
    find_layer,
    one_image,
    predictor,
    run_layers,
    structure_of,
)


def default_cam_layer(model: Any) -> str:
    """The last spatial layer that computes something (convolution, activation, addition, a nested base)."""
    candidates = [i for i in structure_of(model).layers if i.spatial and i.type not in NOT_CAM]
    if not candidates:
        raise InspectionError("engine.inspect.no_cam_layer")
    last = ([i for i in candidates if i.parent is None] or candidates)[-1]
    if last.output_shape[0] * last.output_shape[1] > 1:
        return last.name
    # a 1x1 map (a small image through a deep base) cannot show where: the last map with some extent, at any depth
    wide = [i for i in candidates if i.output_shape[0] * i.output_shape[1] > 1]
    return (wide or [last])[-1].name


def _onehot(probs_k: int, class_index: int | None, predicted: int) -> np.ndarray:
    index = predicted if class_index is None else int(class_index)
    if not 0 <= index < probs_k:
        raise InspectionError("engine.inspect.class_range", index=index, count=probs_k, last=probs_k - 1)
    onehot = np.zeros((1, probs_k), dtype=np.float32)
    onehot[0, index] = 1.0
    return onehot


def _output_classes(model: Any) -> int:
    structure = structure_of(model)
    shape = structure.layers[structure.output_index].output_shape
    if len(shape) != 1:
        raise InspectionError("engine.inspect.output_shape", shape=str(shape))
    return int(shape[0])


def grad_cam(model: Any, x: Any, class_index: int | None = None, layer_name: str | None = None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): where the layer's feature maps support the class score.

    Channel weights are the spatially averaged gradients of the pre-softmax class score; the map is
    ReLU(sum_k w_k A_k), scaled to [0, 1] and resized to the input (H, W). The predicted class by default.
    """
    batch = one_image(x, model)
    name = layer_name or default_cam_layer(model)
    info = find_layer(model, name)
    if not info.spatial:
        raise InspectionError("engine.inspect.not_feature_map", name=repr(name), shape=str(info.output_shape))
    classes = _output_classes(model)
    structure = structure_of(model)

    def build():
        def fn(delta, x, onehot):
            import keras

            final, outs, _ = run_layers(model, x, taps=[info.index], logits=True, delta_at=info.index, delta=delta)
            return keras.ops.sum(final * onehot), [outs[info.index], final]

        shapes = [(None, *info.output_shape), (None, *structure.input_shape), (None, classes)]
        return compile_gradient(fn, model, shapes)

    call = cached(model, ("gradcam", info.index), build)
    onehot = _onehot(classes, class_index, int(np.argmax(predictor(model).predict(batch)[0])))
    (acts, _), grads = call(np.zeros((1, *info.output_shape), np.float32), batch, onehot)
    weights = grads[0].mean(axis=(0, 1))
    cam = np.maximum((acts[0] * weights).sum(axis=-1), 0.0)
    cam = resize(cam, *structure.input_shape[:2])
    cam = np.maximum(cam, 0.0)
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).astype(np.float32)


def saliency(model: Any, x: Any, class_index: int | None = None) -> np.ndarray:
    """Gradient saliency (Simonyan et al. 2013): |d class score / d pixel|, max over channels, scaled to [0, 1]."""
    batch = one_image(x, model)
    classes = _output_classes(model)
    structure = structure_of(model)

    def build():
        def fn(x, onehot):
            import keras

            final, _, _ = run_layers(model, x, logits=True)
            return keras.ops.sum(final * onehot), [final]

        return compile_gradient(fn, model, [(None, *structure.input_shape), (None, classes)])

    call = cached(model, "saliency", build)
    onehot = _onehot(classes, class_index, int(np.argmax(predictor(model).predict(batch)[0])))
    _, grads = call(batch, onehot)
    sal = np.abs(grads[0]).max(axis=-1)
    peak = float(sal.max())
    return (sal / peak if peak > 0 else sal).astype(np.float32)


def what_it_saw(model: Any, x: Any) -> tuple[np.ndarray | None, list, str]:
    """What Predict shows under a finished drawing, in one request: Grad-CAM on the default layer, the first two
    top-level convolutions' feature maps, and that layer's name. A model without a convolution has no Grad-CAM."""
    from cnnlab.inspection.features import feature_maps

    try:
        layer = default_cam_layer(model)
        cam = grad_cam(model, x, layer_name=layer)
    except InspectionError:
        layer, cam = "", None
    convs = [m for m in feature_maps(model, x) if m.type == "Conv2D" and m.parent is None][:2]
    return cam, convs, layer

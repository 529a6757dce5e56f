"""ImageNet weights for transfer bases: where Keras caches them, and whether they can be had here.

The status sentence is a `Phrase` ("engine.spec.weights_*"): `str()` is the English, a page shows `message(lang)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnlab.arch.spec import SpecError, WeightsUnavailable
from cnnlab.errors import Phrase

IMAGENET_SIZES = (96, 128, 160, 192, 224)  # MobileNetV2 ships weights for these input sides


def imagenet_weights_file(base: str, side: int = 224) -> str:
    """The file name Keras caches the no-top ImageNet weights of `base` under (in <KERAS_HOME>/models)."""
    if base == "mobilenet_v2":
        rows = side if side in IMAGENET_SIZES else 224
        return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5"
    if base == "resnet50":
        return "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    raise SpecError("engine.spec.no_weights", base=base)


@dataclass
class WeightsStatus:
    """Whether ImageNet weights can be used here, and the sentence to show (a Phrase: `message.message(lang)`)."""

    available: bool
    cached_path: str | None
    message: Phrase


def imagenet_weights_status(base: str, side: int = 224) -> WeightsStatus:
    """Check the Keras cache, then (once per process, with a short timeout) the download host. Never hangs."""
    from cnnlab import paths
    from cnnlab.downloads import available_here

    name = imagenet_weights_file(base, side)
    path = paths.keras_home() / "models" / name
    where = available_here(path.is_file())
    if where.cached:
        return WeightsStatus(True, str(path), Phrase("engine.spec.weights_cached", path=str(path)))
    if where.downloadable:
        return WeightsStatus(True, None, Phrase("engine.spec.weights_download"))
    return WeightsStatus(False, None, Phrase("engine.spec.weights_missing", base=base, path=str(path)))


BASE_NAMES = {"mobilenet_v2": "MobileNetV2", "resnet50": "ResNet50"}


def unavailable_weights(spec) -> list[WeightsUnavailable]:
    """One problem per transfer base of `spec` that asks for ImageNet weights this machine cannot have (not in the
    Keras cache and no network), so a run is refused before it starts rather than failing in its worker.

    The sentence ("engine.spec.imagenet_offline") says what to do in the page's words (the base's Weights setting
    set to random), with no file path and no command-line syntax. `spec` must have passed the analysis.
    """
    from cnnlab.arch.spec import resolved_params
    from cnnlab.arch.transfer import transfer_geometry

    out = []
    for layer in spec.layers:
        if layer.type != "TransferBase":
            continue
        p = resolved_params(layer)
        if p.get("base") not in BASE_NAMES or p.get("weights") != "imagenet":
            continue
        side = transfer_geometry(p, tuple(spec.input_shape)).base_input[0]
        if not imagenet_weights_status(p["base"], side).available:
            out.append(WeightsUnavailable("engine.spec.imagenet_offline", base=BASE_NAMES[p["base"]]))
    return out

"""ImageNet weights for transfer bases: where Keras caches them, and whether they can be had here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnlab.arch.spec import SpecError

IMAGENET_SIZES = (96, 128, 160, 192, 224)  # MobileNetV2 ships weights for these input sides


def imagenet_weights_file(base: str, side: int = 224) -> str:
    """The file name Keras caches the no-top ImageNet weights of `base` under (in <KERAS_HOME>/models)."""
    if base == "mobilenet_v2":
        rows = side if side in IMAGENET_SIZES else 224
        return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5"
    if base == "resnet50":
        return "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    raise SpecError(f"no ImageNet weights for base {base!r}")


@dataclass
class WeightsStatus:
    """Whether ImageNet weights can be used here, and the sentence to show when not."""

    available: bool
    cached_path: str | None
    message: str


def imagenet_weights_status(base: str, side: int = 224) -> WeightsStatus:
    """Check the Keras cache, then (once per process, with a short timeout) the download host. Never hangs."""
    from cnnlab import paths
    from cnnlab.downloads import available_here

    name = imagenet_weights_file(base, side)
    path = paths.keras_home() / "models" / name
    where = available_here(path.is_file())
    if where.cached:
        return WeightsStatus(True, str(path), f"ImageNet weights found in the Keras cache ({path}).")
    if where.downloadable:
        return WeightsStatus(True, None, "ImageNet weights are not cached; Keras will download them on first build.")
    return WeightsStatus(
        False,
        None,
        f"ImageNet weights for {base} are unavailable: they are not in the Keras cache ({path}) and there is no "
        "network. Copy the file there, or use random weights (weights=None; on the command line --option "
        "weights=none) — the base then starts untrained.",
    )

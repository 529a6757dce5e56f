"""The Inspect page's whole-model probes: what each filter wants to see (activation maximisation beside the nine
test images that excite each channel most) and the robustness sweep (test accuracy against rotation, shift and
stroke thickness). Both are computed on a click, with a progress bar, and kept per checkpoint (`probe.once`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import streamlit as st

from cnnlab import charts
from cnnlab.imaging import mosaic
from cnnlab.inspection.maximise import AscentSettings
from cnnlab.inspection.probecache import remember
from cnnlab.inspection.robustness import SweepSettings
from cnnlab.ui import widgets
from cnnlab.ui.inspect.common import Subject, T, shared
from cnnlab.ui.inspect.probe import known, once, progress_bar

CHANNEL_TYPES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense")
PAGE = 16  # channels drawn at a time
CHUNK = 4  # channels climbed per batch (the progress bar moves after each)
ASCENT = AscentSettings()


# ---------------------------------------------------------------- what a filter wants to see


def _pictures(subj: Subject, layer: str, channels: list[int], t: T) -> dict[str, np.ndarray]:
    """Activation-maximisation pictures and the top-9 test images of `channels`, once per checkpoint."""
    settings = _settings(subj, layer, channels)

    def compute(key: str | None) -> dict[str, np.ndarray]:
        def climb() -> dict[str, np.ndarray]:
            bar, report = progress_bar(t("probe.want_climbing", layer=layer))
            parts = []
            for start in range(0, len(channels), CHUNK):
                parts.append(subj.model.maximise_activation(layer, channels[start : start + CHUNK], ASCENT))
                report(min(start + CHUNK, len(channels)), len(channels))
            top = subj.model.top_activating(layer, subj.dataset.x_test, k=9, channels=channels)
            bar.empty()
            return {"images": np.concatenate([p.images for p in parts]),
                    "activation": np.concatenate([p.activation for p in parts]),
                    "noise": np.concatenate([p.noise_activation for p in parts]),
                    "top": top.indices, "top_activation": top.activation}  # fmt: skip

        return remember("filter-pictures", key, settings, climb)

    return once(subj, "filter-pictures", settings, compute)


def want_tab(subj: Subject, t: T) -> None:
    st.caption(t("probe.want_help"))
    infos = [i for i in shared(subj, "layer_infos") if i.type in CHANNEL_TYPES]
    if not infos:
        st.info(t("probe.want_none"))
        return
    by_name = {i.name: i for i in infos}
    convs = [i.name for i in infos if i.type != "Dense"]  # the last convolution: the first's pictures are often flat
    widgets.keep_option("insp_want_layer", list(by_name), convs[-1] if convs else infos[0].name)
    a, b = st.columns([3, 4])
    name = a.selectbox(t("inspect.layer"), list(by_name), key="insp_want_layer", help=t("probe.want_layer_help"),
                       format_func=lambda n: f"{n} ({by_name[n].type}, {by_name[n].output_shape[-1]})")  # fmt: skip
    count = int(by_name[name].output_shape[-1])
    with b:
        first = widgets.int_slider(t("probe.want_first"), (count - 1) // PAGE, "insp_want_page",
                                   t("probe.want_first_help", n=PAGE)) * PAGE  # fmt: skip
    channels = list(range(first, min(first + PAGE, count)))
    settings_known = known(subj, "filter-pictures", _settings(subj, name, channels))
    if not settings_known and not st.button(t("probe.want_go", first=channels[0], last=channels[-1]), type="primary",
                                            icon=":material/auto_awesome:", key="insp_want_go"):  # fmt: skip
        st.caption(t("probe.want_wait"))
        return
    found = _pictures(subj, name, channels, t)
    st.markdown(t("probe.want_sentence", layer=name, gain=float(np.median(found["activation"] - found["noise"]))))
    per_row = 4
    for start in range(0, len(channels), per_row):
        cols = st.columns(per_row * 2, gap="small")
        for j, i in enumerate(range(start, min(start + per_row, len(channels)))):
            cols[2 * j].image(framed(widgets.picture(found["images"][i], 120)),
                              caption=t("probe.want_item", channel=channels[i], act=float(found["activation"][i]),
                                        noise=float(found["noise"][i])))  # fmt: skip
            cols[2 * j + 1].image(framed(_top_grid(subj, found["top"][i])), caption=t("probe.want_top"))


def _settings(subj: Subject, layer: str, channels: list[int]) -> dict[str, Any]:
    return {"layer": layer, "channels": channels, "ascent": asdict(ASCENT), "test": len(subj.dataset.y_test)}


def framed(picture: np.ndarray) -> np.ndarray:
    """A uint8 picture with a thin grey frame, so an all-white or all-black one still reads as a picture."""
    rgb = np.repeat(picture[..., None], 3, axis=2) if picture.ndim == 2 else picture
    return np.pad(rgb, ((2, 2), (2, 2), (0, 0)), constant_values=138)


def _top_grid(subj: Subject, indices: np.ndarray) -> np.ndarray:
    """The test images at `indices` as one 3x3 picture."""
    images = np.asarray([subj.dataset.x_test[int(i)] for i in indices], np.float32)
    images = images / 255.0 if subj.dataset.x_test.dtype == np.uint8 else images
    tiles = images[..., 0] if images.shape[-1] == 1 else images
    return widgets.picture(np.nan_to_num(mosaic(tiles, columns=3, gap=1, fill=1.0)), 120)


# ---------------------------------------------------------------- robustness sweep

SWEEP = SweepSettings()


def sweep_tab(subj: Subject, t: T) -> None:
    st.caption(t("probe.sweep_help"))
    ds = subj.dataset
    settings = {**SWEEP.to_dict(), "test": len(ds.y_test)}
    go = t("probe.sweep_go", n=len(ds.y_test))
    if not known(subj, "sweep", settings) and not st.button(go, type="primary", icon=":material/query_stats:",
                                                            key="insp_sweep_go"):  # fmt: skip
        st.caption(t("probe.sweep_wait"))
        return

    def compute(key: str | None):
        bar, report = progress_bar(t("probe.sweep_running", n=len(ds.y_test)))
        found = subj.model.robustness_sweep(ds.x_test, ds.y_test, SWEEP, progress=report, cache_key=key)
        bar.empty()
        return found

    sweep = once(subj, "sweep", settings, compute)
    titles = {"rotation": t("probe.sweep_rotation"), "shift_x": t("probe.sweep_shift"),
              "shift_y": t("probe.sweep_shift"), "thickness": t("probe.sweep_thickness")}  # fmt: skip
    labels = {"accuracy": t("probe.sweep_accuracy"), "rotation": t("probe.rotation"), "shift_x": t("probe.shift_x"),
              "shift_y": t("probe.shift_y"), "thickness": t("probe.thickness")}  # fmt: skip
    curves = {k: (c.values, c.accuracy) for k, c in sweep.curves.items() if k in titles}
    st.plotly_chart(charts.robustness_curves(curves, titles, labels), key="insp_sweep_chart", width="stretch")
    rot = sweep.curves.get("rotation")
    if rot is not None:
        base = float(np.interp(0.0, rot.values, rot.accuracy))
        at45 = float(np.interp(45.0, rot.values, rot.accuracy))
        st.markdown(t("probe.sweep_sentence", n=sweep.count, base=base, at45=at45))

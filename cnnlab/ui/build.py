"""The Build page's preset picker and analysis (kept apart so build.py stays short)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from cnnlab.arch import spec as spec_
from cnnlab.arch.presets import (
    PRESET_OPTIONS,
    PRESETS,
    PresetOption,
    preset,
    run_model_label,
    saved_run_models,
    visible_options,
)
from cnnlab.arch.transfer import transfer_geometry
from cnnlab.arch.weights import imagenet_weights_file, imagenet_weights_status
from cnnlab.charts import DEFAULT_LABELS, architecture_diagram
from cnnlab.i18n import CATALOGUE
from cnnlab.runs import store as rs
from cnnlab.ui import shell, state, uploads

T = Callable[..., str]


def word(value, t: T) -> str:
    """A preset's display name or an option value in the UI language."""
    if f"arch.name.{value}" in CATALOGUE:
        return t(f"arch.name.{value}")
    return t(f"build.val.{value}") if f"build.val.{value}" in CATALOGUE else str(value)


def load(spec: spec_.ArchSpec) -> None:
    """The editor's new starting point; a new editor key, so old edits don't replay."""
    ss = st.session_state
    ss["build_base"], ss["build_ver"] = spec.to_dict(), ss.get("build_ver", 0) + 1


def load_preset(shape: tuple[int, ...], classes: int) -> None:
    """Widget callback: rebuild the chosen preset with its options (a SpecError is shown by `preset_box`)."""
    ss = st.session_state
    name = ss["build_preset"]
    options = {o.name: ss[k] for o in PRESET_OPTIONS[name] if (k := f"build_opt_{name}_{o.name}") in ss}
    ss.pop("build_problem", None)
    if waiting_for_a_run(name, options):
        return  # nothing to build until a saved model is picked; the page says so
    try:
        load(preset(name, shape, classes, **options))
    except spec_.SpecError as exc:
        ss["build_problem"] = exc.with_traceback(None)  # shown by key, in the language of the moment


def waiting_for_a_run(name: str, chosen: dict) -> bool:
    """Transfer from "a model I trained here" with no model picked yet: not a mistake, a choice still to make."""
    return name == "transfer" and chosen.get("base") == "run" and not chosen.get("model_path")


def run_label(path: str, t: T) -> str:
    """A saved model in the base picker: its run's name, dataset, test accuracy and date (not a bare run id)."""
    import time

    run_id = run_model_label(path)
    try:
        run = state.store().get_run(run_id)
    except (rs.RunNotFound, rs.BadRunName):  # a model file with no run record: its folder's name is all there is
        return run_id
    acc = run.final_metrics.get("test_accuracy")
    key = "build.run_option_named" if run.dataset in run.name else "build.run_option"  # "LeNet-5 on mnist-sample"
    return t(key, name=run.name, dataset=run.dataset, acc="—" if acc is None else f"{acc:.1%}",
             date=time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created)))  # fmt: skip


def use_random_weights(shape: tuple[int, ...], classes: int) -> None:
    """Widget callback: the transfer base starts from random weights (ImageNet's cannot be had here)."""
    st.session_state["build_opt_transfer_weights"] = "none"
    load_preset(shape, classes)


def weights_way_out(base: str, side: int, shape: tuple[int, ...], classes: int, t: T) -> None:
    """Offline ImageNet weights: the two ways out, as buttons (random weights now, or how to add the file)."""
    st.warning(t("build.weights_missing"), icon=":material/cloud_off:")
    a, b, _ = st.columns([1, 1, 2])
    a.button(t("build.use_random"), on_click=use_random_weights, args=(shape, classes), width="stretch",
             key="build_use_random")  # fmt: skip
    with b.popover(t("build.copy_weights"), width="stretch"):
        st.markdown(t("build.copy_weights_how", file=imagenet_weights_file(base, side)))


def option_widget(col: Any, name: str, o: PresetOption, shape: tuple[int, ...], classes: int, t: T) -> None:
    """One preset option's widget in `col` (a column, or st for the whole width)."""
    kw = {
        "key": f"build_opt_{name}_{o.name}",
        "on_change": load_preset,
        "args": (shape, classes),
        "label": t(f"build.opt.{o.name}"),
    }
    if o.kind == "bool":
        col.toggle(value=o.default, **kw)
    elif o.kind in ("int", "float"):
        col.number_input(value=o.default, step=1 if o.kind == "int" else 0.05, placeholder=t("build.auto"), **kw)
    elif o.name == "model_path":
        saved = saved_run_models()
        col.selectbox(
            options=saved,
            index=None,
            placeholder=t("build.pick_of", n=len(saved)) if saved else t("build.no_runs"),
            format_func=lambda p: run_label(p, t),
            **kw,
        )
    else:
        col.selectbox(options=list(o.choices), format_func=lambda v: word(v, t), **kw)


def preset_box(base: spec_.ArchSpec, shape: tuple[int, ...], classes: int, t: T) -> bool:
    """Preset, its options, ImageNet-weights status, spec problems and a spec upload. True while the page has
    nothing to show yet (transfer from a saved model that is still to be picked)."""
    ss = st.session_state
    with st.container(border=True):
        ss.setdefault("build_preset", base.name if base.name in PRESETS else "lenet5")
        top = st.columns([1, 3])
        name = top[0].selectbox(
            t("build.preset"),
            list(PRESETS),
            key="build_preset",
            format_func=lambda v: word(v, t),
            on_change=load_preset,
            args=(shape, classes),
        )
        top[1].caption(t(f"build.desc.{name}"))
        chosen = {o.name: ss.get(f"build_opt_{name}_{o.name}", o.default) for o in PRESET_OPTIONS[name]}
        shown = visible_options(name, chosen)
        picker = [o for o in shown if o.name == "model_path"]  # long labels: a row of its own, the page's width
        shown = [o for o in shown if o.name != "model_path"]
        for col, o in zip(st.columns(max(len(shown), 3)), shown, strict=False):
            option_widget(col, name, o, shape, classes, t)
        for o in picker:
            option_widget(st, name, o, shape, classes, t)
        if name == "transfer" and chosen["base"] != "run" and chosen["weights"] == "imagenet":
            side = _base_side(base, chosen, shape)
            if imagenet_weights_status(chosen["base"], side).available:
                st.info(t("build.weights_ok"))
            else:
                weights_way_out(chosen["base"], side, shape, classes, t)
        waiting = waiting_for_a_run(name, chosen)
        if waiting:
            st.info(t("build.pick_run"), icon=":material/arrow_upward:")
        elif ss.get("build_problem"):
            st.error(shell.reason(ss["build_problem"]))
        upload = uploads.uploader(st.file_uploader, t("build.upload"), type=["json"], key="build_upload", t=t)
        if upload is not None and ss.get("build_upload_id") != upload.file_id:
            ss["build_upload_id"] = upload.file_id
            try:
                load(spec_.ArchSpec.from_json(upload.getvalue().decode("utf-8", "replace")).adapted(shape, classes))
                st.rerun()
            except spec_.SpecError as exc:
                st.error(t("build.upload_bad", reason=shell.reason(exc)))
    return waiting


def imagenet_files(spec: dict) -> list[str]:
    """The ImageNet weight files a spec's transfer bases ask for (the file names a teacher copies in)."""
    try:
        arch = spec_.ArchSpec.from_dict(spec)
    except (spec_.SpecError, KeyError, TypeError):
        return []
    files = []
    for layer in arch.layers:
        p = spec_.resolved_params(layer) if layer.type == "TransferBase" else {}
        if p.get("weights") == "imagenet" and p.get("base") in ("mobilenet_v2", "resnet50"):
            side = transfer_geometry(p, tuple(arch.input_shape)).base_input[0]
            files.append(imagenet_weights_file(p["base"], side))
    return files


def _base_side(base: spec_.ArchSpec, chosen: dict, shape: tuple[int, ...]) -> int:
    """The side the transfer base's images are resized to (what the ImageNet weights file is chosen by)."""
    for layer in base.layers:
        if layer.type == "TransferBase":
            return transfer_geometry(spec_.resolved_params(layer), shape).base_input[0]
    return chosen.get("input_size") or 224


def analysis(result, problems: dict[int, str], t: T) -> None:
    """Totals, the per-layer table (with each layer's problem) and the architecture diagram."""
    cfg = st.column_config
    st.subheader(t("build.analysis"))
    tot = result.totals
    memory = f"{tot['activation_bytes'] / 1024:,.1f} KB"
    values = (f"{tot['params']:,}", f"{tot['trainable_params']:,}", f"{tot['macs']:,}", memory)
    for col, key, value in zip(st.columns(4), ("params", "trainable", "macs", "memory"), values, strict=True):
        col.metric(t(f"build.{key}"), value)
    frame = pd.DataFrame(result.table())
    frame["problem"] = [problems.get(n, "") for n in frame["index"]]
    if not frame["problem"].any():
        frame = frame.drop(columns="problem")
    heads = {
        "index": "#",
        "name": t("build.col.name"),
        "label": t("build.col.layer"),
        "problem": t("build.col.issue"),
        "output": t("build.col.output"),
        "params": t("build.params"),
        "macs": t("build.macs"),
        "receptive_field": t("build.col.rf"),
        "memory_kb": t("build.col.memory"),
    }
    number = cfg.NumberColumn(format="localized")
    st.dataframe(
        frame.rename(columns=heads),
        hide_index=True,
        width="stretch",
        column_config={heads["params"]: number, heads["macs"]: number, heads["problem"]: cfg.TextColumn(width="large")},
    )
    labels = {k: t(f"build.chart.{k}") for k in DEFAULT_LABELS}
    diagram = architecture_diagram(result, labels=labels, scale=shell.chart_scale())
    st.plotly_chart(diagram, width="stretch", key="build_diagram")

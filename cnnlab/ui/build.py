"""The Build page's preset picker and analysis (kept apart so build.py stays short)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from cnnlab.arch import spec as spec_
from cnnlab.arch.presets import PRESET_OPTIONS, PRESETS, preset, run_model_label, saved_run_models, visible_options
from cnnlab.arch.weights import imagenet_weights_status
from cnnlab.charts import DEFAULT_LABELS, architecture_diagram
from cnnlab.i18n import CATALOGUE
from cnnlab.ui import shell, uploads

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
    try:
        load(preset(name, shape, classes, **options))
        ss.pop("build_problem", None)
    except spec_.SpecError as exc:
        ss["build_problem"] = exc.with_traceback(None)  # shown by key, in the language of the moment


def preset_box(base: spec_.ArchSpec, shape: tuple[int, ...], classes: int, t: T) -> None:
    """Preset, its options, ImageNet-weights status, spec problems and a spec upload."""
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
        for col, o in zip(st.columns(max(len(shown), 3)), shown, strict=False):
            kw = {
                "key": f"build_opt_{name}_{o.name}",
                "on_change": load_preset,
                "args": (shape, classes),
                "label": t(f"build.opt.{o.name}"),
            }
            if o.kind == "bool":
                col.toggle(value=o.default, **kw)
            elif o.kind in ("int", "float"):
                col.number_input(
                    value=o.default, step=1 if o.kind == "int" else 0.05, placeholder=t("build.auto"), **kw
                )
            elif o.name == "model_path":
                col.selectbox(
                    options=saved_run_models(),
                    index=None,
                    placeholder=t("build.no_runs"),
                    format_func=run_model_label,
                    **kw,
                )
            else:
                col.selectbox(options=list(o.choices), format_func=lambda v: word(v, t), **kw)
        if name == "transfer" and chosen["base"] != "run" and chosen["weights"] == "imagenet":
            ok = imagenet_weights_status(chosen["base"], chosen["input_size"] or 224).available
            (st.info if ok else st.warning)(t("build.weights_ok" if ok else "build.weights_missing"))
        if ss.get("build_problem"):
            st.error(shell.reason(ss["build_problem"]))
        upload = uploads.uploader(st.file_uploader, t("build.upload"), type=["json"], key="build_upload", t=t)
        if upload is not None and ss.get("build_upload_id") != upload.file_id:
            ss["build_upload_id"] = upload.file_id
            try:
                load(spec_.ArchSpec.from_json(upload.getvalue().decode("utf-8", "replace")).adapted(shape, classes))
                st.rerun()
            except spec_.SpecError as exc:
                st.error(t("build.upload_bad", reason=shell.reason(exc)))


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

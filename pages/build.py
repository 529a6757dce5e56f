"""Build: pick a preset or edit the layer stack; shapes, parameters, MACs and the diagram update live (no TF)."""

import pandas as pd
import streamlit as st

from cnnlab import architectures as arch
from cnnlab.analysis import analyze, localized
from cnnlab.charts import DEFAULT_LABELS, architecture_diagram
from cnnlab.codegen import STYLES, generate_script, script_filename
from cnnlab.data import DEFAULT_DATASET, dataset_info, list_datasets
from cnnlab.i18n import CATALOGUE
from pages import _ui

t = _ui.tr()
ss = st.session_state
st.title(t("build.title"))
dataset = ss.get("dataset", DEFAULT_DATASET)
info = next((i for i in list_datasets() if i.name == dataset), None) or dataset_info(dataset := DEFAULT_DATASET)
shape, classes = tuple(info.image_shape), len(info.class_names)
st.caption(t("build.dataset", name=dataset, shape="×".join(map(str, shape)), classes=classes))


def word(value) -> str:  # a preset name or option value in the UI language
    return t(f"build.val.{value}") if f"build.val.{value}" in CATALOGUE else str(value)


def load(spec: arch.ArchSpec) -> None:  # the editor's new starting point; a new key so old edits don't replay
    ss["build_base"], ss["build_ver"] = spec.to_dict(), ss.get("build_ver", 0) + 1


def load_preset() -> None:
    name = ss["build_preset"]
    options = {o.name: ss[k] for o in arch.PRESET_OPTIONS[name] if (k := f"build_opt_{name}_{o.name}") in ss}
    try:
        load(arch.preset(name, shape, classes, **options))
        ss.pop("build_problem", None)
    except arch.SpecError as exc:
        ss["build_problem"] = str(exc)


if "build_base" not in ss:  # start from the architecture chosen earlier (e.g. on another page), else LeNet-5
    try:
        load(arch.ArchSpec.from_dict(ss["arch_spec"]))
    except (KeyError, TypeError, arch.SpecError):
        load(arch.preset("lenet5", shape, classes))
base = arch.ArchSpec.from_dict(ss["build_base"])
if tuple(base.input_shape) != shape or base.num_classes != classes:  # the dataset changed
    load(base := arch.adapt_to_dataset(base, shape, classes))

with st.container(border=True):
    ss.setdefault("build_preset", base.name if base.name in arch.PRESETS else "lenet5")
    top = st.columns([1, 3])
    name = top[0].selectbox(
        t("build.preset"), list(arch.PRESETS), key="build_preset", format_func=word, on_change=load_preset
    )
    top[1].caption(t(f"build.desc.{name}"))
    chosen = {o.name: ss.get(f"build_opt_{name}_{o.name}", o.default) for o in arch.PRESET_OPTIONS[name]}
    shown = arch.visible_options(name, chosen)
    for col, o in zip(st.columns(max(len(shown), 3)), shown, strict=False):
        kw = {"key": f"build_opt_{name}_{o.name}", "on_change": load_preset, "label": t(f"build.opt.{o.name}")}
        if o.kind == "bool":
            col.toggle(value=o.default, **kw)
        elif o.kind in ("int", "float"):
            col.number_input(value=o.default, step=1 if o.kind == "int" else 0.05, placeholder=t("build.auto"), **kw)
        elif o.name == "model_path":
            col.selectbox(
                options=arch.saved_run_models(),
                index=None,
                placeholder=t("build.no_runs"),
                format_func=arch.run_model_label,
                **kw,
            )
        else:
            col.selectbox(options=list(o.choices), format_func=word, **kw)
    if name == "transfer" and chosen["base"] != "run" and chosen["weights"] == "imagenet":
        ok = arch.imagenet_weights_status(chosen["base"], chosen["input_size"] or 224).available
        (st.info if ok else st.warning)(t("build.weights_ok" if ok else "build.weights_missing"))
    if ss.get("build_problem"):
        st.error(_ui.reason(ss["build_problem"]))
    upload = st.file_uploader(t("build.upload"), type=["json"], key="build_upload")
    if upload is not None and ss.get("build_upload_id") != upload.file_id:
        ss["build_upload_id"] = upload.file_id
        try:
            load(arch.ArchSpec.from_json(upload.getvalue().decode("utf-8", "replace")).adapted(shape, classes))
            st.rerun()
        except arch.SpecError as exc:
            st.error(t("build.upload_bad", reason=_ui.reason(exc)))

st.subheader(t("build.layers"))
st.caption(t("build.layers_help"))
table = pd.DataFrame(arch.layers_to_table(base.layers), columns=list(arch.TABLE_COLUMNS))
table = table.astype({c: "string" for c in ("type", "kernel", "stride", "padding", "activation")} | {"size": "Int64"})
cfg = st.column_config
columns = {
    "type": cfg.SelectboxColumn(t("build.col.type"), options=list(arch.LAYER_TYPES), required=True, default="Dense"),
    "size": cfg.NumberColumn(t("build.col.size"), min_value=1, step=1, format="%d", help=t("build.help.size")),
    "kernel": cfg.TextColumn(t("build.col.kernel"), help=t("build.help.kernel")),
    "stride": cfg.TextColumn(t("build.col.stride"), help=t("build.help.stride")),
    "padding": cfg.SelectboxColumn(t("build.col.padding"), options=["valid", "same"]),
    "activation": cfg.SelectboxColumn(t("build.col.activation"), options=list(arch.ACTIVATIONS)),
    "rate": cfg.NumberColumn(t("build.col.rate"), min_value=0.0, max_value=0.95, step=0.05),
}
edited = st.data_editor(
    table.astype({"rate": "float64"}),
    column_config=columns,
    num_rows="dynamic",
    key=f"build_editor_{ss['build_ver']}",
    width="stretch",
)
originals = [base.layers[i] if isinstance(i, int) and i < len(base.layers) else None for i in edited.index]
spec = base.with_layers(layers := arch.table_to_layers(edited.to_dict("records"), originals))
ss["arch_spec"] = spec.to_dict()  # the Train page builds exactly this

move = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
which = move[0].number_input(t("build.move_which"), 1, max(len(layers), 1), 1, key="build_move") - 1
for col, step, label in ((move[1], -1, "build.move_up"), (move[2], 1, "build.move_down")):
    if col.button(t(label), width="stretch") and 0 <= which + step < len(layers):
        layers[which], layers[which + step] = layers[which + step], layers[which]
        load(spec.with_layers(layers))
        st.rerun()

result = analyze(spec)
problems: dict[int, str] = {}
for issue in result.issues:
    (st.error if issue.level == "error" else st.warning)(localized(issue, _ui.language()), icon="⚠️")
    problems.setdefault(issue.index, localized(issue, _ui.language()))

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
st.plotly_chart(architecture_diagram(result, labels=labels), width="stretch", key="build_diagram")

st.subheader(t("build.export"))
if result.errors:
    st.info(t("build.export_blocked"))
    st.stop()
st.caption(t("build.export_help"))
scripts = {style: generate_script(spec, dataset, style) for style in STYLES}
files = [(t("build.download_spec"), spec.to_json(), f"{spec.name}.json", "application/json")]
files += [(t(f"build.download_{s}"), scripts[s], script_filename(spec, s), "text/x-python") for s in STYLES]
for col, (label, data, file_name, mime) in zip(st.columns(4), files, strict=True):
    col.download_button(label, data, file_name, mime, on_click="ignore")
view = st.radio(t("build.code_style"), STYLES, format_func=lambda s: t(f"build.style.{s}"), horizontal=True)
st.code(scripts[view], language="python", line_numbers=True)
st.success(t("build.carry", name=spec.name))

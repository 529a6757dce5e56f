"""Build: pick a preset or edit the layer stack; shapes, parameters, MACs and the diagram update live (no TF)."""

import pandas as pd
import streamlit as st

from cnnlab.arch import spec as spec_
from cnnlab.arch import table as table_
from cnnlab.arch.analysis import analyze
from cnnlab.arch.presets import adapt_to_dataset, preset
from cnnlab.data.datasets import DEFAULT_DATASET, dataset_info, list_datasets
from cnnlab.train.codegen import STYLES, generate_script, script_filename
from cnnlab.ui import build as build_views
from cnnlab.ui import links, router, shell
from cnnlab.ui import train as train_form

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
ss = st.session_state
st.title(t("build.title"))
dataset = ss.get("dataset", DEFAULT_DATASET)
info = next((i for i in list_datasets() if i.name == dataset), None) or dataset_info(dataset := DEFAULT_DATASET)
shape, classes = tuple(info.image_shape), len(info.class_names)
st.caption(t("build.dataset", name=dataset, shape="×".join(map(str, shape)), classes=classes))


if "build_base" not in ss:  # start from the architecture chosen earlier (e.g. on another page), else LeNet-5
    try:
        build_views.load(spec_.ArchSpec.from_dict(ss["arch_spec"]))
    except (KeyError, TypeError, spec_.SpecError):
        build_views.load(preset("lenet5", shape, classes))
base = spec_.ArchSpec.from_dict(ss["build_base"])
if tuple(base.input_shape) != shape or base.num_classes != classes:  # the dataset changed
    build_views.load(base := adapt_to_dataset(base, shape, classes))

if build_views.preset_box(base, shape, classes, t):
    shell.stop()  # transfer from a saved model that is still to be picked: no stale stack meanwhile

st.subheader(t("build.layers"))
st.caption(t("build.layers_help"))
table = pd.DataFrame(table_.layers_to_table(base.layers), columns=list(table_.TABLE_COLUMNS))
table = table.astype({c: "string" for c in ("type", "kernel", "stride", "padding", "activation")} | {"size": "Int64"})
cfg = st.column_config
columns = {
    "type": cfg.SelectboxColumn(t("build.col.type"), options=list(spec_.LAYER_TYPES), required=True, default="Dense"),
    "size": cfg.NumberColumn(t("build.col.size"), min_value=1, step=1, format="%d", help=t("build.help.size")),
    "kernel": cfg.TextColumn(t("build.col.kernel"), help=t("build.help.kernel")),
    "stride": cfg.TextColumn(t("build.col.stride"), help=t("build.help.stride")),
    "padding": cfg.SelectboxColumn(t("build.col.padding"), options=["valid", "same"]),
    "activation": cfg.SelectboxColumn(t("build.col.activation"), options=list(spec_.ACTIVATIONS)),
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
spec = base.with_layers(layers := table_.table_to_layers(edited.to_dict("records"), originals))
ss["arch_spec"] = spec.to_dict()  # the Train page builds exactly this

move = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
if "build_move_next" in ss:  # the moved layer stays selected: a second click moves it further, not back
    ss["build_move"] = ss.pop("build_move_next")
which = move[0].number_input(t("build.move_which"), 1, max(len(layers), 1), key="build_move") - 1
for col, step, label in ((move[1], -1, "build.move_up"), (move[2], 1, "build.move_down")):
    if col.button(t(label), width="stretch") and 0 <= which + step < len(layers):
        layers[which], layers[which + step] = layers[which + step], layers[which]
        build_views.load(spec.with_layers(layers))
        ss["build_move_next"] = which + step + 1
        st.rerun()

result = analyze(spec)
problems: dict[int, str] = {}
for issue in result.issues:
    (st.error if issue.level == "error" else st.warning)(issue.message(shell.language()), icon=":material/warning:")
    problems.setdefault(issue.index, issue.message(shell.language()))

build_views.analysis(result, problems, t)

st.subheader(t("build.export"))
if result.errors:
    st.info(t("build.export_blocked"))
    shell.stop()
st.caption(t("build.export_help"))
scripts = {style: generate_script(spec, dataset, style) for style in STYLES}
files = [(t("build.download_spec"), spec.to_json(), f"{spec.name}.json", "application/json")]
files += [(t(f"build.download_{s}"), scripts[s], script_filename(spec, s), "text/x-python") for s in STYLES]
for col, (label, data, file_name, mime) in zip(st.columns(4), files, strict=True):
    col.download_button(label, data, file_name, mime, on_click="ignore")
view = st.radio(t("build.code_style"), STYLES, format_func=lambda s: t(f"build.style.{s}"), horizontal=True)
st.code(scripts[view], language="python", line_numbers=True)
st.success(t("build.carry", name=shell.arch_name(spec.to_dict(), t)))
train_form.share_box({**links.train_setup(), "dataset": dataset, "arch": spec.to_dict()}, t)

"""The Runs page's downloads and exports for one run (kept apart so runs.py stays short)."""

from __future__ import annotations

import shlex
from collections.abc import Callable

import streamlit as st

from cnnlab import export
from cnnlab.runs.files import ModelMissing, metrics_csv, run_model_path
from cnnlab.ui import shell


def size_of(n: int) -> str:
    return f"{n / 2**20:.2f} MB" if n >= 2**20 else f"{n / 1024:.1f} KB"


def _script(run) -> str:
    from cnnlab.arch.spec import ArchSpec
    from cnnlab.train.codegen import generate_script

    cfg = run.config
    hyper = {
        "optimizer": cfg.get("optimizer"), "learning_rate": cfg.get("learning_rate"), "epochs": cfg.get("epochs"),
        "batch_size": cfg.get("batch_size"), "validation_split": cfg.get("val_fraction"), "seed": cfg.get("seed"),
    }  # fmt: skip
    return generate_script(ArchSpec.from_dict(run.arch), run.dataset, "functional", hyper)


def run_downloads(run, store, t: Callable[..., str], allowed: Callable[[str], bool]) -> None:
    """Model, metrics and script downloads; SavedModel/TFLite exports with sizes; the TensorBoard command."""
    st.markdown(f"**{t('runs.downloads')}**")
    d = st.columns(3)
    try:
        model_path = run_model_path(store, run.id)
    except ModelMissing:
        model_path = None
        d[0].caption(t("runs.no_model"))
    if model_path:
        d[0].download_button(t("runs.dl_model"), model_path.read_bytes(), f"{run.id}.keras", icon=":material/download:")
    d[1].download_button(t("runs.dl_metrics"), metrics_csv(store, run.id), f"{run.id}-metrics.csv", "text/csv",
                         icon=":material/download:")  # fmt: skip
    if run.arch:
        d[2].download_button(t("runs.dl_script"), _script(run), f"{run.id}_train.py", "text/x-python",
                             icon=":material/download:")  # fmt: skip
    if model_path:
        st.markdown(f"**{t('runs.export')}**")
        e = st.columns(2)
        for col, kind, label in (
            (e[0], "savedmodel", "runs.export_savedmodel"),
            (e[1], "tflite", "runs.export_tflite"),
        ):
            with col:
                if st.button(t(label), key=f"export_{kind}") and allowed("export"):
                    with st.spinner(t("runs.exporting")):
                        try:
                            result = (export.export_savedmodel if kind == "savedmodel" else export.export_tflite)(
                                store, run.id
                            )
                        except export.ExportError as exc:
                            st.error(t("runs.export_failed", reason=shell.reason(exc)))
                        else:
                            if result.test_accuracy is not None:
                                st.success(
                                    t("runs.tflite_accuracy", lite=result.test_accuracy, keras=result.keras_accuracy)
                                )
                art = store.artifact(run.id, kind)
                if art and art.path.is_file():
                    st.caption(t("runs.export_size", kind=art.path.name, size=size_of(art.path.stat().st_size)))
                    st.download_button(t("runs.dl_export", kind=art.path.name), art.path.read_bytes(), art.path.name,
                                       key=f"dl_{kind}", icon=":material/download:")  # fmt: skip
    logs = store.artifact(run.id, "tensorboard")
    if logs:
        st.caption(t("runs.tensorboard"))
        st.code(f"tensorboard --logdir {shlex.quote(str(logs.path))}", language="bash")

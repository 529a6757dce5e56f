"""The Train page's settings form: every engine hyperparameter, each labelled and explained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab.data import datasets as data
from cnnlab.train.config import MONITORS, OPTIMIZERS, SCHEDULES, TrainConfig

PRESETS_FOR_TRAINING = ["lenet5", "simple_cnn", "mlp", "vgg_small", "resnet_small", "alexnet"]


def settings(t: Callable[..., str]) -> tuple[dict[str, Any], str]:
    """Draw the form; returns (TrainConfig-shaped dict, run name). Defaults are the default recipe."""
    d, aug = TrainConfig(), TrainConfig().augmentation

    def field(widget, key: str, *args, **kwargs):
        return widget(t(f"train.{key}"), *args, help=t(f"train.help.{key}"), key=f"tr_{key}", **kwargs)

    infos = [i for i in data.list_datasets() if i.available]
    names = [i.name for i in infos]
    current = st.session_state.get("dataset", data.DEFAULT_DATASET)
    c1, c2, c3 = st.columns(3)
    dataset = c1.selectbox(t("train.dataset"), names, index=names.index(current) if current in names else 0)
    info = infos[names.index(dataset)]
    spec = st.session_state.get("arch_spec")
    fits = (
        bool(spec) and tuple(spec["input_shape"]) == info.image_shape and spec["num_classes"] == len(info.class_names)
    )
    choices = ([t("train.arch_from_build", name=spec["name"])] if fits else []) + PRESETS_FOR_TRAINING
    arch = c2.selectbox(t("train.arch"), choices)
    run_name = c3.text_input(t("train.run_name"), max_chars=80)

    b = st.columns(4)
    epochs = field(b[0].number_input, "epochs", 1, 500, d.epochs)
    batch_size = field(b[1].select_slider, "batch_size", [16, 32, 64, 128, 256, 512], d.batch_size)
    optimizer = field(b[2].selectbox, "optimizer", OPTIMIZERS, index=OPTIMIZERS.index(d.optimizer))
    lr = field(b[3].number_input, "learning_rate", 1e-5, 1.0, d.learning_rate, format="%.4f", step=0.0005)
    tabs = st.tabs([t("train.schedule_box"), t("train.regularisation"), t("train.validation_box"), t("train.advanced")])
    with tabs[0]:
        s = st.columns(4)
        schedule = field(s[0].selectbox, "schedule", SCHEDULES, index=SCHEDULES.index(d.schedule),
                         format_func=lambda v: t(f"train.schedule.{v}"))  # fmt: skip
        warmup = field(s[1].number_input, "warmup_epochs", 0, 50, d.warmup_epochs)
        step_epochs = field(s[2].number_input, "step_epochs", 1, 500, d.step_epochs)
        decay = field(s[3].number_input, "decay_factor", 0.01, 1.0, d.decay_factor)
    with tabs[1]:
        r = st.columns(6)
        weight_decay = field(r[0].number_input, "weight_decay", 0.0, 0.1, d.weight_decay, format="%.5f", step=0.0001)
        smoothing = field(r[1].slider, "label_smoothing", 0.0, 0.3, d.label_smoothing, 0.05)
        augmentation = _augmentation(r, field, aug)
    with tabs[2]:
        v = st.columns(5)
        val_fraction = field(v[0].slider, "val_fraction", 0.0, 0.5, d.val_fraction, 0.05)
        early = field(v[1].checkbox, "early_stopping", d.early_stopping)
        monitor = field(v[2].selectbox, "monitor", MONITORS, index=MONITORS.index(d.monitor))
        patience = field(v[3].number_input, "patience", 1, 100, d.patience)
        restore = field(v[4].checkbox, "restore_best", d.restore_best)
    with tabs[3]:
        a = st.columns(6)
        seed = field(a[0].number_input, "seed", 0, 2**31 - 1, d.seed)
        spe = field(a[1].number_input, "steps_per_execution", 1, 64, d.steps_per_execution)
        momentum = field(a[2].slider, "momentum", 0.0, 0.99, d.momentum, 0.01)
        nesterov = field(a[3].checkbox, "nesterov", d.nesterov)
        metrics = field(a[4].multiselect, "metrics", ["accuracy", "precision", "recall", "auc"], d.metrics)
        mixed = field(a[5].checkbox, "mixed_precision", d.mixed_precision)

    config = dict(
        dataset=dataset, arch=spec if fits and arch == choices[0] else arch, epochs=int(epochs),
        batch_size=int(batch_size), optimizer=optimizer, learning_rate=float(lr), schedule=schedule,
        warmup_epochs=int(warmup), step_epochs=int(step_epochs), decay_factor=float(decay),
        weight_decay=float(weight_decay), label_smoothing=float(smoothing), val_fraction=float(val_fraction),
        augmentation=augmentation,
        early_stopping=early, monitor=monitor, patience=int(patience), restore_best=restore, seed=int(seed),
        steps_per_execution=int(spe), momentum=float(momentum), nesterov=nesterov,
        metrics=metrics or ["accuracy"], mixed_precision=mixed,
    )  # fmt: skip
    return config, run_name


def _augmentation(r: list, field: Callable[..., Any], aug: dict[str, Any]) -> dict[str, Any]:
    """The augmentation widgets (four in the row `r`, the pen changes in a row below); their settings."""
    out = {
        "translation": field(r[2].slider, "aug_translation", 0.0, 0.3, aug["translation"], 0.05),
        "rotation": field(r[3].slider, "aug_rotation", 0.0, 0.3, aug["rotation"], 0.05),
        "zoom": field(r[4].slider, "aug_zoom", 0.0, 0.3, aug["zoom"], 0.05),
        "flip": field(r[5].checkbox, "aug_flip", aug["flip"]),
    }
    pen = st.columns(6)  # the pen changes people's drawings have (cnnlab/data/strokes.py)
    stroke = field(pen[2].slider, "aug_stroke", 0.0, 0.5, float(aug.get("stroke", 0.0)), 0.05)
    elastic = field(pen[3].slider, "aug_elastic", 0.0, 0.5, float(aug.get("elastic", 0.0)), 0.05)
    return out | ({"stroke": stroke} if stroke else {}) | ({"elastic": elastic} if elastic else {})

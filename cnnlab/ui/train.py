"""The Train page's settings form: every engine hyperparameter, each labelled and explained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab.data import datasets as data
from cnnlab.errors import CnnLabError
from cnnlab.train.config import MONITORS, OPTIMIZERS, SCHEDULES, TrainConfig, training_images
from cnnlab.train.recipes import RECIPES, recipe_config
from cnnlab.ui import links, shell, widgets

PRESETS_FOR_TRAINING = ["lenet5", "simple_cnn", "mlp", "vgg_small", "resnet_small", "alexnet"]
FROM_BUILD = "build"  # the Train form's architecture choice for the spec edited on Build
FEW_PER_CLASS = 100  # below this many training images per class, the pages say what to expect


def few_images_note(n_train: int, classes: int, t: Callable[..., str], dataset: str = "") -> None:
    """What to expect from a small training split, and what helps (Data and Train pages); nothing when large.
    With a finished run on `dataset`, what that run measured: its test accuracy and where its validation loss
    was lowest (later epochs memorised the training images)."""
    if n_train and classes and n_train < FEW_PER_CLASS * classes:
        note = t("train.few_images", n=n_train, per=max(1, round(n_train / classes)))
        st.info(note + measured_on(dataset, t), icon=":material/info:")


def measured_on(dataset: str, t: Callable[..., str]) -> str:
    """' ' + what the best finished run on `dataset` measured, or '' when there is none."""
    from cnnlab.runs.store import FINISHED
    from cnnlab.ui import state

    if not dataset:
        return ""
    store = state.store()
    runs = [r for r in store.list_runs([FINISHED]) if r.dataset == dataset and "test_accuracy" in r.final_metrics]
    if not runs:
        return ""
    best = max(runs, key=lambda r: r.final_metrics["test_accuracy"])
    acc = f"{best.final_metrics['test_accuracy']:.1%}"
    losses = [(row["epoch"], row["val_loss"]) for row in store.epoch_table(best.id) if row.get("val_loss") is not None]
    if len(losses) >= 2 and (low := min(losses, key=lambda e: e[1])[0]) < losses[-1][0]:
        return " " + t("train.few_overfit", name=best.name, acc=acc, low=low, last=losses[-1][0])
    return " " + t("train.few_measured", name=best.name, acc=acc)


def refusal(t: Callable[..., str]) -> None:
    """A config the engine refused before any run started: every reason, and for ImageNet weights this computer
    cannot have, the two ways out as buttons (random weights now, or how to add the weights file). Only that
    refusal stays until the next Train click (its buttons rerun the page); the others show once."""
    ss = st.session_state
    if ss.pop("tr_weights_note", False):
        st.success(t("train.random_weights_set"), icon=":material/check_circle:")
    problems = ss.get("tr_refused") or []
    offline = any(p.key == "engine.spec.imagenet_offline" for p in problems)
    if not offline:
        ss.pop("tr_refused", None)
    if not problems:
        return
    st.error(t("train.invalid") + "\n\n" + shell.reasons(problems))
    if not offline:
        return
    from cnnlab.ui import build as build_views

    a, b, _ = st.columns([1, 1, 2])
    a.button(t("build.use_random"), on_click=_random_weights, key="tr_use_random", width="stretch")
    with b.popover(t("build.copy_weights"), width="stretch"):
        for file in build_views.imagenet_files(st.session_state.get("arch_spec") or {}):
            st.markdown(t("build.copy_weights_how", file=file))


def _random_weights() -> None:
    """Button callback: every transfer base of the architecture (Train's and Build's) starts from random weights."""
    ss = st.session_state

    def random(spec: dict) -> dict:
        layers = [{**x, "params": {**x.get("params", {}), "weights": None}} if x.get("type") == "TransferBase" else x
                  for x in spec.get("layers", [])]  # fmt: skip
        return {**spec, "layers": layers}

    for key in ("arch_spec", "build_base"):
        if ss.get(key):
            ss[key] = random(ss[key])
    ss["build_opt_transfer_weights"] = "none"
    ss["build_ver"] = ss.get("build_ver", 0) + 1  # Build's editor starts again from the changed stack
    ss["tr_weights_note"] = True
    ss.pop("tr_refused", None)


def _adapt_batch(n_train: int, default: int) -> None:
    """The batch size starts at the default recipe's, shrunk to fit a small training split (the largest power of
    two that fits, as the engine does); a value the user typed is kept, the automatic one follows the dataset."""
    ss = st.session_state
    auto = min(default, 2 ** (n_train.bit_length() - 1)) if n_train else default
    if ss.get("tr_batch_size") in (None, ss.get("tr_batch_auto")):
        ss["tr_batch_size"] = auto
    ss["tr_batch_auto"] = auto


def settings(t: Callable[..., str]) -> tuple[dict[str, Any], str]:
    """Draw the form; returns (TrainConfig-shaped dict, run name). Defaults are the default recipe."""
    d, aug = TrainConfig(), TrainConfig().augmentation

    def field(widget, key: str, *args, **kwargs):
        return widget(t(f"train.{key}"), *args, help=t(f"train.help.{key}"), key=f"tr_{key}", **kwargs)

    dataset, arch, run_name = _dataset_and_arch(t)
    info = data.dataset_info(dataset)
    val = st.session_state.get("tr_val_fraction", d.val_fraction)
    n_train = training_images(TrainConfig(dataset=dataset, val_fraction=val), info)

    b = st.columns(4)
    epochs = field(b[0].number_input, "epochs", 1, 500, d.epochs)
    _adapt_batch(n_train, d.batch_size)
    batch_size = field(b[1].number_input, "batch_size", 1, 65536, step=1)
    optimizer = field(b[2].selectbox, "optimizer", OPTIMIZERS, index=OPTIMIZERS.index(d.optimizer))
    lr = field(b[3].number_input, "learning_rate", 1e-5, 1.0, d.learning_rate, format="%.4f", step=0.0005)
    few_images_note(n_train, len(info.class_names), t, dataset)
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
        dataset=dataset, arch=arch, epochs=int(epochs),
        batch_size=int(batch_size), optimizer=optimizer, learning_rate=float(lr), schedule=schedule,
        warmup_epochs=int(warmup), step_epochs=int(step_epochs), decay_factor=float(decay),
        weight_decay=float(weight_decay), label_smoothing=float(smoothing), val_fraction=float(val_fraction),
        augmentation=augmentation,
        early_stopping=early, monitor=monitor, patience=int(patience), restore_best=restore, seed=int(seed),
        steps_per_execution=int(spe), momentum=float(momentum), nesterov=nesterov,
        metrics=metrics or ["accuracy"], mixed_precision=mixed,
    )  # fmt: skip
    query = links.setup_query(config)
    links.keep("train", **{k: query.get(k) for k in ("setup", "arch", "spec")})
    default_name = t("arch.default_run_name", arch=shell.arch_name(config["arch"], t), dataset=dataset)
    return config, run_name.strip() or default_name


def _dataset_and_arch(t: Callable[..., str]) -> tuple[str, dict[str, Any] | str, str]:
    """The dataset and architecture pickers (architectures by display name) and the run name."""
    infos = [i for i in data.list_datasets() if i.available]
    names = [i.name for i in infos]
    from_link = _apply_link(names, t)
    current = st.session_state.get("dataset", data.DEFAULT_DATASET)
    widgets.keep_option("tr_dataset", names)
    c0, c1, c2, c3 = st.columns(4)
    c0.selectbox(
        t("train.recipe"), tuple(RECIPES), key="tr_recipe", on_change=_apply_recipe,
        format_func=lambda r: t(f"train.recipe.{r}"), help=t("train.help.recipe"),
    )  # fmt: skip
    dataset = c1.selectbox(
        t("train.dataset"), names, index=names.index(current) if current in names else 0, key="tr_dataset"
    )
    st.session_state["dataset"] = dataset  # the form's dataset is the one in view (sidebar, links, reloads)
    info = infos[names.index(dataset)]
    spec = st.session_state.get("arch_spec")
    fits = (
        bool(spec) and tuple(spec["input_shape"]) == info.image_shape and spec["num_classes"] == len(info.class_names)
    )
    # edited on Build (or a file), or a preset Train does not list (transfer learning): offered under its own name
    custom = fits and ("spec" in links.arch_params(spec) or spec.get("name") not in PRESETS_FOR_TRAINING)
    choices = ([FROM_BUILD] if custom else []) + PRESETS_FOR_TRAINING
    widgets.keep_option("tr_arch", choices)
    preferred = FROM_BUILD if custom else (spec or {}).get("name", "lenet5")
    arch = c2.selectbox(
        t("train.arch"), choices, index=choices.index(preferred) if preferred in choices else 0, key="tr_arch",
        format_func=lambda a: shell.arch_name(spec if a == FROM_BUILD else a, t),
    )  # fmt: skip
    run_name = c3.text_input(t("train.run_name"), max_chars=80)
    if from_link:
        st.info(t("share.loaded"), icon=":material/link:")
    return dataset, spec if arch == FROM_BUILD else arch, run_name


def _apply_recipe() -> None:
    """The Recipe choice's callback: the recipe's architecture and every setting go into the form's widgets."""
    from cnnlab.train.setup_link import FORM_FIELDS

    ss = st.session_state
    name = ss.get("tr_recipe", "default")
    cfg = recipe_config(name, ss.get("tr_dataset") or ss.get("dataset"))
    if RECIPES[name].options:  # a preset with options: offered as the spec it builds
        ss["arch_spec"], ss["tr_arch"] = cfg["arch"], FROM_BUILD
    else:
        ss["tr_arch"] = RECIPES[name].preset
    for key in FORM_FIELDS:
        if key != "augmentation":
            ss[f"tr_{key}"] = cfg[key]
    for key in ("translation", "rotation", "zoom", "stroke", "elastic"):
        ss[f"tr_aug_{key}"] = float(cfg["augmentation"].get(key, 0.0))
    ss["tr_aug_flip"] = bool(cfg["augmentation"].get("flip", False))


def _apply_link(datasets: list[str], t: Callable[..., str]) -> bool:
    """A shared setup or a reload (?setup=, ?arch= or ?spec=, ?dataset=): its values go into the form's widgets.
    A link that cannot be read is one warning; the form then keeps what it had."""
    given = {k: v for k in ("dataset", "arch", "spec", "setup") if (v := links.incoming(k))}
    if not given.keys() & {"arch", "spec", "setup"}:
        return False
    got = links.read_setup(given)
    if isinstance(got, CnnLabError):
        links.warn(got, shell.language())
        return False
    ss = st.session_state
    for key, value in got.items():
        if key == "dataset":
            if value in datasets:
                ss["tr_dataset"] = ss["dataset"] = value
        elif key == "arch":
            if isinstance(value, dict):
                ss["arch_spec"], ss["tr_arch"] = value, FROM_BUILD
            elif value in PRESETS_FOR_TRAINING:
                ss["tr_arch"] = value
        elif key == "augmentation":
            for name, v in value.items():
                ss[f"tr_aug_{name}"] = v
        else:
            ss[f"tr_{key}"] = value
    return "setup" in given


def share_box(config: dict[str, Any], t: Callable[..., str]) -> None:
    """ "Share this setup": a copyable link that opens Train with this architecture, dataset and every setting."""
    from cnnlab.train.setup_link import FORM_FIELDS

    defaults = {k: v for k, v in TrainConfig().to_dict().items() if k in FORM_FIELDS}
    with st.popover(t("share.title"), icon=":material/share:"):
        st.caption(t("share.help"))
        st.code(links.share_url(links.setup_query({**defaults, **config})), language=None, wrap_lines=True)


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

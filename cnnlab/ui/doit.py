"""The Learn page's "Do it": set the state a lesson step asks for (sandbox settings, a preset or variant, a
transfer spec, a Train setup, a run, a tab) and open its page with the app's query-parameter links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnlab.ui.learn import TAB_KEYS, own_datasets, remember

T = Callable[..., str]


def _latest_run(arch: str | None) -> str | None:
    from cnnlab.learn.checks import Context, finished
    from cnnlab.ui import state

    run = finished(Context(runs=state.store().list_runs()), arch=arch)
    return run.id if run is not None else None


def do_it(page: str, params: dict[str, Any], t: T) -> None:
    """Set the state a step asks for and open its page, with the same query parameters as the rest of the app."""
    from cnnlab.ui import links
    from cnnlab.ui import sandbox as sandbox_ui

    ss = st.session_state
    remember()
    if page == "learn":
        sandbox_ui.apply(params)
        st.rerun()
    query: dict[str, str] = {}
    if params.get("dataset"):
        mine = own_datasets()
        wanted = str(params["dataset"])
        if wanted == "mine":  # the learner's own dataset (lesson 5), else the sample
            wanted = mine[-1] if mine else "mnist-sample"
        ss["dataset"] = query["dataset"] = wanted
    if params.get("transfer"):
        _transfer(str(params["transfer"]), str(params.get("base_run") or "lenet5"), ss.get("dataset"))
    if params.get("arch"):
        _arch(str(params["arch"]), params.get("activation"), params.get("dropout"))
    if page == "train":
        query.update(_train_setup(params))
    run = str(params.get("run") or "")
    if run.startswith("latest"):
        run = _latest_run(run.partition("_")[2] or None) or ""
    if run:
        ss["run_id"] = query["run"] = run
        ss.pop("insp_run", None)
    if params.get("tab") and page in TAB_KEYS:
        query["tab"] = str(params["tab"])
        ss[TAB_KEYS[page]] = t(f"{page}.tab.{params['tab']}")
    links.switch_page(page, **query)


def _arch(name: str, activation: Any = None, dropout: Any = None) -> None:
    """The Build page and Train start from preset `name` (adapted to the dataset by those pages), or from its
    variant with another activation or with dropout (lesson 4)."""
    from cnnlab.arch.spec import SpecError
    from cnnlab.learn.compare import variant

    ss = st.session_state
    try:
        ss["arch_spec"] = variant(name, str(activation) if activation else None,
                                  float(dropout) if dropout else None).to_dict()  # fmt: skip
    except (SpecError, ValueError):
        return
    for key in ("build_base", "build_preset"):
        ss.pop(key, None)


def _transfer(mode: str, base: str, dataset: str | None) -> None:
    """Lesson 5: a transfer spec on `dataset` whose base is the newest finished `base` run's model."""
    from cnnlab.arch.spec import SpecError
    from cnnlab.data.datasets import DEFAULT_DATASET, dataset_info
    from cnnlab.learn.compare import transfer
    from cnnlab.runs.files import ModelMissing, run_model_path
    from cnnlab.ui import state

    run_id = _latest_run(base)
    if run_id is None:
        return
    try:
        info = dataset_info(dataset or DEFAULT_DATASET)
        path = str(run_model_path(state.store(), run_id))
        spec = transfer(path, mode, tuple(info.image_shape), len(info.class_names))
    except (ModelMissing, SpecError):
        return
    st.session_state["arch_spec"] = spec.to_dict()
    for key in ("build_base", "build_preset"):
        st.session_state.pop(key, None)


def _train_setup(params: dict[str, Any]) -> dict[str, str]:
    """The query parameters of a Train setup (cnnlab.ui.links): the default recipe with this step's dataset,
    architecture, epochs and augmentation ("on": the recipe's, "off": none)."""
    from cnnlab.train.config import TrainConfig
    from cnnlab.ui import links

    config = TrainConfig().to_dict()
    config["dataset"] = st.session_state.get("dataset") or config["dataset"]
    config["arch"] = st.session_state.get("arch_spec") or config["arch"]
    if params.get("epochs"):
        config["epochs"] = int(params["epochs"])
    if str(params.get("augmentation")) in ("off", "False", "false", "0"):
        config["augmentation"] = {k: (False if isinstance(v, bool) else 0.0) for k, v in config["augmentation"].items()}
    return links.setup_query(config)

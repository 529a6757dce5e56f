"""The Predict page's shared pieces: image helpers (`big`, `square`, `mosaic`, `pct`), choosing the run, and
watching a run train (or offering to train the default one when there is no model yet). Imported by the other
`_predict_*` modules; imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st
from PIL import Image

from cnnlab.inspection.prediction import best_for_drawings
from cnnlab.runs import store as rs
from cnnlab.runs.jobs import reconcile
from cnnlab.train.config import ConfigError
from cnnlab.train.launch import start_run
from cnnlab.ui import shell, state

GAP = np.array([38, 42, 52], np.uint8)  # colour between feature-map tiles


# ---------------------------------------------------------------- small image helpers


def big(image: np.ndarray, side: int, smooth: bool = False) -> np.ndarray:
    """A small [0, 1] float or uint8 image scaled so its longer side is `side` pixels (blocky by default)."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr.astype(np.float32)), 0, 1) * 255 + 0.5).astype(np.uint8)
    h, w = arr.shape[:2]
    k = side / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    method = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
    return np.asarray(Image.fromarray(arr).resize(size, method))


def square(image: np.ndarray, side: int) -> np.ndarray:
    """`big`, then centred on a black square, so a row of differently shaped steps lines up."""
    scaled = big(image, side, smooth=max(np.shape(image)[:2]) > side)
    out = np.zeros((side, side, *scaled.shape[2:]), np.uint8)
    top, left = (side - scaled.shape[0]) // 2, (side - scaled.shape[1]) // 2
    out[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return out


def with_gap(image: np.ndarray, gap: int = 12) -> np.ndarray:
    """`image` (uint8 grey, RGB or RGBA) as RGBA with a transparent strip on its right: a row of images drawn as
    one element keeps the gaps a row of columns had."""
    rgba = np.asarray(image)
    if rgba.ndim == 2 or rgba.shape[2] == 1:
        rgba = np.repeat(rgba.reshape(*rgba.shape[:2], 1), 3, axis=2)
    if rgba.shape[2] == 3:
        rgba = np.concatenate([rgba, np.full((*rgba.shape[:2], 1), 255, np.uint8)], axis=2)
    return np.pad(rgba, ((0, 0), (0, gap), (0, 0)))


def mosaic(tiles: np.ndarray) -> np.ndarray:
    """A tile_channels mosaic (NaN between tiles) as uint8 RGB: grey maps on dark gaps."""
    grey = (np.clip(np.nan_to_num(tiles), 0, 1) * 255 + 0.5).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    rgb[np.isnan(tiles)] = GAP
    return rgb


def pct(p: float) -> str:
    return f"{p:.0%}" if p >= 0.01 else "<1%"


# ---------------------------------------------------------------- choosing the run


def usable_runs() -> list[rs.Run]:
    """Runs with a saved model that are done training (a run still training keeps changing)."""
    return [r for r in state.finished_runs() if not r.active]


def pick_run(t: Callable[..., str], runs: list[rs.Run]) -> rs.Run:
    """The run in use (the URL's or session's when usable, else the best model on drawn digits, said so) and a
    switcher."""
    by_id = {r.id: r for r in runs}
    current = state.current_run_id()
    if current not in by_id:
        best = best_for_drawings(runs)
        current = best.id
        state.show_run(current)
        drawn = best.final_metrics.get("drawn_accuracy")
        if drawn is not None:
            st.session_state["predict_chosen_for_you"] = t("predict.best_default", name=best.name, drawn=f"{drawn:.1%}")
    st.session_state["predict_run"] = current

    def label(run_id: str) -> str:
        r = by_id[run_id]
        acc = r.final_metrics.get("test_accuracy")
        return t("predict.run_option", name=r.name, dataset=r.dataset, acc="—" if acc is None else f"{acc:.1%}")

    st.selectbox(t("predict.run"), list(by_id), key="predict_run", format_func=label, help=t("predict.run_help"),
                 on_change=lambda: state.show_run(st.session_state["predict_run"]))  # fmt: skip
    run = by_id[current]
    st.caption(t("predict.using", name=run.name, id=run.id))
    if note := st.session_state.pop("predict_chosen_for_you", None):
        st.caption(note)
    return run


# ---------------------------------------------------------------- watching a run train


def watch(t: Callable[..., str], run_id: str) -> rs.Run | None:
    """Progress of a background run, polled once a second; one full rerun when it ends."""
    try:
        run = state.store().get_run(run_id)
    except rs.RunNotFound:
        return None

    @st.fragment(run_every=1.0 if run.active else None)
    def progress() -> None:
        shell.run_safely(lambda: _progress(t, run_id), t)  # fragment reruns bypass app.py's guard

    progress()
    return run


def _progress(t: Callable[..., str], run_id: str) -> None:
    store = state.store()
    reconcile(store)
    run = store.get_run(run_id)
    flag = f"_predict_watch_{run_id}"
    if run.active:
        st.session_state[flag] = True
        p = run.progress or {}
        epochs, steps = p.get("epochs") or run.epochs or 1, p.get("steps_per_epoch") or 1
        epoch, step = max(p.get("epoch", 1), 1), p.get("step", 0)
        done = min(1.0, ((epoch - 1) + step / steps) / max(epochs, 1))
        text = t("predict.queued") if run.status == rs.QUEUED else t("predict.progress", epoch=epoch, epochs=epochs)
        st.markdown(t("predict.training", name=run.name))
        st.progress(done, text=text)
        state.page_link(st, "train", t("predict.train_link"), ":material/model_training:", run=run.id)
        return
    if run.status != rs.FINISHED and not run.best_model:
        st.warning(t("predict.run_failed", reason=shell.reason(run.reason_error) if run.reason else run.status))
    if st.session_state.pop(flag, False):
        st.rerun()  # it has just ended: one full rerun shows its model


def no_model(t: Callable[..., str]) -> None:
    """No usable run: watch one that is training, or offer to train the default LeNet-5 recipe."""
    store = state.store()
    reconcile(store)
    pending = st.session_state.get("predict_default_run")
    active = [r.id for r in store.list_runs(rs.ACTIVE)]
    run_id = pending if pending in active else (active[0] if active else None)
    if run_id:
        watch(t, run_id)
        return
    if pending:
        watch(t, pending)  # it ended without a model: say why
    st.info(t("predict.no_model"))
    if st.button(t("predict.train_default"), type="primary", icon=":material/play_arrow:"):
        if shell.require("train", t):
            from cnnlab.data.datasets import DEFAULT_DATASET

            try:
                new = start_run({"dataset": DEFAULT_DATASET, "arch": "lenet5"},
                                     name=t("predict.default_run_name"), store=store)  # fmt: skip
            except ConfigError as exc:
                st.error(t("predict.invalid") + "\n\n" + shell.reasons(exc.problems))
                return
            st.session_state["predict_default_run"] = new
            st.rerun()


def thumbs(images: list[np.ndarray], captions: list[str], per_row: int = 10, side: int = 56) -> None:
    """A grid of small images, each with its caption (a row of st.columns keeps them apart)."""
    for start in range(0, len(images), per_row):
        cols = st.columns(per_row)
        for col, image, caption in zip(cols, images[start : start + per_row], captions[start : start + per_row],
                                       strict=False):  # fmt: skip
            col.image(big(image, side), caption=caption)

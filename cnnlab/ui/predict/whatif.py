"""The Predict page's "Why / what if" box for the input in view (a finished drawing, a webcam photo, an upload):
robustness sliders whose every move redraws every class's probability, and adversarial examples (FGSM, PGD) with
the smallest flipping epsilon and a targeted version ("make it a 5").

The box is a fragment of its own: moving a slider reruns only this box (one warp and one compiled prediction),
never the canvas, Grad-CAM or the feature maps above it. Only small choices live in st.session_state (slider
values, the last found epsilon as a number).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from cnnlab import charts
from cnnlab.imaging import diverging
from cnnlab.inspection.perturb import Transform
from cnnlab.inspection.prediction import class_name
from cnnlab.ui import shell, state, widgets

T = Callable[..., str]
MAX_EPSILON = 0.5
PGD_STEPS = 10

# slider: (label key, low, high, default, step, format)
SLIDERS: dict[str, tuple[Any, ...]] = {
    "shift_x": (-10, 10, 0, 1, "%d px"),
    "shift_y": (-10, 10, 0, 1, "%d px"),
    "rotation": (-180, 180, 0, 5, "%d°"),
    "scale": (0.5, 2.0, 1.0, 0.05, "%.2f×"),
    "thickness": (-3, 3, 0, 1, "%d"),
    "noise": (0.0, 0.5, 0.0, 0.01, "%.2f"),
}


def whatif(t: T, run_id: str, x: np.ndarray, names: list[str], key: str) -> None:
    """The box for a run's model and input `x` ((H, W, C) in [0, 1]); `key` keeps two tabs' boxes apart."""
    whatif_for(t, lambda: state.run_model(run_id), x, names, key)


def whatif_for(t: T, load: Callable[[], Any], x: np.ndarray, names: list[str], key: str, title: bool = True) -> None:
    """The box for the model `load()` gives as (anything, a served model handle), or None when there is none yet
    (Inspect passes the model in view, uploaded files included)."""
    with st.container(border=True):
        if title:
            st.subheader(t("probe.whatif"), help=t("probe.whatif_help"))
        _box(t, load, np.asarray(x, np.float32), names, key)


@st.fragment
def _box(t: T, load: Callable[[], Any], x: np.ndarray, names: list[str], key: str) -> None:
    shell.run_safely(lambda: _draw(t, load, x, names, key), t)


def _draw(t: T, load: Callable[[], Any], x: np.ndarray, names: list[str], key: str) -> None:
    loaded = load()
    if loaded is None:
        st.warning(t("predict.no_checkpoint"))
        return
    _, model = loaded
    x = x if x.ndim == 3 else x[..., None]
    before = model.predict_one(x)
    parts = ["push", "fool"]
    widgets.keep_tab(f"{key}_wi_tab", [f"probe.tab_{n}" for n in parts], t)  # survives a language switch
    tabs = st.tabs([t(f"probe.tab_{n}") for n in parts], key=f"{key}_wi_tab", on_change="rerun")
    for tab, draw in zip(tabs, (_push, _fool), strict=True):
        if tab.open is not False:  # only the open tab computes (a slider move never runs an attack)
            with tab:
                draw(t, model, x, before, names, key)


# ---------------------------------------------------------------- pushing on the input


def _reset(key: str) -> None:
    for name, spec in SLIDERS.items():
        st.session_state[f"{key}_wi_{name}"] = spec[2]
    st.session_state[f"{key}_wi_patch"] = False


def _slider(where: Any, label: str, low: Any, high: Any, default: Any, key: str, **options: Any) -> Any:
    """A slider whose value a button may have set in st.session_state (then it is not given a default too)."""
    return where.slider(label, low, high, None if key in st.session_state else default, key=key, **options)


def _sliders(t: T, x: np.ndarray, key: str) -> Transform:
    """The seven controls; the Transform they describe."""
    values: dict[str, Any] = {}
    cols = st.columns(2)
    for i, (name, (low, high, default, step, fmt)) in enumerate(SLIDERS.items()):
        values[name] = _slider(cols[i % 2], t(f"probe.{name}"), low, high, default, f"{key}_wi_{name}", step=step,
                               format=fmt, help=t(f"probe.{name}_help"))  # fmt: skip
    h, w = x.shape[:2]
    occlusion = None
    if st.toggle(t("probe.patch"), key=f"{key}_wi_patch", help=t("probe.patch_help")):
        a, b, c = st.columns(3)
        size = _slider(a, t("probe.patch_size"), 1, max(2, min(h, w) // 2), max(1, min(h, w) // 4), f"{key}_wi_ps",
                       help=t("probe.patch_size_help"))  # fmt: skip
        row = _slider(b, t("probe.patch_row"), 0, h - 1, h // 2, f"{key}_wi_pr", help=t("probe.patch_row_help"))
        col = _slider(c, t("probe.patch_col"), 0, w - 1, w // 2, f"{key}_wi_pc", help=t("probe.patch_col_help"))
        occlusion = (int(row), int(col), int(size))
    st.button(t("probe.reset"), icon=":material/restart_alt:", key=f"{key}_wi_reset", on_click=_reset, args=(key,),
              help=t("probe.reset_help"))  # fmt: skip
    return Transform(rotation=float(values["rotation"]), shift_x=float(values["shift_x"]),
                     shift_y=float(values["shift_y"]), scale=float(values["scale"]),
                     thickness=int(values["thickness"]), noise=float(values["noise"]), occlusion=occlusion)  # fmt: skip


def _push(t: T, model: Any, x: np.ndarray, before: np.ndarray, names: list[str], key: str) -> None:
    st.caption(t("probe.push_help"))
    left, right = st.columns([5, 6], gap="medium")
    with left:
        change = _sliders(t, x, key)
    out = model.transformed(x, change)
    k0, k = int(before.argmax()), out.predicted
    with right:
        a, b = st.columns([2, 5])
        a.image(widgets.picture(out.image, 140), caption=t("probe.transformed"))
        a.markdown(t("probe.now", name=class_name(names, k), p=float(out.probabilities[k])))
        labels = {"before": t("probe.before"), "after": t("probe.after"), "title": t("predict.probabilities")}
        b.plotly_chart(charts.probability_shift(before, out.probabilities, [class_name(names, i) for i in
                       range(len(before))], labels), key=f"{key}_wi_probs", width="stretch",
                       config={"displayModeBar": False})  # fmt: skip
        if k != k0:
            st.warning(
                t("probe.changed", was=class_name(names, k0), now=class_name(names, k)), icon=":material/swap_horiz:"
            )


# ---------------------------------------------------------------- fooling it


def _signature(x: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest()[:16]


def _fool(t: T, model: Any, x: np.ndarray, before: np.ndarray, names: list[str], key: str) -> None:
    st.caption(t("probe.fool_help"))
    k0 = int(before.argmax())
    a, b, c = st.columns([2, 2, 2], vertical_alignment="bottom")
    method = a.radio(t("probe.method"), ["fgsm", "pgd"], horizontal=True, key=f"{key}_wi_method",
                     format_func=lambda m: t(f"probe.method.{m}"), help=t("probe.method_help"))  # fmt: skip
    options = [-1, *range(len(before))]
    target = b.selectbox(t("probe.target"), options, key=f"{key}_wi_target", help=t("probe.target_help"),
                         format_func=lambda i: t("probe.untargeted") if i < 0 else
                         t("probe.make_it", name=class_name(names, i)))  # fmt: skip
    goal = None if target < 0 else int(target)
    if goal == k0:
        st.info(t("probe.already", name=class_name(names, k0)))
        return
    eps_key, flip_key = f"{key}_wi_eps", f"{key}_wi_flip"
    if c.button(t("probe.find"), icon=":material/search:", key=f"{key}_wi_find", help=t("probe.find_help")):
        with st.spinner(t("probe.finding")):
            flip = model.smallest_flip(x, method=method, target=goal, max_epsilon=MAX_EPSILON, steps=PGD_STEPS)
        found = None if flip.epsilon is None else float(flip.epsilon)
        st.session_state[flip_key] = {"sig": _signature(x), "method": method, "target": goal, "eps": found,
                                      "to": flip.to_class}  # fmt: skip
        if found is not None:
            st.session_state[eps_key] = min(MAX_EPSILON, float(np.ceil(found * 1000) / 1000))
    eps = _slider(st, t("probe.epsilon"), 0.0, MAX_EPSILON, 0.05, eps_key, step=0.001, format="%.3f",
                  help=t("probe.epsilon_help"))  # fmt: skip
    _found_sentence(t, st.session_state.get(flip_key), x, method, goal, names)
    adv = model.attack(x, float(eps), method=method, target=goal, steps=PGD_STEPS)
    cols = st.columns([1, 1, 1, 3])
    cols[0].image(widgets.picture(adv.clean, 120), caption=t("probe.clean", name=class_name(names, adv.before)))
    cols[1].image(widgets.picture(adv.image, 120), caption=t("probe.perturbed", name=class_name(names, adv.after)))
    diff = adv.amplified()
    cols[2].image(widgets.picture(diverging(diff.mean(axis=-1)), 120), caption=t("probe.difference"))
    labels = {"before": t("probe.before"), "after": t("probe.after_attack"), "title": t("predict.probabilities")}
    cols[3].plotly_chart(charts.probability_shift(adv.probabilities_before, adv.probabilities,
                         [class_name(names, i) for i in range(len(before))], labels, height=200),
                         key=f"{key}_wi_adv_probs", width="stretch", config={"displayModeBar": False})  # fmt: skip
    values = {"eps": float(eps), "levels": float(eps) * 255, "was": class_name(names, adv.before),
              "now": class_name(names, adv.after)}  # fmt: skip
    if adv.succeeded:
        st.markdown(t("probe.flipped", **values))
    else:
        st.markdown(t("probe.held", **values))
    st.caption(t("probe.why_adversarial"))


def _found_sentence(t: T, flip: dict | None, x: np.ndarray, method: str, goal: int | None, names: list[str]) -> None:
    """What the last search found, when it was for this image, method and target."""
    if not flip or flip["sig"] != _signature(x) or flip["method"] != method or flip["target"] != goal:
        return
    what = t(f"probe.method.{method}")
    if flip["eps"] is None:
        st.info(t("probe.no_flip", method=what, high=MAX_EPSILON))
    else:
        st.success(t("probe.found", method=what, eps=flip["eps"], levels=flip["eps"] * 255,
                     now=class_name(names, int(flip["to"]))))  # fmt: skip

"""The Inspect page's shared pieces: the model in view (`Subject`), the picked input (`Picked`) and the
per-tab error guard. Imported by the other cnnlab.ui.inspect modules; imports none of them (small widget helpers
live in cnnlab.ui.widgets).

Everything heavy is computed by `cnnlab.inspection` in the model service (through the handle) and cached with
st.cache_resource (keyed by the model file's version or sha256); st.session_state only holds small choices
(indices, names).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from cnnlab.data import datasets as data
from cnnlab.inspection.forward import InspectionError
from cnnlab.ui import shell

T = Callable[..., str]


@dataclass
class Subject:
    """The model in view and the dataset whose test split it is inspected on."""

    key: str  # names this model version + dataset in caches
    title: str
    model: Any  # a cnnlab.inspection.service.ModelHandle: the model itself lives in the model service
    dataset: data.Dataset
    run: Any = None  # the store's Run, or None for an uploaded model

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.dataset.class_names]


@dataclass
class Picked:
    """The one input image the tabs explain."""

    image: np.ndarray  # (H, W, C) float32 in [0, 1]
    probs: np.ndarray
    true: int | None
    label: str


@st.cache_resource(max_entries=512, show_spinner=False)
def _shared(key: str, name: str, digest: str, _model: Any, _args: tuple, _kwargs: dict) -> Any:
    return _model.call(name, *_args, **_kwargs)


def shared(subj: Subject, name: str, *args: Any, **kwargs: Any) -> Any:
    """`subj.model.<name>(*args, **kwargs)` computed once per model version and arguments for every visitor (a
    class of thirty opening Inspect on the same run asks the model service once, not thirty times). The answer is
    shared: read it, never change it."""
    digest = hashlib.sha256(pickle.dumps((args, sorted(kwargs.items())), protocol=5)).hexdigest()
    return _shared(subj.key, name, digest, subj.model, args, kwargs)


def safely(draw: Callable[[], None], t: T) -> None:
    """Run one tab: a request the model cannot answer is one sentence in that tab, anything else is `run_safely`'s."""

    def guarded() -> None:
        try:
            draw()
        except InspectionError as exc:
            st.error(t("inspect.cannot", reason=shell.reason(exc)))

    shell.run_safely(guarded, t)

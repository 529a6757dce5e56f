"""Widgets whose state lives in the URL (through cnnlab.ui.links): tabs remembered by a stable id, and Inspect's
layer and input pickers. Kept apart from links.py, which knows the parameters and how links carry them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import streamlit as st

from cnnlab.ui import links

# Inspect's input picker: ?input=class:3:5 (class, n-th example), index:12, random:417, mistake:88, drawn
INSPECT_INPUT = {
    "class": ("insp_cls", "insp_nth"),
    "index": ("insp_idx",),
    "random": ("insp_rand",),
    "mistake": ("insp_mistake",),
    "drawn": (),
}


def bind_inspect() -> None:
    """Inspect's layer (the feature-map zoom) and input: from a reload or a link, and into the page's links."""
    links.bind("inspect", "layer", "insp_fm_layer")
    ss = st.session_state
    value = links.incoming("input")
    parts = value.split(":") if value and links.PLAIN.match(value) else []
    keys = INSPECT_INPUT.get(parts[0], None) if parts else None
    if keys is not None and len(parts) == len(keys) + 1 and all(p.isdigit() for p in parts[1:]):
        ss["insp_mode"] = parts[0]
        for key, part in zip(keys, parts[1:], strict=True):
            ss[key] = int(part)

    def show() -> str | None:
        mode = ss.get("insp_mode")
        if mode not in INSPECT_INPUT:
            return None
        values = [ss.get(k) for k in INSPECT_INPUT[mode]]
        return mode if any(v is None for v in values) else ":".join([mode, *(str(int(v)) for v in values)])

    links.bound("inspect")["input"] = show


# ---------------------------------------------------------------- tabs by a stable id


def tabs(page: str, key: str, ids: Sequence[str], labels: Sequence[str], **kwargs: Any):
    """st.tabs whose open tab is remembered by id, not by its (translated) label: a language switch keeps it,
    `?tab=<id>` opens it, and links and reloads carry it."""
    ss = st.session_state
    id_key = f"{key}__id"
    wanted = links.incoming("tab")
    if wanted not in ids:
        current = ss.get(key)
        if current in labels:
            wanted = ids[list(labels).index(current)]
        else:  # a label in the language before a switch (or none yet)
            index = _same_label(current, labels)
            wanted = ids[index] if index is not None else ss.get(id_key)
    if wanted in ids:
        ss[key] = labels[list(ids).index(wanted)]
    containers = st.tabs(list(labels), key=key, on_change="rerun", **kwargs)
    chosen = ss.get(key)
    ss[id_key] = ids[list(labels).index(chosen)] if chosen in labels else ids[0]
    links.keep(page, tab=None if ss[id_key] == ids[0] else ss[id_key])
    return containers


_ICON = re.compile(r"^:material/[a-z0-9_]+:\s*")


def _same_label(label: Any, labels: Sequence[str]) -> int | None:
    """Which of `labels` is `label` in another language (by the catalogue; icons aside), if any."""
    from cnnlab.i18n import CATALOGUE

    if not isinstance(label, str):
        return None
    text, plain = _ICON.sub("", label), [_ICON.sub("", x) for x in labels]
    for pair in CATALOGUE.values():
        if text in pair:
            for other in pair:
                if other in plain:
                    return plain.index(other)
    return None

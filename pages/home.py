"""Home: what CNN Lab does, the first step, and which datasets this machine has. No TensorFlow here."""

import pandas as pd
import streamlit as st

from cnnlab import paths
from cnnlab.data import list_datasets
from pages import _ui

t = _ui.tr()
st.title(t("home.title"))
st.markdown(t("home.tagline"))

st.subheader(t("home.steps_title"))
cols = st.columns(4)
for col, key in zip(cols, ("home.step1", "home.step2", "home.step3", "home.step4"), strict=True):
    col.info(t(key))
st.page_link("pages/data.py", label=t("home.start"), icon=":material/arrow_forward:")

st.subheader(t("home.datasets"))
infos = list_datasets()
rows = [
    {
        t("home.col_name"): i.name,
        t("home.col_available"): i.available,
        t("home.col_shape"): "×".join(map(str, i.image_shape)),
        t("home.col_classes"): len(i.class_names),
        t("home.col_counts"): " / ".join(f"{v:,}" for v in i.counts.values()),
        t("home.col_source"): _ui.dataset_source(i, t),
    }
    for i in infos
]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
for i in infos:
    if i.status != "ok":
        st.caption(f"**{i.name}** — {t('home.how_to_enable')}: {_ui.dataset_problem(i, t)}")
st.caption(t("home.data_home", path=paths.data_home()))

"""Home: what CNN Lab does, the first step, and which datasets this machine has. No TensorFlow here."""

import streamlit as st

from cnnlab import paths
from cnnlab.data.datasets import list_datasets
from cnnlab.ui import links, router, shell

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("home.title"))
st.markdown(t("home.tagline"))

st.subheader(t("home.steps_title"))
cols = st.columns(4)
for col, key in zip(cols, ("home.step1", "home.step2", "home.step3", "home.step4"), strict=True):
    col.info(t(key))
links.page_link(st, "data", t("home.start"), ":material/arrow_forward:")

st.subheader(t("home.datasets"))
infos = list_datasets()
# a Markdown table: five rows need no data grid, and Home stays free of pandas (half a second at cold start)
header = [t(f"home.col_{k}") for k in ("name", "available", "shape", "classes", "counts", "source")]
rows = [
    [
        f"`{i.name}`",
        t("home.available") if i.available else t("home.not_available"),
        "×".join(map(str, i.image_shape)),
        str(len(i.class_names)),
        " / ".join(f"{v:,}" for v in i.counts.values()),
        shell.dataset_source(i, t).replace("|", "\\|"),
    ]
    for i in infos
]
st.markdown("\n".join("| " + " | ".join(r) + " |" for r in [header, ["---"] * len(header), *rows]))
for i in infos:
    if i.status != "ok":
        st.caption(f"**{i.name}** — {t('home.how_to_enable')}: {shell.dataset_problem(i, t)}")
st.caption(t("home.data_home", path=shell.visible_path(paths.data_home())))

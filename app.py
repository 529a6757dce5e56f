"""CNN Lab: a small st.navigation router; every page lives in pages/ and all logic in cnnlab/."""

from pathlib import Path

import streamlit as st

from cnnlab.i18n import translator
from cnnlab.ui import learn, links, shell

st.set_page_config(page_title="CNN Lab", page_icon=":material/psychology:", layout="wide")
links.adopt()  # a reload or a shared link: its parameters first (language, run, dataset, architecture, ...)
lang = shell.language()
t = translator(lang)

PAGES = [  # (file, catalogue key, icon); a page appears once its file exists
    ("home.py", "nav.home", ":material/home:"),
    ("learn.py", "nav.learn", ":material/school:"),
    ("data.py", "nav.data", ":material/dataset:"),
    ("build.py", "nav.build", ":material/construction:"),
    ("train.py", "nav.train", ":material/model_training:"),
    ("runs.py", "nav.runs", ":material/table_chart:"),
    ("experiments.py", "nav.experiments", ":material/science:"),
    ("inspect.py", "nav.inspect", ":material/visibility:"),
    ("predict.py", "nav.predict", ":material/draw:"),
]
here = Path(__file__).parent / "pages"
shown = [(file, key, icon) for file, key, icon in PAGES if (here / file).is_file()]
navigation = st.navigation(  # hidden: Streamlit's own menu drops the query parameters, links.sidebar_nav keeps them
    [
        st.Page(f"pages/{file}", title=t(key), icon=icon, url_path=file[:-3], default=file == "home.py")
        for file, key, icon in shown
    ],
    position="hidden",
)
page = navigation.url_path or "home"
learn.note_visit(page)  # lessons tick "visit the Build page" steps from this
menu = [(file[:-3], key, icon) for file, key, icon in shown]
nav_slot = st.sidebar.empty()
links.sidebar_nav(nav_slot, menu, t)
status = shell.sidebar(t)
shell.sidebar_status(status, t)
shell.projector_css()
links.show_problem(lang)


def after() -> None:
    """After the page (even one that stopped): the sidebar and the URL show what the page chose."""
    shell.sidebar_status(status, t)
    links.sync(page)
    links.sidebar_nav(nav_slot, menu, t)


shell.run_safely(navigation.run, t, after=after)

"""CNN Lab: a small st.navigation router; every page lives in pages/ and all logic in cnnlab/."""

from pathlib import Path

import streamlit as st

from cnnlab.i18n import translator
from cnnlab.ui import learn, shell

st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")
lang = shell.language()
t = translator(lang)

PAGES = [  # (file, catalogue key, icon); a page appears once its file exists
    ("home.py", "nav.home", ":material/home:"),
    ("learn.py", "nav.learn", ":material/school:"),
    ("data.py", "nav.data", ":material/dataset:"),
    ("build.py", "nav.build", ":material/construction:"),
    ("train.py", "nav.train", ":material/model_training:"),
    ("runs.py", "nav.runs", ":material/table_chart:"),
    ("inspect.py", "nav.inspect", ":material/visibility:"),
    ("predict.py", "nav.predict", ":material/draw:"),
]
here = Path(__file__).parent / "pages"
navigation = st.navigation(
    [
        st.Page(f"pages/{file}", title=t(key), icon=icon, url_path=file[:-3], default=file == "home.py")
        for file, key, icon in PAGES
        if (here / file).is_file()
    ]
)
learn.note_visit(navigation.url_path or "home")  # lessons tick "visit the Build page" steps from this
status = shell.sidebar(t)
shell.sidebar_status(status, t)
shell.run_safely(navigation.run, t, after=lambda: shell.sidebar_status(status, t))

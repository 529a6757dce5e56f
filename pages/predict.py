"""Predict: draw a digit, show one to the webcam or upload images; see what the model sees, predicts and why."""

import streamlit as st

from cnnlab.inspection.prediction import class_names_for
from cnnlab.train.drawings import is_digit_model
from cnnlab.ui import linked, router, shell, state
from cnnlab.ui.predict.common import no_model, pick_run, usable_runs
from cnnlab.ui.predict.draw import draw_section, my_drawings
from cnnlab.ui.predict.upload import photo_section, upload_section
from cnnlab.ui.predict.webcam import webcam_section

router.guard()  # first: a page started without app.py's router reruns through it
t = shell.tr()
st.title(t("predict.title"))
st.caption(t("predict.intro"))

runs = usable_runs()
if not runs:
    no_model(t)
    shell.stop()
run = pick_run(t, runs)
loaded = state.run_model(run.id)
if loaded is None:
    st.warning(t("predict.no_checkpoint"))
    shell.stop()
_, model = loaded  # a handle: the model itself lives in the model service
names = class_names_for(run.dataset, model.info.classes)

draw_tab, webcam_tab, upload_tab, photo_tab = linked.tabs(  # by id (?tab=upload): a language switch keeps it
    "predict", "predict_tab", ["draw", "webcam", "upload", "photos"],
    [f":material/draw: {t('predict.tab_draw')}", f":material/videocam: {t('predict.tab_webcam')}",
     f":material/upload: {t('predict.tab_upload')}", f":material/photo_camera: {t('predict.tab_photos')}"],
)  # fmt: skip
with draw_tab:
    if is_digit_model(model.input_shape):
        draw_section(t, run.id, names, side=shell.canvas_size())
        my_drawings(t, run, names)
    else:
        shape = "×".join(map(str, model.input_shape))
        st.info(t("predict.draw_needs_digits", name=run.name, shape=shape))
with webcam_tab:
    webcam_section(t, run.id, names)
with upload_tab:
    upload_section(t, run.id, names)
with photo_tab:
    photo_section(t)

"""Train and Runs pages through AppTest, over a real run trained by the real engine."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnlab import jobs
from cnnlab.store import RunStore
from conftest import APP_PATH


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    """A data home holding one finished run (LeNet-5, 2 epochs on 1,024 real MNIST digits)."""
    import os

    home = tmp_path_factory.mktemp("trained-home")
    old = os.environ.get("CNNLAB_HOME")
    os.environ["CNNLAB_HOME"] = str(home)
    try:
        with RunStore() as store:
            config = {"dataset": "mnist-sample", "arch": "lenet5", "epochs": 2, "max_train_samples": 1024}
            run_id = jobs.start_run(config, name="tiny lenet", store=store)
            run = jobs.wait_for(run_id, timeout=240, store=store)
            assert run.status == "finished", run.reason
    finally:
        if old is None:
            os.environ.pop("CNNLAB_HOME", None)
        else:
            os.environ["CNNLAB_HOME"] = old
    return home, run_id


def open_page(page: str, lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(APP_PATH, default_timeout=120)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_train_page_has_every_setting_with_help():
    at = open_page("pages/train.py")
    labels = {w.label: w.help for w in [*at.number_input, *at.selectbox, *at.slider, *at.checkbox]}
    for name in ("Epochs", "Learning rate", "Optimizer", "Schedule", "Validation split", "Random rotation",
                 "Early stopping", "Weight decay", "Label smoothing", "Random seed"):  # fmt: skip
        assert name in labels, name
    assert "typical" in labels["Epochs"] and "Adam: 0.001" in labels["Learning rate"]
    assert any("Press **Train**" in i.value for i in at.info)  # empty state guides a newcomer


def test_train_page_refuses_invalid_settings_with_a_message():
    at = open_page("pages/train.py")
    at.slider(key="tr_val_fraction").set_value(0.0)  # but the monitor stays "val_loss"
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    message = at.error[0].value
    assert "can't be trained" in message and "needs a validation split" in message
    with RunStore() as store:
        assert store.list_runs() == []  # nothing was queued


def test_train_page_in_chinese():
    at = open_page("pages/train.py", lang="zh")
    labels = {w.label for w in at.number_input}
    assert "训练轮数（epochs）" in labels and "Epochs" not in labels


def test_train_page_shows_a_finished_run(trained_home, monkeypatch):
    home, run_id = trained_home
    monkeypatch.setenv("CNNLAB_HOME", str(home))
    at = open_page("pages/train.py", run_id=run_id)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"].endswith("%")
    assert float(metrics["Test accuracy"].rstrip("%")) > 30  # a real model, better than chance (10%)
    assert any("Finished" in m.value for m in at.markdown)


def test_runs_page_lists_runs_and_manages_one(trained_home, monkeypatch):
    home, _ = trained_home
    monkeypatch.setenv("CNNLAB_HOME", str(home))
    at = open_page("pages/runs.py")
    table = at.dataframe[0].value
    assert table["Name"].tolist() == ["tiny lenet"]
    assert table["Status"].tolist() == ["Finished"]
    assert 0.3 < float(table["Test accuracy"].iloc[0]) <= 1.0


def test_runs_page_empty_state():
    at = open_page("pages/runs.py")
    assert any("No runs yet" in i.value for i in at.info)

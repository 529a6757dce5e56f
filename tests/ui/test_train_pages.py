"""Train and Runs pages through AppTest, over a real run trained by the real engine."""

from __future__ import annotations

from cnnlab.runs.store import RunStore
from conftest import open_app


def test_train_page_has_every_setting_with_help():
    at = open_app("pages/train.py")
    labels = {w.label: w.help for w in [*at.number_input, *at.selectbox, *at.slider, *at.checkbox]}
    for name in ("Epochs", "Learning rate", "Optimizer", "Schedule", "Validation split", "Random rotation",
                 "Early stopping", "Weight decay", "Label smoothing", "Random seed"):  # fmt: skip
        assert name in labels, name
    assert "typical" in labels["Epochs"] and "Adam: 0.001" in labels["Learning rate"]
    assert any("Press **Train**" in i.value for i in at.info)  # empty state guides a newcomer


def test_train_page_refuses_invalid_settings_with_a_message():
    at = open_app("pages/train.py")
    at.slider(key="tr_val_fraction").set_value(0.0)  # but the monitor stays "val_loss"
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    message = at.error[0].value
    assert "can't be trained" in message and "needs a validation split" in message
    with RunStore() as store:
        assert store.list_runs() == []  # nothing was queued


def test_train_page_in_chinese():
    at = open_app("pages/train.py", lang="zh")
    labels = {w.label for w in at.number_input}
    assert "训练轮数（epochs）" in labels and "Epochs" not in labels


def test_train_page_shows_a_finished_run(tiny_run):
    run_id = tiny_run.run_id
    at = open_app("pages/train.py", run_id=run_id)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"].endswith("%")
    assert float(metrics["Test accuracy"].rstrip("%")) > 30  # a real model, better than chance (10%)
    assert any("Finished" in m.value for m in at.markdown)


def test_runs_page_lists_runs_and_manages_one(tiny_run):
    at = open_app("pages/runs.py")
    table = at.dataframe[0].value
    assert table["Name"].tolist() == ["tiny lenet"]
    assert table["Status"].tolist() == ["Finished"]
    assert 0.3 < float(table["Test accuracy"].iloc[0]) <= 1.0


def test_runs_page_empty_state():
    at = open_app("pages/runs.py")
    assert any("No runs yet" in i.value for i in at.info)

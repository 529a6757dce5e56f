"""Train and Runs pages through AppTest, over a real run trained by the real engine."""

from __future__ import annotations

import pytest

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


def _small_dataset(name: str = "three-shapes", per_class: int = 30) -> None:
    """A user dataset as the Data page's upload makes it: 3 classes of `per_class` 28x28 PNGs."""
    from cnnlab.data.upload import ingest_upload
    from tests import hostile

    members = [(f"d/{c}/{i}.png", hostile.noise_png((28, 28), seed=100 * k + i))
               for k, c in enumerate("abc") for i in range(per_class)]  # fmt: skip
    ingest_upload(hostile.build_zip(members), name, kind="zip")


def test_a_small_dataset_gets_a_batch_that_fits_any_typed_batch_and_a_word_on_what_to_expect(cnnlab_home):
    _small_dataset()
    at = open_app("pages/train.py", dataset="three-shapes")
    batch = at.number_input(key="tr_batch_size")
    assert batch.value == 32  # 90 images minus test and validation leave 63 to train on: not the default 128
    note = " ".join(i.value for i in at.info)
    assert "Only **63 training images** (about 21 per class)" in note
    assert "augmentation" in note and "Transfer learning" in note
    batch.set_value(50).run()  # any value can be typed, not only powers of two
    assert at.number_input(key="tr_batch_size").value == 50
    from cnnlab.ui.links import read_setup

    query = {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()}
    assert read_setup(query)["batch_size"] == 50  # the form really uses it (the share link holds it)
    assert not at.exception and not at.error

    mnist = open_app("pages/train.py")  # a large dataset: the default batch, no note
    assert mnist.number_input(key="tr_batch_size").value == 128
    assert not any("training images" in i.value for i in mnist.info)


def test_the_data_page_says_what_to_expect_from_a_small_dataset_in_both_languages(cnnlab_home):
    _small_dataset()
    en = open_app("pages/data.py", dataset="three-shapes")
    assert any("training images" in i.value and "Transfer learning" in i.value for i in en.info)
    zh = open_app("pages/data.py", "zh", dataset="three-shapes")
    assert any("张训练图像" in i.value and "迁移学习" in i.value for i in zh.info)


def test_offline_imagenet_is_refused_before_a_run_with_two_ways_out(cnnlab_home):
    from cnnlab.arch.presets import preset

    spec = preset("transfer", (28, 28, 1), 10).to_dict()  # MobileNetV2 with ImageNet weights: none here
    at = open_app("pages/train.py", arch_spec=spec, build_base=spec)
    assert at.selectbox(key="tr_arch").value == "build"  # Build's transfer network, not a silent LeNet-5
    next(b for b in at.button if b.label == "Train").click().run()
    assert "ImageNet weights" in at.error[0].value and "Weights to random" in at.error[0].value
    shown = at.error[0].value + " ".join(m.value for m in at.markdown)
    assert "WeightsUnavailable" not in shown and "/root" not in shown and "--option" not in shown
    assert any("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in m.value for m in at.markdown)
    with RunStore() as store:
        assert store.list_runs() == []  # refused before any run was queued
    next(b for b in at.button if b.label == "Use random weights").click().run()
    assert not at.error
    assert any("random weights" in s.value for s in at.success)
    for key in ("arch_spec", "build_base"):  # Train's architecture and Build's stack alike
        assert at.session_state[key]["layers"][0]["params"]["weights"] is None
    assert at.session_state["build_opt_transfer_weights"] == "none"


def test_offline_imagenet_refusal_in_chinese(cnnlab_home):
    from cnnlab.arch.presets import preset

    spec = preset("transfer", (28, 28, 1), 10).to_dict()
    at = open_app("pages/train.py", "zh", arch_spec=spec)
    next(b for b in at.button if b.label == "开始训练").click().run()
    assert "ImageNet" in at.error[0].value and "随机" in at.error[0].value
    assert {"改用随机权重"} <= {b.label for b in at.button}


@pytest.mark.slow
def test_a_small_datasets_note_says_what_its_best_run_measured(home_with_data):
    from conftest import train_run

    _small_dataset()
    run_id = train_run({"dataset": "three-shapes", "arch": "lenet5", "epochs": 4, "batch_size": 16}, "shapes run")
    with RunStore() as store:
        run = store.get_run(run_id)
        losses = [(r["epoch"], r["val_loss"]) for r in store.epoch_table(run_id)]
    acc = f"{run.final_metrics['test_accuracy']:.1%}"
    low = min(losses, key=lambda e: e[1])[0]
    for page in ("pages/train.py", "pages/data.py"):
        note = " ".join(i.value for i in open_app(page, dataset="three-shapes").info)
        assert f"Your best run on it so far, **shapes run**, reached {acc} test accuracy" in note
        assert (f"lowest after epoch {low} of 4" in note) == (low < 4), (losses, note)
    zh = " ".join(i.value for i in open_app("pages/train.py", "zh", dataset="three-shapes").info)
    assert f"**shapes run** 的测试准确率为 {acc}" in zh

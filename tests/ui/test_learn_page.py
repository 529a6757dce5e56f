"""The Learn page through the real router (AppTest): Do it sets the sandbox and ticks the step, answers are checked
against the learner's own settings and run, Do it opens other pages, and lesson files are read as data."""

from __future__ import annotations

import pytest

from cnnlab.learn import progress
from conftest import open_app


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.label for e in at.expander] + [s.value for s in at.success]
    return "\n".join([*parts, *(w.value for w in at.warning), *(i.value for i in at.info)])


def _answer(at, lesson: str, question: str, value: str):
    at.text_input(key=f"qa_{lesson}_{question}").input(value)
    form = next(b for b in at.button if b.label in ("Check", "核对") and b.form_id == f"q_{lesson}_{question}")
    form.click().run()
    assert not at.exception, at.exception
    return at


def test_lesson_one_do_it_sets_the_sandbox_and_ticks_the_step():
    at = open_app("pages/learn.py")
    assert at.title[0].value == "Learn"
    assert "0 of 6 steps done" in at.get("progress")[0].proto.text
    at.button(key="do_convolution_edges").click().run()
    assert not at.exception, at.exception
    assert (at.session_state["sb_input"], at.session_state["sb_kernel"]) == ("digit", "vertical_edges")
    assert "1 of 6 steps done" in at.get("progress")[0].proto.text
    assert progress.is_done(progress.load("me"), "convolution", "edges")
    at.button(key="do_convolution_stride").click().run()
    assert at.session_state["sb_stride"] == 2
    assert "Output map 13×13" in " ".join(str(c.proto.spec) for c in at.get("plotly_chart"))
    _answer(at, "convolution", "output_size", "13 x 13")
    assert "Right: 13×13." in _texts(at)
    _answer(at, "convolution", "conv_params", "9")
    text = _texts(at)
    assert "Not quite: you said 9, the answer is 10." in text and "3×3 weights + 1 bias = **10**" in text
    assert progress.is_done(progress.load("me"), "convolution", "sharing")


def test_the_sandbox_shows_the_cell_arithmetic_and_the_parameter_counts():
    at = open_app("pages/learn.py", lang="zh")
    assert at.title[0].value == "学习"
    at.button(key="do_convolution_padding").click().run()
    assert at.session_state["sb_padding"] == "same"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Conv2D，一个卷积核"] == "10"
    assert metrics["输出同样 81 个值的全连接层"] == f"{81 * 81 + 81:,}"
    at.number_input(key="sb_row").set_value(0).run()
    assert at.session_state["sb_cell_picked"] is True
    assert "输出单元 (0, 3)" in _texts(at)
    assert "learn." not in _texts(at)  # no untranslated key on the page


def test_do_it_opens_build_and_the_visit_ticks_the_step():
    at = open_app("pages/learn.py", learn_lesson="pooling")
    at.button(key="do_pooling_pool").click().run()
    assert at.session_state["sb_pool"] == "max"
    at.button(key="do_pooling_build").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Build a network"
    assert at.session_state["arch_spec"]["name"] == "lenet5"
    at.switch_page("pages/learn.py").run()
    assert at.session_state["learn_lesson"] == "pooling" and at.session_state["sb_pool"] == "max"  # kept
    assert "build" in progress.load("me")["visited"]
    assert progress.is_done(progress.load("me"), "pooling", "build")
    _answer(at, "pooling", "receptive_field", "16x16")
    assert "Right: 16×16." in _texts(at)


def test_lesson_three_answers_from_the_learners_own_run(tiny_run):
    at = open_app("pages/learn.py", learn_lesson="lenet5")
    assert progress.is_done(progress.load("me"), "lenet5", "train")  # the tiny run is a finished LeNet-5 run
    _answer(at, "lenet5", "conv1_params", "156")
    text = _texts(at)
    assert "Right: 156." in text and "5×5×1×6 + 6 = 156" in text and "tiny lenet" in text
    at.button(key="do_lenet5_look").click().run()
    assert not at.exception, at.exception
    assert at.session_state["run_id"] == tiny_run.run_id
    assert at.session_state["insp_tab"] == "Filters"


def test_a_teachers_lesson_file_appears_and_a_broken_one_says_where(cnnlab_home):
    folder = cnnlab_home / "lessons"
    folder.mkdir()
    (folder / "09-extra.en.md").write_text(
        "---\nid: extra\ntitle: An extra lesson\nsteps:\n  - id: one\n    text: Read this.\n---\nHello.\n",
        encoding="utf-8",
    )
    (folder / "10-broken.en.md").write_text(
        "---\nid: broken\ntitle: Broken\nsteps:\n  - id: [\n---\n", encoding="utf-8"
    )
    at = open_app("pages/learn.py", learn_lesson="extra")
    assert "An extra lesson" in [h.value for h in at.header]
    assert any("10-broken.en.md, line" in w.value for w in at.warning)
    at.button(key="mark_extra_one").click().run()
    assert progress.is_done(progress.load("me"), "extra", "one")


def test_lesson_six_shows_the_exported_scripts_lines_and_opens_each_place(tiny_run):
    at = open_app("pages/learn.py", lang="zh", learn_lesson="tf-workflow")
    codes = "\n".join(c.value for c in at.code)
    assert "tf.data.Dataset" in codes and "model.compile(" in codes and "model.save(" in codes
    assert any("tiny lenet" in c.value for c in at.caption)  # the learner's own run's script
    at.button(key="do_tf-workflow_data").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value != "学习"  # the Data page opened
    at.switch_page("pages/learn.py").run()
    assert progress.is_done(progress.load("me"), "tf-workflow", "data")
    assert progress.is_done(progress.load("me"), "tf-workflow", "fit")  # the tiny run is a finished run
    at.button(key="mark_tf-workflow_devices").click().run()
    assert progress.is_done(progress.load("me"), "tf-workflow", "devices")
    _answer(at, "tf-workflow", "head_params", "850")
    assert "答对了：850。" in _texts(at) and "84×10 + 10 = 850" in _texts(at)
    at.button(key="do_tf-workflow_save").click().run()
    assert not at.exception, at.exception
    assert at.session_state["run_id"] == tiny_run.run_id


def test_lesson_four_sets_up_each_variant_on_train():
    at = open_app("pages/learn.py", learn_lesson="alexnet-ideas")
    assert "| ReLU | not run yet | — |" in _texts(at)  # nothing measured yet, nothing claimed
    at.button(key="do_alexnet-ideas_relu").click().run()
    at.switch_page("pages/learn.py").run()
    at.button(key="do_alexnet-ideas_sigmoid").click().run()
    assert not at.exception, at.exception
    spec = at.session_state["arch_spec"]
    assert spec["name"] == "lenet5_sigmoid"
    assert {layer["params"].get("activation") for layer in spec["layers"]} - {None} == {"sigmoid"}
    assert at.session_state["tr_epochs"] == 5 and at.session_state["tr_aug_translation"] == 0.0  # the setup link
    arch = at.selectbox(key="tr_arch")
    assert arch.value == "build" and arch.options[0] == "lenet5_sigmoid"  # Train builds the variant
    at.switch_page("pages/learn.py").run()
    at.button(key="do_alexnet-ideas_augmentation").click().run()
    assert at.session_state["arch_spec"]["name"] == "lenet5" and at.session_state["tr_aug_translation"] == 0.1


@pytest.mark.slow
def test_lesson_four_reports_what_real_short_runs_measured(tiny_run):
    from cnnlab.learn.compare import variant
    from cnnlab.runs.store import RunStore
    from conftest import train_run

    config = {"dataset": "mnist-sample", "epochs": 2, "max_train_samples": 1024,
              "augmentation": {"translation": 0.0, "rotation": 0.0, "zoom": 0.0, "flip": False}}  # fmt: skip
    sigmoid = train_run({**config, "arch": variant("lenet5", activation="sigmoid").to_dict()}, "short sigmoid")
    relu = train_run({**config, "arch": "lenet5"}, "short relu")
    with RunStore() as store:
        figures = {name: store.get_run(i).final_metrics["test_accuracy"] for name, i in
                   (("ReLU", relu), ("sigmoid", sigmoid), ("ReLU + augmentation", tiny_run.run_id))}  # fmt: skip
    at = open_app("pages/learn.py", learn_lesson="alexnet-ideas")
    text = _texts(at)
    for label, accuracy in figures.items():  # the table shows what each run measured, nothing written in
        assert f"| {label} |" in text and f"{accuracy:.1%}" in text
    assert "| ReLU + dropout | not run yet |" in text
    assert len(at.get("plotly_chart")) == 1  # the validation curves overlaid
    for step in ("relu", "sigmoid", "augmentation"):
        assert progress.is_done(progress.load("me"), "alexnet-ideas", step)
    best = max(figures, key=figures.get)
    _answer(at, "alexnet-ideas", "best", best)
    assert f"Right: {best}." in _texts(at)


def test_learn_renders_without_tensorflow():
    import subprocess
    import sys

    from conftest import ROOT

    code = (
        "import sys; from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120); at.run()\n"
        "at.switch_page('pages/learn.py'); at.run(); assert not at.exception, at.exception\n"
        "at.button(key='do_convolution_edges').click().run(); assert not at.exception, at.exception\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True, cwd=ROOT
    )
    assert out.stdout.strip().splitlines()[-1] == "False False"


def _own_dataset(name: str = "bands") -> None:
    """A small dataset of the learner's own: three classes of bright bands at different heights, with noise."""
    import numpy as np

    from cnnlab.data.datasets import save_user_dataset

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    x = rng.integers(0, 60, size=(len(y), 28, 28, 1)).astype(np.uint8)
    for i, label in enumerate(y):
        x[i, 4 + 8 * label : 10 + 8 * label] = 230
    save_user_dataset(name, x, y, ["top", "middle", "bottom"], "test")


@pytest.mark.slow
def test_lesson_five_transfers_the_learners_run_to_their_own_images(tiny_run):
    from cnnlab.runs.store import RunStore
    from conftest import train_run

    _own_dataset()
    at = open_app("pages/learn.py", learn_lesson="transfer")
    assert progress.is_done(progress.load("me"), "transfer", "base")  # the tiny LeNet-5 run is the base
    assert progress.is_done(progress.load("me"), "transfer", "data")  # an own dataset exists
    specs = {}
    for step in ("features", "fine_tune"):
        at.button(key=f"do_transfer_{step}").click().run()
        assert not at.exception, at.exception
        spec = at.session_state["arch_spec"]
        assert at.session_state["dataset"] == "bands" and spec["num_classes"] == 3
        assert spec["layers"][0]["params"]["model_path"].endswith(".keras")
        specs[step] = spec
        at.switch_page("pages/learn.py").run()
    assert specs["features"]["name"] == "transfer_features" and specs["fine_tune"]["name"] == "transfer_fine_tuned"
    assert specs["features"]["layers"][0]["params"]["trainable_layers"] == 0
    assert specs["fine_tune"]["layers"][0]["params"]["trainable_layers"] == 2

    ids = {step: train_run({"dataset": "bands", "arch": spec, "epochs": 2}, step) for step, spec in specs.items()}
    with RunStore() as store:
        figures = {step: store.get_run(i).final_metrics["test_accuracy"] for step, i in ids.items()}
    at = open_app("pages/learn.py", learn_lesson="transfer")
    text = _texts(at)
    for label, step in (("feature extraction", "features"), ("fine-tuning", "fine_tune")):
        assert f"| {label} | {step} | {figures[step]:.1%} |" in text
        assert progress.is_done(progress.load("me"), "transfer", step)
    best = "feature extraction" if figures["features"] >= figures["fine_tune"] else "fine-tuning"
    _answer(at, "transfer", "best", best)
    assert f"Right: {best}." in _texts(at)

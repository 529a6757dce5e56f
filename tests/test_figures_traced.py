"""Figures the pages show, each recomputed another way on real data (issue 21: "every figure on every page traced
to its computation by a test"). docs/FIGURES.md maps every figure to its page, the function that computes it and
the test that checks it; the figures not checked here are checked where that table says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnlab.arch.presets import PRESETS, preset
from cnnlab.data import datasets
from cnnlab.data.datasets import list_datasets, load_dataset, pixel_stats, split, split_counts
from conftest import open_app

# ---------------------------------------------------------------- Home and Data: image counts, pixel statistics


def test_the_counts_home_shows_are_the_splits_load_dataset_makes(home_with_data) -> None:
    infos = {i.name: i for i in list_datasets()}
    # a dataset that ships its own test set: split() carves 10% of each class's training images out; a class of
    # 6,265 sevens gives 626 (626.5 rounded to even), so MNIST has 5,999 validation digits, not 6,000
    assert infos["mnist"].counts == {"train": 54_001, "validation": 5_999, "test": 10_000}
    for name, builtin in datasets.BUILTINS.items():
        per_class, test = builtin.sizes
        y = np.repeat(np.arange(len(per_class)), per_class)
        xt, yt, xv, yv, xs, _ = split(np.zeros((len(y), 1, 1, 1), np.uint8), y, val_fraction=0.1, test_fraction=0.0)
        assert infos[name].counts == {"train": len(yt), "validation": len(yv), "test": test}, name
        assert len(xs) == 0 and len(xt) + len(xv) == sum(per_class)
    checked = 0
    for name, info in infos.items():
        if info.status != "ok":
            continue  # not on this machine: its counts are checked by the arithmetic above
        ds = load_dataset(name)
        assert info.counts == ds.counts() == {"train": len(ds.x_train), "validation": len(ds.x_val),
                                              "test": len(ds.x_test)}, name  # fmt: skip
        if name in datasets.BUILTINS:  # the per-class sizes written down are those of the files
            per_class = np.bincount(np.concatenate([ds.y_train, ds.y_val]), minlength=ds.num_classes)
            assert tuple(per_class) == tuple(datasets.BUILTINS[name].sizes[0]), name
        checked += 1
    assert checked >= 1  # the bundled sample at least


def test_pixel_statistics_cover_every_training_image(home_with_data) -> None:
    sample = load_dataset("mnist-sample").x_train
    tall = np.concatenate([sample, 255 - sample[:2000]])  # more than the 5,000 images it used to stop at
    for x in (sample, tall, tall.astype(np.float32)):
        f = x.astype(np.float64)
        stats = pixel_stats(x)
        assert stats["mean"] == pytest.approx(f.mean(), abs=1e-9) and stats["std"] == pytest.approx(f.std(), abs=1e-9)
        assert (stats["min"], stats["max"]) == (f.min(), f.max())
    assert split_counts([10, 11], val_fraction=0.1, test_fraction=0.2) == {"train": 15, "validation": 2, "test": 4}


def test_the_data_page_shows_the_loaded_splits_class_counts_and_pixel_statistics(home_with_data) -> None:
    ds = load_dataset("mnist-sample")
    at = open_app("pages/data.py", "en")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Training images"] == f"{len(ds.y_train):,}" and shown["Validation images"] == f"{len(ds.y_val):,}"
    assert shown["Test images"] == f"{len(ds.y_test):,}" and shown["Image shape"] == "28×28×1"
    f = ds.x_train.astype(np.float64)
    assert (shown["Mean"], shown["Std. deviation"]) == (f"{f.mean():.1f}", f"{f.std():.1f}")
    assert (shown["Min"], shown["Max"]) == (f"{f.min():.1f}", f"{f.max():.1f}")
    counts = _chart_values(at, "bar", "y")
    assert [int(v) for v in counts] == [int((ds.y_train == k).sum()) for k in range(10)]


def _chart_values(at, kind: str, key: str) -> np.ndarray:
    """Values `key` of the page's first plotly trace of type `kind` (a typed array as plotly.py writes NumPy data,
    {"dtype", "bdata", "shape"}, decoded)."""
    import base64

    spec = next(c for c in (json.loads(p.proto.spec) for p in at.get("plotly_chart")) if c["data"][0]["type"] == kind)
    value = spec["data"][0][key]
    if isinstance(value, list):
        return np.asarray(value)
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))


# ---------------------------------------------------------------- Build: activation memory


@pytest.mark.parametrize("name", [name for name in PRESETS if name != "transfer"])
def test_the_activation_memory_build_shows_is_every_output_keras_builds(name) -> None:
    from cnnlab.arch.analysis import analyze
    from cnnlab.arch.build import build_model

    spec = preset(name, (28, 28, 1), 10)
    model = build_model(spec)
    floats = int(np.prod(model.input.shape[1:]))  # the image itself
    for layer in model.layers:
        if type(layer).__name__ != "InputLayer":
            floats += int(np.prod(layer.output.shape[1:]))
    totals = analyze(spec).totals
    assert totals["activation_bytes"] == floats * 4, name  # float32: 4 bytes per value, one image
    assert totals["params"] == model.count_params()


# ---------------------------------------------------------------- a run's figures (Train, Runs, Predict, arena)


def _moved(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Every image moved dy rows down and dx columns right, blank where nothing moved in (by hand, with np.pad)."""
    h, w = images.shape[1:3]
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return padded[:, 1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]


def _keras_macs(model) -> int:
    """Multiply-accumulates of every Conv2D and Dense layer, straight from the built Keras layers."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            _, h, w, filters = layer.output.shape
            total += h * w * filters * int(np.prod(layer.kernel_size)) * layer.input.shape[-1]
        elif kind == "Dense":
            total += int(layer.input.shape[-1]) * layer.units
    return total


@pytest.mark.slow
def test_a_runs_figures_are_its_model_run_again_on_its_own_test_split(tiny_run) -> None:
    """Test accuracy and loss (Train, Runs, model pickers), drawn and shift-averaged drawn accuracy and their ratio
    (Train, Runs, Predict's switch, the arena), the best epoch's validation accuracy, parameters and MACs (arena):
    the saved model, reloaded by Keras and run with `model.predict` on the run's own split."""
    import keras

    from cnnlab.arch.analysis import analyze
    from cnnlab.arch.spec import ArchSpec
    from cnnlab.data import drawn
    from cnnlab.runs.files import run_dataset, run_model_path
    from cnnlab.runs.store import RunStore

    with RunStore() as store:
        run = store.get_run(tiny_run.run_id)
        path, best = run_model_path(store, run.id), store.artifact(run.id, "best_model")
        epochs = {row["epoch"]: row for row in store.epoch_table(run.id)}
    fm, ds = run.final_metrics, run_dataset(run)
    model = keras.saving.load_model(path)

    def probabilities(images: np.ndarray) -> np.ndarray:
        return model.predict(images.astype(np.float32) / 255.0, batch_size=256, verbose=0)

    one_image = 1.0 / len(ds.y_test) + 1e-9  # float32 sums in another order may tip one near-tie
    probs = probabilities(ds.x_test)
    assert fm["test_accuracy"] == pytest.approx(np.mean(probs.argmax(axis=1) == ds.y_test), abs=one_image)
    k, smoothing = probs.shape[1], float(run.config["label_smoothing"])
    target = np.eye(k)[ds.y_test] * (1.0 - smoothing) + smoothing / k  # what the run trained against
    loss = -np.mean(np.sum(target * np.log(np.clip(probs.astype(np.float64), 1e-7, 1.0 - 1e-7)), axis=1))
    assert fm["test_loss"] == pytest.approx(loss, rel=1e-3)

    drawings = drawn.drawn_test_images(ds.x_test, drawn.DRAWN_SEED)
    on_drawn = np.mean(probabilities(drawings).argmax(axis=1) == ds.y_test)
    assert fm["drawn_accuracy"] == pytest.approx(on_drawn, abs=one_image)
    assert fm["drawn_ratio"] == pytest.approx(fm["drawn_accuracy"] / fm["test_accuracy"])
    averaged = np.mean([probabilities(_moved(drawings, dy, dx)) for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)
    assert fm["drawn_accuracy_shifted"] == pytest.approx(np.mean(averaged.argmax(axis=1) == ds.y_test), abs=one_image)

    # the curves and "best validation accuracy" come from the per-epoch records: the best checkpoint's epoch
    # recorded the accuracy that checkpoint has on the validation split
    on_val = np.mean(probabilities(ds.x_val).argmax(axis=1) == ds.y_val)
    assert epochs[best.epoch]["val_accuracy"] == pytest.approx(on_val, abs=1.0 / len(ds.y_val) + 1e-9)
    assert fm["best_val_accuracy"] == max(row["val_accuracy"] for row in epochs.values())

    totals = analyze(ArchSpec.from_dict(run.arch)).totals  # what the arena's and Build's size columns show
    assert (totals["params"], totals["macs"]) == (model.count_params(), _keras_macs(model)) == (44_426, 281_640)


@pytest.mark.slow
def test_the_inspect_pages_evaluation_is_the_model_on_the_test_split_counted_by_hand(tiny_run) -> None:
    import keras

    from cnnlab.i18n import t as tr
    from cnnlab.runs.files import run_dataset, run_model_path
    from cnnlab.runs.store import RunStore

    with RunStore() as store:
        run = store.get_run(tiny_run.run_id)
        model = keras.saving.load_model(run_model_path(store, run.id))
    ds = run_dataset(run)
    pred = model.predict(ds.x_test.astype(np.float32) / 255.0, verbose=0).argmax(axis=1)
    y, k = ds.y_test, 10
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (y, pred), 1)

    at = open_app("pages/inspect.py", "en", timeout=180, run_id=run.id, insp_tab=tr("inspect.tab.eval", "en"))
    shown = {m.label: m.value for m in at.metric}
    assert shown["Test accuracy"] == f"{np.mean(pred == y):.1%}"
    assert shown["Mistakes"] == f"{int(np.sum(pred != y)):,}" and shown["Test images"] == f"{len(y):,}"
    shown_counts = _chart_values(at, "heatmap", "text").reshape(k, k)  # the number in each cell
    np.testing.assert_array_equal(shown_counts, confusion)  # rows true, columns predicted
    colour = _chart_values(at, "heatmap", "z").reshape(k, k)  # the share of the true class
    np.testing.assert_allclose(colour, confusion / confusion.sum(axis=1, keepdims=True))
    table = at.dataframe[0].value
    for c in range(k):
        tp, predicted, actual = confusion[c, c], confusion[:, c].sum(), confusion[c].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        row = table.iloc[c]
        assert row["Test images"] == actual
        assert (row["Precision"], row["Recall"], row["F1 score"]) == pytest.approx(
            (100 * precision, 100 * recall, 100 * f1), abs=1e-9
        ), c


@pytest.mark.slow
def test_the_train_and_runs_pages_show_the_runs_own_figures(tiny_run) -> None:
    """What the pages print is the run record, rounded as labelled (the record itself is recomputed above)."""
    from cnnlab.runs.store import RunStore

    with RunStore() as store:
        run = store.get_run(tiny_run.run_id)
    fm = run.final_metrics
    at = open_app("pages/train.py", run_id=run.id)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Test accuracy"] == f"{fm['test_accuracy']:.2%}" and shown["Test loss"] == f"{fm['test_loss']:.3f}"
    assert shown["Best validation accuracy"] == f"{fm['best_val_accuracy']:.2%}"
    assert shown["Drawn digits"] == f"{fm['drawn_accuracy']:.2%}"
    # training time: the epochs' own seconds, never more than the run's wall time from start to end
    assert (
        shown["Training time"] == f"{run.train_seconds:.0f} s" and 0 < run.train_seconds <= run.finished - run.started
    )
    table = open_app("pages/runs.py").dataframe[0].value
    row = table.iloc[0]
    assert (row["Test accuracy"], row["Drawn digits"]) == (fm["test_accuracy"], fm["drawn_accuracy"])
    assert row["Epochs"] == f"{run.epochs_done}/{run.epochs}" == "2/2"


@pytest.mark.slow
def test_predicts_before_and_after_fine_tuning_counts_the_drawings_both_models_get_right(finetuned) -> None:
    import keras

    from cnnlab.runs.files import run_model_path
    from cnnlab.runs.store import RunStore

    with RunStore() as store:
        base, tuned = store.get_run(finetuned.base), store.get_run(finetuned.tuned)
        models = [keras.saving.load_model(run_model_path(store, r.id)) for r in (base, tuned)]
    with np.load(tuned.config["extra_data"], allow_pickle=False) as f:  # the drawings the fine-tune trained on
        n = int(f["unique"]) if "unique" in f.files else len(f["y"])
        x, y = f["x"][:n], f["y"][:n]
    right = [int(np.sum(m.predict(x.astype(np.float32) / 255.0, verbose=0).argmax(axis=1) == y)) for m in models]
    at = open_app("pages/predict.py", "en", run_id=tuned.id)
    captions = [c.value for c in at.caption]
    assert f"Before: {right[0]} of {n} right · after: {right[1]} of {n} right." in captions
    b, a = base.final_metrics, tuned.final_metrics
    figures = (
        f"Test digits: {b['test_accuracy']:.1%} before, {a['test_accuracy']:.1%} after · "
        f"drawn digits: {b['drawn_accuracy']:.1%} before, {a['drawn_accuracy']:.1%} after."
    )
    assert figures in captions

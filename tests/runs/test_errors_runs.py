"""Errors about training runs (settings, run actions, why a run ended, export, inspection, teaching, demo limits),
in English and Chinese, by key: the collectors drive the real engine with bad inputs and keep the errors it raises.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from errors_check import assert_translated, error_keys

from cnnlab.errors import CnnLabError
from cnnlab.i18n import engine_runs, t
from cnnlab.train import config as training
from conftest import open_app


def _raised(fn, *args, error: type[Exception] = CnnLabError, **kw) -> CnnLabError:
    """The keyed error `fn` raises (the test fails when it raises none)."""
    with pytest.raises(error) as info:
        fn(*args, **kw)
    assert isinstance(info.value, CnnLabError), repr(info.value)
    return info.value


def training_messages(tmp_path: Path) -> list[CnnLabError]:
    """Training settings refused: TrainConfig's own checks, then prepare() and start_run() against the data."""
    from cnnlab.train.config import ConfigError, TrainConfig, prepare
    from cnnlab.train.launch import start_run

    bad = TrainConfig(
        epochs=0,
        batch_size="big",  # type: ignore[arg-type]
        learning_rate=0,
        momentum=2.0,
        optimizer="lion9",
        metrics=["accuracy", "f1"],
        val_fraction=0,
        augmentation={"translation": 0.9, "flip": "yes", "shear": 0.1},
        early_stopping="no",  # type: ignore[arg-type]
        seed=1.5,  # type: ignore[arg-type]
    )
    out: list[CnnLabError] = [*bad.problems(), ConfigError(bad.problems())]  # ConfigError: how they are joined
    out += TrainConfig(augmentation="lots").problems()  # type: ignore[arg-type]
    out += TrainConfig(weight_decay=float("nan")).problems()
    out.append(_raised(TrainConfig.from_dict, {"epoch": 3}, error=ConfigError))

    def refused(**cfg) -> CnnLabError:
        return _raised(prepare, cfg, error=ConfigError)

    extra = tmp_path / "extra.npz"
    np.savez(extra, x=np.zeros((3, 28, 28, 1), np.uint8), y=np.array([0, 1, 12]))
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x=np.zeros((3, 32, 32, 3), np.uint8), y=np.zeros(3, np.int64))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not an npz")
    spec = training.resolve_arch("lenet5", (28, 28, 1), 10).to_dict()
    out += [
        refused(dataset="nope"),
        refused(batch_size=60_000),
        refused(init_model_path=str(tmp_path / "missing.keras")),
        refused(init_model_path=str(broken)),  # not a model: refused by the model gate before the run is queued
        refused(extra_data=str(tmp_path / "missing.npz")),
        refused(extra_data=str(extra)),
        refused(extra_data=str(wrong)),
        refused(extra_data=str(broken)),
        refused(arch="resnet9000"),
        refused(arch={**spec, "input_shape": [32, 32, 3]}),
        refused(arch={**spec, "num_classes": 3}),
        refused(arch={**spec, "layers": [{"type": "Conv2D", "params": {"filters": 8, "kernel_size": 99}}]}),
        refused(arch={**spec, "layers": [{"type": "Conv2d", "params": {}}, {"type": "Dense", "params": {"unit": 3}}]}),
        _raised(start_run, {"init_model_path": str(broken)}, error=ConfigError),  # a model from no run, no arch
    ]
    problem = training.memory_problem(40 * 2**30, 8 * 2**30)
    assert problem is not None
    out.append(problem)
    return out


def job_messages() -> list[CnnLabError]:
    """Run actions refused (stop, resume, delete, rename, find), the run store, demo limits, why runs ended."""
    from cnnlab import demo
    from cnnlab.inspection.prediction import image_for_model
    from cnnlab.runs import files as files_
    from cnnlab.runs import jobs
    from cnnlab.runs.store import RunStore
    from cnnlab.train.drawings import TeachError, add_drawing, remove_drawing

    store = RunStore()
    ids = {}
    for status in ("finished", "stopped", "failed", "interrupted", "queued"):
        ids[status] = store.create_run(name=f"a {status} run", arch={}, dataset="mnist-sample", config={})
        store.update_run(ids[status], status=status)
    running = store.create_run(name="busy", arch={}, dataset="mnist-sample", config={})
    store.update_run(running, status="running", pid=12345, host="another-machine", heartbeat=9e12)
    out = [_raised(jobs.stop_run, ids[s], store, error=jobs.JobError) for s in ("finished", "stopped", "failed")]
    out += [
        _raised(jobs.stop_run, ids["interrupted"], store, error=jobs.JobError),
        _raised(jobs.resume_run, ids["finished"], store, error=jobs.JobError),
        _raised(jobs.set_max_running, 0, store, error=jobs.JobError),
        _raised(jobs.resume_run, running, store, error=jobs.JobError),
        _raised(jobs.resume_run, ids["queued"], store, error=jobs.JobError),
        _raised(jobs.delete_run, running, store, error=jobs.JobError),
        _raised(files_.run_model_path, store, ids["finished"], error=files_.ModelMissing),
        _raised(store.get_run, "nope"),
        _raised(store.find_run, "zzz"),
        _raised(store.find_run, ids["finished"][:2]),  # every run of today shares its first characters
        _raised(store.rename_run, ids["finished"], "  "),
    ]
    newer = store.path.with_name("newer.db")
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    out.append(_raised(RunStore, newer))
    quota = demo.SessionQuota(max_uploads=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNLAB_DEMO", "1")
        out.append(_raised(quota.spend_upload, 10, error=demo.LimitReached))
        out.append(_raised(demo.SessionQuota(max_upload_bytes=2**20).spend_upload, 2**30, error=demo.LimitReached))
    out.append(_raised(add_drawing, "mnist-sample", np.zeros((28, 28)), 3, 10, store, error=TeachError))
    out.append(_raised(add_drawing, "mnist-sample", np.ones((28, 28)), 12, 10, store, error=TeachError))
    out.append(_raised(remove_drawing, "mnist-sample", 4, store, error=TeachError))
    out.append(_raised(image_for_model, b"", (32, 32, 2), error=TeachError))
    never = store.create_run(name="never", arch={}, dataset="mnist-sample", config={})
    store.update_run(never, status="running", heartbeat=0)
    silent = store.create_run(name="silent", arch={}, dataset="mnist-sample", config={})
    store.update_run(silent, status="running", pid=12345, host="another-machine", heartbeat=1)
    jobs.reconcile(store)
    for run_id in (never, silent):
        reason = store.get_run(run_id).reason_error
        assert isinstance(reason, CnnLabError), reason
        out.append(reason)
    return out


def teach_messages(tmp_path: Path) -> list[CnnLabError]:
    """Drawings and fine-tuning refused, and why photos cannot be recognised on an offline machine."""
    from cnnlab.inspection.photos import PHOTO_CLASSES, PHOTO_WEIGHTS, PhotoStatus
    from cnnlab.runs.store import RunStore
    from cnnlab.train import drawings
    from cnnlab.train.drawings import TeachError, add_drawing, drawings_path, load_drawings
    from cnnlab.train.finetune import finetune_config, start_finetune

    store = RunStore()
    digits = store.create_run(name="digits", arch={"input_shape": [28, 28, 1]}, dataset="mnist-sample", config={})
    colour = store.create_run(name="colour", arch={"input_shape": [32, 32, 3]}, dataset="cifar10", config={})
    drawing = np.zeros((28, 28))
    drawing[10:18, 12:16] = 1.0

    def refused(fn, *args, **kw) -> CnnLabError:
        return _raised(fn, *args, error=TeachError, **kw)

    out = [
        refused(add_drawing, "mnist-sample", np.ones((32, 32)), 3, 10, store),
        refused(add_drawing, "../secrets", drawing, 3, 10, store),
        refused(finetune_config, store.get_run(digits), "model.keras", load_drawings("mnist-sample", store), store),
        refused(start_finetune, digits, store),
    ]
    add_drawing("mnist-sample", drawing, 3, 10, store)
    some = load_drawings("mnist-sample", store)
    out.append(refused(finetune_config, store.get_run(colour), "model.keras", some, store))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(drawings, "MAX_DRAWINGS", 1)
        out.append(refused(add_drawing, "mnist-sample", drawing, 4, 10, store))
    path = drawings_path("fashion-mnist", store)
    np.savez(path, x=np.zeros((2, 32, 32, 3), np.uint8), y=np.zeros(3, np.int64))
    out.append(refused(load_drawings, "fashion-mnist", store))
    path.write_bytes(b"not an npz")
    out.append(refused(load_drawings, "fashion-mnist", store))
    folder = tmp_path / "keras" / "models"
    out.append(PhotoStatus(False, False, folder, [PHOTO_WEIGHTS]).refusal())
    out.append(PhotoStatus(False, False, folder, [PHOTO_WEIGHTS, PHOTO_CLASSES]).refusal())
    return out


def export_messages() -> list[CnnLabError]:
    """Exports refused: a run without a model, a machine without TensorFlow."""
    from cnnlab import export
    from cnnlab.runs.store import RunStore
    from cnnlab.train import devices

    store = RunStore()
    run_id = store.create_run(name="fresh", arch={}, dataset="mnist-sample", config={})
    out = [_raised(export.export_tflite, store, run_id, error=export.ExportError)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(devices, "tensorflow_available", lambda: False)
        out.append(_raised(export.export_savedmodel, store, run_id, error=export.ExportError))
    return out


def inspection_messages() -> list[CnnLabError]:
    """Inspection refused: bad layers, classes, positions and images on a small built model, and odd models."""
    import keras

    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset
    from cnnlab.inspection import attribution, embeddings, evaluation, features, forward, steps

    lenet = build_model(preset("lenet5"))
    infos = forward.layer_infos(lenet)
    conv = next(i.name for i in infos if i.type in forward.CONV_TYPES)
    pool = next(i.name for i in infos if i.type in forward.POOL_TYPES)
    dense = next(i.name for i in infos if i.type == "Dense")
    x = np.random.default_rng(0).random((28, 28, 1)).astype(np.float32)
    names = [str(i) for i in range(10)]

    class Identity(keras.Model):
        def call(self, inputs):
            return inputs

    a, b = keras.Input((4, 4, 1)), keras.Input((4, 4, 1))
    odd_models = [
        keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]),  # no feature map
        keras.Model([a, b], keras.layers.Concatenate()([a, b])),  # two inputs
        keras.Sequential([keras.Input((4, 4, 1)), Identity()]),  # a subclassed model inside
        keras.Sequential([keras.layers.Dense(2)]),  # no input shape
        keras.Model(a, a),  # no layers
    ]
    out = [_raised(attribution.grad_cam, model, np.zeros((4, 4, 1), np.float32)) for model in odd_models]
    head_only = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Dropout(0.5), keras.layers.Dense(3)])
    maps = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3)])
    out += [
        _raised(embeddings.penultimate_layer, head_only),
        _raised(attribution.grad_cam, maps, np.zeros((4, 4, 1), np.float32)),
        _raised(attribution.grad_cam, lenet, x, class_index=12),
        _raised(attribution.grad_cam, lenet, x, layer_name=dense),
        _raised(attribution.grad_cam, lenet, x, layer_name="nope"),
        _raised(steps.conv_step, lenet, x, pool, 0, 0, 0),
        _raised(steps.pool_step, lenet, x, conv, 0, 0, 0),
        _raised(steps.pool_step, odd_models[0], x[:4, :4], "x", 0, 0, 0),  # no pooling layer at all
        _raised(steps.conv_step, lenet, x, conv, 999, 0, 0),
        _raised(steps.conv_step, lenet, x, conv, 0, 999, 0),
        _raised(steps.pool_step, lenet, x, pool, 999, 0, 0),
        _raised(steps.conv_step, lenet, np.stack([x, x]), conv, 0, 0, 0),
        _raised(forward.as_batch, np.array([["a"]]), lenet),
        _raised(forward.as_batch, np.zeros(5, np.float32), lenet),
        _raised(forward.as_batch, np.zeros((1, 32, 32, 3), np.float32), lenet),
        _raised(embeddings.embeddings, lenet, np.stack([x] * 4), method="umap"),
        _raised(embeddings.embeddings, lenet, np.stack([x] * 2)),
        _raised(embeddings.tsne_2d, np.zeros((3, 4), np.float32)),
        _raised(evaluation.evaluate, lenet, np.zeros((0, 28, 28, 1), np.uint8), [], names),
        _raised(evaluation.evaluate_probabilities, np.zeros((3, 10)), [0, 1], names),
        _raised(evaluation.evaluate_probabilities, np.zeros((2, 3)), [0, 1], names),
        _raised(features.feature_maps, lenet, x, kinds="some"),
        _raised(features.snapshot_images, []),
        _raised(features.snapshot_images, [np.zeros((3, 3, 1, 4)), np.zeros((5, 5, 1, 4))]),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(__import__("sys").modules, "sklearn.manifold", None)  # scikit-learn missing
        out.append(_raised(embeddings.tsne_2d, np.zeros((8, 4), np.float32)))
    return out


RUNS_AREA = tuple(f"engine.{area}." for area in ("train", "run", "job", "store", "status", "export", "inspect", "teach",
                                                 "demo"))  # fmt: skip
# Keys of this area no collector here drives the engine to produce: they need a real training (a diverging loss,
# a crash, a stop), a race, another backend or machine, or they are defensive.
NOT_DRIVEN = {
    "engine.store.read_only",  # the suite runs as root, whom no read-only folder stops
    "engine.train.dataset_unavailable", "engine.train.mirrored_batch", "engine.train.start_shape",
    "engine.train.start_classes",
    "engine.run.invalid_config", "engine.run.crashed_oom", "engine.run.worker_oom", "engine.run.keyboard",
    "engine.run.crashed", "engine.run.worker_died", "engine.run.cannot_start", "engine.run.stopped_early",
    "engine.run.stopped", "engine.run.early_stopping", "engine.run.diverged_step", "engine.run.diverged",
    "engine.run.checkpoint_missing", "engine.run.shadow_mismatch", "engine.run.lost",
    "engine.job.changed", "engine.store.no_free_id",
    "engine.export.savedmodel_failed", "engine.export.tflite_failed",
    "engine.inspect.backend", "engine.inspect.data_format", "engine.inspect.padding",
    "engine.demo.busy",
    # driven by real runs elsewhere: a gpu run without a GPU (tests/train/test_prepare.py), an arena's budget in
    # seconds (tests/train/test_studies.py), an unknown recipe (tests/cli/test_cli_recipes.py)
    "engine.run.no_gpu", "engine.run.time_budget", "engine.train.unknown_recipe",
}  # fmt: skip


def store_messages(tmp_path: Path) -> list[CnnLabError]:
    """Run stores that cannot be used: damaged, another program's, a folder where the lock goes, a file where the
    data home goes; run references that mean nothing (empty, enormous)."""
    import sqlite3

    from cnnlab.paths import DataHomeError
    from cnnlab.runs.store import RunNotFound, RunStore, StoreError

    def store_in(folder: Path) -> CnnLabError:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CNNLAB_HOME", str(folder))
            with pytest.raises((StoreError, DataHomeError)) as info:
                RunStore()
        return info.value

    out = []
    for name, make in {
        "damaged": lambda home: (home / "runs.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000),
        "foreign": lambda home: sqlite3.connect(home / "runs.sqlite").executescript("CREATE TABLE notes (t TEXT);"),
        "locked": lambda home: (home / "runs.sqlite.lock").mkdir(),
    }.items():
        home = tmp_path / name
        home.mkdir()
        make(home)
        out.append(store_in(home))
    (tmp_path / "a-file").write_text("not a folder")
    out.append(store_in(tmp_path / "a-file"))
    store = RunStore()
    for ref in ("", "   ", "x" * 100_000):
        with pytest.raises(RunNotFound) as info:
            store.find_run(ref)
        out.append(info.value)
    return out


def _all_messages(tmp_path: Path) -> list[CnnLabError]:
    (tmp_path / "train").mkdir()
    (tmp_path / "teach").mkdir()
    (tmp_path / "stores").mkdir()
    return [
        *store_messages(tmp_path / "stores"),
        *training_messages(tmp_path / "train"),
        *job_messages(),
        *teach_messages(tmp_path / "teach"),
        *export_messages(),
        *inspection_messages(),
    ]


def test_broken_run_stores_and_references_get_a_sentence(tmp_path):
    errors = store_messages(tmp_path)
    assert_translated(errors)
    assert [e.key for e in errors] == [
        "engine.store.damaged", "engine.store.foreign", "engine.store.unusable", "engine.store.home_unusable",
        "engine.run.bad_ref", "engine.run.bad_ref", "engine.run.bad_ref",
    ]  # fmt: skip


def test_job_refusals_are_translated():
    assert_translated(job_messages())


def test_training_settings_refused_are_translated(home_with_data, tmp_path):
    assert_translated(training_messages(tmp_path))


def test_teach_refusals_are_translated(home_with_data, tmp_path):
    assert_translated(teach_messages(tmp_path))


def test_export_refusals_are_translated():
    assert_translated(export_messages())


def test_inspection_refusals_are_translated():
    assert_translated(inspection_messages())


def test_every_runs_key_is_produced_by_the_engine_or_listed_as_not_driven(home_with_data, tmp_path):
    seen = set().union(*(error_keys(e) for e in _all_messages(tmp_path)))
    assert not seen & NOT_DRIVEN, seen & NOT_DRIVEN  # driven now: take it off the list
    assert {key for key in engine_runs.STRINGS if key.startswith(RUNS_AREA)} - seen - NOT_DRIVEN == set()


def test_config_problems_keep_their_english(home_with_data):
    from cnnlab.train.config import ConfigError, TrainConfig, prepare

    problems = TrainConfig(epochs=0, augmentation={"shear": 0.1}).problems()
    assert [p.key for p in problems] == ["engine.train.range", "engine.train.augmentation_unknown"]
    assert [str(p) for p in problems] == [
        "epochs must be at least 1 and at most 10000, got 0",
        "augmentation has no setting 'shear'; it accepts translation, rotation, zoom, flip, stroke, elastic",
    ]
    error = _raised(prepare, {"epochs": 0, "batch_size": 60_000}, error=ConfigError)
    assert str(error) == (
        "epochs must be at least 1 and at most 10000, got 0; "
        "Batch size 60000 is larger than the 3500 training images; set Batch size to 3500 or less"
    )
    assert error.message("zh") == (
        "epochs 必须在 1 到 10000 之间，实际为 0；"
        "批大小 60000 超过了训练图像的数量（3500 张）；请把批大小设为 3500 或更小"
    )


def test_chinese_train_page_explains_refused_settings():
    at = open_app("pages/train.py", lang="zh")
    at.slider(key="tr_val_fraction").set_value(0.0)  # but the monitor stays "val_loss"
    next(b for b in at.button if b.label == t("train.start", "zh")).click().run()
    assert not at.exception
    message = at.error[0].value
    assert "监控指标 val_loss 需要验证集" in message and "needs a validation split" not in message

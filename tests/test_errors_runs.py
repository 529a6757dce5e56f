"""Errors about training runs (settings, run actions, why a run ended), in English and Chinese."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from errors_check import CJK, LATIN, TERMS, _keys, _refusal, assert_explained, english_left  # noqa: F401

from cnnlab.i18n import t
from cnnlab.train import config as training
from conftest import open_app


def training_messages(tmp_path: Path) -> list[str]:
    from cnnlab.train.config import ConfigError, TrainConfig, prepare

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
    out = bad.problems()
    out.append("; ".join(bad.problems()))  # how ConfigError and the CLI join them
    out += TrainConfig(augmentation="lots").problems()  # type: ignore[arg-type]
    out += TrainConfig(weight_decay=float("nan")).problems()
    out.append(_refusal(TrainConfig.from_dict, {"epoch": 3}, error=ConfigError))

    def refused(**cfg) -> str:
        return _refusal(prepare, cfg, error=ConfigError)

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
        refused(extra_data=str(tmp_path / "missing.npz")),
        refused(extra_data=str(extra)),
        refused(extra_data=str(wrong)),
        refused(extra_data=str(broken)),
        refused(arch="resnet9000"),
        refused(arch={**spec, "input_shape": [32, 32, 3]}),
        refused(arch={**spec, "num_classes": 3}),
        refused(arch={**spec, "layers": [{"type": "Conv2D", "params": {"filters": 8, "kernel_size": 99}}]}),
        refused(arch={**spec, "layers": [{"type": "Conv2d", "params": {}}, {"type": "Dense", "params": {"unit": 3}}]}),
    ]
    out.append(training.memory_problem(40 * 2**30, 8 * 2**30))
    return out


def job_messages() -> list[str]:
    from cnnlab import demo
    from cnnlab.runs import files as files_
    from cnnlab.runs import jobs
    from cnnlab.runs.store import RunStore

    store = RunStore()
    done = store.create_run(name="done", arch={}, dataset="mnist-sample", config={})
    store.update_run(done, status="finished")
    running = store.create_run(name="busy", arch={}, dataset="mnist-sample", config={})
    store.update_run(running, status="running", pid=12345, host="another-machine", heartbeat=9e12)
    quota = demo.SessionQuota(max_uploads=0)
    out = [
        _refusal(jobs.stop_run, done, store, error=jobs.JobError),
        _refusal(jobs.resume_run, done, store, error=jobs.JobError),
        _refusal(jobs.resume_run, running, store, error=jobs.JobError),
        _refusal(jobs.delete_run, running, store, error=jobs.JobError),
        _refusal(files_.run_model_path, store, done, error=files_.ModelMissing),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNLAB_DEMO", "1")
        out.append(_refusal(quota.spend_upload, 10, error=demo.LimitReached))
        out.append(_refusal(demo.SessionQuota(max_upload_bytes=2**20).spend_upload, 2**30, error=demo.LimitReached))
    from cnnlab.inspection.prediction import image_for_model
    from cnnlab.train.drawings import TeachError, add_drawing, remove_drawing

    out.append(_refusal(add_drawing, "mnist-sample", np.zeros((28, 28)), 3, 10, store, error=TeachError))
    out.append(_refusal(add_drawing, "mnist-sample", np.ones((28, 28)), 12, 10, store, error=TeachError))
    out.append(_refusal(remove_drawing, "mnist-sample", 4, store, error=TeachError))
    out.append(_refusal(image_for_model, b"", (32, 32, 2), error=TeachError))
    never = store.create_run(name="never", arch={}, dataset="mnist-sample", config={})
    store.update_run(never, status="running", heartbeat=0)
    silent = store.create_run(name="silent", arch={}, dataset="mnist-sample", config={})
    store.update_run(silent, status="running", pid=12345, host="another-machine", heartbeat=1)
    jobs.reconcile(store)
    out += [store.get_run(r).reason for r in (never, silent)]
    return out


def test_job_refusals_are_explained_in_chinese():
    assert_explained(job_messages())


def test_training_settings_refused_are_explained_in_chinese(home_with_data, tmp_path):
    assert_explained(training_messages(tmp_path))


def test_chinese_train_page_explains_refused_settings():
    at = open_app("pages/train.py", lang="zh")
    at.slider(key="tr_val_fraction").set_value(0.0)  # but the monitor stays "val_loss"
    next(b for b in at.button if b.label == t("train.start", "zh")).click().run()
    assert not at.exception
    message = at.error[0].value
    assert "监控指标 val_loss 需要验证集" in message and "needs a validation split" not in message

"""What `prepare` does before a run starts: the batch fits a small training split, and a transfer base that asks
for ImageNet weights this machine cannot have is refused in words a page can show (not 4 s later in the worker)."""

from __future__ import annotations

import io
import os
import re

import numpy as np
import pytest
from errors_check import assert_translated

from cnnlab.arch.presets import preset
from cnnlab.arch.weights import imagenet_weights_file
from cnnlab.data.datasets import dataset_info, load_dataset
from cnnlab.data.ingest import ingest_npz
from cnnlab.train.config import DEFAULT_BATCH, ConfigError, TrainConfig, prepare, training_images


def small_dataset(name: str = "tiny", per_class: int = 40, classes: int = 3) -> str:
    """An imported dataset of 28x28 grey images through the real .npz ingest: 3 x 40 = 120 images, of which the
    default split (20% test, 10% validation, per class) trains on 84."""
    n = per_class * classes
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    np.savez(buf, x=rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), y=np.arange(n) % classes)
    ingest_npz(buf.getvalue(), name)
    return name


def test_the_default_batch_adapts_to_a_small_training_split():
    name = small_dataset()
    arch = preset("lenet5", (28, 28, 1), 3).to_dict()
    ready = prepare(TrainConfig(dataset=name, arch=arch))
    assert len(load_dataset(name).y_train) == 84 and DEFAULT_BATCH == 128
    assert ready.batch_size == 64  # the largest power of two that fits 84 images (two steps an epoch)
    for val, seed in ((0.0, 1), (0.2, 2), (0.5, 3)):
        cfg = TrainConfig(dataset=name, arch=arch, val_fraction=val, seed=seed, monitor="loss")
        n_train = len(load_dataset(name, seed=seed, val_fraction=val).y_train)
        assert training_images(cfg, dataset_info(name)) == n_train  # the split the worker trains on, exactly
        ready = prepare(cfg)
        assert ready.batch_size <= n_train < 2 * ready.batch_size and ready.batch_size.bit_count() == 1
    capped = prepare(TrainConfig(max_train_samples=100))  # the MNIST sample cut to 100 images
    assert capped.batch_size == 64
    assert prepare(TrainConfig(dataset=name, arch=arch, batch_size=84)).batch_size == 84  # a batch that fits stays


def test_a_chosen_batch_too_large_is_refused_naming_the_setting():
    name = small_dataset()
    arch = preset("lenet5", (28, 28, 1), 3).to_dict()
    with pytest.raises(ConfigError) as info:
        prepare(TrainConfig(dataset=name, arch=arch, batch_size=256))
    (problem,) = info.value.problems
    assert problem.key == "engine.train.batch_too_big"
    assert str(problem) == "Batch size 256 is larger than the 84 training images; set Batch size to 84 or less"
    assert problem.message("zh") == "批大小 256 超过了训练图像的数量（84 张）；请把批大小设为 84 或更小"
    assert_translated([problem, info.value])


def test_imagenet_weights_that_cannot_be_had_are_refused_before_the_run(cnnlab_home):
    spec = preset("transfer", (28, 28, 1), 10)  # MobileNetV2 with ImageNet weights: the preset's default
    with pytest.raises(ConfigError) as info:
        prepare(TrainConfig(arch=spec.to_dict(), max_train_samples=256))
    (problem,) = info.value.problems
    assert problem.key == "engine.spec.imagenet_offline"
    for lang in ("en", "zh"):  # a sentence for people: no file path, no exception class, no command-line syntax
        text = problem.message(lang)
        assert "MobileNetV2" in text and "ImageNet" in text
        assert "/" not in text and ".h5" not in text and "Unavailable" not in text
        assert not re.search(r"--|weights\s*=|None", text), text
    assert "Weights to random" in str(problem) and "“权重”设为“随机初始化”" in problem.message("zh")
    assert_translated([problem, info.value])
    resnet = preset("transfer", (28, 28, 1), 10, base="resnet50")
    with pytest.raises(ConfigError, match="The transfer base ResNet50 is set to start from ImageNet weights"):
        prepare(TrainConfig(arch=resnet.to_dict()))
    # random weights train the same network; weights in the Keras cache are used: both start
    assert prepare(TrainConfig(arch=preset("transfer", (28, 28, 1), 10, weights=None).to_dict())).arch
    models = os.path.join(os.environ["KERAS_HOME"], "models")
    os.makedirs(models)
    with open(os.path.join(models, imagenet_weights_file("mobilenet_v2", 32)), "wb") as fh:
        fh.write(b"cached")
    assert prepare(TrainConfig(arch=spec.to_dict())).arch


@pytest.mark.slow
def test_a_small_dataset_trains_with_the_default_batch(home_with_data):
    """84 training images and the Train page's defaults: the run starts (batch 64) and finishes."""
    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FINISHED, RunStore
    from cnnlab.train.launch import start_run

    name = small_dataset()
    config = {"dataset": name, "arch": preset("lenet5", (28, 28, 1), 3).to_dict(), "epochs": 2}
    with RunStore() as store:
        run = wait_for(start_run(config, store=store), timeout=300, store=store)
    assert run.status == FINISHED, run.reason
    assert run.config["batch_size"] == 64 and run.epochs_done == 2
    assert run.evaluation["n_test"] == 24 and 0 <= run.final_metrics["test_accuracy"] <= 1  # its own test split


def test_a_run_asks_its_runner_for_a_device_and_an_unknown_one_is_refused() -> None:
    from cnnlab.train.ray_runner import task_resources  # (imports Ray only when a task is launched)

    problems = TrainConfig(device="tpu").problems()
    assert [p.key for p in problems] == ["engine.train.not_choice"] and "auto, cpu, gpu" in str(problems[0])
    assert task_resources({"device": "gpu"}) == (1.0, 1.0)  # Ray starts it only on a node with a GPU
    assert task_resources({"device": "cpu"}) == (1.0, 0.0)
    assert task_resources({}) == (1.0, 0.0)


@pytest.mark.slow
def test_a_run_that_needs_a_gpu_fails_with_a_sentence_on_a_machine_without_one(home_with_data) -> None:
    import shutil

    from cnnlab.runs.jobs import wait_for
    from cnnlab.runs.store import FAILED, RunStore
    from cnnlab.train.launch import start_run

    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has a GPU: the run would train on it")
    with RunStore() as store:
        run = wait_for(start_run({"epochs": 1, "max_train_samples": 64, "device": "gpu"}, store=store), timeout=240,
                       store=store)  # fmt: skip
    assert run.status == FAILED and run.epochs_done == 0
    assert "asks for a GPU" in run.reason and "要求使用 GPU" in run.reason_error.message("zh")

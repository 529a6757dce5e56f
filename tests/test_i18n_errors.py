"""The engine's English error messages, shown in Chinese on Chinese pages (cnnlab/i18n/errors.py).

Messages come from the real loaders and validators fed hostile files and bad settings; each must be recognised
(Chinese, with no English left but the values copied from the message and deliberate technical terms), and
English must come back unchanged.
"""

from __future__ import annotations

import io
import re
import string
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cnnlab.archives import IngestError, ZipLimits, safe_zip_members
from cnnlab.data.images import ImageError, load_image
from cnnlab.data.ingest import ingest_npz, ingest_zip
from cnnlab.i18n import CATALOGUE, errors, explain, t
from cnnlab.train import config as training
from conftest import open_app
from tests import hostile
from tests.test_ingest import HOSTILE_ENTRIES, _hostile_zip

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"(?<![0-9])[A-Za-z][A-Za-z0-9_]*")  # words, not the x of 5x3

# Latin words a Chinese template may keep: names of formats, libraries, settings and values the user types.
TERMS = {
    "CAM", "CNN", "GB", "Dense", "Flatten", "Functional", "GiB", "GlobalAveragePooling2D", "Grad", "HDF5", "ImageNet",
    "JAX", "JSON", "K", "Keras", "L", "Lab", "Lambda", "Lite", "MB", "N", "NaN", "None", "Python", "RGB",
    "SNE", "SavedModel", "Sequential", "TensorFlow", "TransferBase", "W", "H", "C", "Windows", "auto", "batch_size",
    "cats", "class_names", "classic", "color", "config", "digits", "dogs", "extra_data", "false", "feature_extraction",
    "fine_tuning", "flip", "h5", "image_size", "imagenet", "install", "json", "keras", "learn", "lenet5", "loss",
    "method", "metrics", "mirrored", "model_path", "modern", "my", "none", "npy", "npz", "original", "padding",
    "pca", "pid", "pip", "png", "rb", "relu", "same", "scaled", "scikit", "softmax", "t", "tanh", "translation",
    "true", "uint8", "val_fraction", "vgg_small", "x", "y", "zip", "alexnet", "augmentation", "s",
}  # fmt: skip


def english_left(message: str) -> set[str]:
    """Latin words of the Chinese translation that are neither copied values nor technical terms."""
    result = errors.explain(message)
    text = result.text
    for value in sorted(result.copied, key=len, reverse=True):
        text = text.replace(value, " ")
    return set(LATIN.findall(text)) - TERMS


def assert_explained(messages: list[str]) -> None:
    assert messages
    for message in messages:
        assert explain(message, "en") == message
        zh = explain(message, "zh")
        assert CJK.search(zh), message
        assert not english_left(message), (message, zh, english_left(message))


def _keys(message: str) -> set[str]:
    """The templates a message was recognised by, nested ones included."""
    seen: set[str] = set()

    def visit(text: str) -> None:
        for part in _pieces(text):
            hit = errors.match(part)
            if hit is not None:
                tpl, values = hit
                seen.add(tpl.key)
                for name in errors.NESTED & set(values):
                    visit(values[name])

    visit(message)
    return seen


def _pieces(text: str) -> list[str]:
    """Problems joined by "; ", re-joined where one problem's own text holds "; " (as explain splits them)."""
    parts, out, i = text.split("; "), [], 0
    while i < len(parts):
        j = next((j for j in range(len(parts), i, -1) if errors.match("; ".join(parts[i:j]))), i + 1)
        out.append("; ".join(parts[i:j]))
        i = j
    return out


def _refusal(fn, *args, error=Exception, **kw) -> str:
    with pytest.raises(error) as info:
        fn(*args, **kw)
    return str(info.value)


# ---------------------------------------------------------------- collectors: the real engine, hostile inputs


def image_messages(tmp_path: Path) -> list[str]:
    big = tmp_path / "big.png"
    big.write_bytes(hostile.noise_png((200, 200)))
    bad = [
        hostile.truncated_png(),
        hostile.truncated_jpeg(),
        hostile.corrupt_jpeg(),
        hostile.tiff_bytes(),
        hostile.png_bomb(8000, 8000),
        hostile.webp_bomb(9000, 9000),
        b"not an image at all",
        b"",
        b"%PDF-1.4 not really",
        hostile.build_zip([("a.txt", b"x")]),
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    ]
    out = [_refusal(load_image, data, error=ImageError, name="upload.png") for data in bad]
    out.append(_refusal(load_image, b"", error=ImageError))  # "the image"
    out.append(_refusal(load_image, hostile.noise_png(), error=ImageError, max_bytes=1000))
    out.append(_refusal(load_image, big, error=ImageError, max_bytes=100_000))
    out.append(_refusal(load_image, big, error=ImageError, max_bytes=1000))
    out.append(_refusal(load_image, tmp_path, error=ImageError))
    out.append(_refusal(load_image, tmp_path / "missing.png", error=ImageError))
    out.append(_refusal(load_image, io.StringIO("text"), error=ImageError))
    out.append(_refusal(load_image, hostile.png_bomb(20_000, 20_000), error=ImageError, max_pixels=10**9))
    from cnnlab.data.preprocess import NothingToRecognise, canvas_to_mnist

    out.append(_refusal(canvas_to_mnist, np.zeros((280, 280), np.uint8), error=NothingToRecognise))
    dot = np.zeros((280, 280), np.uint8)
    dot[140:142, 140:142] = 255
    out.append(_refusal(canvas_to_mnist, dot, error=NothingToRecognise))
    return out


def zip_messages() -> list[str]:
    report = ingest_zip(_hostile_zip(), "hostile")
    out = [reason for _, reason in report.rejected]
    assert len(out) == len(HOSTILE_ENTRIES)
    odd = [
        *hostile.class_images(("a", "b"), per_class=2),
        ("a/\x01.png", hostile.gray_png()),
        ("a/./dot.png", hostile.gray_png()),
        ("a/twice.png", hostile.gray_png()),
        ("a/twice.png", hostile.gray_png()),
        ("stray.png", hostile.gray_png()),
    ]
    fifo = hostile.file_info("a/fifo.png")
    fifo.external_attr = (0o010644) << 16
    odd.append((fifo, b"x"))
    odd.append(("a/locked.png", hostile.gray_png()))
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate name
        data = bytearray(hostile.build_zip(odd))
    entry = data.rfind(b"PK\x01\x02")  # the last entry, a/locked.png: mark it encrypted in the central directory
    data[entry + 8] |= 0x1
    data = bytes(data)
    report = ingest_zip(data, "odd", limits=ZipLimits(max_member_bytes=10_000))
    out += [reason for _, reason in report.rejected]
    liar = hostile.build_zip(hostile.class_images(("a", "b"), per_class=2))
    report = ingest_zip(hostile.patch_sizes(liar, "a/0.png", 10), "liar")
    out += [reason for _, reason in report.rejected]
    member = hostile.build_zip([*hostile.class_images(("a", "b"), per_class=1), ("a/big.png", b"\x00" * 50_000)])
    report = ingest_zip(member, "member", limits=ZipLimits(max_member_bytes=20_000))
    out += [reason for _, reason in report.rejected]

    def refused(data, name="x", error=IngestError, **kw) -> str:
        return _refusal(ingest_zip, data, name, error=error, **kw)

    escaping = hostile.build_zip([("../escape/a.png", hostile.gray_png()), ("/abs/b.png", hostile.gray_png())])
    out.append(refused(escaping))
    out.append(refused(hostile.build_zip([("a/x.txt", b"no"), ("b/y.txt", b"no")])))
    out.append(refused(hostile.build_zip([*hostile.class_images(("a",), 2), ("b/y.txt", b"no")])))
    three = hostile.build_zip(hostile.class_images(("a", "b"), per_class=2))
    out.append(refused(three, limits=ZipLimits(max_dataset_bytes=100)))
    out.append(refused(three, "bad name!"))
    out.append(refused(three, "mnist"))
    ingest_zip(three, "taken")
    out.append(refused(three, "taken"))
    out.append(refused(b"garbage, not a zip"))
    out.append(refused(hostile.patch_end_record(three, entries=60_000)))
    out.append(refused(hostile.patch_end_record(three, cd_size=2**31)))
    out.append(refused(three, limits=ZipLimits(max_total_bytes=100)))
    out.append(refused(three, image_size=(0, 1)))
    out.append(refused(three, color="CMYK"))
    with zipfile.ZipFile(io.BytesIO(three)) as zf:
        out.append(_refusal(safe_zip_members, zf, ZipLimits(max_members=2), error=IngestError))
    from cnnlab.modelfiles import ModelFileError, check_model_bytes

    damaged = three[:20] + b"\xff" * 200 + three[220:]
    with pytest.raises(IngestError) as info:
        ingest_zip(damaged, "damaged")
    out += [str(info.value), *(reason for _, reason in info.value.report.rejected)]
    out.append(_refusal(check_model_bytes, hostile.patch_end_record(three, entries=100), error=ModelFileError))
    return out


def npz_messages() -> list[str]:
    n = 6
    y = np.array([0, 1, 2, 0, 1, 2])
    x = np.zeros((n, 4, 4), np.uint8)

    def refused(data, *args, **kw) -> str:
        return _refusal(ingest_npz, data, "arrays", *args, error=IngestError, **kw)

    def npz(**arrays) -> bytes:
        return hostile.npz_bytes(**arrays)

    def raw(**members: bytes) -> bytes:
        return hostile.build_zip([(f"{k}.npy", v) for k, v in members.items()])

    def npy(a) -> bytes:
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=True)
        return buf.getvalue()

    out = [
        refused(npz(x=x)),
        refused(npz(x=x.astype(np.complex64), y=y)),
        refused(npz(x=np.full((n, 4, 4), np.nan, np.float32), y=y)),
        refused(npz(x=np.full((n, 4, 4), 200.0, np.float32), y=y)),
        refused(npz(x=np.full((n, 4, 4), -1.0, np.float32), y=y)),
        refused(npz(x=np.full((n, 4, 4), 300, np.int16), y=y)),
        refused(npz(x=x, y=y[:3])),
        refused(npz(x=x, y=y + 0.5)),
        refused(npz(x=x, y=y.astype(bool))),
        refused(npz(x=x, y=y - 1)),
        refused(npz(x=np.zeros((n, 4), np.uint8), y=y)),
        refused(npz(x=x, y=y), limits=ZipLimits(max_pixels=10)),
        refused(npz(x=x, y=y), limits=ZipLimits(max_dataset_bytes=10)),
        refused(npz(x=x, y=y, class_names=np.array([1, 2, 3]))),
        refused(npz(x=x, y=y), ["a", "a", "b"]),
        refused(npz(x=x, y=y), ["a", "b"]),
        refused(npz(x=x, y=np.zeros(n, np.int64))),
        refused(npz(x=x, y=np.array([0, 2, 0, 2, 0, 2]))),
        refused(raw(x=npy(np.array([{"a": 1}] * n, dtype=object)), y=npy(y))),
        refused(raw(x=hostile.npy_with_lying_shape((1000, 4, 4)), y=npy(y))),
        refused(raw(x=b"\x93NUMPY garbage header", y=npy(y))),
        refused(hostile.build_zip([(hostile.symlink_info("x.npy"), b"/etc/passwd"), ("y.npy", npy(y))])),
        refused(hostile.patch_sizes(raw(x=npy(x), y=npy(y)), "x.npy", 10)),
    ]
    damaged = raw(x=npy(np.arange(4000, dtype=np.int64)), y=npy(y))
    start = damaged.index(b"x.npy") + 5 + 40
    out.append(refused(damaged[:start] + b"\x00" * 64 + damaged[start + 64 :]))
    return out


def model_messages(tmp_path: Path) -> list[str]:
    import h5py
    import keras

    from cnnlab.arch.build import build_model
    from cnnlab.arch.presets import preset
    from cnnlab.modelfiles import ModelFileError, ModelLimits, check_model_bytes, load_model_file
    from tests.test_modelfiles import rewrite_keras_config

    lenet = build_model(preset("lenet5"))
    lenet.save(tmp_path / "lenet.keras")
    lenet.save(tmp_path / "lenet.h5")
    lam = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda v: v * 2), keras.layers.Dense(2)])
    lam.save(tmp_path / "lambda.keras")
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    keras_file = files["lenet.keras"]

    def refused(data, *args, **kw) -> str:
        return _refusal(check_model_bytes, data, *args, error=ModelFileError, **kw)

    def edited(edit) -> bytes:
        return rewrite_keras_config(keras_file, edit)

    def layer(name):
        def change(config):
            for entry in config["config"]["layers"]:
                if entry["class_name"] == "Conv2D":
                    name(entry)
                    return

        return edited(change)

    def zipped(**members: bytes) -> bytes:
        return hostile.build_zip(list(members.items()))

    weights_only = io.BytesIO()
    with h5py.File(weights_only, "w") as f:
        f.create_dataset("w", data=np.zeros(3))
    config_text = zipfile.ZipFile(io.BytesIO(keras_file)).read("config.json")
    out = [
        refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        refused(files["lambda.keras"]),
        _refusal(load_model_file, files["lenet.h5"][:2000], error=ModelFileError),
        _refusal(load_model_file, keras_file[:2000], error=ModelFileError),
        refused(keras_file, ModelLimits(max_file_bytes=1000)),
        _refusal(load_model_file, tmp_path / "lenet.keras", ModelLimits(max_file_bytes=1000), error=ModelFileError),
        _refusal(load_model_file, tmp_path / "missing.keras", error=ModelFileError),
        refused(keras_file, ModelLimits(max_config_bytes=100)),
        refused(files["lenet.h5"], ModelLimits(max_config_bytes=100)),
        refused(keras_file, ModelLimits(max_layers=3)),
        refused(keras_file, ModelLimits(max_params=1000)),
        refused(keras_file, ModelLimits(max_activation_values=100)),
        refused(zipped(**{"config.json": config_text, "../escape.txt": b"x"})),
        refused(zipped(**{"notes.txt": b"x"})),
        refused(zipped(**{"config.json": b"{"})),
        refused(zipped(**{"config.json": b"[]"})),
        refused(weights_only.getvalue()),
        refused(edited(lambda c: c["config"].pop("layers"))),
        refused(edited(lambda c: c["config"]["layers"][0]["config"].pop("batch_shape"))),
        refused(layer(lambda e: e.update(class_name="ConvLSTM2D"))),
        refused(layer(lambda e: e.update(module="evil.module", registered_name="Evil>Conv"))),
        refused(layer(lambda e: e["config"].update(kernel_size="abc"))),
        refused(layer(lambda e: e["config"].update(kernel_size=[100, 100]))),
        refused(layer(lambda e: e.update(inbound_nodes=[[["input_layer", 0, 0, {}]]]))),
    ]
    return out


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


def spec_messages() -> list[str]:
    from cnnlab.arch import presets
    from cnnlab.arch import spec as spec_
    from cnnlab.arch.analysis import check
    from cnnlab.arch.transfer import adapter_weights
    from cnnlab.arch.weights import imagenet_weights_file

    def refused(fn, *args, **kw) -> str:
        return _refusal(fn, *args, error=spec_.SpecError, **kw)

    lenet = presets.preset("lenet5")
    return [
        refused(spec_.ArchSpec.from_json, "{"),
        refused(spec_.ArchSpec.from_dict, {"name": "x"}),
        refused(presets.preset, "resnet9000"),
        refused(presets.preset, "lenet5", flavour="retro"),
        refused(presets.preset, "lenet5", depth=3),
        refused(presets.preset, "simple_cnn", depth=3),
        refused(presets.preset, "alexnet", variant="huge"),
        refused(presets.preset, "alexnet", width=9.0),
        refused(presets.preset, "vgg_small", blocks=9),
        refused(presets.preset, "transfer", mode="freeze"),
        refused(presets.preset, "transfer", base="vgg16"),
        refused(presets.preset, "transfer", weights="random"),
        refused(presets.preset, "transfer", base="run"),
        refused(imagenet_weights_file, "vgg16"),
        refused(adapter_weights, "mobilenet_v2", 2, 3),
        refused(check, lenet.with_layers([spec_.LayerSpec("Conv2D", {"filters": 8, "kernel_size": 99})])),
        refused(check, lenet.with_layers([spec_.LayerSpec("Dense", {"units": 0}), spec_.LayerSpec("Flatten")])),
        refused(check, lenet.with_layers([])),
    ]


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


COLLECTORS = {
    "images": image_messages,
    "zips": lambda tmp: zip_messages(),
    "npz": lambda tmp: npz_messages(),
    "specs": lambda tmp: spec_messages(),
    "jobs": lambda tmp: job_messages(),
}


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("group", list(COLLECTORS))
def test_engine_messages_are_explained_in_chinese(group, tmp_path):
    assert_explained(COLLECTORS[group](tmp_path))


def test_model_file_refusals_are_explained_in_chinese(tmp_path):
    assert_explained(model_messages(tmp_path))


def test_training_settings_refused_are_explained_in_chinese(home_with_data, tmp_path):
    assert_explained(training_messages(tmp_path))


def test_several_problems_are_explained_one_by_one():
    message = (
        "epochs must be at least 1 and at most 10000, got 0; batch_size 500 is larger than the 100 training images; "
        "use 100 or less; something the catalogue has never seen"
    )
    zh = explain(message, "zh")
    assert zh.split("；") == [
        "epochs 必须在 1 到 10000 之间，实际为 0",
        "批大小 batch_size（500）超过了训练图像的数量（100 张），请设为 100 或更小",
        "something the catalogue has never seen",
    ]


def test_unknown_messages_and_english_are_left_alone():
    for message in ("KeyError: 'x'", "", "a; b; c", "[Errno 2] No such file or directory: 'x'"):
        assert explain(message, "zh") == message
        assert explain(message, "en") == message
    assert explain(ValueError("x is empty"), "zh") == "x 是空的"


def test_values_are_copied_and_engine_words_translated():
    assert explain("the image is empty", "zh") == "这张图像是空文件"
    assert explain("run 20240101-abc is finished; only queued or running runs can be stopped", "zh") == (
        "运行 20240101-abc 的状态是“已完成”；只有排队中或训练中的运行可以停止"
    )
    nested = "the .keras file is damaged or unsafe: the archive has 300 entries; the limit is 64"
    assert explain(nested, "zh") == ".keras 文件已损坏或不安全：压缩包有 300 个条目，上限是 64"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_template_compiles_and_keeps_its_placeholders():
    assert len(errors.STRINGS) > 150
    for tpl in errors.templates():
        assert _fields(tpl.english) == _fields(tpl.chinese), tpl.key
        assert CJK.search(tpl.chinese), tpl.key
        literal = " ".join(text for text, *_ in string.Formatter().parse(tpl.chinese))
        assert set(LATIN.findall(literal)) <= TERMS, (tpl.key, set(LATIN.findall(literal)) - TERMS)
        filled = tpl.english.replace("{{", "{").replace("}}", "}")
        for name in _fields(tpl.english):
            filled = re.sub(r"\{" + name + r"[^}]*\}", f"<{name}>", filled)
        assert errors.match(filled) is not None, tpl.key
    assert all(key.startswith("engine.") and key in CATALOGUE for key in errors.STRINGS)


# Templates no test here drives the engine to produce (machine-dependent or defensive); each is still checked by
# test_every_template_compiles_and_keeps_its_placeholders.
NOT_DRIVEN = {
    "engine.image.no_pixels",
    "engine.image.memory",
    "engine.ingest.not_a_file",
    "engine.ingest.unpacks_too_much",
    "engine.ingest.empty_name",
    "engine.ingest.x_empty",
    "engine.ingest.npy_load",
    "engine.ingest.array_lying_header",
    "engine.ingest.lying_header",
    "engine.model.h5_config_damaged",
    "engine.model.unknown_input_size",
    "engine.model.nested",
    "engine.model.input_undeclared",
    "engine.model.keras_failed",
    "engine.model.contains_code",
    "engine.train.dataset_unavailable",
    "engine.train.mirrored_batch",
    "engine.train.start_shape",
    "engine.train.start_classes",
    "engine.train.start_arch",
    "engine.run.invalid_config",
    "engine.run.crashed_oom",
    "engine.run.worker_oom",
    "engine.run.keyboard",
    "engine.run.worker_died",
    "engine.run.cannot_start",
    "engine.run.stopped_early",
    "engine.run.stopped",
    "engine.run.early_stopping",
    "engine.job.changed",
    "engine.spec.unknown_layer",
    "engine.spec.run_model_missing",
    "engine.export.needs_tensorflow",
    "engine.export.savedmodel_failed",
    "engine.export.tflite_failed",
    "engine.demo.busy",
    "engine.teach.full",
    "engine.teach.none_yet",
    "engine.teach.not_digits",
    "engine.teach.damaged",
    "engine.teach.wrong_arrays",
}  # fmt: skip
INSPECTION = {key for key in errors.STRINGS if key.startswith("engine.inspect.")}


def test_every_template_is_produced_by_the_engine_or_listed_as_not_driven(home_with_data, tmp_path):
    seen: set[str] = set()
    for folder in ("c", "m"):
        (tmp_path / folder).mkdir()
    messages = [m for collect in COLLECTORS.values() for m in collect(tmp_path / "c")]
    messages += model_messages(tmp_path / "m") + training_messages(tmp_path)
    for message in messages:
        seen |= _keys(message)
    own = {key for key in seen if key.startswith("engine.")}
    assert not own & NOT_DRIVEN, own & NOT_DRIVEN  # driven now: take it off the list
    assert set(errors.STRINGS) - own - NOT_DRIVEN - INSPECTION == set()


# ---------------------------------------------------------------- pages


def test_chinese_data_page_explains_a_refused_zip():
    at = open_app("pages/data.py", lang="zh")
    members = [("../escape/a.png", hostile.gray_png()), ("/abs/b.png", hostile.gray_png())]
    at.file_uploader[0].set_value(("bad.zip", hostile.build_zip(members), "application/zip"))
    at.text_input[0].input("bad")
    next(b for b in at.button if b.label == t("data.upload_button", "zh")).click().run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("无法添加此数据集：找到 0 个类别文件夹（无）"), message
    assert "class folder" not in message
    reasons = list(at.dataframe[0].value.iloc[:, 1])
    assert reasons == ["路径中含有“..”（路径穿越）", "绝对路径（条目必须是相对于 zip 根目录的路径）"]


def test_chinese_train_page_explains_refused_settings():
    at = open_app("pages/train.py", lang="zh")
    at.slider(key="tr_val_fraction").set_value(0.0)  # but the monitor stays "val_loss"
    next(b for b in at.button if b.label == t("train.start", "zh")).click().run()
    assert not at.exception
    message = at.error[0].value
    assert "监控指标 val_loss 需要验证集" in message and "needs a validation split" not in message

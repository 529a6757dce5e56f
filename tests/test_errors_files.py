"""Errors about files people bring (images, dataset zips and .npz files, model files), in English and Chinese."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from errors_check import CJK, LATIN, TERMS, _keys, _refusal, assert_explained, english_left  # noqa: F401

from cnnlab.archives import IngestError, ZipLimits, safe_zip_members
from cnnlab.data.images import ImageError, load_image
from cnnlab.data.ingest import ingest_npz, ingest_zip
from cnnlab.i18n import t
from conftest import open_app
from tests import hostile
from tests.test_ingest import HOSTILE_ENTRIES, _hostile_zip


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


@pytest.mark.parametrize('collect', [image_messages, lambda tmp: zip_messages(), lambda tmp: npz_messages()])
def test_file_refusals_are_explained_in_chinese(collect, tmp_path):
    assert_explained(collect(tmp_path))


def test_model_file_refusals_are_explained_in_chinese(tmp_path):
    assert_explained(model_messages(tmp_path))


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

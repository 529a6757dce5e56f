"""Errors about architectures (specs, presets, transfer bases, the code export), in English and Chinese, by key."""

from __future__ import annotations

import pytest
from errors_check import CJK, LATIN, TERMS, _plain, assert_translated

from cnnlab.arch.spec import SpecError
from cnnlab.errors import Phrase


def _raised(fn, *args, **kw) -> SpecError:
    with pytest.raises(SpecError) as info:
        fn(*args, **kw)
    return info.value


def spec_messages() -> list[SpecError]:
    """The architecture engine's refusals, as the error objects it raises (hostile specs, presets and settings)."""
    from cnnlab.arch import presets
    from cnnlab.arch import spec as spec_
    from cnnlab.arch.analysis import check
    from cnnlab.arch.build import load_base
    from cnnlab.arch.transfer import adapter_weights
    from cnnlab.arch.weights import imagenet_weights_file, unavailable_weights
    from cnnlab.train.codegen import generate_script, hyperparams_with_defaults

    L = spec_.LayerSpec
    lenet = presets.preset("lenet5")
    bad_stacks = [
        [L("Conv2D", {"filters": 8, "kernel_size": 99})],
        [L("Dense", {"units": 0}), L("Flatten")],
        [],
        [L("Conv2D", {"filters": 8, "kernel_size": 30}), L("Flatten")],
        [L("Conv2D", {"filters": 8}), L("MaxPooling2D", {"pool_size": 40}), L("Flatten")],
        [L("Conv2d", {"filters": 8}), L("Conv2D", {"filter": 8}), L("Flatten")],
        [L("BatchNormalization", {"momentum": 0.9}), L("Flatten"), L("Dropout", {"rate": 1.5})],
        [L("TransferBase", {"base": "run", "model_path": 5}), L("Flatten")],
        [L("TransferBase", {"base": "run", "model_path": "/nowhere/model.keras"})],
        [L("Flatten"), L("Conv2D", {"filters": 8}), L("Dense", {"activation": "relux"})],
        [L("Conv2D", {"filters": 8, "padding": "full", "use_bias": "yes"}), L("Dense", {"units": 10})],
    ]
    out = [_raised(check, lenet.with_layers(layers)) for layers in bad_stacks]
    out += [
        _raised(check, spec_.ArchSpec("x", (28, 28, 99), 1, [L("Flatten")])),
        _raised(check, lenet, budget=spec_.Budget(max_params=1000, max_activation_bytes=10)),
        _raised(spec_.ArchSpec.from_json, "{"),
        _raised(spec_.ArchSpec.from_dict, {"name": "x"}),
        _raised(spec_.ArchSpec.from_dict, {"layers": 3}),
        _raised(presets.preset, "resnet9000"),
        _raised(presets.preset, "lenet5", flavour="retro"),
        _raised(presets.preset, "lenet5", depth=3),
        _raised(presets.preset, "simple_cnn", depth=3),
        _raised(presets.preset, "alexnet", variant="huge"),
        _raised(presets.preset, "alexnet", width=9.0),
        _raised(presets.preset, "vgg_small", blocks=9),
        _raised(presets.preset, "transfer", mode="freeze"),
        _raised(presets.preset, "transfer", base="vgg16"),
        _raised(presets.preset, "transfer", weights="random"),
        _raised(presets.preset, "transfer", base="run"),
        _raised(imagenet_weights_file, "vgg16"),
        _raised(adapter_weights, "mobilenet_v2", 2, 3),
        # a Keras base is refused before Keras is touched: no model file, no ImageNet weights offline
        _raised(load_base, None, {"base": "run", "model_path": "/nowhere/model.keras"}, (32, 32, 3), "transferbase_1"),
        _raised(load_base, None, {"base": "mobilenet_v2", "weights": "imagenet"}, (32, 32, 3), "transferbase_1"),
        # a training config asking for ImageNet weights this machine cannot have (refused by train.config.prepare)
        *unavailable_weights(presets.preset("transfer", (28, 28, 1), 10, base="resnet50")),
        _raised(generate_script, lenet, style="keras2"),
        _raised(generate_script, lenet, dataset="nope"),
        _raised(hyperparams_with_defaults, {"optimizer": "adamw"}),
        _raised(hyperparams_with_defaults, {"epochs": 0}),
        _raised(hyperparams_with_defaults, {"learning_rate": "fast"}),
        _raised(hyperparams_with_defaults, {"momentum": 0.9}),
        # spec files: no Infinity or NaN, no endless nesting (json would recurse until Python gives up)
        _raised(spec_.ArchSpec.from_json, '{"name": "x", "input_shape": [Infinity, 28, 1], "num_classes": 2}'),
        _raised(spec_.ArchSpec.from_json, "[" * 100_000 + "]" * 100_000),
    ]
    return out


def test_spec_refusals_are_translated_by_key():
    assert_translated(spec_messages())


def test_spec_checks_keep_their_english_and_read_in_chinese():
    from cnnlab.arch.analysis import check
    from cnnlab.arch.presets import preset
    from cnnlab.arch.spec import LayerSpec

    lenet = preset("lenet5")
    error = _raised(check, lenet.with_layers([LayerSpec("Conv2D", {"filter": 8}), LayerSpec("Dense", {"units": 0})]))
    assert str(error) == (
        "layer 1 (Conv2D 3x3): unknown setting 'filter' (did you mean 'filters'?) — Conv2D accepts filters, "
        "kernel_size, strides, padding, activation, use_bias; "
        "layer 2 (Dense 0): units must be a whole number from 1 to 65536, got 0"
    )
    assert error.message("zh") == (
        "第 1 层（Conv2D 3x3）：未知的设置项“filter”（是不是想写“filters”？）——Conv2D 可用的设置有：filters, "
        "kernel_size, strides, padding, activation, use_bias；"
        "第 2 层（Dense 0）：units 必须是 1 到 65536 之间的整数，实际为 0"
    )
    assert [e.key for e in error.values["issues"]] == ["build.issue.layer", "build.issue.layer"]


def test_weights_status_is_a_phrase_with_the_old_english(monkeypatch):
    from cnnlab import downloads, paths
    from cnnlab.arch.weights import imagenet_weights_file, imagenet_weights_status

    missing = imagenet_weights_status("mobilenet_v2", 32)
    folder = paths.keras_home() / "models"
    assert isinstance(missing.message, Phrase) and not missing.available
    assert str(missing.message) == (
        f"ImageNet weights for mobilenet_v2 are unavailable: they are not in the Keras cache "
        f"({folder / imagenet_weights_file('mobilenet_v2', 32)}) and there is no network. Copy the file there, "
        "or use random weights (weights=None; on the command line --option weights=none) — the base then starts "
        "untrained."
    )
    monkeypatch.setattr(downloads, "can_download", lambda: True)
    later = imagenet_weights_status("resnet50")
    assert str(later.message) == "ImageNet weights are not cached; Keras will download them on first build."
    folder.mkdir(parents=True)
    (folder / imagenet_weights_file("resnet50")).write_bytes(b"weights")
    cached = imagenet_weights_status("resnet50")
    assert str(cached.message) == f"ImageNet weights found in the Keras cache ({cached.cached_path})."
    for status in (missing, later, cached):
        zh = status.message.message("zh")
        for value in sorted(_plain(status.message), key=len, reverse=True):
            zh = zh.replace(value, " ")
        assert CJK.search(zh) and not set(LATIN.findall(zh)) - TERMS, zh

"""Errors about architectures (specs, presets, transfer bases), in English and Chinese."""

from __future__ import annotations

from errors_check import CJK, LATIN, TERMS, _keys, _refusal, assert_explained, english_left  # noqa: F401


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


def test_spec_refusals_are_explained_in_chinese():
    assert_explained(spec_messages())

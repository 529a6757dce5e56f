"""Shared setup links (cnnlab.train.setup_link): what a teacher's link carries comes back exactly; whatever a
stranger types, truncates or forges is one keyed sentence in both languages, never a traceback."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from errors_check import assert_translated

from cnnlab.arch.presets import preset
from cnnlab.train.config import TrainConfig
from cnnlab.train.setup_link import (
    FORM_FIELDS,
    MAX_JSON_BYTES,
    MAX_PARAM_CHARS,
    SetupLinkError,
    decode_setup,
    encode_setup,
    pack,
    unpack,
)


def _form(**changes) -> dict:
    config = {k: v for k, v in TrainConfig().to_dict().items() if k in FORM_FIELDS}
    return {"dataset": "mnist-sample", "arch": "vgg_small", **config, **changes}


def test_every_form_setting_round_trips_through_the_query_parameters():
    config = _form(
        epochs=7, batch_size=50, optimizer="sgd", learning_rate=0.0123, schedule="step", warmup_epochs=3,
        step_epochs=4, decay_factor=0.5, weight_decay=0.001, label_smoothing=0.2, val_fraction=0.25,
        augmentation={"translation": 0.05, "rotation": 0.0, "zoom": 0.2, "flip": True}, early_stopping=True,
        monitor="val_accuracy", patience=5, restore_best=False, seed=1234, steps_per_execution=4, momentum=0.8,
        nesterov=False, metrics=["accuracy", "auc"], mixed_precision=True,
    )  # fmt: skip
    query = encode_setup(config)
    assert set(query) == {"dataset", "arch", "setup"}
    assert all(isinstance(v, str) and v.isascii() and "=" not in v for v in query.values())
    assert decode_setup(query) == config
    assert set(FORM_FIELDS) <= set(decode_setup(query))


def test_an_edited_architecture_travels_compressed_and_comes_back_identical():
    spec = preset("lenet5", (28, 28, 1), 10).to_dict()
    spec["name"] = "my net"
    spec["layers"][0]["params"]["filters"] = 11
    query = encode_setup(_form(arch=spec))
    assert "spec" in query and "arch" not in query
    assert len(query["spec"]) < len(json.dumps(spec))
    assert decode_setup(query)["arch"] == spec


def test_unknown_settings_are_ignored_so_newer_links_still_open():
    query = {"setup": pack({"epochs": 3, "warp_drive": True, "optimizer": "adam"})}
    assert decode_setup(query) == {"epochs": 3, "optimizer": "adam"}


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"setup": "not base64 !!"}, "engine.link.malformed"),
        ({"setup": pack({"epochs": 3})[:-6]}, "engine.link.malformed"),  # cut off when copied
        ({"setup": base64.urlsafe_b64encode(b"plain text, not zlib").decode()}, "engine.link.malformed"),
        ({"setup": pack([1, 2, 3])}, "engine.link.malformed"),
        ({"setup": base64.urlsafe_b64encode(zlib.compress(b"{'a': NaN}")).decode()}, "engine.link.malformed"),
        ({"setup": pack({"epochs": "many"})}, "engine.link.bad_value"),
        ({"setup": pack({"epochs": 2.5})}, "engine.link.bad_value"),
        ({"setup": pack({"batch_size": 0})}, "engine.link.out_of_range"),
        ({"setup": pack({"batch_size": 2.5})}, "engine.link.bad_value"),
        ({"setup": pack({"optimizer": "adagrad"})}, "engine.link.bad_value"),
        ({"setup": pack({"metrics": ["accuracy", "rm -rf"]})}, "engine.link.bad_value"),
        ({"setup": pack({"augmentation": {"zoom": 5}})}, "engine.link.bad_value"),
        ({"setup": pack({"nesterov": "yes"})}, "engine.link.bad_value"),
        ({"setup": pack({"epochs": 100_000})}, "engine.link.out_of_range"),
        ({"setup": pack({"learning_rate": 0})}, "engine.link.out_of_range"),
        ({"arch": "skynet"}, "engine.link.unknown_arch"),
        ({"dataset": "../../etc/passwd"}, "engine.link.malformed"),
        ({"spec": pack({"name": "x"})}, "engine.link.bad_spec"),
        ({"spec": pack("lenet5")}, "engine.link.malformed"),
    ],
)
def test_a_malformed_link_is_one_keyed_sentence(params, key):
    with pytest.raises(SetupLinkError) as info:
        decode_setup(params)
    assert info.value.key == key
    assert_translated([info.value])


def test_an_oversized_link_is_refused_before_and_while_unpacking():
    with pytest.raises(SetupLinkError) as info:
        unpack("A" * (MAX_PARAM_CHARS + 1), "setup")
    assert info.value.key == "engine.link.too_long"
    bomb = json.dumps({"epochs": 3, "pad": " " * (MAX_JSON_BYTES * 4)}).encode()
    packed = base64.urlsafe_b64encode(zlib.compress(bomb, 9)).decode().rstrip("=")
    assert len(packed) <= MAX_PARAM_CHARS  # small in the URL, enormous unpacked
    with pytest.raises(SetupLinkError) as info:
        decode_setup({"setup": packed})
    assert info.value.key == "engine.link.too_big"
    assert_translated([info.value])


def test_every_link_sentence_is_produced_above():
    from cnnlab.i18n import CATALOGUE

    produced = {key for _, key in test_a_malformed_link_is_one_keyed_sentence.pytestmark[0].args[1]}
    produced |= {"engine.link.too_long", "engine.link.too_big"}
    assert {k for k in CATALOGUE if k.startswith("engine.link.")} == produced

"""Named recipes: `train --recipe NAME` builds the recipe's config; flags given override its values."""

from __future__ import annotations

import pytest

from cnnlab.cli import build_parser
from cnnlab.cli.runs import _train_config
from cnnlab.train.config import TrainConfig, prepare
from cnnlab.train.recipes import RECIPES, recipe_config

pytestmark = pytest.mark.usefixtures("home_with_data")


def config_of(*argv: str) -> dict:
    return _train_config(build_parser().parse_args(["train", *argv]))


def test_default_recipe_is_what_train_without_arch_does() -> None:
    plain, named = config_of(), config_of("--recipe", "default")
    assert plain == named
    assert named["arch"]["name"] == "lenet5"
    assert {**named, "arch": None} == TrainConfig().to_dict()


def test_drawings_recipe_builds_its_architecture_and_settings() -> None:
    recipe = RECIPES["drawings"]
    cfg = config_of("--recipe", "drawings", "--dataset", "mnist-sample")
    assert cfg == recipe_config("drawings", "mnist-sample")
    assert cfg["arch"]["name"] == recipe.preset
    for key, value in recipe.overrides.items():
        assert cfg[key] == value
    assert cfg["augmentation"].get("stroke") and cfg["augmentation"].get("elastic")
    prepare(cfg)  # the engine accepts it as it is (no problems raised)


def test_explicit_flags_override_the_recipe() -> None:
    cfg = config_of("--recipe", "drawings", "--epochs", "3", "--learning-rate", "0.01", "--stroke", "0", "--seed", "7")
    assert (cfg["epochs"], cfg["learning_rate"], cfg["augmentation"]["stroke"], cfg["seed"]) == (3, 0.01, 0.0, 7)
    assert cfg["augmentation"]["elastic"] == RECIPES["drawings"].overrides["augmentation"]["elastic"]
    other = config_of("--recipe", "drawings", "--arch", "mlp")
    assert other["arch"]["name"] == "mlp" and other["epochs"] == RECIPES["drawings"].overrides.get("epochs", 40)


def test_an_unknown_recipe_is_refused_with_the_names() -> None:
    with pytest.raises(SystemExit):
        config_of("--recipe", "nope")
    with pytest.raises(Exception, match="default, drawings"):
        recipe_config("nope")

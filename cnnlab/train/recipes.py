"""Named training recipes: an architecture (a preset with its options) plus the TrainConfig values it changes.

"default" is TrainConfig's defaults on LeNet-5 (what `train` without `--arch` and the Train page untouched do;
how it was chosen: DEFAULT_RECIPE_NOTES in config.py). "drawings" is the recipe for recognising what people
draw on the canvas, chosen by the sweep in DRAWINGS_RECIPE_NOTES below. Pure Python (no TensorFlow): the CLI and
the Train page build configs from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnnlab.errors import CnnLabError
from cnnlab.train.config import TrainConfig


@dataclass(frozen=True)
class Recipe:
    """A preset (with options) and the TrainConfig values that differ from the defaults."""

    preset: str
    options: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)


DRAWINGS_RECIPE_NOTES = """\
(filled in from the sweep)
"""


RECIPES: dict[str, Recipe] = {
    "default": Recipe("lenet5"),
    "drawings": Recipe(
        "simple_cnn",
        overrides={
            "epochs": 20,
            "augmentation": {
                "translation": 0.1,
                "rotation": 0.05,
                "zoom": 0.1,
                "flip": False,
                "stroke": 0.2,
                "elastic": 0.1,
            },
        },
    ),
}


def recipe_config(name: str, dataset: str | None = None, **options: Any) -> dict[str, Any]:
    """The TrainConfig-shaped dict of recipe `name` for `dataset` (the recipe's preset adapted to its shape and
    classes); `options` are preset options over the recipe's own. Raises CnnLabError for an unknown name."""
    from cnnlab.arch.presets import preset
    from cnnlab.data import datasets as data

    if name not in RECIPES:
        raise CnnLabError("engine.train.unknown_recipe", name=repr(name), names=", ".join(RECIPES))
    recipe = RECIPES[name]
    dataset = dataset or data.DEFAULT_DATASET
    info = data.dataset_info(dataset)
    spec = preset(recipe.preset, tuple(info.image_shape), len(info.class_names), **{**recipe.options, **options})
    cfg = TrainConfig(dataset=dataset).to_dict()
    cfg.update({k: (dict(v) if isinstance(v, dict) else v) for k, v in recipe.overrides.items()})
    cfg["arch"] = spec.to_dict()
    return cfg

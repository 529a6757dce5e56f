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
"Best for drawings": the simple CNN (conv 32 3x3, pool, conv 64 3x3, pool, dense 128; 225k parameters) with the
default recipe's Adam 0.005 / warm-up 2 / cosine / batch 128 / label smoothing 0.1 / shift-rotation-zoom, plus
the pen changes of cnnlab/data/strokes.py: stroke thickening/thinning on 20% of the images and elastic distortion
0.1 (Simard's alpha 17), 20 epochs. Same offline MNIST sample, split and 2 CPU cores as DEFAULT_RECIPE_NOTES.

Sweep through `python -m cnnlab train --dataset mnist-sample --json` (CNNLAB_STANDBY=0, a fresh home), while
another process ran tests on the same 2 cores. Test = the sample's 1,000 test images; drawn = the same digits
re-drawn as canvas strokes (cnnlab/data/drawn.py), ratio = drawn / test; wall = command to result, including
about 13 s of TensorFlow import and the drawn-set evaluation. One image = 0.1 point, so under ~0.5 is noise.

  config                                                   seed  test   drawn  ratio   wall
  default recipe (LeNet-5, 40 epochs)                       0    98.1   96.4   0.983   29 s
  LeNet-5, stroke 0.3, elastic 0.2, 40 epochs               0    97.7   96.5   0.988   65 s
  simple CNN, stroke 0.3, elastic 0.2, 15 epochs            0    97.6   96.5   0.989   42 s
  VGG-small 2 blocks (batch norm, dropout 0.5), stroke 0.3,
    elastic 0.2, 12 epochs cut by a 60 s budget at 8        0    59.4   56.8   0.956   87 s  (BN diverged at 0.005)
  same, stroke 0.2, elastic 0.1, Adam 0.001, warm-up 1,
    8 epochs                                                0    29.9   27.9   0.933   80 s  (train 88%, val 32%)
  simple CNN, no pen changes, 20 epochs                     0    98.6   97.0   0.984   36 s
                                                            1    97.8   96.6   0.988   29 s
  simple CNN, stroke 0.2, elastic 0.1, 30 epochs            0    98.3   97.1   0.988   60 s
  simple CNN, stroke 0.2, elastic 0.1, 20 epochs (chosen)   0    98.1   97.2   0.991   55 s
                                                            1    97.7   96.9   0.992   38 s
  `train --recipe drawings` (the same, through the recipe)  0    98.1   97.2   0.991   58 s

Wall times swing with the other process's load (the default recipe took 29 s at a quiet moment).

`python -m cnnlab.bench recipes` (both recipes in full, one after the other, a real worker each; later code, other
agents' load 2-7) measured this recipe at seed 0: test 98.1%, drawn 97.2%, ratio 0.991, shift-averaged 97.4%, in
62.5 s of training (75.4 s start to finish); seed 1: 97.7 / 96.9 / 0.992 / 96.9%, 73.0 s (91.9 s, load 6.6).

Against the issue's goal (>=99.0% test, ratio >=0.99, <=90 s): the ratio and the time are met (0.991-0.992 in
38-73 s of training; a whole run, TensorFlow import included, once took 92 s at load 6.6); test accuracy misses by
0.9-1.3 points (98.1 / 97.7). The pen changes cost 0.1-0.5 points of test
accuracy (noise-sized) and buy 0.2-0.3 points of drawn accuracy and a ratio of 0.99 in both seeds, which is what
this recipe is for. Why 99% was not reached here: the models see 3,500 training images; the widest net that fits
the time on 2 busy cores (simple CNN) peaks at 98.6% without pen changes; wider nets with batch norm (VGG-small)
train at about 7-10 s an epoch here, so 90 s buys under 10 epochs (about 220 steps), too few for batch norm's
moving averages to settle: training accuracy 88% but validation 32%. Next to try, with more time: the full MNIST
(README: "Using the full datasets offline") or a GPU, where VGG-small with these pen changes gets its epochs.
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

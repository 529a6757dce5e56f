"""The Train page's Recipe choice fills the form with the recipe's architecture and settings."""

from __future__ import annotations

from cnnlab.train.recipes import RECIPES, recipe_config
from conftest import open_app


def test_choosing_the_drawings_recipe_sets_the_form_and_default_sets_it_back():
    at = open_app("pages/train.py")
    recipe = at.selectbox(key="tr_recipe")
    assert recipe.label == "Recipe" and "%" in recipe.help  # its help names the measured figures
    recipe.select("drawings").run()
    assert not at.exception
    cfg, drawings = recipe_config("drawings", "mnist-sample"), RECIPES["drawings"]
    arch = at.selectbox(key="tr_arch").value
    assert arch == ("build" if drawings.options else drawings.preset)
    if drawings.options:
        assert at.session_state["arch_spec"] == cfg["arch"]
    for key in ("epochs", "batch_size", "learning_rate", "weight_decay", "warmup_epochs", "seed"):
        assert at.number_input(key=f"tr_{key}").value == cfg[key], key
    assert at.selectbox(key="tr_optimizer").value == cfg["optimizer"]
    assert at.selectbox(key="tr_schedule").value == cfg["schedule"]
    assert at.slider(key="tr_label_smoothing").value == cfg["label_smoothing"]
    for key in ("stroke", "elastic", "translation", "rotation", "zoom"):
        assert at.slider(key=f"tr_aug_{key}").value == cfg["augmentation"].get(key, 0.0), key

    at.selectbox(key="tr_recipe").select("default").run()
    assert at.selectbox(key="tr_arch").value == "lenet5"
    assert at.number_input(key="tr_epochs").value == recipe_config("default")["epochs"]
    assert at.slider(key="tr_aug_stroke").value == 0.0


def test_the_recipe_choice_in_chinese():
    at = open_app("pages/train.py", lang="zh")
    recipe = at.selectbox(key="tr_recipe")
    assert recipe.label == "训练配方" and "%" in recipe.help
    assert recipe.format_func("drawings") == "最适合手绘数字"

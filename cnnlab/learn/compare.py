"""Lesson 4's comparisons: variants of a preset (another activation, dropout) and what the learner's own runs of
them measured on this machine.

Why measured, not written: the AlexNet tutorial argues that ReLU trains faster than sigmoid/tanh, that dropout
curbs over-fitting and that augmentation helps; on a small sample and a few epochs the effects can be different,
so the lesson shows the learner's finished runs side by side (test accuracy, best validation accuracy, time) and
lets the learner judge.
"""

from __future__ import annotations

from typing import Any

from cnnlab.arch.presets import preset
from cnnlab.arch.spec import ArchSpec, LayerSpec

HIDDEN = ("Conv2D", "Dense")  # the layers whose activation a variant changes (the softmax head is separate)


def variant(base: str, activation: str | None = None, dropout: float | None = None, **options: Any) -> ArchSpec:
    """Preset `base` with every hidden activation replaced, or a Dropout after every hidden Dense layer; named
    "<base>_<activation>" / "<base>_dropout" so its runs can be told apart."""
    spec = preset(base, **options)
    layers: list[LayerSpec] = []
    for layer in spec.layers:
        params = dict(layer.params)
        if activation and layer.type in HIDDEN and "activation" in params:
            params["activation"] = activation
        layers.append(LayerSpec(layer.type, params))
        if dropout and layer.type == "Dense":
            layers.append(LayerSpec("Dropout", {"rate": float(dropout)}))
    suffix = "_".join(s for s in (activation, "dropout" if dropout else None) if s)
    name = f"{base}_{suffix}" if suffix else base
    return ArchSpec(name, spec.input_shape, spec.num_classes, layers, spec.description)


def augmented(run: Any) -> bool:
    """Whether a run trained with any augmentation."""
    aug = (getattr(run, "config", None) or {}).get("augmentation") or {}
    return any(bool(v) for v in aug.values())


def matches(run: Any, arch: str | None = None, dataset: str | None = None, augmentation: str | None = None) -> bool:
    if run.status != "finished":
        return False
    if arch is not None and run.arch.get("name") != arch:
        return False
    if dataset is not None and run.dataset != dataset:
        return False
    return augmentation is None or augmented(run) == (str(augmentation) in ("on", "True", "true", "1"))


def measured(runs: list[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each declared row ({label, arch, dataset?, augmentation?}) the newest matching finished run's figures,
    or None figures when the learner has not run it yet."""
    out = []
    for row in rows:
        wanted = {k: row.get(k) for k in ("arch", "dataset", "augmentation")}
        run = next((r for r in runs if matches(r, **wanted)), None)
        final = (run.final_metrics if run else None) or {}
        out.append({
            "label": row.get("label", ""), "run": run, "name": run.name if run else None,
            "test_accuracy": final.get("test_accuracy"), "best_val_accuracy": final.get("best_val_accuracy",
                                                                                       final.get("val_accuracy")),
            "epochs": run.epochs_done if run else None, "seconds": round(run.train_seconds, 1) if run else None,
        })  # fmt: skip
    return out


def transfer(model_path: str, mode: str, input_shape: tuple[int, int, int], num_classes: int,
             fine_tune_layers: int = 2) -> ArchSpec:  # fmt: skip
    """Lesson 5: an earlier run's model as the base of a new classifier, frozen ("feature_extraction", named
    transfer_features) or with its last `fine_tune_layers` layers trained too ("fine_tuning", transfer_fine_tuned)."""
    spec = preset("transfer", input_shape, num_classes, base="run", model_path=model_path, mode=mode,
                  fine_tune_layers=fine_tune_layers)  # fmt: skip
    name = "transfer_features" if mode == "feature_extraction" else "transfer_fine_tuned"
    return ArchSpec(name, spec.input_shape, spec.num_classes, spec.layers, spec.description)

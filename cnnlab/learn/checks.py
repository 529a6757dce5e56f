"""Has the learner done a step? And the answers to a lesson's questions, computed from the learner's own model.

Why a context object: the page gathers what it knows (finished runs from the run store, the Build page's spec,
the sandbox's settings, the progress file) and these functions only compare; so they are tested without Streamlit,
and a check never trains or loads TensorFlow. Every answer is computed (parameter counts and shapes by the Build
page's analysis, confusions from the run's own evaluation), never written into the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnlab.arch.analysis import analyze
from cnnlab.arch.atoms import fmt_shape
from cnnlab.arch.presets import preset
from cnnlab.arch.spec import ArchSpec, as_pair, resolved_params
from cnnlab.errors import CnnLabError
from cnnlab.learn import compare, sandbox


@dataclass
class Context:
    """What the learner has done so far, as the page sees it."""

    runs: list[Any] = field(default_factory=list)  # cnnlab.runs.records.Run, newest first
    spec: dict[str, Any] | None = None  # the Build page's spec
    sandbox: dict[str, Any] = field(default_factory=dict)  # current sandbox settings (kernel, padding, stride, ...)
    progress: dict[str, Any] = field(default_factory=dict)  # the progress file's contents
    compare: list[dict[str, Any]] = field(default_factory=list)  # the lesson's runs to measure side by side
    datasets: list[str] = field(default_factory=list)  # the learner's own datasets (the Data page's uploads)


class NoModel(CnnLabError, LookupError):
    """A question about the learner's model before there is one (the page says which step makes it)."""


def _matches(settings: dict[str, Any], want: dict[str, Any]) -> bool:
    return all(str(settings.get(k)) == str(v) for k, v in want.items())


def finished(ctx: Context, arch: str | None = None, dataset: str | None = None, epochs: Any = None,
             augmentation: Any = None) -> Any:  # fmt: skip
    """The newest finished run with these settings (augmentation "on" / "off"), or None."""
    for run in ctx.runs:
        if not compare.matches(run, arch, dataset, None if augmentation is None else str(augmentation)):
            continue
        if epochs is not None and int(run.epochs_done) < int(epochs):
            continue
        return run
    return None


def passed(check: dict[str, dict[str, Any]], ctx: Context, lesson: str = "") -> bool:
    """Whether every condition of a step's check holds (an empty check never ticks by itself); questions are
    named within their `lesson`."""
    if not check:
        return False
    return all(_one(name, args, ctx, lesson) for name, args in check.items())


def _one(name: str, args: dict[str, Any], ctx: Context, lesson: str) -> bool:
    p = ctx.progress
    if name == "sandbox":
        return any(_matches(seen, args) for seen in [ctx.sandbox, *p.get("sandbox", [])])
    if name == "page_visited":
        return str(args.get("page")) in p.get("visited", [])
    if name == "answered":
        return f"{lesson}/{args.get('question')}" in p.get("answered", {})
    if name == "run_finished":
        return (
            finished(ctx, args.get("arch"), args.get("dataset"), args.get("epochs"), args.get("augmentation"))
            is not None
        )
    if name == "dataset_added":
        return bool(ctx.datasets)
    if name == "spec_has_layer":
        layers = (ctx.spec or {}).get("layers") or []
        count = sum(1 for layer in layers if layer.get("type") == args.get("type"))
        return count >= int(args.get("count", 1))
    return False


# ---------------------------------------------------------------- answers


def _model(ctx: Context, which: str | None) -> tuple[ArchSpec, Any]:
    """(spec, run or None) a question is about: "build" = the Build page's spec (LeNet-5 when there is none yet),
    a preset name = the newest finished run of it."""
    if which in (None, "build"):
        spec = ArchSpec.from_dict(ctx.spec) if ctx.spec else preset("lenet5")
        return spec, None
    run = finished(ctx, arch=which)
    if run is None:
        raise NoModel("engine.learn.no_model", arch=which)
    return ArchSpec.from_dict(run.arch), run


def _row(spec: ArchSpec, layer: Any):
    rows = analyze(spec).all_rows
    if isinstance(layer, int) or str(layer).isdigit():
        index = int(layer)
        found = next((r for r in rows if r.index == index), None)
    else:
        found = next((r for r in rows if r.name == layer), None)
    if found is None:
        raise NoModel("engine.learn.no_layer", layer=layer, model=spec.name)
    return found, spec.layers[found.index - 1] if 0 < found.index <= len(spec.layers) else None


def answer(spec: dict[str, dict[str, Any]], ctx: Context) -> dict[str, Any]:
    """{"answer": the value to compare with, "shown": how it is written, ...values the lesson's `why` may use}."""
    ((name, args),) = spec.items()
    if name.startswith("sandbox_"):
        s = ctx.sandbox
        h, w = s.get("shape", (28, 28))
        counts = sandbox.parameter_counts((int(h), int(w), 1), int(s.get("size", 3)), s.get("padding", "valid"),
                                          int(s.get("stride", 1)))  # fmt: skip
        k = int(s.get("size", 3))
        values = {**counts, "k": k, "h": h, "w": w, "out": fmt_shape(counts["output_shape"][:2], "×")}
        value = {"sandbox_conv_params": counts["conv"], "sandbox_dense_params": counts["dense"]}.get(name)
        if name == "sandbox_output_size":
            return {**values, "answer": values["out"], "shown": values["out"]}
        return {**values, "answer": value, "shown": f"{value:,}"}
    if name == "best_measured":
        return _best_measured(ctx)
    spec_, run = _model(ctx, args.get("model"))
    if name == "most_confused":
        return _most_confused(run, args, spec_)
    row, layer = _row(spec_, args.get("layer", 1))
    values: dict[str, Any] = {"layer": row.name, "model": spec_.name, "run": getattr(run, "name", "")}
    if name == "layer_params":
        values.update(answer=row.params, shown=f"{row.params:,}", formula=_param_formula(spec_, row, layer))
    elif name == "layer_output":
        shown = fmt_shape(row.output_shape, "×") if row.output_shape else "—"
        values.update(answer=shown, shown=shown)
    else:  # receptive_field
        shown = fmt_shape(row.receptive_field, "×") if row.receptive_field else "—"
        values.update(answer=shown, shown=shown)
    return values


def _param_formula(spec: ArchSpec, row: Any, layer: Any) -> str:
    """ "5×5×1×6 + 6 = 156" for a Conv2D, "400×120 + 120 = 48,120" for a Dense (the input from the row before)."""
    rows = analyze(spec).all_rows
    before = next((r.output_shape for r in reversed(rows) if r.index < row.index), None) or spec.input_shape
    p = resolved_params(layer) if layer is not None else {}
    if row.type == "Conv2D":
        kh, kw = as_pair(p.get("kernel_size", 3))
        cin, f = before[-1], p.get("filters", 1)
        bias = f"+ {f} " if p.get("use_bias", True) else ""
        return f"{kh}×{kw}×{cin}×{f} {bias}= {row.params:,}"
    if row.type == "Dense" or row.name == "predictions":
        units = row.output_shape[-1] if row.output_shape else 0
        return f"{int(np.prod(before)):,}×{units} + {units} = {row.params:,}"
    return f"{row.params:,}"


def _most_confused(run: Any, args: dict[str, Any], spec: ArchSpec) -> dict[str, Any]:
    evaluation = getattr(run, "evaluation", None) or {}
    cm = evaluation.get("confusion_matrix")
    names = [str(n) for n in evaluation.get("class_names") or []]
    label = str(args.get("label", "4"))
    if cm is None or label not in names:
        raise NoModel("engine.learn.no_model", arch=spec.name)
    i = names.index(label)
    row = np.asarray(cm[i], dtype=np.int64).copy()
    total = int(row.sum())
    row[i] = -1
    j = int(row.argmax())
    return {"answer": names[j], "shown": names[j], "label": label, "count": int(row[j]), "total": total,
            "run": run.name, "model": spec.name}  # fmt: skip


def _best_measured(ctx: Context) -> dict[str, Any]:
    rows = [r for r in compare.measured(ctx.runs, ctx.compare) if r["test_accuracy"] is not None]
    if not rows:
        raise NoModel("engine.learn.no_model", arch=", ".join(r.get("arch", "") for r in ctx.compare))
    best = max(rows, key=lambda r: r["test_accuracy"])
    table = ", ".join(f"{r['label']} {r['test_accuracy']:.1%}" for r in rows)
    return {"answer": best["label"], "shown": best["label"], "accuracy": f"{best['test_accuracy']:.1%}",
            "table": table, "run": best["name"]}  # fmt: skip


def same(given: Any, expected: Any) -> bool:
    """Whether the learner's answer is the computed one ("12x12x6", "12 × 12 × 6" and "12×12×6" are the same)."""
    a = "".join(str(given).lower().replace("x", "×").replace(",", "").split())
    b = "".join(str(expected).lower().replace("x", "×").replace(",", "").split())
    return a == b

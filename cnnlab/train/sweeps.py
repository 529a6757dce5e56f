"""Hyperparameter sweeps: one architecture on one dataset, trained once per combination of learning rate, batch
size, optimizer, dropout and epochs (what TensorBoard's HParams view compares), as a study of kind "sweep".

A search space gives each swept hyperparameter a list of values; the rest keep the default recipe's. `grid` trains
every combination, `random` n of them drawn without repeats (seeded, so the same seed draws the same trials). At
most MAX_RUNS runs, and every configuration is checked before any run is queued (ConfigError, like the arena).

Dropout is not a training setting but a layer: a sweep's dropout rate is set on every Dropout layer the
architecture has; one without any (LeNet-5, the simple CNN, the MLP) gets one Dropout layer before its classifier
(`with_dropout`). A rate of 0 on such an architecture leaves it as it is.

The runs are ordinary runs (queued, trained, stopped and resumed by the same workers as the arena's); the study's
rows are each run's values and results, `best` picks the most accurate finished one, and `best_setup` is its
Train setup as URL query parameters (cnnlab.train.setup_link), so one click trains it again.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

from cnnlab.errors import CnnLabError
from cnnlab.runs import store as st
from cnnlab.runs import studies
from cnnlab.runs.store import open_store
from cnnlab.train.config import OPTIMIZERS, ConfigError, TrainConfig, prepare, resolve_arch
from cnnlab.train.launch import start_run

HYPERPARAMETERS = ("learning_rate", "batch_size", "optimizer", "dropout", "epochs")  # the sweepable, in axis order
MODES = ("grid", "random")
MIN_RUNS, MAX_RUNS = 2, 24
SHORT = {"learning_rate": "lr", "batch_size": "batch", "optimizer": "", "dropout": "dropout", "epochs": "epochs"}


def _plain(name: str, value: Any) -> Any:
    """One value of a hyperparameter as the config holds it, or a keyed error saying what it should be."""
    bad = CnnLabError("engine.study.sweep_value", setting=name, value=repr(value)[:40])
    if name == "optimizer":
        if value not in OPTIMIZERS:
            raise ConfigError(CnnLabError("engine.study.sweep_choice", setting=name, value=repr(value)[:40],
                                          choices=", ".join(OPTIMIZERS)))  # fmt: skip
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(bad)
    if name in ("batch_size", "epochs"):
        if value != int(value):
            raise ConfigError(bad)
        return int(value)
    if name == "dropout" and not 0 <= value < 1:
        raise ConfigError(CnnLabError("engine.study.sweep_dropout", value=repr(value)[:40]))
    return float(value)


def normalise_space(space: dict[str, Any]) -> dict[str, list]:
    """The search space in axis order, each value as the config holds it and given once. ConfigError lists
    every problem (an unknown hyperparameter, an empty list, a value of the wrong kind)."""
    if not isinstance(space, dict):
        raise ConfigError(CnnLabError("engine.study.sweep_empty", names=", ".join(HYPERPARAMETERS)))
    problems: list[CnnLabError] = []
    unknown = sorted(k for k in space if k not in HYPERPARAMETERS)
    if unknown:
        problems.append(CnnLabError("engine.study.sweep_unknown", names=", ".join(map(str, unknown)),
                                    known=", ".join(HYPERPARAMETERS)))  # fmt: skip
    out: dict[str, list] = {}
    for name in HYPERPARAMETERS:
        if name not in space:
            continue
        values = space[name]
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values:
            problems.append(CnnLabError("engine.study.sweep_no_values", setting=name))
            continue
        kept: list = []
        for value in values:
            try:
                plain = _plain(name, value)
            except ConfigError as exc:
                problems += exc.problems
                continue
            if plain not in kept:
                kept.append(plain)
        out[name] = kept
    if not out and not problems:
        problems.append(CnnLabError("engine.study.sweep_empty", names=", ".join(HYPERPARAMETERS)))
    if problems:
        raise ConfigError(problems)
    return out


def combinations(space: dict[str, Any], mode: str = "grid", trials: int | None = None, seed: int = 0) -> list[dict]:
    """The configurations a sweep trains: {hyperparameter: value} each, all distinct. `grid`: every combination
    (in order, the last hyperparameter changing fastest); `random`: `trials` of them, drawn without repeats by
    `seed`. Fewer than MIN_RUNS or more than MAX_RUNS is refused with the numbers."""
    space = normalise_space(space)
    if mode not in MODES:
        raise ConfigError(CnnLabError("engine.study.sweep_mode", value=repr(mode)[:40], choices=", ".join(MODES)))
    names = list(space)
    total = math.prod(len(space[n]) for n in names)
    if mode == "grid":
        if not MIN_RUNS <= total <= MAX_RUNS:
            raise ConfigError(CnnLabError("engine.study.sweep_grid_size", count=total, low=MIN_RUNS, high=MAX_RUNS))
        return [dict(zip(names, values, strict=True)) for values in itertools.product(*(space[n] for n in names))]
    if isinstance(trials, bool) or not isinstance(trials, int) or not MIN_RUNS <= trials <= MAX_RUNS:
        raise ConfigError(CnnLabError("engine.study.sweep_trials", value=repr(trials)[:40], low=MIN_RUNS,
                                      high=MAX_RUNS))  # fmt: skip
    if trials > total:
        raise ConfigError(CnnLabError("engine.study.sweep_too_few", trials=trials, count=total))
    out = []
    for drawn in random.Random(seed).sample(range(total), trials):  # distinct indices: distinct configurations
        values, rest = {}, drawn
        for name in reversed(names):  # the index in mixed radix, the last hyperparameter the lowest digit
            rest, digit = divmod(rest, len(space[name]))
            values[name] = space[name][digit]
        out.append({n: values[n] for n in names})
    return out


def label(values: dict[str, Any]) -> str:
    """A configuration in a few words, e.g. "lr 0.001 · batch 64 · adam"."""
    parts = []
    for name in HYPERPARAMETERS:
        if name in values:
            v = values[name]
            text = f"{v:.6g}" if isinstance(v, float) else str(v)
            parts.append(f"{SHORT[name]} {text}".strip())
    return " · ".join(parts)


def with_dropout(arch: Any, rate: float, dataset: str) -> Any:
    """`arch` with its Dropout layers at `rate`; one without any gets a Dropout layer before its classifier (the
    head build_model appends). Rate 0 on an architecture without Dropout leaves it as it is (a preset keeps its
    name). An architecture or dataset that cannot be read is returned as it is, for `prepare` to explain."""
    from cnnlab.arch.spec import LayerSpec, SpecError
    from cnnlab.data import datasets as data

    try:
        info = data.dataset_info(dataset)
        spec = resolve_arch(arch, info.image_shape, len(info.class_names))
    except (KeyError, SpecError, TypeError, ValueError):
        return arch
    has = any(layer.type == "Dropout" for layer in spec.layers)
    if not has and not rate:
        return arch
    layers = [LayerSpec(layer.type, {**layer.params, "rate": float(rate)}) if layer.type == "Dropout" else layer
              for layer in spec.layers]  # fmt: skip
    if not has:
        layers.append(LayerSpec("Dropout", {"rate": float(rate)}))
    return spec.with_layers(layers).to_dict()


def dropout_of(arch: Any) -> float | None:
    """The rate of an architecture's (first) Dropout layer, None without one."""
    for layer in (arch or {}).get("layers", []) if isinstance(arch, dict) else []:
        if layer.get("type") == "Dropout":
            return float((layer.get("params") or {}).get("rate", 0.5))
    return None


def sweep_configs(
    arch: Any, *, dataset: str, space: dict[str, Any], mode: str = "grid", trials: int | None = None,
    seed: int = 0, epochs: int = 5, overrides: dict[str, Any] | None = None,
) -> list[tuple[str, dict, dict]]:  # fmt: skip
    """(label, values, run config) per configuration: the default recipe with the study's dataset, epochs, seed
    and `overrides` (e.g. max_train_samples), then the configuration's values. Every one is checked before any
    run is queued; ConfigError lists each distinct problem once, naming the first configuration it met."""
    chosen = combinations(space, mode, trials, seed)
    varied = [n for n, values in normalise_space(space).items() if len(values) > 1]  # what tells them apart
    base = {**TrainConfig(dataset=dataset, epochs=int(epochs), seed=int(seed)).to_dict(), **(overrides or {})}
    out, problems, seen = [], [], set()
    for values in chosen:
        config = {**base, "arch": arch}
        for name, value in values.items():
            if name == "dropout":
                config["arch"] = with_dropout(arch, value, dataset)
            else:
                config[name] = value
        name = label({n: values[n] for n in varied})
        try:
            prepare(config)
        except ConfigError as exc:
            for problem in exc.problems:
                if str(problem) not in seen:
                    seen.add(str(problem))
                    problems.append(CnnLabError("engine.study.entry_problem", entry=name, reason=problem))
        out.append((name, values, config))
    if problems:
        raise ConfigError(problems)
    return out


def arch_label(arch: Any) -> str:
    return arch if isinstance(arch, str) else str((arch or {}).get("name") or "spec")


def start_sweep(
    arch: Any, *, dataset: str, space: dict[str, Any], mode: str = "grid", trials: int | None = None,
    seed: int = 0, epochs: int = 5, name: str | None = None, overrides: dict[str, Any] | None = None,
    store: st.RunStore | None = None,
) -> str:  # fmt: skip
    """Create a sweep study and queue one run per configuration; returns the study id."""
    store = open_store(store)
    entries = sweep_configs(arch, dataset=dataset, space=space, mode=mode, trials=trials, seed=seed, epochs=epochs,
                            overrides=overrides)  # fmt: skip
    title = (name or "").strip()[:80] or f"sweep: {arch_label(arch)} · {len(entries)} × {mode}"
    settings = {
        "arch": arch, "dataset": dataset, "mode": mode, "space": normalise_space(space),
        "trials": trials if mode == "random" else None, "seed": int(seed), "epochs": int(epochs),
        **(overrides or {}), "configs": [{"label": lb, "values": values} for lb, values, _ in entries],
    }  # fmt: skip
    if "epochs" in settings["space"]:
        del settings["epochs"]  # each configuration has its own
    study_id = studies.create_study(store, name=title, kind="sweep", settings=settings)
    for entry, _values, config in entries:
        run_id = start_run(config, name=f"{title} · {entry}", store=store)
        studies.add_run(store, study_id, run_id, entry)
    return study_id


def sweep_rows(study: studies.Study, store: st.RunStore | None = None, runs: list | None = None) -> list[dict]:
    """One row per configuration: its label and values, state, and what it measured (None where not yet)."""
    store = open_store(store)
    runs = runs if runs is not None else [store.get_run(entry.run_id) for entry in study.runs]
    values = {c["label"]: c["values"] for c in study.settings.get("configs", [])}
    rows = []
    for entry, run in zip(study.runs, runs, strict=True):
        fm = run.final_metrics or {}
        rows.append({
            "label": entry.label, "run_id": run.id, "status": run.status, **values.get(entry.label, {}),
            "epochs_done": run.epochs_done, "test_accuracy": fm.get("test_accuracy"),
            "val_accuracy": fm.get("val_accuracy"), "train_seconds": run.train_seconds or None,
        })  # fmt: skip
    return rows


def swept(study: studies.Study) -> list[str]:
    """The hyperparameters the study varies (given more than one value), in axis order."""
    space = study.settings.get("space") or {}
    return [n for n in HYPERPARAMETERS if len(space.get(n) or ()) > 1]


def best(rows: list[dict]) -> dict | None:
    """The finished row with the best test accuracy (ties: the better validation accuracy, then the faster)."""
    done = [r for r in rows if r["status"] == st.FINISHED and r.get("test_accuracy") is not None]
    if not done:
        return None
    return max(done, key=lambda r: (r["test_accuracy"], r.get("val_accuracy") or 0.0, -(r["train_seconds"] or 0)))


def best_config(row: dict, store: st.RunStore | None = None) -> dict[str, Any]:
    """The run config a row trained with (Train-shaped: dataset, arch, every hyperparameter)."""
    return dict(open_store(store).get_run(row["run_id"]).config)


def best_setup(row: dict, store: st.RunStore | None = None) -> dict[str, str]:
    """The row's configuration as Train's URL query parameters (dataset, arch or spec, setup)."""
    from cnnlab.train.setup_link import encode_setup

    return encode_setup(best_config(row, store))


def sweep_summary(study: studies.Study, store: st.RunStore | None = None) -> dict[str, Any]:
    """The sweep with its state, rows and best run, JSON-ready (what `study --kind sweep --json` prints)."""
    store = open_store(store)
    runs = [store.get_run(entry.run_id) for entry in study.runs]
    rows = sweep_rows(study, store, runs)
    top = best(rows)
    return {**study.to_dict(), "state": studies.study_state(runs, study.status), "rows": rows,
            "best": None if top is None else top["run_id"]}  # fmt: skip

"""Studies of many runs: the architecture arena, started, stopped and resumed as a whole, and its results.

An arena trains 2-6 architectures on the same data, split, seed, augmentation and recipe (the default recipe, with
the study's dataset and epochs), one run each, queued like any run: as many train at once as `max_running` allows.
Its result is one row per entry — parameters, MACs, training time, latency per image (batch 1, warm, measured by
the worker), test accuracy and drawn-digit accuracy — and the Pareto front of accuracy against latency or MACs.
"""

from __future__ import annotations

from typing import Any

from cnnlab.arch.analysis import analyze
from cnnlab.arch.spec import ArchSpec
from cnnlab.errors import CnnLabError
from cnnlab.runs import jobs, studies
from cnnlab.runs import store as st
from cnnlab.runs.store import open_store
from cnnlab.train.config import ConfigError, TrainConfig, prepare
from cnnlab.train.launch import start_run

MIN_ENTRIES, MAX_ENTRIES = 2, 6


def arena_configs(
    archs: list[Any], *, dataset: str, epochs: int, seed: int = 0, overrides: dict[str, Any] | None = None
) -> list[tuple[str, dict]]:
    """(label, run config) per architecture: everything but the architecture shared (the default recipe with the
    study's dataset, epochs, seed and `overrides`, e.g. max_train_samples). ConfigError lists every problem."""
    if not MIN_ENTRIES <= len(archs) <= MAX_ENTRIES:
        raise ConfigError(CnnLabError("engine.study.entries", count=len(archs), low=MIN_ENTRIES, high=MAX_ENTRIES))
    labels = [a if isinstance(a, str) else str((a or {}).get("name") or "spec") for a in archs]
    if len(set(labels)) != len(labels):
        raise ConfigError(CnnLabError("engine.study.duplicate", names=", ".join(labels)))
    base = {**TrainConfig(dataset=dataset, epochs=int(epochs), seed=int(seed)).to_dict(), **(overrides or {})}
    out, problems = [], []
    for label, arch in zip(labels, archs, strict=True):
        config = {**base, "arch": arch}
        try:
            prepare(config)  # every entry checked before any run is queued
        except ConfigError as exc:
            problems += [CnnLabError("engine.study.entry_problem", entry=label, reason=p) for p in exc.problems]
        out.append((label, config))
    if problems:
        raise ConfigError(problems)
    return out


SECONDS_CAP_EPOCHS = 100  # a budget in seconds: the epochs no entry goes beyond (the schedule spans them)


def start_arena(
    archs: list[Any], *, dataset: str, epochs: int, name: str | None = None, seed: int = 0,
    overrides: dict[str, Any] | None = None, store: st.RunStore | None = None, seconds: float | None = None,
) -> str:  # fmt: skip
    """Create an arena study and queue one run per architecture; returns the study id. `seconds`: the budget is
    training time instead of epochs (each entry ends after the epoch that reaches it; `epochs` is then a cap)."""
    store = open_store(store)
    if seconds:
        overrides = {**(overrides or {}), "time_budget_s": float(seconds)}
    entries = arena_configs(archs, dataset=dataset, epochs=epochs, seed=seed, overrides=overrides)
    title = (name or "").strip()[:80] or f"arena: {' vs '.join(label for label, _ in entries)}"
    settings = {"archs": [label for label, _ in entries], "dataset": dataset, "epochs": int(epochs), "seed": seed,
                **(overrides or {})}  # fmt: skip
    study_id = studies.create_study(store, name=title, kind="arena", settings=settings)
    for label, config in entries:
        run_id = start_run(config, name=f"{title} · {label}", store=store)
        studies.add_run(store, study_id, run_id, label)
    return study_id


def _act_on_runs(study: studies.Study, statuses: tuple[str, ...], act, store: st.RunStore) -> None:
    """`act(run_id)` for each of the study's runs in one of `statuses`; one that changed meanwhile is skipped."""
    for entry in study.runs:
        if store.get_run(entry.run_id).status in statuses:
            try:
                act(entry.run_id)
            except jobs.JobError:
                pass  # it ended, or was resumed, meanwhile (another tab)


def stop_study(ref: str, store: st.RunStore | None = None) -> studies.Study:
    """Stop every queued or running run of the study; its interrupted runs are then left alone."""
    store = open_store(store)
    study = studies.get_study(store, ref)
    studies.set_status(store, study.id, studies.STOPPED)
    _act_on_runs(study, st.ACTIVE, lambda run_id: jobs.stop_run(run_id, store=store), store)
    return studies.get_study(store, study.id)


def resume_study(ref: str, store: st.RunStore | None = None) -> studies.Study:
    """Queue again every stopped or interrupted run of the study (each continues from its last epoch)."""
    store = open_store(store)
    study = studies.get_study(store, ref)
    studies.set_status(store, study.id, studies.ACTIVE)
    _act_on_runs(study, st.RESUMABLE, lambda run_id: jobs.resume_run(run_id, store=store), store)
    return studies.get_study(store, study.id)


def _size(arch: dict[str, Any]) -> tuple[int | None, int | None]:
    try:
        totals = analyze(ArchSpec.from_dict(arch)).totals
    except (CnnLabError, KeyError, TypeError, ValueError):
        return None, None
    return totals.get("params"), totals.get("macs")


def study_rows(
    study: studies.Study, store: st.RunStore | None = None, runs: list | None = None
) -> list[dict[str, Any]]:
    """One row per entry: what it is, how far it got, and what it measured (None where not yet known)."""
    store = open_store(store)
    runs = runs if runs is not None else [store.get_run(entry.run_id) for entry in study.runs]
    rows = []
    for entry, run in zip(study.runs, runs, strict=True):
        params, macs = _size(run.arch)
        fm = run.final_metrics or {}
        rows.append({
            "label": entry.label, "run_id": run.id, "status": run.status, "epochs_done": run.epochs_done,
            "epochs": run.epochs, "params": params, "macs": macs, "train_seconds": run.train_seconds or None,
            "latency_ms": fm.get("latency_ms"), "test_accuracy": fm.get("test_accuracy"),
            "drawn_accuracy": fm.get("drawn_accuracy"),
        })  # fmt: skip
    return rows


def study_summary(study: studies.Study, store: st.RunStore | None = None) -> dict[str, Any]:
    """The study with its state and rows, JSON-ready (what `python -m cnnlab study --json` prints)."""
    store = open_store(store)
    if study.kind == "curve":  # a learning curve: its rows and curve (cnnlab.train.curves)
        from cnnlab.train.curves import curve_summary

        return curve_summary(study, store)
    runs = [store.get_run(entry.run_id) for entry in study.runs]  # read once, for the rows and the state
    rows = study_rows(study, store, runs)
    return {**study.to_dict(), "state": studies.study_state(runs, study.status), "rows": rows}


def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """For (cost, accuracy) points: True where no other point is at most as costly and at least as accurate,
    and strictly better in one of the two."""
    front = []
    for i, (cost, acc) in enumerate(points):
        dominated = any(
            c <= cost and a >= acc and (c < cost or a > acc) for j, (c, a) in enumerate(points) if j != i
        )
        front.append(not dominated)
    return front

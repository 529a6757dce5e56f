"""The data budget and augmentation lab: a learning-curve study, started, stopped and resumed as a whole.

A learning curve trains the same recipe on growing subsets of one training split — n = 250, 500, 1,000, 2,000 images
and the whole split by default — with augmentation off, on, or both, for one or two architectures and 1-3 seeds, one
run per point, queued like any run. Every run shares the dataset, its split (per seed), the epochs and the recipe
(the default recipe with the study's dataset and epochs); only the number of training images (`max_train_samples`:
the first n images of the seeded, shuffled training split, so a smaller subset is part of every larger one), the
augmentation, the architecture and the seed differ. Its result is one row per run and, per (architecture,
augmentation), the mean, lowest and highest test accuracy over the seeds at each n.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnnlab.errors import CnnLabError
from cnnlab.runs import store as st
from cnnlab.runs import studies
from cnnlab.runs.store import open_store
from cnnlab.train.config import ConfigError, TrainConfig, prepare, training_images
from cnnlab.train.launch import start_run

KIND = "curve"
FULL = "full"  # the size that means the whole training split
SIZES: tuple[int | str, ...] = (250, 500, 1000, 2000, FULL)
AUGMENT = ("off", "on", "both")
MAX_ARCHS, MAX_SEEDS = 2, 3
MIN_SIZE = 10  # fewer images than this teach nothing worth a point


@dataclass(frozen=True)
class Point:
    """One run of a learning curve: its architecture, training images (None: the whole split), augmentation, seed."""

    arch: str
    n: int | None
    augmentation: bool
    seed: int

    def label(self, two_archs: bool, full_n: int) -> str:
        size = f"n=all ({full_n:,})" if self.n is None else f"n={self.n:,}"
        parts = [self.arch] if two_archs else []
        return " · ".join([*parts, size, "aug" if self.augmentation else "no aug", f"seed {self.seed}"])


def full_size(dataset: str, overrides: dict[str, Any] | None = None) -> int:
    """How many images the whole training split of `dataset` holds (0 when the dataset is unknown or unavailable)."""
    from cnnlab.data import datasets as data

    try:
        info = data.dataset_info(dataset)
    except KeyError:
        return 0
    if not info.available:
        return 0
    base = {**TrainConfig(dataset=dataset).to_dict(), **(overrides or {}), "max_train_samples": None}
    try:
        return training_images(TrainConfig.from_dict(base), info)
    except ConfigError:
        return 0


def _sizes(sizes: Any, full_n: int, problems: list[CnnLabError]) -> list[int | None]:
    """The requested sizes, smallest first, the whole split as None; a size at or above the split is refused."""
    out: list[int | None] = []
    before = len(problems)
    for size in sizes if isinstance(sizes, (list, tuple)) else [sizes]:
        if size in (FULL, None):
            out.append(None)
        elif isinstance(size, bool) or not isinstance(size, int) or size < MIN_SIZE:
            problems.append(CnnLabError("engine.study.curve_size", value=repr(size)[:20], low=MIN_SIZE))
        elif full_n and size >= full_n:
            problems.append(CnnLabError("engine.study.curve_size_too_big", n=size, full=full_n))
        else:
            out.append(int(size))
    if not out and len(problems) == before:
        problems.append(CnnLabError("engine.study.curve_no_sizes"))
    if len(set(out)) != len(out):
        problems.append(CnnLabError("engine.study.curve_duplicate_sizes"))
    return sorted(set(out), key=lambda n: float("inf") if n is None else n)


def _seeds(seeds: Any, problems: list[CnnLabError]) -> list[int]:
    """`seeds`: how many (1-3: seeds 0, 1, 2) or the seeds themselves."""
    given = seeds
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = list(range(max(0, seeds)))
    ok = isinstance(seeds, (list, tuple)) and all(
        isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in seeds
    )
    if not ok or not 1 <= len(seeds) <= MAX_SEEDS or len(set(seeds)) != len(seeds):
        problems.append(CnnLabError("engine.study.curve_seeds", high=MAX_SEEDS, value=repr(given)[:40]))
        return [0]
    return list(seeds)


def _augment(augment: Any, problems: list[CnnLabError]) -> None:
    if augment not in AUGMENT:
        problems.append(CnnLabError("engine.study.curve_augment", choices=", ".join(AUGMENT), value=repr(augment)[:20]))


def _archs(archs: Any, problems: list[CnnLabError]) -> list[str]:
    names = [a.strip() for a in archs if isinstance(a, str) and a.strip()] if isinstance(archs, (list, tuple)) else []
    if not 1 <= len(names) <= MAX_ARCHS or len(names) != len(archs):
        problems.append(CnnLabError("engine.study.curve_archs", high=MAX_ARCHS, count=len(names)))
    elif len(set(names)) != len(names):
        problems.append(CnnLabError("engine.study.duplicate", names=", ".join(names)))
    return names or ["lenet5"]


def plan(settings: dict[str, Any]) -> list[Point]:
    """The runs of a curve study's settings, in the order they are queued: seed by seed (the first seed's whole
    curve comes first), smallest n first, then architecture and augmentation."""
    return [
        Point(arch, None if n == FULL else n, aug, seed)
        for seed in settings["seeds"]
        for n in settings["sizes"]
        for arch in settings["archs"]
        for aug in {"off": [False], "on": [True], "both": [False, True]}[settings["augment"]]
    ]


def curve_configs(
    archs: list[str], *, dataset: str, epochs: int, sizes: Any = SIZES, augment: str = "both", seeds: Any = 1,
    overrides: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, Point, dict]]]:  # fmt: skip
    """The study's settings and (label, point, run config) per run, everything but n, augmentation, architecture and
    seed shared. Every run is checked before any is queued: ConfigError lists every problem."""
    problems: list[CnnLabError] = []
    names = _archs(archs, problems)
    full_n = full_size(dataset, overrides)
    chosen = _sizes(sizes, full_n, problems)
    seed_list = _seeds(seeds, problems)
    _augment(augment, problems)
    base = {**TrainConfig(dataset=dataset).to_dict(), "epochs": epochs, **(overrides or {})}
    shared = _problems({**base, "arch": None})  # the dataset, epochs and recipe: said once, not per run
    problems += shared
    if problems:
        raise ConfigError(problems)
    on = base["augmentation"] or TrainConfig().augmentation
    settings = {"archs": names, "dataset": dataset, "epochs": epochs, "augment": augment, "seeds": seed_list,
                "sizes": [FULL if n is None else n for n in chosen], "full_n": full_n, **(overrides or {})}  # fmt: skip
    out, checked, said = [], set(), {str(p) for p in shared}
    for point in plan(settings):
        config = {**base, "arch": point.arch, "seed": point.seed, "max_train_samples": point.n,
                  "augmentation": dict(on) if point.augmentation else {}}  # fmt: skip
        if point.arch not in checked:  # the recipe's augmentation passed above; n and seed change only counts
            checked.add(point.arch)
            problems += [CnnLabError("engine.study.entry_problem", entry=point.arch, reason=p)
                         for p in _problems(config) if str(p) not in said]  # fmt: skip
        out.append((point.label(len(names) > 1, full_n), point, config))
    if problems:
        raise ConfigError(problems)
    return settings, out


def _problems(config: dict[str, Any]) -> list[CnnLabError]:
    try:
        prepare(config)
    except ConfigError as exc:
        return list(exc.problems)
    return []


def start_curve(
    archs: list[str], *, dataset: str, epochs: int, sizes: Any = SIZES, augment: str = "both", seeds: Any = 1,
    name: str | None = None, overrides: dict[str, Any] | None = None, store: st.RunStore | None = None,
) -> str:  # fmt: skip
    """Create a learning-curve study and queue one run per point; returns the study id."""
    store = open_store(store)
    settings, entries = curve_configs(archs, dataset=dataset, epochs=epochs, sizes=sizes, augment=augment,
                                      seeds=seeds, overrides=overrides)  # fmt: skip
    title = (name or "").strip()[:80] or f"learning curve: {' vs '.join(settings['archs'])} on {dataset}"
    study_id = studies.create_study(store, name=title, kind=KIND, settings=settings)
    for label, _, config in entries:
        run_id = start_run(config, name=f"{title} · {label}", store=store)
        studies.add_run(store, study_id, run_id, label)
    return study_id


# ---------------------------------------------------------------- results


def curve_rows(study: studies.Study, runs: list) -> list[dict[str, Any]]:
    """One row per run: its point (n, augmentation, architecture, seed), how far it got, and its test accuracy."""
    settings = study.settings
    full_n = int(settings.get("full_n") or 0)
    try:
        points = {p.label(len(settings["archs"]) > 1, full_n): p for p in plan(settings)}
    except (KeyError, TypeError, ValueError):  # settings this version cannot read: the rows say only what ran
        points = {}
    rows = []
    for entry, run in zip(study.runs, runs, strict=True):
        point = points.get(entry.label)
        fm = run.final_metrics or {}
        rows.append({
            "label": entry.label, "run_id": run.id, "arch": point.arch if point else None,
            "n": (full_n if point.n is None else point.n) if point else None,
            "full": bool(point and point.n is None), "augmentation": point.augmentation if point else None,
            "seed": point.seed if point else run.seed, "status": run.status, "epochs_done": run.epochs_done,
            "epochs": run.epochs, "train_seconds": run.train_seconds or None, "test_accuracy": fm.get("test_accuracy"),
        })  # fmt: skip
    return rows


def curve_points(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (architecture, augmentation), in the rows' order: at each n, the mean, lowest and highest test accuracy
    over the seeds that have finished there (`seeds`: how many), smallest n first; an n none has reached is left
    out."""
    lines: dict[tuple[str, bool], dict[int, list[float]]] = {}
    for r in rows:
        if r["arch"] is None:
            continue
        at = lines.setdefault((r["arch"], r["augmentation"]), {})
        if r["status"] == st.FINISHED and r["test_accuracy"] is not None:
            at.setdefault(r["n"], []).append(float(r["test_accuracy"]))
    return [
        {"arch": arch, "augmentation": aug, "points": [
            {"n": n, "mean": sum(accs) / len(accs), "min": min(accs), "max": max(accs), "seeds": len(accs)}
            for n, accs in sorted(at.items())
        ]}
        for (arch, aug), at in lines.items()
    ]  # fmt: skip


def curve_summary(study: studies.Study, store: st.RunStore | None = None) -> dict[str, Any]:
    """The study with its state, rows and curve, JSON-ready (what `python -m cnnlab study --json` prints)."""
    store = open_store(store)
    runs = [store.get_run(entry.run_id) for entry in study.runs]
    rows = curve_rows(study, runs)
    return {**study.to_dict(), "state": studies.study_state(runs, study.status), "rows": rows,
            "curve": curve_points(rows)}  # fmt: skip

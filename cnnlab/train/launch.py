"""Starting a training run: validate its config, queue it in the store, and let the job runner start it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnlab.errors import CnnLabError
from cnnlab.runs import store as st
from cnnlab.runs.jobs import reconcile
from cnnlab.runs.store import open_store
from cnnlab.train.config import ConfigError, TrainConfig, prepare


def default_name(cfg: TrainConfig) -> str:
    """"LeNet-5 on mnist-sample": the architecture by its display name (the catalogue's), as the pages show it."""
    from cnnlab.i18n import CATALOGUE, t

    arch = cfg.arch.get("name", "model") if isinstance(cfg.arch, dict) else str(cfg.arch or "lenet5")
    display = t(f"arch.name.{arch}") if f"arch.name.{arch}" in CATALOGUE else arch
    return t("arch.default_run_name", arch=display, dataset=cfg.dataset)


def start_run(
    config: TrainConfig | dict[str, Any],
    *,
    name: str | None = None,
    store: st.RunStore | None = None,
) -> str:
    """Validate `config` (ConfigError before any process starts), queue the run, start it if a slot is free."""
    store = open_store(store)
    cfg = TrainConfig.from_dict(config) if isinstance(config, dict) else TrainConfig.from_dict(config.to_dict())
    parent = None
    if cfg.init_model_path:
        cfg.init_model_path = str(Path(cfg.init_model_path).expanduser().resolve())
        owner = _run_owning(store, cfg.init_model_path)
        if owner is not None:
            parent = owner.id
            if cfg.arch is None:
                cfg.arch = owner.arch
        elif cfg.arch is None:
            raise ConfigError(CnnLabError("engine.train.start_arch"))
    if cfg.extra_data:
        cfg.extra_data = str(Path(cfg.extra_data).expanduser().resolve())
    cfg = prepare(cfg)
    arch = cfg.arch if isinstance(cfg.arch, dict) else {}
    run_id = store.create_run(
        name=(name or "").strip() or default_name(cfg),
        arch=arch,
        dataset=cfg.dataset,
        config=cfg.to_dict(),
        seed=cfg.seed,
        epochs=cfg.epochs,
        parent=parent,
    )
    reconcile(store)
    return run_id


def _run_owning(store: st.RunStore, path: str) -> st.Run | None:
    target = Path(path).resolve()
    for run in store.list_runs():
        for art in store.artifacts(run.id):
            if art.kind in ("best_model", "last_model") and art.path.resolve() == target:
                return run
    return None

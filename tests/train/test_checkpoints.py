"""A new best model is staged next to the committed one and promoted only after the store records its epoch,
so a crash between the file and the transaction never leaves weights whose metrics were never recorded."""

from __future__ import annotations

import shutil

from cnnlab.runs.store import RunStore
from cnnlab.train.checkpoints import staged_best_path
from cnnlab.train.trainer import Trainer


def _setup(tiny_run):
    store = RunStore()
    best = store.artifact(tiny_run.run_id, "best_model")
    last = store.artifact(tiny_run.run_id, "last_model")
    assert best is not None and best.path.name == "best.keras" and best.epoch is not None
    return store, best, last


def test_a_best_model_staged_for_an_uncommitted_epoch_is_dropped(tiny_run) -> None:
    store, best, last = _setup(tiny_run)
    committed = best.path.read_bytes()
    staged = staged_best_path(best.path, best.epoch + 1)  # killed before that epoch's transaction
    shutil.copyfile(last.path, staged)
    Trainer(tiny_run.run_id, store)._cleanup_checkpoints()  # what a resumed worker does first
    assert not staged.exists()
    assert best.path.read_bytes() == committed


def test_a_best_model_staged_for_the_committed_epoch_is_promoted(tiny_run) -> None:
    store, best, last = _setup(tiny_run)
    recorded = best.path.read_bytes()
    staged = staged_best_path(best.path, best.epoch)  # killed after the transaction, before the rename
    best.path.rename(staged)
    shutil.copyfile(last.path, best.path)  # the file still holds an older best
    Trainer(tiny_run.run_id, store)._cleanup_checkpoints()
    assert not staged.exists()
    assert best.path.read_bytes() == recorded


def test_finished_runs_leave_no_staged_files(tiny_run) -> None:
    _, best, _ = _setup(tiny_run)
    assert list(best.path.parent.glob("best.next-e*")) == []
    assert best.size == best.path.stat().st_size  # the recorded size is the promoted file's

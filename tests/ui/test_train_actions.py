"""The Train page's live view through AppTest: the actions each run state allows (Stop, Resume, Restart), done on
real runs in a real store, and the progress line's words.

A run "running" without a worker is a store row with a fresh heartbeat and no pid (the job runner counts it alive
for two minutes); while one trains, the single training slot is taken, so a resumed or restarted run stays queued
and no worker starts in these tests.
"""

from __future__ import annotations

import re
import time

import pytest

from cnnlab.errors import CnnLabError
from cnnlab.runs import store as rs
from cnnlab.runs.store import RunStore
from cnnlab.ui import live
from conftest import TINY_RUN, TINY_RUN_NAME, open_app

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u23e9-\u23fa]")  # pictographs, dingbats
PROGRESS = {"phase": "train", "epoch": 2, "epochs": 3, "step": 5, "steps_per_epoch": 10}


def busy_row(store: RunStore, name: str = "busy", progress: dict | None = None) -> str:
    """A run in the running state without a worker (it holds the training slot)."""
    run_id = store.create_run(name=name, arch={"name": "lenet5"}, dataset="mnist-sample", config={}, epochs=3)
    now = time.time()
    store.update_run(run_id, status=rs.RUNNING, heartbeat=now, started=now, progress=progress or PROGRESS)
    return run_id


def ended(store: RunStore, run_id: str, status: str, reason: str, epochs_done: int = 1) -> None:
    store.update_run(run_id, status=status, reason=CnnLabError(reason), epochs_done=epochs_done, finished=time.time())


def buttons(at) -> set[str]:
    return {b.label for b in at.button}


def texts(at) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.info, *at.warning, *at.error, *at.caption])


def test_a_running_run_offers_stop_and_says_stopping_until_it_stopped():
    with RunStore() as store:
        run_id = busy_row(store)
    at = open_app("pages/train.py", run_id=run_id)
    assert {"Stop"} <= buttons(at) and not {"Resume", "Restart"} & buttons(at)
    assert at.get("progress")[0].proto.text == "Epoch 2/3 · step 5/10"  # no rate or time left while unknown

    next(b for b in at.button if b.label == "Stop").click().run()
    assert not at.exception
    with RunStore() as store:
        assert store.get_run(run_id).stop_requested  # asked; the worker stops at its next batch
    assert any("Stopping… (finishing the current batch)" in i.value for i in at.info)
    assert "Stop" not in buttons(at) and not at.toast  # an inline notice, no toast that outlives the event

    with RunStore() as store:  # the worker stopped
        store.update_run(run_id, status=rs.STOPPED, reason=CnnLabError("engine.run.stopped"), finished=time.time())
    at.run()
    assert not any("Stopping" in i.value for i in at.info)
    assert {"Resume", "Restart"} <= buttons(at) and "Stop" not in buttons(at)


def test_a_stopped_run_resumes_from_the_train_page(tiny_run):
    with RunStore() as store:
        ended(store, tiny_run.run_id, rs.STOPPED, "engine.run.stopped")
        busy_row(store)  # holds the slot: the resumed run waits in the queue
    at = open_app("pages/train.py", run_id=tiny_run.run_id)
    assert ":orange-badge[:material/stop_circle: Stopped]" in texts(at)
    assert "Stopped after epoch 1 of 2" in texts(at) and "continues with epoch 2" in texts(at)
    assert {"Resume", "Restart"} <= buttons(at) and "Stop" not in buttons(at)

    next(b for b in at.button if b.label == "Resume").click().run()
    assert not at.exception
    with RunStore() as store:
        run = store.get_run(tiny_run.run_id)
    assert run.status == rs.QUEUED and run.epochs_done == 1  # it continues from its last completed epoch
    assert "Queued" in texts(at) and "Stopped after" not in texts(at)  # the page shows it at once
    assert "Stop" in buttons(at) and not {"Resume", "Restart"} & buttons(at)


def test_an_interrupted_run_says_why_and_offers_resume_and_restart(tiny_run):
    with RunStore() as store:
        ended(store, tiny_run.run_id, rs.INTERRUPTED, "engine.run.never_started")
    at = open_app("pages/train.py", run_id=tiny_run.run_id)
    warning = at.warning[0].value
    assert "interrupted (the worker process never started)" in warning and "continues with epoch 2" in warning
    assert "Runs page" not in warning  # the buttons are right here
    assert {"Resume", "Restart"} <= buttons(at) and "Stop" not in buttons(at)


@pytest.mark.parametrize("lang, suffix", [("en", " (again)"), ("zh", "（重新训练）")])
def test_a_failed_run_restarts_as_a_new_run_with_the_same_settings(tiny_run, lang, suffix):
    with RunStore() as store:
        ended(store, tiny_run.run_id, rs.FAILED, "engine.run.worker_oom", epochs_done=0)
        busy_row(store)
        before = store.get_run(tiny_run.run_id)
    at = open_app("pages/train.py", lang=lang, run_id=tiny_run.run_id)
    restart = "Restart" if lang == "en" else "重新训练"
    assert restart in buttons(at) and not ({"Resume", "继续", "Stop", "停止"} & buttons(at))

    next(b for b in at.button if b.label == restart).click().run()
    assert not at.exception
    with RunStore() as store:
        again = next(r for r in store.list_runs() if r.name == TINY_RUN_NAME + suffix)
        assert store.get_run(tiny_run.run_id).status == rs.FAILED  # the failed run stays as it was
    assert again.status == rs.QUEUED and again.config == before.config
    assert {k: again.config[k] for k in TINY_RUN if k != "arch"} == {k: v for k, v in TINY_RUN.items() if k != "arch"}
    assert at.query_params["run"] == again.id and at.session_state["run_id"] == again.id  # in view at once
    assert any(again.id in m.value for m in at.markdown)


def test_a_finished_run_offers_no_action_and_its_status_is_no_emoji(tiny_run):
    at = open_app("pages/train.py", run_id=tiny_run.run_id)
    assert not {"Stop", "Resume", "Restart"} & buttons(at)
    assert ":green-badge[:material/check_circle: Finished]" in texts(at)
    assert not EMOJI.search(texts(at))


def test_stopping_a_queued_run_stops_it_at_once(tiny_run):
    with RunStore() as store:
        busy_row(store)
        queued = store.create_run(name="waiting", arch={"name": "lenet5"}, dataset="mnist-sample", config={}, epochs=2)
    at = open_app("pages/train.py", run_id=queued)
    assert "Queued" in texts(at) and "Stop" in buttons(at)
    next(b for b in at.button if b.label == "Stop").click().run()
    with RunStore() as store:
        assert store.get_run(queued).status == rs.STOPPED
    assert "Resume" in buttons(at) and "Stopping" not in texts(at)


def test_demo_mode_keeps_resume_for_the_presenter(tiny_run, monkeypatch):
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    with RunStore() as store:
        ended(store, tiny_run.run_id, rs.STOPPED, "engine.run.stopped")
    at = open_app("pages/train.py", run_id=tiny_run.run_id)
    next(b for b in at.button if b.label == "Resume").click().run()
    assert any("only the presenter" in i.value for i in at.info)
    with RunStore() as store:
        assert store.get_run(tiny_run.run_id).status == rs.STOPPED


def run_with(progress: dict, status: str = rs.RUNNING) -> rs.Run:
    return rs.Run(id="r", name="r", created=0, status=status, arch={}, dataset="d", config={}, epochs=3,
                  progress=progress)  # fmt: skip


def t(key: str, **values) -> str:
    from cnnlab.i18n import translator

    return translator("en")(key, **values)


def test_the_progress_line_says_only_what_is_known():
    assert live.progress_text(run_with({}), t)[1] == "starting the training process…"  # not "step 0/1 · 0 images/s"
    assert live.progress_text(run_with({"phase": "loading"}), t)[1] == "loading data and building the model…"
    fraction, text = live.progress_text(run_with({**PROGRESS, "samples_per_s": 1234.5, "eta_s": 65}), t)
    assert text == "Epoch 2/3 · step 5/10 · 1,234 images/s · about 1 min 5 s left" and fraction == pytest.approx(0.5)
    assert live.progress_text(run_with({**PROGRESS, "samples_per_s": 0, "eta_s": None}), t)[1] == (
        "Epoch 2/3 · step 5/10"
    )
    assert live.progress_text(run_with({**PROGRESS, "samples_per_s": 900.0}), t)[1].endswith("900 images/s")
    assert live.progress_text(run_with({**PROGRESS, "phase": "validating"}), t)[1] == (
        "Epoch 2/3 · checking on the validation images…"
    )


def chart_paths(at) -> list[tuple[int, ...]]:
    """Where the page's Plotly charts sit in its element tree."""

    def walk(node, path):
        for i, child in getattr(node, "children", {}).items():
            if child.type == "plotly_chart":
                yield (*path, i)
            yield from walk(child, (*path, i))

    return list(walk(at.main, ()))


def test_the_charts_keep_their_place_whatever_the_run_does(tiny_run):
    """A fragment rerun that draws the charts elsewhere than the run before leaves the old ones on screen until the
    next full run ends: that showed four charts instead of two when a run finished."""
    with RunStore() as store:
        busy = busy_row(store)
    at = open_app("pages/train.py", run_id=busy)
    places = {"running": chart_paths(at)}
    assert len(places["running"]) == 2
    next(b for b in at.button if b.label == "Stop").click().run()
    places["stopping"] = chart_paths(at)
    for status, reason in ((rs.STOPPED, "engine.run.stopped"), (rs.FAILED, "engine.run.worker_oom")):
        with RunStore() as store:
            store.update_run(busy, status=status, reason=CnnLabError(reason))
        at.run()
        places[status] = chart_paths(at)
    places["finished"] = chart_paths(open_app("pages/train.py", run_id=tiny_run.run_id))
    assert all(paths == places["running"] for paths in places.values()), places


def test_the_epoch_that_just_ended_is_drawn_before_its_checkpoint_commit_lands():
    """The worker writes `epoch_values` the moment an epoch ends; the store's epoch rows come with its checkpoint."""
    import json

    values = {"epoch": 1, "loss": 0.9, "accuracy": 0.7, "val_loss": 0.8, "val_accuracy": 0.75}
    with RunStore() as store:
        run_id = busy_row(store, progress={**PROGRESS, "epoch": 2, "epoch_values": values})
    at = open_app("pages/train.py", run_id=run_id)
    epochs = json.loads(at.get("plotly_chart")[1].proto.spec)
    drawn = [trace for trace in epochs["data"] if trace.get("x")]
    assert len(drawn) == 4 and all(trace["x"] == [1] for trace in drawn)  # loss and accuracy, training and validation

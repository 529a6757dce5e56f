"""The Ray job runner on a real multi-node Ray cluster on loopback: a head node where the app's store lives (no
CPUs for tasks, like an app machine without a GPU) and two worker nodes with one CPU each, whose CNN Lab data
home is another folder, so the runs can only reach the store through the keeper actor. One cluster for the module.

Without Ray installed these tests skip, saying what to install; the sentence the app says then is tested always.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app
from cnnlab import cli
from cnnlab.arch.presets import preset
from cnnlab.errors import CnnLabError
from cnnlab.runs import jobs, runners, studies
from cnnlab.runs.store import FINISHED, INTERRUPTED, STOPPED, RunStore
from cnnlab.train.studies import start_arena, study_summary
from conftest import ROOT, seed_sample

SHORT = {"max_train_samples": 256, "batch_size": 64}
pytestmark = pytest.mark.timeout(600)


def test_the_ray_runner_without_ray_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # (as if it were not installed)
    monkeypatch.setenv("CNNLAB_RUNNER", "local")  # select() writes the environment: restored after the test
    assert not runners.ray_available()
    with pytest.raises(CnnLabError) as caught:
        runners.select("ray")
    assert caught.value.key == "engine.runner.ray_missing"
    assert "pip install -r requirements-cluster.txt" in caught.value.message("en")
    assert "pip install -r requirements-cluster.txt" in caught.value.message("zh")
    monkeypatch.setenv("CNNLAB_RUNNER", "slurm")
    with pytest.raises(CnnLabError, match="choose local, ray"):
        runners.selected()


def test_a_ray_address_where_nothing_listens_fails_the_run_at_once_with_a_sentence(home_with_data) -> None:
    pytest.importorskip("ray", reason="Ray is not installed: pip install -r requirements-cluster.txt")
    import socket

    from browser import free_port
    from cnnlab.train.ray_runner import reachable

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert reachable(f"127.0.0.1:{listening.getsockname()[1]}")
    nobody = f"127.0.0.1:{free_port()}"
    assert not reachable(nobody) and not reachable(f"ray://{nobody}") and reachable("auto")
    # in a fresh process (this one may have joined a cluster already): queue a run, let reconcile hand it to Ray
    code = (
        "from cnnlab.runs.jobs import reconcile; from cnnlab.runs.store import RunStore;"
        "from cnnlab.train.launch import start_run; s = RunStore();"
        "run_id = start_run({'epochs': 1}, store=s); reconcile(s); r = s.get_run(run_id);"
        "print(r.status); print(r.reason)"
    )
    env = {**os.environ, "CNNLAB_RUNNER": "ray", "RAY_ADDRESS": nobody}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                         check=False)  # fmt: skip
    status, reason = out.stdout.strip().splitlines()[-2:]
    assert status == "failed" and f"nothing answers at {nobody}" in reason and "RAY_ADDRESS" in reason, out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, mnist_sample_cache):
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -r requirements-cluster.txt")
    from ray.cluster_utils import Cluster

    from cnnlab.train.ray_runner import NAMESPACE, job_runtime_env

    worker_home = tmp_path_factory.mktemp("worker-home")  # the worker nodes' CNNLAB_HOME: no store in it
    seed_sample(worker_home, mnist_sample_cache)
    small = {"object_store_memory": 80 * 2**20}
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False, **small})
    workers = [nodes.add_node(num_cpus=1, **small) for _ in range(2)]
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, namespace=NAMESPACE, runtime_env=job_runtime_env({"CNNLAB_HOME": str(worker_home)}))
    try:
        yield nodes, workers, worker_home
    finally:
        ray.shutdown()
        nodes.shutdown()


@pytest.fixture
def on_ray(cluster, cnnlab_home, mnist_sample_cache, monkeypatch):
    monkeypatch.setenv("CNNLAB_RUNNER", "ray")
    monkeypatch.setenv("CNNLAB_MAX_RUNNING", "2")  # (the keeper starts the next queued run when one ends)
    monkeypatch.setenv("CNNLAB_STALE_AFTER", "5")  # (a lost node's run is noticed within seconds)
    seed_sample(cnnlab_home, mnist_sample_cache)
    return cluster


def _complete_history(store: RunStore, run_id: str, epochs: int) -> None:
    """Every epoch's values once, no batch point twice: nothing was written twice by a retry or a resume."""
    rows = store.metrics(run_id)
    per_epoch = Counter((m.epoch, m.split, m.name) for m in rows if m.scope == "epoch")
    assert sorted({e for e, _, _ in per_epoch}) == list(range(1, epochs + 1))
    assert max(per_epoch.values()) == 1, [k for k, n in per_epoch.items() if n > 1]
    assert {("train", "loss"), ("val", "accuracy")} <= {(s, n) for _, s, n in per_epoch}
    batches = Counter((m.epoch, m.step, m.split, m.name) for m in rows if m.scope == "batch")
    assert batches and max(batches.values()) == 1
    assert len(store.epoch_table(run_id)) == epochs


@pytest.mark.slow
def test_a_study_runs_across_the_nodes_and_every_run_finishes_complete(on_ray, cnnlab_home) -> None:
    _, workers, worker_home = on_ray
    store = RunStore()
    classic = {**preset("lenet5", flavour="classic").to_dict(), "name": "lenet5 classic"}
    study_id = start_arena(["lenet5", classic, "mlp", "simple_cnn"], dataset="mnist-sample", epochs=2,
                           overrides=SHORT, store=store)  # fmt: skip
    deadline = time.monotonic() + 400
    while (summary := study_summary(studies.get_study(store, study_id), store))["state"] != "finished":
        jobs.reconcile(store)
        assert time.monotonic() < deadline, summary
        time.sleep(0.5)
    runs = [store.get_run(row["run_id"]) for row in summary["rows"]]
    hosts = {run.host for run in runs}
    node_ids = {w.node_id[:8] for w in workers}
    assert {host.rsplit("/", 1)[-1] for host in hosts} == node_ids, hosts  # spread over both worker nodes
    for run in runs:
        assert run.status == FINISHED, run.reason
        _complete_history(store, run.id, 2)
        assert 0 <= run.final_metrics["test_accuracy"] <= 1
        last, best = store.artifact(run.id, "last_model"), store.artifact(run.id, "best_model")
        assert last.path.is_file() and best.path.is_file()  # shipped into the app's run folder
        assert last.path.is_relative_to(cnnlab_home) and best.path.stat().st_size == best.size
    assert not (worker_home / "runs.sqlite").exists()  # the workers never had a store of their own


EPOCH_POINTS = (
    "(() => { const p = Array.from(document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot'))"
    ".filter(p => p.checkVisibility({visibilityProperty: true}))[1];"
    " return p && p.data && p.data.length ? p.data[0].x.length : 0 })()"
)


@pytest.mark.slow
@pytest.mark.browser
def test_stop_on_the_train_page_stops_a_ray_run_within_a_batch(on_ray, cnnlab_home) -> None:
    require_chromium()
    nodes, _, _ = on_ray
    env = {"CNNLAB_RUNNER": "ray", "RAY_ADDRESS": nodes.address, "CNNLAB_STALE_AFTER": "5"}
    with streamlit_server(cnnlab_home, extra_env=env) as url, browser_page(1280, 720) as page:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/train")
        wait_for_app(page)
        page.get_by_role("spinbutton", name="Epochs", exact=True).fill("12")
        page.get_by_role("spinbutton", name="Epochs", exact=True).press("Enter")
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_url(re.compile(r"run="))
        page.wait_for_function(f"{EPOCH_POINTS} >= 1", timeout=240_000)  # live charts fed through the keeper
        screenshot(page, "ray-training")
        page.get_by_role("button", name="Stop", exact=True).click()
        page.get_by_role("button", name="Resume", exact=True).wait_for(timeout=120_000)
        page.get_by_text(re.compile(r"Stopped after epoch \d+ of 12")).wait_for()
        screenshot(page, "ray-stopped")
    (run,) = RunStore().list_runs()
    assert run.status == STOPPED and run.host.startswith("ray:"), (run.status, run.host)
    assert run.final_metrics["stop_latency_steps"] <= 2  # batches between the request reaching the task and the stop


@pytest.mark.slow
def test_a_lost_node_leaves_its_run_interrupted_and_resume_finishes_it_elsewhere(on_ray, capsys) -> None:
    nodes, workers, _ = on_ray
    argv = ["train", "--runner", "ray", "--detach", "--json", "--arch", "lenet5", "--epochs", "25",
            "--max-train-samples", "512", "--batch-size", "64"]  # fmt: skip
    assert cli.main(argv) == 0
    run_id = json.loads(capsys.readouterr().out)["id"]
    store = RunStore()
    deadline = time.monotonic() + 300
    while (run := store.get_run(run_id)).epochs_done < 1:  # a committed epoch to resume from
        jobs.reconcile(store)
        assert run.status != FINISHED and time.monotonic() < deadline, run
        time.sleep(0.2)
    lost = next(w for w in workers if run.host.endswith(w.node_id[:8]))
    nodes.remove_node(lost)
    run = jobs.wait_for(run_id, timeout=120, store=store)
    assert run.status == INTERRUPTED, (run.status, run.reason)
    assert run.reason_key["$error"] == "engine.run.no_heartbeat"
    committed = run.epochs_done
    assert 1 <= committed < 25

    jobs.resume_run(run_id, store=store)
    run = jobs.wait_for(run_id, timeout=300, store=store)
    assert run.status == FINISHED, run.reason
    assert run.attempts == 2 and not run.host.endswith(lost.node_id[:8])  # on the node that is left
    _complete_history(store, run_id, 25)

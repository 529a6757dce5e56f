"""The model service: trained models live in one process of their own, and the pages ask it for predictions,
feature maps, Grad-CAM and every other look inside — so TensorFlow never loads into the web server.

Why a process. With Keras in the server, Streamlit clears Keras' session after every script run and collects
garbage with TensorFlow loaded; each costs a quarter of a second holding the GIL, empties TensorFlow's caches (the
next prediction takes ~45 ms instead of ~4 ms), and every visitor waits in line for one global model lock: with
thirty visitors drawing at once, a prediction took 25 s at the median. Here the server stays small and never
blocks on TensorFlow, the service keeps its caches, and predictions that arrive together run as ONE batch.

How. `python -m cnnlab.inspection.service` listens on a local socket (a random name, a random key passed on its
stdin: only its parent can talk to it) and exits when its parent is gone. The first `open_model()` of a process
starts it; a dead service is started again on the next call. A `ModelHandle` names a saved model by path (and the
file's modification time, so a new checkpoint is a new model); its methods are the inspection functions, run in
the service with the loaded model as their first argument. Requests go through two lanes: predictions (gathered
into batches per model) and everything else (one at a time, in order), so a slow embedding never holds up a
drawing's prediction. Errors come back as the engine's own keyed errors.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.errors import CnnLabError

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
MAX_MODELS = 4  # loaded models kept (least recently used goes first)
MAX_BATCH = 256  # images of waiting predictions run together
START_TIMEOUT_S = 120.0  # importing TensorFlow on a busy 2-core machine

# what a ModelHandle may ask for: name -> "module:function(model, ...)"
CALLS: dict[str, str] = {
    "layer_infos": "cnnlab.inspection.forward:layer_infos",
    "feature_maps": "cnnlab.inspection.features:feature_maps",
    "filters": "cnnlab.inspection.features:filters",
    "filter_snapshot": "cnnlab.inspection.features:filter_snapshot",
    "weight_histograms": "cnnlab.inspection.features:weight_histograms",
    "grad_cam": "cnnlab.inspection.attribution:grad_cam",
    "saliency": "cnnlab.inspection.attribution:saliency",
    "default_cam_layer": "cnnlab.inspection.attribution:default_cam_layer",
    "conv_step": "cnnlab.inspection.steps:conv_step",
    "pool_step": "cnnlab.inspection.steps:pool_step",
    "evaluate": "cnnlab.inspection.evaluation:evaluate",
    "embeddings": "cnnlab.inspection.embeddings:embeddings",
    "penultimate_layer": "cnnlab.inspection.embeddings:penultimate_layer",
    "what_it_saw": "cnnlab.inspection.attribution:what_it_saw",
    "maximise_activation": "cnnlab.inspection.maximise:maximise_activation",
    "top_activating": "cnnlab.inspection.maximise:top_activating",
    "robustness_sweep": "cnnlab.inspection.robustness:robustness_sweep",
    "occlusion_map": "cnnlab.inspection.perturb:occlusion_map",
    "transformed": "cnnlab.inspection.perturb:transformed",
    "receptive_field": "cnnlab.inspection.receptive:receptive_field",
    "effective_receptive_field": "cnnlab.inspection.receptive:effective_receptive_field",
    "neighbour_index": "cnnlab.inspection.neighbours:neighbour_index",
    "nearest": "cnnlab.inspection.neighbours:nearest",
    "attack": "cnnlab.inspection.adversarial:attack",
    "smallest_flip": "cnnlab.inspection.adversarial:smallest_flip",
}
PROGRESS = "__progress__"  # a `progress=` callback's place in a request: the service reports through the connection


class ServiceError(CnnLabError, RuntimeError):
    """The model service could not answer (it could not start, or it stopped while working)."""


@dataclass(frozen=True)
class ModelInfo:
    """What the pages need to know about a model without asking again: its input and its number of classes."""

    input_shape: tuple[int, int, int]
    classes: int


# ---------------------------------------------------------------- the client side (in the web server)


class ModelHandle:
    """A saved model in the service. `predict` batches with other visitors' requests; every name in CALLS is a
    method: `handle.feature_maps(x)` runs `cnnlab.inspection.features.feature_maps(model, x)` in the service."""

    def __init__(self, path: str | os.PathLike, service: ModelService | None = None) -> None:
        self.path = str(Path(path).resolve())
        self.mtime = Path(self.path).stat().st_mtime
        self._service = service or default_service()
        self._info: ModelInfo | None = None

    @property
    def info(self) -> ModelInfo:
        if self._info is None:
            self._info = self._service.request("info", self.path, self.mtime)
        return self._info

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.info.input_shape

    def predict(self, x: Any) -> np.ndarray:
        """Class probabilities (N, K) for one image or a batch (uint8 or float in [0, 1])."""
        return self._service.request("predict", self.path, self.mtime, np.asarray(x))

    def predict_one(self, image: Any) -> np.ndarray:
        """Probabilities (K,) for a single image."""
        return self.predict(np.asarray(image)[None] if np.ndim(image) >= 3 else np.asarray(image))[0]

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run inspection function `name` (a key of CALLS) on the model, in the service."""
        if name not in CALLS:
            raise ValueError(f"the model service has no call {name!r}")
        progress = kwargs.get("progress")
        if callable(progress):  # a callback cannot travel: the service sends (done, total) messages instead
            kwargs = {**kwargs, "progress": PROGRESS}
        return self._service.request("call", self.path, self.mtime, name, args, kwargs,
                                     on_progress=progress if callable(progress) else None)  # fmt: skip


def _method(name: str) -> Callable[..., Any]:
    def method(self: ModelHandle, *args: Any, **kwargs: Any) -> Any:
        return self.call(name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"`{CALLS[name].replace(':', '.')}` on this model, run in the model service."
    return method


for _name in CALLS:
    setattr(ModelHandle, _name, _method(_name))


class ModelService:
    """The service process of this (web server) process: started on first use, started again when it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._proc: subprocess.Popen | None = None
        self._address: str | None = None
        self._key = b""
        self._generation = 0

    def request(self, kind: str, *payload: Any, on_progress: Callable[..., Any] | None = None) -> Any:
        """Send one request and wait for its answer (`on_progress` gets the service's progress reports on the way).
        A broken connection is opened again; if that fails too, the service is started afresh (it died: killed,
        out of memory) and asked once more."""
        for attempt in range(3):
            try:
                conn, generation = self._connection()
                conn.send((kind, payload))
                status, value = conn.recv()
                while status == "progress":
                    if on_progress is not None:
                        on_progress(*value)
                    status, value = conn.recv()
            except (EOFError, OSError, ConnectionError):
                self._local.conn = None
                if attempt == 1:
                    self._restart(generation)
                continue
            if status == "error":
                raise value
            return value
        raise ServiceError("engine.service.stopped")

    def stats(self) -> dict[str, Any]:
        """How the service has worked so far (batches run, their sizes, models loaded): for the benchmark."""
        return self.request("stats")

    def stop(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            self._generation += 1
        if proc is not None and proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)

    def _connection(self) -> tuple[Connection, int]:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            generation = self._generation
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "generation", None) != generation:
            conn = Client(self._address, family="AF_UNIX", authkey=self._key)
            self._local.conn, self._local.generation = conn, generation
        return conn, generation

    def _restart(self, generation: int) -> None:
        """Give up on the service of `generation` (unless another thread already replaced it)."""
        with self._lock:
            if generation != self._generation:
                return
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def _start(self) -> None:
        folder = tempfile.mkdtemp(prefix="cnnlab-models-")  # private to this user (0700)
        self._address = os.path.join(folder, "socket")
        self._key = secrets.token_bytes(32)
        path = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
        env = {**os.environ, "PYTHONPATH": path}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "cnnlab.inspection.service", self._address, str(os.getpid())],
            stdin=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self._proc.stdin.write(self._key.hex().encode() + b"\n")
        self._proc.stdin.close()
        self._generation += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while not os.path.exists(self._address):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._proc = None
                raise ServiceError("engine.service.cannot_start")
            time.sleep(0.05)


_DEFAULT: dict[str, ModelService] = {}
_default_lock = threading.Lock()


def default_service() -> ModelService:
    """This process' model service (one per web server)."""
    with _default_lock:
        return _DEFAULT.setdefault("service", ModelService())


def open_model(path: str | os.PathLike) -> ModelHandle:
    """A handle on the saved model at `path` (a run's checkpoint, or a checked upload), served by the service."""
    return ModelHandle(path)


_warming: set[str] = set()


def warm_enabled() -> bool:
    """CNNLAB_WARM=0: no model is loaded before somebody asks (the tests, a CLI)."""
    return os.environ.get("CNNLAB_WARM", "1").strip().lower() not in ("0", "false", "no", "off")


def warm(model_path: Callable[[], str | os.PathLike | None]) -> None:
    """Start the service and load the model `model_path()` names, in the background, once per process: the web
    server calls it at start so the first visitor's drawing does not wait ~10 s for TensorFlow to import."""
    with _default_lock:
        if not warm_enabled() or "started" in _warming:
            return
        _warming.add("started")

    def load() -> None:
        try:
            path = model_path()
            if path is None:
                default_service().request("stats")  # started, nothing to load yet
                return
            handle = open_model(path)
            handle.predict(np.zeros(handle.input_shape, np.float32))  # loaded and its predictor compiled
        except (CnnLabError, OSError, ValueError):
            pass  # the first visitor's request will try again and say what is wrong

    threading.Thread(target=load, daemon=True, name="warm-models").start()


KEPT_UPLOADS = 8  # clean copies of uploaded model files kept for the service (the oldest go first)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0  # gone meanwhile (another visitor's upload pruned it)


def serve_model_file(payload: bytes, sha256: str) -> tuple[ModelHandle, Any]:
    """A user's model file: screened in a capped child (cnnlab.modelfiles.screen_model), its clean copy written to
    the data home's uploads folder and loaded by the service with safe_mode=True. Returns (handle, ModelCheck);
    a file Keras refuses is a ModelFileError here, not on first use."""
    from cnnlab import paths
    from cnnlab.modelfiles import screen_model

    clean, check = screen_model(payload)
    folder = paths.subdir("uploads")
    path = folder / f"{sha256[:32]}.{'keras' if check.format == 'keras' else 'h5'}"
    if path.exists():
        os.utime(path)  # in use again: the newest
    else:
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        tmp.write_bytes(clean)
        os.replace(tmp, path)
    kept = sorted([*folder.glob("*.keras"), *folder.glob("*.h5")], key=_mtime)
    for stale in kept[:-KEPT_UPLOADS]:
        stale.unlink(missing_ok=True)
    handle = open_model(path)
    _ = handle.info  # loaded now: Keras' refusal is the upload's error
    return handle, check


# ---------------------------------------------------------------- the service side (its own process)


class _Models:
    """Loaded models by (path, mtime), least recently used dropped first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: OrderedDict[tuple[str, float], Any] = OrderedDict()

    def get(self, path: str, mtime: float) -> Any:
        key = (path, mtime)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        from cnnlab.modelfiles import load_clean

        model = load_clean(path)  # run files and screened clean copies only; a refusal is a ModelFileError
        with self._lock:
            self._models[key] = model
            while len(self._models) > MAX_MODELS:
                self._models.popitem(last=False)
        return model


class _Server:
    def __init__(self) -> None:
        self.models = _Models()
        self.predictions: queue.Queue = queue.Queue()
        self.calls: queue.Queue = queue.Queue()
        self.batches: list[int] = []
        self.answered: dict[str, int] = {}  # inspection calls answered, by name

    def serve(self, listener: Listener) -> None:
        threading.Thread(target=self._predict_lane, daemon=True, name="predict-lane").start()
        threading.Thread(target=self._call_lane, daemon=True, name="call-lane").start()
        while True:
            conn = listener.accept()
            threading.Thread(target=self._reader, args=(conn,), daemon=True, name="reader").start()

    def _reader(self, conn: Connection) -> None:
        send_lock = threading.Lock()

        def reply(status: str, value: Any) -> None:
            with send_lock, contextlib.suppress(OSError):
                conn.send((status, value))

        while True:
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                return
            if kind == "predict":
                self.predictions.put((payload, reply))
            else:
                self.calls.put((kind, payload, reply))

    def _predict_lane(self) -> None:
        """Predictions that wait together run together: one batch per model, answers split back."""
        while True:
            waiting = [self.predictions.get()]
            while len(waiting) < MAX_BATCH:
                try:
                    waiting.append(self.predictions.get_nowait())
                except queue.Empty:
                    break
            groups: dict[tuple[str, float], list] = {}
            for (path, mtime, x), reply in waiting:
                groups.setdefault((path, mtime), []).append((x, reply))
            for (path, mtime), items in groups.items():
                self._predict_group(path, mtime, items)

    def _predict_group(self, path: str, mtime: float, items: list) -> None:
        from cnnlab.inspection.forward import as_batch, predictor

        try:
            model = self.models.get(path, mtime)
            batches = [as_batch(x, model) for x, _ in items]
            probs = predictor(model).predict(np.concatenate(batches))
        except Exception as exc:
            for _, reply in items:
                reply("error", _plain_error(exc))
            return
        self.batches.append(len(items))
        start = 0
        for batch, (_, reply) in zip(batches, items, strict=True):
            reply("ok", probs[start : start + len(batch)])
            start += len(batch)

    def _call_lane(self) -> None:
        while True:
            kind, payload, reply = self.calls.get()
            try:
                reply("ok", self._answer(kind, payload, reply))
            except Exception as exc:
                reply("error", _plain_error(exc))

    def _answer(self, kind: str, payload: tuple, reply: Callable[[str, Any], None]) -> Any:
        if kind == "stats":
            sizes = self.batches[-1000:]
            return {"batches": len(self.batches), "largest_batch": max(sizes, default=0), "pid": os.getpid(),
                    "calls": dict(self.answered)}  # fmt: skip
        path, mtime, *rest = payload
        model = self.models.get(path, mtime)
        if kind == "info":
            from cnnlab.inspection.forward import predictor

            shape = tuple(int(d) for d in predictor(model).input_shape)
            return ModelInfo(shape, int(model.outputs[0].shape[-1]))
        name, args, kwargs = rest
        self.answered[name] = self.answered.get(name, 0) + 1
        if kwargs.get("progress") == PROGRESS:
            kwargs = {**kwargs, "progress": lambda *done: reply("progress", done)}
        module, _, function = CALLS[name].partition(":")
        return getattr(importlib.import_module(module), function)(model, *args, **kwargs)


def _plain_error(exc: BaseException) -> CnnLabError:
    """An exception as something the web server can unpickle and show: engine errors as they are, others keyed."""
    if isinstance(exc, CnnLabError):
        return exc
    return ServiceError("engine.service.failed", name=type(exc).__name__, detail=str(exc)[:500])


def _watch_parent(parent: int) -> None:
    """Exit when the web server that started this service is gone (it cannot say goodbye if it was killed)."""
    while True:
        time.sleep(2.0)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str]) -> int:
    address, parent = argv[0], int(argv[1])
    key = bytes.fromhex(sys.stdin.readline().strip())
    import keras  # noqa: F401  (loaded before the socket exists: a client connects to a ready service)

    import cnnlab  # noqa: F401  (oneDNN and the backend, before TensorFlow loads)

    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    listener = Listener(address, family="AF_UNIX", authkey=key)
    _Server().serve(listener)
    return 0


if __name__ == "__main__":  # run the module under its own name, so what it sends unpickles in the web server
    sys.exit(importlib.import_module("cnnlab.inspection.service").main(sys.argv[1:]))

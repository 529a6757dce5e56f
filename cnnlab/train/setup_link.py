"""A training setup as URL query parameters, so one link opens Train pre-filled (as TensorFlow Playground does).

    encode_setup({"dataset": "mnist-sample", "arch": "lenet5", "epochs": 5, ...})
        -> {"dataset": "mnist-sample", "arch": "lenet5", "setup": "eNqr..."}
    decode_setup(query_params) -> {"dataset": ..., "arch": "lenet5" or a spec dict, "epochs": 5, ...}

`arch` is a preset's name; an architecture edited on Build travels as `spec`, its JSON compressed (zlib, then
URL-safe base64 without padding) like `setup`, which holds every hyperparameter of the Train form. Decoding is
for links typed, truncated or forged by anyone: sizes are capped before and while decompressing, unknown settings
are ignored (links made by a newer version still open), and anything else wrong is one keyed SetupLinkError
(`engine.link.*`), never a traceback. Values are checked against the ranges the Train form offers (FORM_LIMITS),
so a decoded setup can be put into the form's widgets as it is. No Streamlit here.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib
from collections.abc import Mapping
from typing import Any

from cnnlab.errors import CnnLabError
from cnnlab.train.config import MAX_BATCH, METRICS, MONITORS, OPTIMIZERS, SCHEDULES, TrainConfig

MAX_PARAM_CHARS = 8_000  # one parameter's text: long URLs get cut by mail clients, chat apps and proxies
MAX_JSON_BYTES = 256_000  # decompressed: a hostile link cannot make the server inflate a zip bomb
MAX_NAME_CHARS = 100  # a dataset or preset name

# The Train form's ranges: (low, high) for numbers; a link outside them is refused (the form could not show it).
FORM_LIMITS: dict[str, tuple[float, float]] = {
    "epochs": (1, 500),
    "batch_size": (1, MAX_BATCH),  # any whole number: a small dataset's batch need not be a power of two
    "learning_rate": (1e-5, 1.0),
    "warmup_epochs": (0, 50),
    "step_epochs": (1, 500),
    "decay_factor": (0.01, 1.0),
    "weight_decay": (0.0, 0.1),
    "label_smoothing": (0.0, 0.3),
    "val_fraction": (0.0, 0.5),
    "patience": (1, 100),
    "seed": (0, 2**31 - 1),
    "steps_per_execution": (1, 64),
    "momentum": (0.0, 0.99),
}
AUGMENTATION_LIMIT = 0.3  # translation, rotation, zoom
PEN_LIMIT = 0.5  # stroke, elastic (the Train form's sliders)
INTEGERS = ("epochs", "warmup_epochs", "step_epochs", "patience", "seed", "steps_per_execution", "batch_size")
BOOLEANS = ("early_stopping", "restore_best", "nesterov", "mixed_precision")
CHOICES: dict[str, tuple[Any, ...]] = {
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "monitor": MONITORS,
}

# Every hyperparameter the Train form sets, in the form's order.
FORM_FIELDS = (
    "epochs", "batch_size", "optimizer", "learning_rate", "schedule", "warmup_epochs", "step_epochs",
    "decay_factor", "weight_decay", "label_smoothing", "augmentation", "val_fraction", "early_stopping", "monitor",
    "patience", "restore_best", "seed", "steps_per_execution", "momentum", "nesterov", "metrics", "mixed_precision",
)  # fmt: skip

PARAMS = ("dataset", "arch", "spec", "setup")  # the query parameters a setup uses
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_B64 = re.compile(r"^[A-Za-z0-9_\-]*={0,2}$")


class SetupLinkError(CnnLabError, ValueError):
    """A shared setup link that cannot be read: says which parameter and why, in the visitor's language."""


# ---------------------------------------------------------------- packing


def pack(value: Any) -> str:
    """JSON, zlib-compressed, URL-safe base64 without padding: short and safe in a query string."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii").rstrip("=")


def unpack(text: str, param: str) -> Any:
    """`pack` reversed, for text from a stranger: every way it can be wrong is a SetupLinkError naming `param`."""
    if not isinstance(text, str) or not text:
        raise SetupLinkError("engine.link.malformed", param=param)
    if len(text) > MAX_PARAM_CHARS:
        raise SetupLinkError("engine.link.too_long", param=param, length=len(text), limit=MAX_PARAM_CHARS)
    if not _B64.match(text):
        raise SetupLinkError("engine.link.malformed", param=param)
    try:
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, MAX_JSON_BYTES)
        if inflater.unconsumed_tail:
            raise SetupLinkError("engine.link.too_big", param=param, limit=MAX_JSON_BYTES // 1000)
        if not inflater.eof:
            raise SetupLinkError("engine.link.malformed", param=param)
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except SetupLinkError:
        raise
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError, RecursionError):
        raise SetupLinkError("engine.link.malformed", param=param) from None


def _no_constant(name: str) -> float:
    raise ValueError(name)  # NaN / Infinity are not JSON, and not a setting


# ---------------------------------------------------------------- a setup <-> query parameters


def encode_setup(config: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters for a Train-shaped config: dataset, arch (a preset's name) or spec, and setup."""
    out: dict[str, str] = {}
    if isinstance(config.get("dataset"), str):
        out["dataset"] = config["dataset"]
    arch = config.get("arch")
    if isinstance(arch, str):
        out["arch"] = arch
    elif isinstance(arch, Mapping):
        out["spec"] = pack(dict(arch))
    values = {k: config[k] for k in FORM_FIELDS if k in config}
    if values:
        out["setup"] = pack(values)
    return out


def decode_setup(params: Mapping[str, Any]) -> dict[str, Any]:
    """The Train-shaped config a link's parameters describe (only what it gives). Raises SetupLinkError."""
    out: dict[str, Any] = {}
    dataset = params.get("dataset")
    if dataset is not None:
        out["dataset"] = _name(dataset, "dataset")
    if params.get("spec") is not None:
        out["arch"] = _spec(unpack(params["spec"], "spec"))
    elif params.get("arch") is not None:
        out["arch"] = _preset(params["arch"])
    if params.get("setup") is not None:
        values = unpack(params["setup"], "setup")
        if not isinstance(values, dict):
            raise SetupLinkError("engine.link.malformed", param="setup")
        for key in FORM_FIELDS:  # anything else is ignored: a newer version's setting, say
            if key in values:
                out[key] = _value(key, values[key])
    return out


def _name(value: Any, param: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_CHARS or not _NAME.match(value):
        raise SetupLinkError("engine.link.malformed", param=param)
    return value


def _preset(value: Any) -> str:
    from cnnlab.arch.presets import PRESETS

    name = _name(value, "arch")
    if name not in PRESETS:
        raise SetupLinkError("engine.link.unknown_arch", name=name, names=", ".join(PRESETS))
    return name


def _spec(value: Any) -> dict[str, Any]:
    from cnnlab.arch.spec import ArchSpec, SpecError

    if not isinstance(value, dict):
        raise SetupLinkError("engine.link.malformed", param="spec")
    try:
        return ArchSpec.from_dict(value).to_dict()
    except SpecError as exc:
        raise SetupLinkError("engine.link.bad_spec", reason=exc.with_traceback(None)) from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError):
        raise SetupLinkError("engine.link.malformed", param="spec") from None


def _value(key: str, value: Any) -> Any:
    """One setting, checked against what the Train form offers."""
    bad = SetupLinkError("engine.link.bad_value", setting=key, value=_short(value))
    if key == "augmentation":
        return _augmentation(value, bad)
    if key == "metrics":
        if not isinstance(value, list) or not value or any(m not in METRICS for m in value):
            raise bad
        return list(dict.fromkeys(value))
    if key in BOOLEANS:
        if not isinstance(value, bool):
            raise bad
        return value
    if key in CHOICES:
        if isinstance(value, bool) or value not in CHOICES[key]:
            raise bad
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad
    if key in INTEGERS:
        if value != int(value):
            raise bad
        value = int(value)
    else:
        value = float(value)
    low, high = FORM_LIMITS[key]
    if not low <= value <= high:
        raise SetupLinkError("engine.link.out_of_range", setting=key, value=_short(value), low=low, high=high)
    return value


def _augmentation(value: Any, bad: SetupLinkError) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad
    out = dict(TrainConfig().augmentation)
    for k, limit in (("translation", AUGMENTATION_LIMIT), ("rotation", AUGMENTATION_LIMIT),
                     ("zoom", AUGMENTATION_LIMIT), ("stroke", PEN_LIMIT), ("elastic", PEN_LIMIT)):  # fmt: skip
        if k in value:
            v = value[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= limit:
                raise bad
            out[k] = float(v)
    if "flip" in value:
        if not isinstance(value["flip"], bool):
            raise bad
        out["flip"] = value["flip"]
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:39] + "…"

"""What a spec computes, before anything is built: validation, shapes, parameters, MACs, receptive fields.

Pure Python shape arithmetic (no TensorFlow/Keras import), so the Build page and `cnnlab summary`
answer instantly. The arithmetic follows Keras exactly:

* valid padding: out = floor((in - k) / s) + 1 (empty when in < k); same padding: out = ceil(in / s);
* Conv2D params = kh*kw*Cin*F (+F bias); MACs = Hout*Wout*F*kh*kw*Cin; Dense MACs = inputs*units.
  MACs count multiply-accumulates of Conv2D / DepthwiseConv2D / Dense (the usual "FLOPs / 2");
  pooling, normalisation, additions and activations are not counted;
* BatchNormalization has 4 params per channel, 2 of them trainable (gamma, beta);
* receptive field (input pixels one output unit sees): r += (k - 1) * j; j *= s along the main path;
  after Flatten / global pooling / Dense a unit sees the whole image;
* activation memory: float32 bytes of every layer output for ONE image (composite layers count their
  internal tensors too).

Layer names equal the Keras names `build_model` gives, so analysis rows can be matched to model layers.
keras.applications bases (MobileNetV2, ResNet50) are described layer by layer below, mirroring Keras'
source; a base from an earlier run is read from its .keras file (config JSON + weights HDF5, no TF).
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from cnnlab.arch.atoms import (
    APPLICATION_ATOMS,
    FLOAT_BYTES,
    Atom,
    Shape,
    bn_atom,
    conv_atom,
    fmt_shape,
    is_int,
    pool_atom,
    same_atom,
    size_of,
)
from cnnlab.arch.kerasfile import inspect_keras_file
from cnnlab.arch.spec import (
    COMPOSITE_TYPES,
    DEFAULT_BUDGET,
    LAYER_TYPES,
    ArchSpec,
    Budget,
    Field,
    LayerSpec,
    SpecError,
    as_pair,
    layer_fields,
    node_name,
    resolved_params,
)
from cnnlab.arch.transfer import transfer_geometry
from cnnlab.errors import Phrase


class Sentence(str):
    """An issue's English sentence, a plain `str` as before, that also gives itself in another language: `s("zh")`."""

    error: SpecError

    def __new__(cls, error: SpecError) -> Sentence:
        text = super().__new__(cls, str(error))
        text.error = error
        return text

    def __call__(self, lang: str = "en") -> str:
        return self.error.message(lang)


@dataclass
class Issue:
    """A problem found in a spec: which layer (1-based; None = the whole network) and what to do.

    Its sentence is the catalogue's "build.issue.<code>" filled with `values` (an issue of one layer inside
    "build.issue.layer"): `issue.message` is the English, `issue.message(lang)` the same sentence in `lang`.
    """

    index: int | None
    code: str
    values: dict[str, Any] = field(default_factory=dict)
    level: str = "error"  # "error" | "warning"
    label: str = ""

    @property
    def key(self) -> str:
        return f"build.issue.{self.code}"

    def error(self) -> SpecError:
        """This issue as a keyed engine error (what `check` raises, one per error found)."""
        own = SpecError(self.key, **self.values)
        if self.index is None:
            return own
        return SpecError("build.issue.layer", index=self.index, label=self.label, issue=own)

    @property
    def message(self) -> Sentence:
        return Sentence(self.error())


@dataclass
class Row:
    """One layer of the analysis table (also the head, named "predictions")."""

    index: int
    name: str
    type: str
    label: str
    output_shape: Shape | None
    params: int = 0
    trainable_params: int = 0
    macs: int = 0
    receptive_field: tuple[int, int] | None = None
    activation_bytes: int = 0
    keras_layers: list[str] = field(default_factory=list)
    issue: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["output_shape"] = list(self.output_shape) if self.output_shape is not None else None
        d["receptive_field"] = list(self.receptive_field) if self.receptive_field is not None else None
        return d


@dataclass
class Analysis:
    """Per-layer rows (body then head), totals, and every issue found."""

    name: str
    input_shape: Shape
    num_classes: int
    rows: list[Row]
    head: Row | None
    issues: list[Issue]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def all_rows(self) -> list[Row]:
        return self.rows + ([self.head] if self.head else [])

    @property
    def totals(self) -> dict[str, int]:
        rows = self.all_rows
        params = sum(r.params for r in rows)
        trainable = sum(r.trainable_params for r in rows)
        return {
            "layers": len(self.rows) + (1 if self.head else 0),
            "params": params,
            "trainable_params": trainable,
            "non_trainable_params": params - trainable,
            "macs": sum(r.macs for r in rows),
            "activation_bytes": sum(r.activation_bytes for r in rows) + size_of(self.input_shape) * FLOAT_BYTES,
        }

    def table(self) -> list[dict[str, Any]]:
        """One display row per layer (head included): shapes as "24×24×6", memory in KB, the first problem."""
        problems: dict[int, str] = {}
        for issue in self.issues:
            if issue.index is not None:
                problems.setdefault(issue.index, str(issue.message))
        return [
            {
                "index": r.index,
                "name": r.name,
                "label": r.label,
                "problem": problems.get(r.index, ""),
                "output": fmt_shape(r.output_shape, "×") if r.output_shape else "—",
                "params": r.params,
                "macs": r.macs,
                "receptive_field": fmt_shape(r.receptive_field, "×") if r.receptive_field else "—",
                "memory_kb": round(r.activation_bytes / 1024, 1),
            }
            for r in self.all_rows
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "layers": [r.to_dict() for r in self.all_rows],
            "totals": self.totals,
            "issues": [
                {"index": i.index, "level": i.level, "code": i.code, "message": str(i.message)} for i in self.issues
            ],
        }


# ---------------------------------------------------------------- labels and value checks


def label(layer: LayerSpec) -> str:
    """A short human label, e.g. "Conv2D 5x5", "Dense 128", "Dropout 0.5" (falls back to the type)."""
    p = layer.params
    try:
        if layer.type == "Conv2D":
            kh, kw = as_pair(p.get("kernel_size", 3))
            return f"Conv2D {kh}x{kw}"
        if layer.type in ("MaxPooling2D", "AveragePooling2D"):
            kh, kw = as_pair(p.get("pool_size", 2))
            return f"{layer.type} {kh}x{kw}"
        if layer.type == "Dense":
            return f"Dense {int(p.get('units', 64))}"
        if layer.type == "Dropout":
            return f"Dropout {float(p.get('rate', 0.5)):g}"
        if layer.type == "Activation":
            return f"Activation {p.get('activation', 'relu')}"
        if layer.type == "ResidualBlock":
            return f"ResidualBlock {int(p.get('filters', 64))}" + (" /2" if p.get("strides") == 2 else "")
        if layer.type == "TransferBase":
            return f"TransferBase {p.get('base', 'mobilenet_v2')}"
    except (TypeError, ValueError, IndexError):
        pass
    return layer.type or "?"


def _suggest(word: str, options) -> dict[str, Any]:
    """{"hint": Phrase(" (did you mean 'X'?)"), "suggestion": "X"} for a near miss, else empty hint and suggestion."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    if not close and str(word).lower() in {str(o).lower() for o in options}:
        close = [o for o in options if str(o).lower() == str(word).lower()]
    if not close:
        return {"hint": "", "suggestion": ""}
    return {"hint": Phrase("build.issue.hint", suggestion=close[0]), "suggestion": close[0]}


def _check_value(f: Field, value: Any) -> tuple[str, dict[str, Any]] | None:
    """None when `value` is acceptable for field `f`, else (template code, values)."""
    v = {"setting": f.name, "value": value, "low": f.low, "high": f.high}
    low = f.low if f.low is not None else -math.inf
    high = f.high if f.high is not None else math.inf

    def ok_int(x: Any) -> bool:
        return is_int(x) and low <= x <= high

    if f.kind == "int":
        return None if ok_int(value) else ("not_int", v)
    if f.kind == "int_or_none":
        return None if value is None or ok_int(value) else ("not_int", v)
    if f.kind == "size2":
        if value is None and f.default is None:
            return None
        if ok_int(value) or (isinstance(value, (list, tuple)) and len(value) == 2 and all(ok_int(x) for x in value)):
            return None
        return ("not_size", v)
    if f.kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
        return None if ok else ("not_float", v)
    if f.kind == "choice":
        choices = f.choices
        if value is None and "linear" in choices:
            return None
        if value in choices or (None in choices and value in ("none", "None")):
            return None
        return ("not_choice", {**v, "choices": ", ".join(str(c) for c in choices)})
    if f.kind == "bool":
        return None if isinstance(value, bool) else ("not_bool", v)
    if f.kind == "str":
        return None if isinstance(value, str) else ("not_choice", {**v, "choices": Phrase("engine.word.file_path")})
    return None


# ---------------------------------------------------------------- analysis


class _RF:
    """Receptive field and jump along the main path, in input pixels."""

    def __init__(self, h: int, w: int) -> None:
        self.full = (h, w)
        self.r = [1.0, 1.0]
        self.j = [1.0, 1.0]
        self.flat = False

    def step(self, atom: Atom) -> None:
        if atom.flat:
            self.flat = True
        elif atom.scale:
            self.j = [self.j[0] / atom.scale[0], self.j[1] / atom.scale[1]]
        elif atom.k and atom.s:
            for a in (0, 1):
                self.r[a] += (atom.k[a] - 1) * self.j[a]
                self.j[a] *= atom.s[a]

    @property
    def value(self) -> tuple[int, int]:
        return self.full if self.flat else (math.ceil(self.r[0] - 1e-9), math.ceil(self.r[1] - 1e-9))


def _layer_atoms(layer: LayerSpec, p: dict[str, Any], name: str, shape: Shape) -> list[Atom]:
    """Expand one validated body layer into Keras-level atoms; raises _ShapeError on impossible shapes."""
    t = layer.type
    spatial = len(shape) == 3
    if t in ("Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "ResidualBlock", "TransferBase"):
        if not spatial:
            raise _ShapeError("needs_feature_map", {"n": shape[0]})
    if t == "Dense" and spatial:
        raise _ShapeError("needs_flat", {"shape": fmt_shape(shape)})
    if t == "Conv2D":
        a = conv_atom(name, shape, p["filters"], p["kernel_size"], p["strides"], p["padding"], p["use_bias"])
        _nonempty(a, shape, Phrase("engine.word.kernel"))
        return [a]
    if t in ("MaxPooling2D", "AveragePooling2D"):
        a = pool_atom(name, t, shape, p["pool_size"], p["strides"], p["padding"])
        _nonempty(a, shape, Phrase("engine.word.pool_size"))
        return [a]
    if t in ("BatchNormalization",):
        return [bn_atom(name, shape)]
    if t in ("Dropout", "Activation"):
        return [same_atom(name, t, shape)]
    if t == "Flatten":
        return [Atom(name, t, (size_of(shape),), flat=True)]
    if t == "GlobalAveragePooling2D":
        return [Atom(name, t, (shape[-1],), flat=True)]
    if t == "Dense":
        n = shape[0]
        return [Atom(name, t, (p["units"],), n * p["units"] + p["units"], None, n * p["units"], flat=True)]
    if t == "ResidualBlock":
        return _residual_atoms(p, name, shape)
    if t == "TransferBase":
        return _transfer_atoms(p, name, shape)
    raise _ShapeError("unknown_type", {"value": t, "hint": "", "suggestion": "", "choices": ", ".join(LAYER_TYPES)})


class _ShapeError(Exception):
    def __init__(self, code: str, values: dict[str, Any]) -> None:
        super().__init__(code)
        self.code, self.values = code, values


def _nonempty(a: Atom, shape: Shape, what: Phrase) -> None:
    if a.out[0] < 1 or a.out[1] < 1:
        raise _ShapeError("empty_output", {"h": shape[0], "w": shape[1], "what": what})


def _residual_atoms(p: dict[str, Any], name: str, shape: Shape) -> list[Atom]:
    f, s, bn = p["filters"], p["strides"], p["batchnorm"]
    atoms = [conv_atom(f"{name}_conv1", shape, f, 3, s, "same", not bn)]
    if bn:
        atoms.append(bn_atom(f"{name}_bn1", atoms[-1].out))
    atoms.append(same_atom(f"{name}_relu1", "Activation", atoms[-1].out))
    conv2 = conv_atom(f"{name}_conv2", atoms[-1].out, f, 3, 1, "same", not bn)
    atoms.append(conv2)
    if bn:
        atoms.append(bn_atom(f"{name}_bn2", atoms[-1].out))
    if s != 1 or shape[2] != f:
        short = conv_atom(f"{name}_shortcut", shape, f, 1, s, "valid", not bn)
        short.k = short.s = None
        atoms.append(short)
        if bn:
            atoms.append(bn_atom(f"{name}_shortcut_bn", short.out))
    atoms.append(same_atom(f"{name}_add", "Add", conv2.out))
    atoms.append(same_atom(name, "Activation", atoms[-1].out))
    return atoms


def _transfer_atoms(p: dict[str, Any], name: str, shape: Shape) -> list[Atom]:
    if shape[2] not in (1, 3):
        raise _ShapeError("transfer_channels", {"c": shape[2]})
    try:
        geo = transfer_geometry(p, shape)
    except SpecError as exc:
        path = p.get("model_path") or ""
        code = "model_path_missing" if not os.path.isfile(path) else "model_file_bad"
        raise _ShapeError(code, {"path": path, "reason": exc}) from exc
    atoms: list[Atom] = []
    x = tuple(shape)
    if geo.resize:
        bh, bw = geo.base_input[:2]
        atoms.append(Atom(f"{name}_resize", "Resizing", (bh, bw, x[2]), scale=(bh / x[0], bw / x[1])))
        x = atoms[-1].out
    if geo.adapter:
        a = conv_atom(f"{name}_{geo.adapter}", x, geo.base_input[2], 1, 1, "valid")
        a.trainable = 0
        atoms.append(a)
    n_train = int(p.get("trainable_layers") or 0)
    if p["base"] == "run":
        info = inspect_keras_file(p["model_path"])
        base = [Atom(r.name, r.type, r.out, r.params, r.trainable, r.macs) for r in info.layers]
        # the run's internal receptive field is not tracked through the file: its units count as seeing everything
        base.append(Atom(name, "Functional", info.output_shape, flat=True, alias=True))
    else:
        base = APPLICATION_ATOMS[p["base"]](*geo.base_input[:2])
        base.append(Atom(name, "Functional", base[-1].out, alias=True))
    body = base[:-1]
    for i, atom in enumerate(body):
        atom.nested = True
        top = n_train > 0 and i >= len(body) - n_train
        if not top:
            atom.trainable = 0
        elif atom.type == "BatchNormalization":
            atom.trainable = 0  # BatchNorm stays frozen (inference mode) when fine-tuning
        elif atom.trainable is None:
            atom.trainable = atom.params
    if base[-1].out and len(base[-1].out) == 3 and (base[-1].out[0] < 1 or base[-1].out[1] < 1):
        raise _ShapeError("empty_output", {"h": x[0], "w": x[1], "what": Phrase("engine.word.base_image")})
    return atoms + base


def _issue(index: int | None, lab: str, code: str, values: dict[str, Any], level: str = "error") -> Issue:
    return Issue(index, code, values, level, lab)


def _validate_params(index: int, layer: LayerSpec, lab: str) -> list[Issue]:
    fields = layer_fields(layer.type)
    issues = []
    for key, value in layer.params.items():
        if key not in fields:
            choices = ", ".join(fields) or Phrase("engine.word.no_settings")
            values = {"setting": key, **_suggest(key, fields), "type": layer.type, "choices": choices}
            issues.append(_issue(index, lab, "unknown_setting", values))
            continue
        bad = _check_value(fields[key], value)
        if bad:
            code, values = bad
            issues.append(_issue(index, lab, code, values))
    return issues


def analyze(spec: ArchSpec, *, budget: Budget = DEFAULT_BUDGET) -> Analysis:
    """Shapes, parameters, MACs, receptive field and memory per layer, plus every issue; never raises.

    After the first layer whose output can't be computed, later rows have output_shape None.
    """
    issues = _whole_network_issues(spec)
    input_shape = tuple(int(d) for d in spec.input_shape) if _input_shape_ok(spec.input_shape) else ()
    rows: list[Row] = []
    shape: Shape | None = input_shape or None
    rf = _RF(*input_shape[:2]) if input_shape else None
    for i, layer in enumerate(spec.layers, start=1):
        row = Row(i, node_name(layer, i), layer.type, label(layer), None)
        rows.append(row)
        shape = _analyze_layer(row, layer, shape, rf, issues)
    head = _head(spec, rows, shape, rf, issues)
    result = Analysis(spec.name, input_shape, spec.num_classes, rows, head, issues)
    if head is not None and not result.errors:
        issues += _budget_issues(result.totals, budget)
    return result


def _input_shape_ok(raw: Any) -> bool:
    return (
        isinstance(raw, (tuple, list))
        and len(raw) == 3
        and all(is_int(d) and d >= 1 for d in raw)
        and max(raw[:2]) <= 4096
        and raw[2] <= 16
    )


def _whole_network_issues(spec: ArchSpec) -> list[Issue]:
    """Problems with the input shape and the class count (issues of no particular layer)."""
    issues = []
    if not _input_shape_ok(spec.input_shape):
        issues.append(_issue(None, "", "bad_input_shape", {"value": spec.input_shape}))
    if not is_int(spec.num_classes) or not 2 <= spec.num_classes <= 100_000:
        issues.append(_issue(None, "", "bad_classes", {"value": spec.num_classes}))
    return issues


def _analyze_layer(
    row: Row, layer: LayerSpec, shape: Shape | None, rf: _RF | None, issues: list[Issue]
) -> Shape | None:
    """Fill one layer's row (shape, costs, receptive field) and note its issues; its output shape, or None once the
    network's shape can no longer be followed."""
    i, lab = row.index, row.label
    if layer.type not in LAYER_TYPES:
        values = {"value": layer.type, **_suggest(layer.type, LAYER_TYPES), "choices": ", ".join(LAYER_TYPES)}
        issues.append(_issue(i, lab, "unknown_type", values))
        return None
    found = _validate_params(i, layer, lab)
    if layer.type == "TransferBase" and i != 1:
        found.append(_issue(i, lab, "transfer_first", {}))
    issues += found
    if found:
        row.issue = str(found[0].message)
        return None
    if shape is None or rf is None:
        return None
    p = resolved_params(layer)
    if p.get("activation") == "softmax":
        issues.append(_issue(i, lab, "softmax_in_body", {}, "warning"))
    try:
        atoms = _layer_atoms(layer, p, row.name, shape)
    except _ShapeError as exc:
        issues.append(_issue(i, lab, exc.code, exc.values))
        row.issue = str(issues[-1].message)
        return None
    for atom in atoms:
        rf.step(atom)
    row.output_shape = atoms[-1].out
    row.params = sum(a.params for a in atoms)
    row.trainable_params = sum(a.trainable_params for a in atoms)
    row.macs = sum(a.macs for a in atoms)
    row.receptive_field = rf.value
    row.activation_bytes = sum(size_of(a.out) for a in atoms if a.out and not a.alias) * FLOAT_BYTES
    row.keras_layers = _top_level_names(atoms)
    return row.output_shape


def _head(spec: ArchSpec, rows: list[Row], shape: Shape | None, rf: _RF | None, issues: list[Issue]) -> Row | None:
    """The classifier's row, Dense(num_classes, softmax), when the body ends in a flat vector."""
    if not spec.layers:
        issues.append(_issue(None, "", "empty_body", {}))
        return None
    if shape is not None and len(shape) != 1:
        issues.append(_issue(len(spec.layers), rows[-1].label, "not_flat_at_end", {"shape": fmt_shape(shape)}))
        rows[-1].issue = str(issues[-1].message)
        return None
    if shape is None or not is_int(spec.num_classes):
        return None
    n, k = shape[0], int(spec.num_classes)
    return Row(
        len(spec.layers) + 1, "predictions", "Dense", f"Dense {k} softmax", (k,),
        n * k + k, n * k + k, n * k, rf.value if rf else None, k * FLOAT_BYTES, ["predictions"],
    )  # fmt: skip


def _budget_issues(totals: dict[str, int], budget: Budget) -> list[Issue]:
    """The parameter and activation-memory limits a buildable network must stay within."""
    issues = []
    if totals["params"] > budget.max_params:
        issues.append(_issue(None, "", "too_many_params", {"value": totals["params"], "limit": budget.max_params}))
    if totals["activation_bytes"] > budget.max_activation_bytes:
        values = {"value_mb": totals["activation_bytes"] / 2**20, "limit_mb": budget.max_activation_bytes / 2**20}
        issues.append(_issue(None, "", "too_much_memory", values))
    return issues


def _top_level_names(atoms: list[Atom]) -> list[str]:
    """The names of the model's own (top-level) Keras layers for this row; a base is one nested model."""
    return [a.name for a in atoms if not a.nested]


def validate(spec: ArchSpec, *, budget: Budget = DEFAULT_BUDGET) -> list[Issue]:
    """Every problem in `spec` (errors and warnings), each naming the layer and the fix."""
    return analyze(spec, budget=budget).issues


def check(spec: ArchSpec, *, budget: Budget = DEFAULT_BUDGET) -> Analysis:
    """The analysis of a buildable spec; raises SpecError listing every error otherwise ("; "-joined in English)."""
    result = analyze(spec, budget=budget)
    if result.errors:
        raise SpecError("engine.spec.issues", issues=[i.error() for i in result.errors])
    return result


def composite_types() -> tuple[str, ...]:
    """Layer types that expand into several Keras layers."""
    return COMPOSITE_TYPES

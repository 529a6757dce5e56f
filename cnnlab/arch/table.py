"""The Build page's layer editor as a table: one row per layer, and back to layers.
"""

from __future__ import annotations

import math
from typing import Any

from cnnlab.arch.spec import LAYER_TYPES, LayerSpec, resolved_params

TABLE_COLUMNS = ("type", "size", "kernel", "stride", "padding", "activation", "rate")


_COLUMN_FIELDS: dict[str, dict[str, str]] = {  # table column -> setting, per type
    "Conv2D": {
        "size": "filters",
        "kernel": "kernel_size",
        "stride": "strides",
        "padding": "padding",
        "activation": "activation",
    },
    "MaxPooling2D": {"kernel": "pool_size", "stride": "strides", "padding": "padding"},
    "AveragePooling2D": {"kernel": "pool_size", "stride": "strides", "padding": "padding"},
    "Dropout": {"rate": "rate"},
    "Dense": {"size": "units", "activation": "activation"},
    "Activation": {"activation": "activation"},
    "ResidualBlock": {"size": "filters", "stride": "strides"},
}


def _size_text(value: Any) -> str:
    """3 -> "3"; [5, 3] -> "5x3"; [3, 3] -> "3" (the editor shows kernel and stride sizes as text)."""
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value) if len(set(value)) > 1 else str(value[0])
    return str(value)


def layers_to_table(layers: list[LayerSpec]) -> list[dict[str, Any]]:
    """One editable row per layer; cells a type doesn't use are None. Kernel/stride are text ("5" or "5x3")."""
    rows = []
    for layer in layers:
        p = resolved_params(layer) if layer.type in LAYER_TYPES else dict(layer.params)
        row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS)
        row["type"] = layer.type
        for column, setting in _COLUMN_FIELDS.get(layer.type, {}).items():
            value = p.get(setting)
            row[column] = None if value is None else (_size_text(value) if column in ("kernel", "stride") else value)
        rows.append(row)
    return rows


def _parse_cell(column: str, value: Any) -> Any:
    """Editor text -> spec value; anything unparseable is kept as-is so validation can name it."""
    missing = value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and math.isnan(value))
    if missing or value == "":
        return None
    if column in ("kernel", "stride"):
        text = str(value).strip().lower().replace("×", "x").replace(" ", "")
        parts = text.split("x")
        if all(p.isdigit() for p in parts) and len(parts) in (1, 2):
            nums = [int(p) for p in parts]
            return nums[0] if len(nums) == 1 or nums[0] == nums[1] else nums
        return str(value)
    if column == "size" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def table_to_layers(rows: list[dict[str, Any]], originals: list[LayerSpec | None] | None = None) -> list[LayerSpec]:
    """Editor rows -> layers. `originals[i]` (same type) keeps settings the table doesn't show."""
    layers = []
    for i, row in enumerate(rows):
        layer_type = row.get("type") or ""
        original = originals[i] if originals and i < len(originals) else None
        params = dict(original.params) if original is not None and original.type == layer_type else {}
        for column, setting in _COLUMN_FIELDS.get(layer_type, {}).items():
            value = _parse_cell(column, row.get(column))
            if value is None:
                params.pop(setting, None)
            else:
                params[setting] = value
        layers.append(LayerSpec(str(layer_type), params))
    return layers

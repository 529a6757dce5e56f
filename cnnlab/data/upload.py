"""A dataset upload ingested in a capped child process: the server never unpacks or decodes a visitor's archive.

The child runs `ingest_zip` / `ingest_npz` (which also save the dataset into the data home) under a wall-time and
an address-space cap (cnnlab.untrusted) and answers with the report as plain data; a hang or a blow-up in a
decoder ends as one sentence, and the page and the stored datasets go on as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnlab import untrusted
from cnnlab.archives import IngestError, ZipLimits
from cnnlab.data.ingest import IngestReport, ingest_npz, ingest_zip
from cnnlab.errors import CnnLabError, from_data, to_data

INGEST_TIMEOUT_S = 600.0
INGEST_MEMORY_BYTES = 3 * ZipLimits().max_dataset_bytes  # the dataset, its decoded images and the libraries


def _report_data(report: IngestReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    data = report.to_dict()
    data["rejected"] = [[member, to_data(reason)] for member, reason in report.rejected]
    return data


def _report(data: dict[str, Any] | None) -> IngestReport | None:
    if data is None:
        return None
    report = IngestReport(name=data["name"], accepted=data["accepted"], per_class=dict(data["per_class"]))
    report.rejected = [(member, from_data(reason)) for member, reason in data["rejected"]]
    report.skipped = list(data["skipped"])
    report.image_shape = tuple(data["image_shape"]) if data["image_shape"] else None
    report.resized, report.source = data["resized"], data["source"]
    return report


def ingest_task(data: bytes, *, kind: str, name: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The "ingest" task (in the child): ingest and save, then the report, or the refusal with its report."""
    reader = ingest_npz if kind == "npz" else ingest_zip
    try:
        report = reader(data, name)
    except IngestError as exc:
        return {}, {"failed": to_data(exc), "report": _report_data(exc.report)}  # type: ignore[arg-type]
    return {}, {"report": _report_data(report)}


def ingest_upload(data: bytes, name: str, *, kind: str) -> IngestReport:
    """Ingest an uploaded .zip (one folder per class) or .npz as the user dataset `name`; IngestError if refused."""
    if kind not in ("zip", "npz"):
        raise ValueError(f"unknown upload kind {kind!r}")
    try:
        parsed = untrusted.parse(
            "ingest", data, label=name, timeout_s=INGEST_TIMEOUT_S, memory_bytes=INGEST_MEMORY_BYTES,
            kind=kind, name=name,
        )  # fmt: skip
    except untrusted.UntrustedFileError as exc:
        raise IngestError(exc.key, **exc.values) from None
    except CnnLabError as exc:  # refused before the report began (the name, say)
        raise IngestError(exc.key, **exc.values) from None
    meta = parsed.meta
    if "failed" in meta:
        failed = from_data(meta["failed"])
        raise IngestError(failed.key, _report(meta["report"]), **failed.values)
    return _report(meta["report"])  # type: ignore[return-value]

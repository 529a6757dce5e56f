"""Dataset uploads are ingested in a capped child: the report comes back intact, a runaway upload is one sentence."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.archives import IngestError
from cnnlab.data import datasets as datamod
from cnnlab.data import upload
from cnnlab.data.upload import ingest_upload
from tests import hostile


def _digits_zip(extra: list[tuple[str, bytes]] | None = None) -> bytes:
    members = [(f"d/{c}/{i}.png", hostile.noise_png((28, 28), seed=10 * c + i)) for c in (0, 1) for i in range(6)]
    return hostile.build_zip(members + (extra or []))


def test_an_uploaded_zip_becomes_a_dataset_with_its_report(cnnlab_home) -> None:
    report = ingest_upload(_digits_zip([("d/1/broken.png", hostile.truncated_png())]), "two-kinds", kind="zip")
    assert report.per_class == {"0": 6, "1": 6} and report.accepted == 12
    [(member, reason)] = report.rejected
    assert member == "d/1/broken.png" and reason.key.startswith("engine.image.")  # keyed: the page translates it
    assert reason.message("zh") != reason.message("en")
    ds = datamod.load_dataset("two-kinds")
    assert ds.class_names == ["0", "1"] and sum(ds.counts().values()) == 12


def test_an_uploaded_npz_becomes_a_dataset(cnnlab_home) -> None:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros((20, 8, 8), np.uint8), y=np.arange(20) % 2)
    report = ingest_upload(buffer.getvalue(), "tiny-npz", kind="npz")
    assert report.accepted == 20 and report.image_shape == (8, 8, 1)


def test_a_refused_upload_keeps_its_report_and_saves_nothing(cnnlab_home) -> None:
    members = [(f"d/only/{i}.png", hostile.gray_png(40 + i)) for i in range(3)] + [("d/x/bad.png", b"nope")]
    with pytest.raises(IngestError) as caught:
        ingest_upload(hostile.build_zip(members), "one-kind", kind="zip")
    assert caught.value.key == "engine.ingest.empty_class_folders"  # the class whose only image was refused
    assert caught.value.report is not None and [m for m, _ in caught.value.report.rejected] == ["d/x/bad.png"]
    assert "one-kind" not in {d.name for d in datamod.list_datasets()}


def test_an_upload_that_takes_too_long_is_stopped_and_leaves_nothing(cnnlab_home, monkeypatch) -> None:
    monkeypatch.setattr(upload, "INGEST_TIMEOUT_S", 0.05)  # the child cannot even start in that time
    with pytest.raises(IngestError) as caught:
        ingest_upload(_digits_zip(), "slow", kind="zip")
    assert caught.value.key == "engine.untrusted.too_slow"
    assert "slow" not in {d.name for d in datamod.list_datasets()}
    assert "太久" in caught.value.message("zh") or caught.value.message("zh") != str(caught.value)


def test_not_an_archive_is_one_sentence(cnnlab_home) -> None:
    with pytest.raises(IngestError) as caught:
        ingest_upload(b"plain text, not a zip", "text", kind="zip")
    assert "zip" in str(caught.value).lower()

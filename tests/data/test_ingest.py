"""cnnlab.ingest against hostile zips and .npz files built at test time (tests/hostile.py), plus real MNIST digits."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnlab.archives import IngestError, ZipLimits, natural_key, open_zip, safe_zip_members
from cnnlab.data import datasets as datamod
from cnnlab.data.ingest import IngestReport, ingest_npz, ingest_zip, validate_name
from tests import hostile

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _reasons(report: IngestReport) -> dict[str, str]:
    """Each refused file's reason as English text (the report keeps keyed errors)."""
    return {member: str(reason) for member, reason in report.rejected}


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- happy path with real digits


def test_real_mnist_digits_zip_round_trips_through_load_dataset() -> None:
    sample = datamod.load_dataset("mnist-sample")
    members, originals = [], []
    for digit in (3, 5, 8):
        picks = np.flatnonzero(sample.y_train == digit)[:12]
        for i in picks:
            img = sample.x_train[i]
            members.append((f"digits/{digit}/{i}.png", hostile.encode(Image.fromarray(img[..., 0], "L"), "PNG")))
            originals.append((digit, img.tobytes()))
    members += [("__MACOSX/digits/3/._0.png", b"\x00\x05\x16\x07"), ("digits/.DS_Store", b"\x00\x00\x00\x01Bud1")]
    report = ingest_zip(hostile.build_zip(members), "my-digits")
    assert report.per_class == {"3": 12, "5": 12, "8": 12}
    assert report.accepted == 36 and report.rejected == [] and report.resized == 0
    assert sorted(report.skipped) == ["__MACOSX/digits/3/._0.png", "digits/.DS_Store"]
    assert report.image_shape == (28, 28, 1)
    assert json.loads(json.dumps(report.to_dict()))["per_class"] == {"3": 12, "5": 12, "8": 12}

    ds = datamod.load_dataset("my-digits")
    assert ds.class_names == ["3", "5", "8"] and ds.image_shape == (28, 28, 1)
    assert sum(ds.counts().values()) == 36
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    got = sorted((ds.class_names[label], img.tobytes()) for img, label in zip(x, y, strict=True))
    assert got == sorted((str(d), b) for d, b in originals)  # every digit arrives pixel-exact with its label
    info = next(i for i in datamod.list_datasets() if i.name == "my-digits")
    assert info.user and info.available and info.image_shape == (28, 28, 1)


# ---------------------------------------------------------------- hostile entries, one zip, per-entry reasons

HOSTILE_ENTRIES: list[tuple[object, bytes, str]] = [
    ("../evil.png", hostile.gray_png(), "'..' in the path"),
    ("a/../../evil2.png", hostile.gray_png(), "'..' in the path"),
    ("/etc/x.png", hostile.gray_png(), "absolute path"),
    ("C:/x.png", hostile.gray_png(), "absolute path"),
    ("a\\evil.png", hostile.gray_png(), "backslash"),
    (hostile.symlink_info("a/link.png"), b"/etc/passwd", "symbolic link"),
    ("a//double.png", hostile.gray_png(), "empty path component"),
    ("a/bomb.png", hostile.zip_bomb_member(8), "zip bomb"),
    ("a/corrupt.jpg", hostile.corrupt_jpeg(), "corrupt.jpg is damaged"),
    ("a/truncated.png", hostile.truncated_png(), "truncated"),
    ("b/cut.jpg", hostile.truncated_jpeg(), "truncated"),
    ("b/photo.png", hostile.tiff_bytes(), "photo.png is a TIFF image; allowed: PNG, JPEG, GIF, BMP, WEBP"),
    ("b/huge.png", hostile.png_bomb(8000, 8000), "64,000,000 pixels; the limit is 40,000,000"),
    ("b/huge.webp", hostile.webp_bomb(9000, 9000), "81,000,000 pixels; the limit is 40,000,000"),
    ("b/notes.txt", b"not an image at all", "not a recognised image"),
]
NORMALISED_ENTRIES: list[tuple[str, bytes]] = [
    ("b/sixteen.png", hostile.png16(28, 28)[0]),
    ("b/cmyk.jpg", hostile.cmyk_jpeg()),
    ("b/rgba.png", hostile.rgba_png()),
    ("b/palette.png", hostile.palette_png()),
    ("b/anim.gif", hostile.animated("GIF")),
    ("b/anim.webp", hostile.animated("WEBP")),
    ("b/rotated.jpg", hostile.exif_rotated_jpeg()),
]


def _hostile_zip() -> bytes:
    members = hostile.class_images(("a", "b"), per_class=3)
    members += [(name, data) for name, data, _ in HOSTILE_ENTRIES] + NORMALISED_ENTRIES
    members += [("Thumbs.db", b"x"), ("a/.hidden.png", hostile.gray_png())]
    return hostile.build_zip(members)


def test_hostile_zip_each_entry_refused_or_normalised(tmp_path: Path, monkeypatch, cnnlab_home: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    outside_before = _all_files(tmp_path)

    report = ingest_zip(_hostile_zip(), "hostile")

    reasons = _reasons(report)
    for name, _, expected in HOSTILE_ENTRIES:
        member = name.filename if isinstance(name, zipfile.ZipInfo) else name
        assert expected in reasons.get(member, "<accepted>"), (member, reasons.get(member))
    assert len(report.rejected) == len(HOSTILE_ENTRIES)
    assert sorted(report.skipped) == ["Thumbs.db", "a/.hidden.png"]
    # 3 + 3 plain images, plus all the odd-but-valid ones, normalised to the most common size and RGB.
    assert report.per_class == {"a": 3, "b": 3 + len(NORMALISED_ENTRIES)}
    assert report.image_shape == (28, 28, 3)
    assert report.resized == 6  # cmyk 16x16, rgba 8x4, palette 8x8, two 12x12 animations, 20x40 rotated

    ds = datamod.load_dataset("hostile")
    assert ds.image_shape == (28, 28, 3) and sum(ds.counts().values()) == report.accepted

    # Nothing escaped: the working directory and the test's tmp dir are untouched; the home holds only the dataset.
    assert not any(cwd.iterdir())
    assert _all_files(tmp_path) == outside_before
    assert not Path("/etc/x.png").exists()
    written = {p.relative_to(cnnlab_home).as_posix() for p in _all_files(cnnlab_home)}
    assert written == {"datasets/hostile/data.npz", "datasets/hostile/meta.json"}


def test_normalised_images_keep_their_look_in_the_dataset() -> None:
    members = [*hostile.class_images(("x",), per_class=1), ("y/rotated.jpg", hostile.exif_rotated_jpeg())]
    ingest_zip(hostile.build_zip(members), "rot", image_size=(20, 40), color="RGB")
    with np.load(datamod.user_root() / "rot" / "data.npz") as f:
        x, y = f["x"], f["y"]
    rotated = x[y == 1][0]
    assert rotated.shape == (40, 20, 3)
    assert rotated[:10, 10:].mean() > 240 and rotated[:10, :10].mean() < 15  # EXIF rotation really applied


def test_lying_header_cannot_smuggle_data() -> None:
    big = hostile.build_zip([*hostile.class_images(), ("a/liar.png", b"\x00" * 5_000_000)])
    lying = hostile.patch_sizes(big, "a/liar.png", 100)  # declares 100 bytes, holds 5 MB
    report = ingest_zip(lying, "liar")
    assert "cannot be read from the zip" in _reasons(report)["a/liar.png"]
    assert report.accepted == 6


def test_too_many_members_is_refused_before_reading() -> None:
    members = hostile.class_images(per_class=30)
    with pytest.raises(IngestError, match="has 60 entries; the limit is 50"):
        ingest_zip(hostile.build_zip(members), "many", limits=ZipLimits(max_members=50))
    with zipfile.ZipFile(io.BytesIO(hostile.build_zip(members))) as zf:  # the generic validator checks it too
        with pytest.raises(IngestError, match="60 entries; the limit is 50"):
            safe_zip_members(zf, ZipLimits(max_members=50))


def test_end_record_claiming_millions_of_entries_is_refused_before_parsing() -> None:
    data = hostile.build_zip(hostile.class_images())
    with pytest.raises(IngestError, match="65,535 entries; the limit is 20,000"):
        ingest_zip(hostile.patch_end_record(data, entries=65535), "lies")
    with pytest.raises(IngestError, match="directory"):
        ingest_zip(hostile.patch_end_record(data, cd_size=2**31), "lies")


def test_total_uncompressed_size_cap() -> None:
    data = hostile.build_zip(hostile.class_images(per_class=5))
    with pytest.raises(IngestError, match=r"declares .* bytes of files; the limit is 500"):
        ingest_zip(data, "fat", limits=ZipLimits(max_total_bytes=500))


def test_per_member_size_cap() -> None:
    members = [*hostile.class_images(), ("a/big.png", hostile.noise_png((200, 200)))]
    report = ingest_zip(hostile.build_zip(members), "cap", limits=ZipLimits(max_member_bytes=20_000))
    assert "per-file limit is 20,000" in _reasons(report)["a/big.png"]


def test_safe_zip_members_bounded_read_and_budget() -> None:
    data = hostile.build_zip([("a/1.bin", b"x" * 3000), ("a/2.bin", b"y" * 3000)])
    with open_zip(data) as zf:
        scan = safe_zip_members(zf, ZipLimits())
        assert [i.filename for i in scan.files] == ["a/1.bin", "a/2.bin"] and scan.declared_bytes == 6000
        assert scan.read(scan.files[0]) == b"x" * 3000
        assert scan.read(scan.files[0]) == b"x" * 3000  # re-reading the same member is not double-counted
        assert scan.read_bytes == 3000


def test_not_a_zip_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not a valid zip archive"):
        ingest_zip(b"definitely not a zip", "nz")
    with pytest.raises(IngestError, match="is not a file"):
        ingest_zip(tmp_path / "missing.zip", "nz")


def test_zip_from_path_and_file_object(tmp_path: Path) -> None:
    path = tmp_path / "upload.zip"
    path.write_bytes(hostile.build_zip(hostile.class_images()))
    assert ingest_zip(path, "from-path").accepted == 6
    with path.open("rb") as fh:
        report = ingest_zip(fh, "from-file")
    assert report.accepted == 6 and report.source == "zip upload upload.zip"


# ---------------------------------------------------------------- layout, classes, size and colour


def test_fewer_than_two_classes_is_a_clear_error() -> None:
    with pytest.raises(IngestError, match=r"found 1 class folder.*at least 2") as info:
        ingest_zip(hostile.build_zip(hostile.class_images(("only",))), "one")
    assert info.value.report is not None
    with pytest.raises(IngestError, match="found 0 class folder"):
        ingest_zip(hostile.build_zip([("loose.png", hostile.gray_png())]), "flat")


def test_class_with_no_usable_images_is_named() -> None:
    members = [*hostile.class_images(("a", "b")), ("c/bad.png", hostile.truncated_png()), ("d/", b"")]
    with pytest.raises(IngestError, match=r"class folder\(s\) c, d have no usable images") as info:
        ingest_zip(hostile.build_zip(members), "empty-class")
    report = info.value.report
    assert report.per_class == {"a": 3, "b": 3, "c": 0, "d": 0}
    assert "truncated" in _reasons(report)["c/bad.png"]
    assert not (datamod.user_root() / "empty-class").exists()


def test_top_folder_is_stripped_and_root_files_reported() -> None:
    members = [*hostile.class_images(("cat", "dog"), top="pets/"), ("README.md", b"hello")]
    report = ingest_zip(hostile.build_zip(members), "pets")
    assert report.per_class == {"cat": 3, "dog": 3}
    assert "not inside a class folder" in _reasons(report)["README.md"]


def test_classes_sort_naturally() -> None:
    members = hostile.class_images(("class10", "class2", "class1"), per_class=1)
    assert ingest_zip(hostile.build_zip(members), "nat").class_names == ["class1", "class2", "class10"]
    assert sorted(["10", "9", "1"], key=natural_key) == ["1", "9", "10"]


def test_most_common_size_wins_and_odd_sizes_are_resized() -> None:
    members = [*hostile.class_images(per_class=3), ("b/wide.png", hostile.gray_png(255, size=(56, 20)))]
    report = ingest_zip(hostile.build_zip(members), "sizes")
    assert report.image_shape == (28, 28, 1) and report.resized == 1
    with np.load(datamod.user_root() / "sizes" / "data.npz") as f:
        assert f["x"].shape == (7, 28, 28, 1) and (f["x"] == 255).all(axis=(1, 2, 3)).sum() == 1


def test_image_size_and_color_overrides() -> None:
    red = hostile.encode(Image.new("RGB", (10, 10), (255, 0, 0)), "PNG")
    members = [*hostile.class_images(per_class=2), ("b/red.png", red)]
    assert ingest_zip(hostile.build_zip(members), "auto").image_shape == (28, 28, 3)  # one colour image -> RGB
    report = ingest_zip(hostile.build_zip(members), "forced", image_size=(14, 7), color="L")
    assert report.image_shape == (7, 14, 1) and report.resized == 5
    with np.load(datamod.user_root() / "forced" / "data.npz") as f:
        assert 70 <= f["x"][f["y"] == 1].max() <= 82  # red through ITU-R 601 luma, after LANCZOS
    with pytest.raises(IngestError, match="color must be"):
        ingest_zip(hostile.build_zip(members), "bad", color="CMYK")
    with pytest.raises(IngestError, match="image_size must be"):
        ingest_zip(hostile.build_zip(members), "bad", image_size=(0, 5))


def test_dataset_size_cap() -> None:
    with pytest.raises(IngestError, match="choose a smaller image size"):
        ingest_zip(hostile.build_zip(hostile.class_images()), "big", limits=ZipLimits(max_dataset_bytes=1000))


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("bad", ["", "has space", "../x", "a/b", "-lead", "mnist", "MNIST-Sample", "cifar10", "x" * 65])
def test_bad_dataset_names(bad: str) -> None:
    with pytest.raises(IngestError):
        ingest_zip(hostile.build_zip(hostile.class_images()), bad)


def test_existing_name_needs_overwrite() -> None:
    data = hostile.build_zip(hostile.class_images())
    ingest_zip(data, "twice")
    with pytest.raises(IngestError, match="already exists"):
        ingest_zip(data, "Twice")
    assert ingest_zip(data, "twice", overwrite=True).accepted == 6
    assert validate_name("fresh_name-2") == "fresh_name-2"


# ---------------------------------------------------------------- .npz


def _xy(n_per_class: int = 4, classes: int = 3, shape: tuple[int, ...] = (28, 28)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(classes), n_per_class)
    return rng.integers(0, 256, (len(y), *shape), dtype=np.uint8), y


def test_npz_uint8_round_trip() -> None:
    x, y = _xy()
    report = ingest_npz(hostile.npz_bytes(x=x, y=y), "arrays", class_names=["cat", "dog", "fox"])
    assert report.per_class == {"cat": 4, "dog": 4, "fox": 4} and report.image_shape == (28, 28, 1)
    ds = datamod.load_dataset("arrays")
    assert ds.class_names == ["cat", "dog", "fox"] and sum(ds.counts().values()) == 12
    all_x = np.concatenate([ds.x_train, ds.x_val, ds.x_test])
    assert sorted(i.tobytes() for i in all_x) == sorted(i[..., None].tobytes() for i in x)


def test_npz_floats_rgb_stored_names_and_extra_arrays(tmp_path: Path) -> None:
    x, y = _xy(shape=(8, 8, 3))
    path = tmp_path / "float.npz"
    path.write_bytes(
        hostile.npz_bytes(
            compressed=False,
            x=x / 255.0,
            y=y.astype(np.float32),
            class_names=np.array(["r", "g", "b"]),
            notes=np.arange(3),
        )
    )
    report = ingest_npz(path, "floats")
    assert report.class_names == ["r", "g", "b"] and report.image_shape == (8, 8, 3)
    assert report.skipped == ["notes.npy"] and report.source == ".npz upload float.npz"
    with np.load(datamod.user_root() / "floats" / "data.npz") as f:
        np.testing.assert_array_equal(f["x"], x)  # [0, 1] floats scaled back exactly


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"images": np.zeros((2, 4, 4))}, "must hold arrays named 'x' and 'y'; it has: images"),
        ({"x": np.full((4, 4, 4), 2.0), "y": np.array([0, 1, 0, 1])}, r"in \[0, 1\].*divide by 255"),
        ({"x": np.full((4, 4, 4), 300), "y": np.array([0, 1, 0, 1])}, "must be in 0-255"),
        ({"x": np.full((4, 4, 4), np.nan), "y": np.array([0, 1, 0, 1])}, "NaN"),
        ({"x": np.zeros((4, 4, 4, 2), np.uint8), "y": np.array([0, 1, 0, 1])}, "must have shape"),
        ({"x": np.zeros((4, 4, 4), np.uint8), "y": np.array([0, 1, 0])}, r"y must have shape \(4,\)"),
        ({"x": np.zeros((4, 4, 4), np.uint8), "y": np.array([0, -1, 0, 1])}, "negative label"),
        ({"x": np.zeros((4, 4, 4), np.uint8), "y": np.array([0.5, 1, 0, 1])}, "whole-number"),
        ({"x": np.zeros((4, 4, 4), np.uint8), "y": np.array([0, 0, 0, 0])}, "at least 2 classes"),
        ({"x": np.zeros((4, 4, 4), np.uint8), "y": np.array([0, 2, 0, 2])}, r"class\(es\) 1 have no images"),
        ({"x": np.zeros((4, 4, 4), bool), "y": np.array([0, 1, 0, 1])}, "must be numeric"),
    ],
)
def test_npz_bad_arrays(arrays: dict, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        ingest_npz(hostile.npz_bytes(**arrays), "bad-npz")
    assert not (datamod.user_root() / "bad-npz").exists()


def test_npz_class_names_must_cover_labels() -> None:
    x, y = _xy()
    with pytest.raises(IngestError, match="label 2 has no class name"):
        ingest_npz(hostile.npz_bytes(x=x, y=y), "names", class_names=["a", "b"])
    with pytest.raises(IngestError, match="distinct"):
        ingest_npz(hostile.npz_bytes(x=x, y=y), "names", class_names=["a", "a", "b"])


def test_npz_pickled_objects_are_refused() -> None:
    x = np.empty(4, dtype=object)
    x[:] = [np.zeros((2, 2))] * 4
    with pytest.raises(IngestError, match="Python objects"):
        ingest_npz(hostile.npz_bytes(x=x, y=np.array([0, 1, 0, 1])), "pickles")


def test_npz_header_claiming_a_huge_array_is_refused_without_allocating() -> None:
    y = io.BytesIO()
    np.save(y, np.array([0, 1]))
    data = hostile.build_zip([("x.npy", hostile.npy_with_lying_shape((10**6, 10**6, 28))), ("y.npy", y.getvalue())])
    with pytest.raises(IngestError, match="truncated or padded"):
        ingest_npz(data, "liar")


def test_npz_zip_bomb_and_not_a_zip() -> None:
    bomb = hostile.npz_bytes(x=np.zeros((3000, 28, 28), np.uint8), y=np.zeros(3000, np.int64))
    with pytest.raises(IngestError, match=r"array 'x' was refused: compression ratio .* \(zip bomb\)"):
        ingest_npz(bomb, "bomb")
    with pytest.raises(IngestError, match=r"not a valid \.npz archive"):
        ingest_npz(b"\x93NUMPY not a zip", "nz")


def test_npz_unsafe_entries_are_reported_not_read() -> None:
    x, y = _xy()
    good = hostile.npz_bytes(x=x, y=y)
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    report = ingest_npz(hostile.build_zip([*members, ("../x.npy", b"evil")]), "unsafe-npz")
    assert "'..'" in _reasons(report)["../x.npy"] and report.accepted == 12


# ---------------------------------------------------------------- fuzzing: only IngestError may escape


def _ingest_or_refuse(data: bytes, fn=ingest_zip) -> None:
    try:
        report = fn(data, "fuzz", overwrite=True)
    except IngestError as exc:
        assert str(exc)
    else:
        assert report.accepted >= 2 and len(report.per_class) >= 2


@FUZZ
@given(st.binary(max_size=4096))
def test_fuzz_random_bytes_into_both_ingesters(data: bytes) -> None:
    _ingest_or_refuse(data)
    _ingest_or_refuse(data, ingest_npz)
    _ingest_or_refuse(b"PK\x03\x04" + data)


SEED_ZIP = hostile.build_zip([*hostile.class_images(per_class=2), ("b/x.gif", hostile.animated("GIF"))])
SEED_NPZ = hostile.npz_bytes(x=_xy(2, 2, (4, 4))[0], y=_xy(2, 2, (4, 4))[1])


@FUZZ
@given(
    st.sampled_from(["zip", "npz"]),
    st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.one_of(st.none(), st.integers(0, 100_000)),
)
def test_fuzz_mutated_archives(kind: str, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(SEED_ZIP if kind == "zip" else SEED_NPZ)
    for pos, value in flips:
        data[pos % len(data)] = value
    _ingest_or_refuse(bytes(data[:cut] if cut is not None else data), ingest_zip if kind == "zip" else ingest_npz)


def test_modules_stay_free_of_tensorflow_and_streamlit() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cnnlab.data.images, cnnlab.data.ingest; "
        "bad = [m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    assert (
        subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True).returncode
        == 0
    )


@pytest.mark.parametrize(
    "y",
    [np.array([0, 1, 10**12]), np.array([0, 1, 2**64 - 1], np.uint64), np.array([0.0, 1.0, 1e300])],
    ids=["10^12", "uint64-max", "1e300"],
)
def test_huge_labels_are_refused_before_a_name_list_is_built(y: np.ndarray) -> None:
    with pytest.raises(IngestError) as info:
        ingest_npz(hostile.npz_bytes(x=np.zeros((3, 8, 8), np.uint8), y=y), "huge")
    assert info.value.key == "engine.ingest.label_too_large"
    assert "1,000" in str(info.value)


def test_class_names_that_are_not_utf8_get_a_sentence() -> None:
    x, y = _xy(classes=2)
    names = np.array([b"ok", b"\xff\xfe"], dtype="S2")
    with pytest.raises(IngestError) as info:
        ingest_npz(hostile.npz_bytes(x=x, y=y, class_names=names), "badnames")
    assert info.value.key == "engine.ingest.class_names_encoding"


def test_more_classes_than_the_limit_are_refused_for_npz_and_zip() -> None:
    from cnnlab.data.ingest import MAX_CLASSES

    x, y = _xy(classes=2)
    names = np.array([f"c{i}" for i in range(MAX_CLASSES + 1)])
    with pytest.raises(IngestError) as info:
        ingest_npz(hostile.npz_bytes(x=x, y=y, class_names=names), "many")
    assert info.value.key == "engine.ingest.too_many_classes"
    pixel = hostile.gray_png(size=(4, 4))
    members = [(f"class{i:04d}/a.png", pixel) for i in range(MAX_CLASSES + 1)]
    with pytest.raises(IngestError) as info:
        ingest_zip(hostile.build_zip(members), "manyfolders")
    assert info.value.key == "engine.ingest.too_many_classes" and info.value.report is not None


def test_a_full_disk_leaves_no_half_written_dataset(cnnlab_home: Path) -> None:
    """A real write failure (the file-size limit of a child process standing in for a full disk): one sentence,
    no temporary file left, no dataset listed."""
    from conftest import run_python

    code = (
        "import resource, signal, sys, numpy as np\n"
        "from cnnlab.data.ingest import ingest_npz\n"
        "from cnnlab.errors import CnnLabError\n"
        "from tests import hostile\n"
        "rng = np.random.default_rng(0)\n"
        "data = hostile.npz_bytes(compressed=False, x=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),"
        " y=np.arange(300) % 3)\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))\n"
        "try:\n"
        "    ingest_npz(data, 'toolarge')\n"
        "except CnnLabError as exc:\n"
        "    print(exc.key); print(exc)\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr[-2000:]
    key, sentence = out.stdout.strip().splitlines()[:2]
    assert key == "engine.data.cannot_save" and "toolarge" in sentence
    assert not list(cnnlab_home.rglob("*.tmp*"))
    assert "toolarge" not in {i.name for i in datamod.list_datasets()}

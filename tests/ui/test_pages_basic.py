"""Home and Data pages through Streamlit's AppTest (the real app.py router), in both languages."""

from __future__ import annotations

import re
import string
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from cnnlab.i18n import CATALOGUE, LANGUAGES, t
from conftest import ROOT, open_app

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u23e9-\u23fa]")  # pictographs, dingbats


def app(page: str | None = None, lang: str = "en") -> AppTest:
    return open_app(page, lang)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [h.value for h in at.title] + [h.value for h in at.subheader]
    parts += [s.label for s in at.selectbox] + [b.label for b in at.button] + [m.label for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_home_lists_datasets_and_first_step():
    at = app()
    assert at.title[0].value == "CNN Lab"
    table = next(m.value for m in at.markdown if m.value.startswith("| Dataset |"))
    cells = {row[1]: row for row in ([c.strip(" `") for c in line.split("|")] for line in table.splitlines()[2:])}
    # a word with a Material icon (an emoji alone is an empty box on a PC without an emoji font)
    assert cells["mnist-sample"][2] == ":green-badge[:material/check_circle: Available]"
    assert cells["mnist-sample"][3] == "28×28×1"
    assert cells["mnist"][2] == ":gray-badge[:material/block: Not available]"  # offline: a caption says how to fix it
    assert not EMOJI.search(table)
    assert set(cells) >= {"mnist-sample", "mnist", "fashion_mnist", "cifar10"}
    assert any("Data" in m.value for m in at.info)


def test_home_in_chinese():
    at = app(lang="zh")
    assert at.title[0].value == t("home.title", "zh")
    assert t("home.steps_title", "zh") in texts(at)


def test_data_page_shows_real_mnist_sample():
    at = app("pages/data.py")
    assert next(s for s in at.selectbox if s.label == "Dataset").value == "mnist-sample"
    assert any("5,000 real MNIST digits" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training images"] == "3,500"
    assert metrics["Image shape"] == "28×28×1"
    assert len(at.get("plotly_chart")) >= 3


def test_data_page_in_chinese_changes_labels():
    at = app("pages/data.py", lang="zh")
    labels = {m.label for m in at.metric}
    assert t("data.train", "zh") in labels and "Training images" not in labels


def test_upload_without_name_is_refused_politely():
    at = app("pages/data.py")
    assert at.text_input[0].label == "Name for the dataset"
    # submitting the form with no file does nothing and raises nothing
    at.button[-1].click().run()
    assert not at.exception


def test_catalogue_is_complete_in_both_languages():
    assert set(LANGUAGES) == {"en", "zh"}
    for key, (en, zh) in CATALOGUE.items():
        assert en.strip() and zh.strip(), key
        has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in zh)
        words = re.sub(r"\{[^}]*\}", "", zh)
        assert has_cjk or zh == en or not re.search(r"[A-Za-z]", words), f"{key}: Chinese text missing"
        # the same placeholders in both languages, so formatting never fails in one of them
        assert _fields(en) == _fields(zh), key


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_home_and_data_render_without_tensorflow():
    code = (
        "import sys; from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120); at.run()\n"
        "at.switch_page('pages/data.py'); at.run(); assert not at.exception, at.exception\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True, cwd=ROOT
    )
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_upload_a_zip_of_class_folders_adds_a_dataset_and_reports_rejections():
    from tests import hostile

    members = [*hostile.class_images(("cat", "dog"), per_class=4), ("cat/evil.png", hostile.tiff_bytes())]
    at = app("pages/data.py")
    at.file_uploader[0].set_value(("pets.zip", hostile.build_zip(members), "application/zip"))
    at.text_input[0].input("pets")
    at.button[-1].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Added **pets**: 8 images in 2 classes" in s.value for s in at.success)
    assert any("1 files were rejected" in w.value for w in at.warning)
    assert next(s for s in at.selectbox if s.label == "Dataset").value == "pets"


def test_upload_of_a_hostile_zip_gets_a_clear_message():
    from tests import hostile

    at = app("pages/data.py")
    members = [("../escape/a.png", hostile.gray_png()), ("/abs/b.png", hostile.gray_png())]
    at.file_uploader[0].set_value(("bad.zip", hostile.build_zip(members), "application/zip"))
    at.text_input[0].input("bad")
    at.button[-1].click().run()
    assert not at.exception
    assert at.error and "could not be added" in at.error[0].value

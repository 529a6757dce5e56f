"""Real browser: a learner follows lessons 1-3 of the Learn page using only what the lesson text says (its button
names, the fields it names, the sidebar), in English and in Chinese, and every step ends ticked."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app
from conftest import seed_sample

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect  # waits for what a visitor would see
SHOTS = Path(os.environ.get("CNNLAB_SHOTS", "/tmp/shots-learn"))

TEXT = {
    "en": {
        "learn": "Learn", "lesson": "Lesson", "done": "{n} of {total} steps done", "answer": "Your answer",
        "check": "Check", "right": "Right: {a}.", "row": "Output row", "col": "Output column",
        "l1": ["Load a digit and the edge kernel", "Try the sharpen kernel", "Use stride 2", "Use same padding"],
        "l2_title": "Pooling and receptive fields", "l2": ["Add max pooling", "Compare with average pooling"],
        "build": "Open LeNet-5 on Build", "build_title": "Build a network",
        "l3_title": "LeNet-5: build it, train it, look inside", "setup": "Set up the training", "epochs": "Epochs",
        "train": "Train", "finished": "Test accuracy", "filters": "Look at its filters", "not_quite": "Not quite",
    },
    "zh": {
        "learn": "学习", "lesson": "课程", "done": "已完成 {n} / {total} 步", "answer": "你的答案", "check": "核对",
        "right": "答对了：{a}。", "row": "输出行", "col": "输出列",
        "l1": ["载入数字和边缘卷积核", "试试锐化卷积核", "使用步长 2", "使用 same 填充"],
        "l2_title": "池化与感受野", "l2": ["加上最大池化", "对比平均池化"],
        "build": "在“搭建”页面打开 LeNet-5", "build_title": "搭建网络",
        "l3_title": "LeNet-5：搭建、训练、看内部", "setup": "设置训练", "epochs": "训练轮数（epochs）",
        "train": "开始训练", "finished": "测试准确率", "filters": "查看它的卷积核", "not_quite": "不完全对",
    },
}  # fmt: skip


@pytest.fixture
def learn_home(tmp_path, mnist_sample_cache) -> Path:
    seed_sample(tmp_path, mnist_sample_cache)  # the sandbox's digits without parsing the sample again
    return tmp_path


def _ticked(page, w: dict, n: int, total: int) -> None:
    page.get_by_text(w["done"].format(n=n, total=total), exact=True).wait_for(timeout=90_000)


def _press(page, name: str) -> None:
    """Click the one button called `name` (while a rerun redraws the page, a stale copy may still be on screen)."""
    button = page.get_by_role("button", name=name, exact=True)
    expect(button).to_have_count(1, timeout=90_000)
    button.click()


def _answer(page, w: dict, index: int, value: str) -> None:
    page.get_by_role("textbox", name=w["answer"]).nth(index).fill(value)
    page.get_by_role("button", name=w["check"], exact=True).nth(index).click()


def _number(page, label: str, value: int) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.wait_for(timeout=150_000)  # the first digit loads the dataset: slow on a busy machine
    box.fill(str(value))
    box.press("Enter")


def _open_learn(page, w: dict) -> None:
    page.get_by_role("link", name=w["learn"]).first.click()
    page.get_by_role("heading", name=w["learn"]).first.wait_for()
    wait_for_app(page)


def _pick_lesson(page, w: dict, title: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wait_for_app(page)
    option = page.get_by_role("option", name=re.compile(re.escape(title)))
    for _ in range(3):  # a rerun that ends just then may close the list again
        page.get_by_label(w["lesson"]).click()
        try:
            option.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    option.click()
    page.get_by_role("heading", name=title).wait_for()
    wait_for_app(page)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    screenshot(page, name)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lessons_one_and_two_in_the_browser(learn_home, lang):
    require_chromium()
    w = TEXT[lang]
    with streamlit_server(learn_home) as url, browser_page(1440, 1000) as page:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/?lang={lang}")
        wait_for_app(page)
        _open_learn(page, w)
        # lesson 1: the steps' buttons, the cell the text names, the first question
        _ticked(page, w, 0, 6)
        _press(page, w["l1"][0])
        _ticked(page, w, 1, 6)
        _number(page, w["row"], 10)
        _number(page, w["col"], 12)
        _ticked(page, w, 2, 6)
        for n, name in enumerate(w["l1"][1:], start=3):
            _press(page, name)
            _ticked(page, w, n, 6)
        _answer(page, w, 0, "10")
        _ticked(page, w, 6, 6)
        page.get_by_text(w["right"].format(a="10")).wait_for()
        _shot(page, f"learn-lesson1-{lang}")

        # lesson 2: pooling in the sandbox, the Build page's analysis, two questions about it
        _pick_lesson(page, w, w["l2_title"])
        for n, name in enumerate(w["l2"], start=1):
            _press(page, name)
            _ticked(page, w, n, 5)
        _press(page, w["build"])
        page.wait_for_url(re.compile(r"/build"))
        wait_for_app(page)
        page.get_by_role("heading", name=w["build_title"]).wait_for()
        _open_learn(page, w)
        page.get_by_role("heading", name=w["l2_title"]).wait_for()  # the lesson was kept
        _ticked(page, w, 3, 5)
        _answer(page, w, 0, "12x12x6")
        _ticked(page, w, 4, 5)
        _answer(page, w, 1, "16 × 16")
        _ticked(page, w, 5, 5)
        page.get_by_text(w["right"].format(a="16×16")).wait_for()
        _shot(page, f"learn-lesson2-{lang}")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_three_builds_trains_and_looks_inside(learn_home, lang):
    require_chromium()
    w = TEXT[lang]
    with streamlit_server(learn_home) as url, browser_page(1440, 1000) as page:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/?lang={lang}")
        wait_for_app(page)
        _open_learn(page, w)
        _pick_lesson(page, w, w["l3_title"])
        _ticked(page, w, 0, 5)
        _press(page, w["build"])
        page.wait_for_url(re.compile(r"/build"))
        wait_for_app(page)
        page.get_by_role("heading", name=w["build_title"]).wait_for()
        _open_learn(page, w)
        _ticked(page, w, 1, 5)

        _press(page, w["setup"])  # the smallest training the text offers: 1 epoch
        _number(page, w["epochs"], 1)
        wait_for_app(page)
        _press(page, w["train"])
        page.get_by_text(w["finished"]).first.wait_for(timeout=300_000)
        _open_learn(page, w)
        _ticked(page, w, 2, 5)

        _press(page, w["filters"])
        page.wait_for_url(re.compile(r"/inspect"))
        wait_for_app(page)
        _open_learn(page, w)
        _ticked(page, w, 3, 5)
        _answer(page, w, 0, "156")
        _ticked(page, w, 4, 5)
        page.get_by_text(w["right"].format(a="156")).wait_for()
        _answer(page, w, 2, "7")  # a guess: right or not, the answer comes from the run's own confusion matrix
        _ticked(page, w, 5, 5)
        _shot(page, f"learn-lesson3-{lang}")

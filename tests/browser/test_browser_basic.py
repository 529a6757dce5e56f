"""Real browser: `streamlit run app.py` on a free port, Debian's Chromium renders Home and Data."""

from __future__ import annotations

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser


def test_home_and_data_render_in_chromium(tmp_path):
    require_chromium()
    with streamlit_server(tmp_path) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page)
        page.get_by_role("heading", name="CNN Lab").wait_for()
        page.get_by_text("Datasets on this machine").wait_for()
        screenshot(page, "home")

        page.get_by_role("link", name="Start with the data").click()
        page.get_by_text("offline sample: 5,000 real MNIST digits").wait_for()
        page.locator(".js-plotly-plot").first.wait_for()
        assert page.url.split("?")[0].endswith("/data") and "lang=en" in page.url  # the link carries the language
        screenshot(page, "data")

        page.goto(f"{url}/?lang=zh")
        wait_for_app(page)
        page.get_by_text("四步训练你的第一个模型").wait_for()
        screenshot(page, "home-zh")


def test_demo_mode_unlocks_only_with_the_presenter_password(tmp_path):
    require_chromium()
    env = {"CNNLAB_DEMO": "1", "CNNLAB_DEMO_PASSWORD": "presenter-pw"}
    with streamlit_server(tmp_path, env) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page)
        page.get_by_text("Demo mode: visitors can explore").wait_for()
        page.get_by_label("Presenter password").fill("guess")
        page.get_by_role("button", name="Unlock").click()
        page.get_by_text("Wrong password.").wait_for()
        page.get_by_label("Presenter password").fill("presenter-pw")
        page.get_by_role("button", name="Unlock").click()
        page.get_by_text("Presenter controls unlocked").wait_for()
        screenshot(page, "demo-unlocked")


def test_language_switch_in_the_sidebar(tmp_path):
    require_chromium()
    with streamlit_server(tmp_path) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page)
        page.get_by_label("Language").click()  # open the selectbox
        page.get_by_role("option", name="简体中文").click()
        page.get_by_text("四步训练你的第一个模型").wait_for()
        assert "lang=zh" in page.url
        page.reload()
        page.get_by_text("四步训练你的第一个模型").wait_for()  # the choice survives a reload

"""Real browser: Build's list of earlier runs to transfer from shows each run's name, accuracy and date in full."""

from __future__ import annotations

import time

import pytest

from browser import browser_page, screenshot, streamlit_server, wait_for_app
from cnnlab.i18n import t
from cnnlab.runs.store import RunStore

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# every element of the option or the picked value shows its whole text (none cut off with an ellipsis)
WHOLE = "el => [el, ...el.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1)"


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1440, 1000)])
def test_the_saved_model_list_shows_each_runs_date_in_both_languages(tiny_run, width, height) -> None:
    with RunStore() as store:
        run = store.get_run(tiny_run.run_id)
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created))
    with streamlit_server(tiny_run.home) as url:
        for lang in ("en", "zh"):
            with browser_page(width, height) as page:
                page.goto(f"{url}/build?lang={lang}")
                wait_for_app(page)
                page.get_by_label(t("build.preset", lang)).click()
                page.get_by_role("option", name=t("arch.name.transfer", lang)).click()
                wait_for_app(page)
                page.get_by_label(t("build.opt.base", lang)).click()
                page.get_by_role("option", name=t("build.val.run", lang)).click()
                wait_for_app(page)
                page.get_by_label(t("build.opt.model_path", lang)).click()
                option = page.get_by_role("option").filter(has_text=run.name)
                option.wait_for()
                assert date in option.inner_text() and "%" in option.inner_text()
                assert option.evaluate(WHOLE), "the run's label is cut off in the list"
                screenshot(page, f"build-bases-{lang}-{width}")
                option.click()
                page.get_by_role("heading", name=t("build.layers", lang)).wait_for()
                picked = page.get_by_label(t("build.opt.model_path", lang))  # the combobox's text field
                assert date in picked.input_value() and picked.evaluate(WHOLE), "the picked run's label is cut off"

"""Demo mode: visitors are locked out of changes until they unlock with the presenter's password."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnlab import demo
from conftest import APP_PATH


def test_policy_outside_demo_mode_allows_everything(monkeypatch):
    monkeypatch.delenv("CNNLAB_DEMO", raising=False)
    assert all(demo.allowed(a, unlocked=False) for a in demo.RESTRICTED)


def test_policy_in_demo_mode(monkeypatch):
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    monkeypatch.setenv("CNNLAB_DEMO_PASSWORD", "s3cret")
    assert not demo.allowed("train", unlocked=False)
    assert demo.allowed("train", unlocked=True)
    assert demo.allowed("predict", unlocked=False)
    assert demo.check_password("s3cret") and not demo.check_password("guess")
    monkeypatch.delenv("CNNLAB_DEMO_PASSWORD")
    assert not demo.check_password("")


def test_upload_quota_in_demo_mode(monkeypatch):
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    quota = demo.SessionQuota(max_uploads=2, max_upload_bytes=100)
    quota.spend_upload(40)
    with pytest.raises(demo.LimitReached, match=r"MB|uploads"):
        quota.spend_upload(80)
    quota.spend_upload(10)
    with pytest.raises(demo.LimitReached, match="uploads"):
        quota.spend_upload(1)


def test_sidebar_shows_demo_mode_and_the_unlock_form(monkeypatch):
    """(AppTest drops sidebar elements on reruns under st.navigation; the unlock click itself is
    covered in a real browser by test_browser_basic.py.)"""
    monkeypatch.setenv("CNNLAB_DEMO", "1")
    monkeypatch.setenv("CNNLAB_DEMO_PASSWORD", "s3cret")
    at = AppTest.from_file(APP_PATH, default_timeout=120).run()
    assert any("Demo mode" in w.value for w in at.sidebar.warning)
    assert at.sidebar.text_input[0].label == "Presenter password"
    at = AppTest.from_file(APP_PATH, default_timeout=120)
    at.session_state["demo_unlocked"] = True
    at.run()
    assert any("unlocked" in s.value for s in at.sidebar.success)


def test_demo_mode_refuses_adding_a_dataset_without_password(monkeypatch):
    from tests import hostile

    monkeypatch.setenv("CNNLAB_DEMO", "1")
    monkeypatch.setenv("CNNLAB_DEMO_PASSWORD", "s3cret")
    at = AppTest.from_file(APP_PATH, default_timeout=120).run()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value(("pets.zip", hostile.build_zip(hostile.class_images(("a", "b"))), "application/zip"))
    at.main.text_input[0].input("pets")  # the page's own widgets: the router's sidebar has the password form
    at.main.button[-1].click().run()
    assert any("only the presenter" in i.value for i in at.info)
    assert "pets" not in [s.value for s in at.selectbox]

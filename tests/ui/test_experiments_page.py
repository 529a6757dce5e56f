"""The Experiments page through AppTest: the arena form, its refusal in words, and a study in view by link."""

from __future__ import annotations

from cnnlab.runs import studies
from cnnlab.runs.store import RunStore
from conftest import open_app


def test_an_empty_lab_offers_the_arena_form_and_says_there_are_no_studies(home_with_data) -> None:
    at = open_app("pages/experiments.py")
    assert any("No studies yet" in i.value for i in at.info)
    assert [b.label for b in at.button if b.label == "Start the arena"]
    zh = open_app("pages/experiments.py", lang="zh")
    assert any("还没有实验" in i.value for i in zh.info)


def test_one_architecture_is_refused_with_a_sentence_and_nothing_queued(home_with_data) -> None:
    at = open_app("pages/experiments.py")
    at.multiselect(key="exp_archs").set_value(["lenet5"]).run()
    next(b for b in at.button if b.label == "Start the arena").click().run()
    assert any("2 to 6 architectures" in e.value for e in at.error), [e.value for e in at.error]
    with RunStore() as store:
        assert studies.list_studies(store) == [] and store.list_runs() == []


def test_a_study_opens_by_its_link(home_with_data) -> None:
    with RunStore() as store:
        first = studies.create_study(store, name="first", kind="arena", settings={})
        studies.create_study(store, name="second", kind="arena", settings={})
    at = open_app("pages/experiments.py")
    assert at.selectbox(key="exp_study").value != first  # the newest by default
    at.query_params["study"] = first
    at.run()
    assert at.selectbox(key="exp_study").value == first
